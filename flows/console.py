"""What a person sees of a run: live progress on a terminal, a short summary at the end, no library chatter.

Prefect's console lines (task runs finishing, the temporary server starting)
and jieba's dictionary messages say nothing a user can act on, so they are
off unless `--verbose`; the project's own warnings (a run waiting for the
warehouse) still reach stderr. A backfill of thousands of pages runs for
minutes, so a terminal shows pages fetched and failed, documents loaded, the
rate and, where the number of pages is known in advance, the time left.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from tasks.walls import WHAT_TO_DO, blocked_hosts
from warehouse import db as warehouse_db

if TYPE_CHECKING:  # the pipeline imports every stage (jieba among them): not for `govreports sql`
    from flows import pipeline

FAILED_SHOWN = 5  # failed pages listed in the summary; the rest are one query away


CONSOLE_LEVEL = "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"


@contextlib.contextmanager
def quiet_libraries(verbose: bool) -> Iterator[None]:
    """Silence Prefect's console lines and jieba's messages unless verbose; undone on exit.

    Prefect reads PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL whenever it sets up
    logging (a user's own setting wins); a console handler it already made
    (Prefect imported earlier in this process) is raised to CRITICAL as well.
    The flow's lines still go to the Prefect API, and the project's own
    warnings get a stderr handler of their own.
    """
    if verbose or CONSOLE_LEVEL in os.environ:
        yield
        return
    os.environ[CONSOLE_LEVEL] = "CRITICAL"
    consoles = [(h, h.level) for h in logging.getLogger().handlers if type(h).__name__ == "PrefectConsoleHandler"]
    for handler, _ in consoles:
        handler.setLevel(logging.CRITICAL)
    # jieba sets its logger to DEBUG and adds a stderr handler on import: a logger filter survives both.
    jieba = logging.getLogger("jieba")
    jieba.addFilter(_warnings_only)
    project, warnings = logging.getLogger("govreports"), _ProjectWarnings()
    project.addHandler(warnings)
    try:
        yield
    finally:
        project.removeHandler(warnings)
        jieba.removeFilter(_warnings_only)
        for handler, level in consoles:
            handler.setLevel(level)
        del os.environ[CONSOLE_LEVEL]


def _warnings_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


class _ProjectWarnings(logging.Handler):
    """The project's warnings on stderr (Prefect's console handler, now silent, used to carry them)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        Console(stderr=True, highlight=False).print(f"govreports: {record.levelname.lower()}: {record.getMessage()}",
                                                    markup=False, soft_wrap=True)


def page_total(from_dir: str | None, has_urls: bool) -> int | None:
    """Pages the run will see, when known before it starts: a folder of saved files and nothing to crawl."""
    from flows.pipeline import LOCAL_SUFFIXES

    if not from_dir or has_urls:
        return None
    return sum(1 for p in Path(from_dir).rglob("*") if p.suffix.lower() in LOCAL_SUFFIXES and not p.is_dir())


class RunProgress:
    """A live progress line on a terminal, fed by the pipeline's progress hook; nothing elsewhere."""

    def __init__(self, flow: str, total: int | None, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.flow = flow
        self.last: pipeline.RunSummary | None = None
        self.first_page: float | None = None
        columns: list[Any] = [SpinnerColumn(), TextColumn("[bold]{task.description}")]
        if total:
            columns.append(BarColumn(bar_width=20))
        columns += [TextColumn("{task.fields[counts]}"), TimeElapsedColumn()]
        if total:
            columns += [TimeRemainingColumn(), TextColumn("left")]
        # On a terminal rich routes other writes to stdout/stderr (a warning) above the live line.
        self.progress = Progress(*columns, console=self.console, disable=not self.console.is_terminal, transient=True)
        # Until the first page: Prefect is starting (a temporary API server takes 5-20 s).
        self.task = self.progress.add_task(f"{flow}: starting Prefect", total=total, counts="")

    def update(self, summary: pipeline.RunSummary) -> None:
        """The progress hook: called after every page and every loaded batch."""
        self.last = summary
        now = time.monotonic()
        self.first_page = self.first_page or now  # the rate leaves out Prefect's start-up
        rate = summary.pages_seen / max(now - self.first_page, 1.0)
        counts = (f"{summary.pages_seen} pages, {len(summary.failures)} failed · documents "
                  f"{summary.documents_new} new, {summary.documents_changed} changed · {rate:.1f} pages/s")
        self.progress.update(self.task, completed=summary.pages_seen, counts=counts, description=self.flow)

    @contextlib.contextmanager
    def running(self) -> Iterator[RunProgress]:
        """Show the display and receive the pipeline's progress for the duration of the run."""
        from flows.pipeline import progress_hooks

        progress_hooks.append(self.update)
        try:
            with self.progress:
                yield self
        finally:
            progress_hooks.remove(self.update)


def run_result(summary: pipeline.RunSummary) -> dict:
    """What a run returns (a flow run's result; the CLI's --json keys): its `runs` row and two more counts."""
    return summary.run_row() | {"pages_unchanged": summary.pages_unchanged, "pages_fresh": summary.pages_fresh,
                                "indicators_loaded": summary.indicators_loaded}


def run_report(db_path: Path, run_id: str) -> dict:
    """The run's summary from the warehouse: its `runs` row and the documents it loaded by level and plan year.

    A document is new when its first copy was seen in this run, changed when it existed before.
    """
    with warehouse_db.connect_reader(db_path) as con:
        row = con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id]).fetchone()
        if row is None:
            return {"run_id": run_id, "warehouse": str(db_path)}
        run = dict(zip([d[0] for d in con.description], row))
        by_level = con.execute(
            """
            WITH first AS (SELECT doc_id, min(first_seen) AS first_seen FROM document_sources GROUP BY doc_id)
            SELECT d.level, d.plan_year,
                   count(*) FILTER (WHERE f.first_seen >= $start OR f.first_seen IS NULL) AS new,
                   count(*) FILTER (WHERE f.first_seen < $start) AS changed
            FROM documents d LEFT JOIN first f USING (doc_id)
            WHERE d.loaded_at BETWEEN $start AND $end
            GROUP BY ALL ORDER BY d.level, d.plan_year
            """,
            {"start": run["started_at"], "end": run["finished_at"]},
        ).fetchall()
    documents = [{"level": level, "plan_year": year, "new": new, "changed": changed}
                 for level, year, new, changed in by_level]
    return run | {"warehouse": str(db_path), "documents": documents}


def _fresh_note(fresh: int) -> str:
    return f" ({fresh} still fresh, not requested)" if fresh else ""


def summary_text(report: dict, failures: list[tuple[str, str]], format_rows: Callable[[list[str], list[tuple], str], str],
                 seconds: float) -> str:
    """A short human summary: counts, documents by level and plan year, failed pages and where to look."""
    flow = report.get("flow", "run")
    lines = [f"{flow} finished in {_duration(seconds)}: {report.get('pages_seen', 0)} pages seen, "
             f"{report.get('pages_fetched', 0)} fetched, {report.get('pages_unchanged', 0)} unchanged"
             f"{_fresh_note(report.get('pages_fresh', 0))}, "
             f"{report.get('errors', 0)} failed; "
             f"documents {report.get('documents_new', 0)} new, {report.get('documents_changed', 0)} changed"]
    if "flow_run_id" in report and report["flow_run_id"] is None:
        lines.append(f"nothing new: all {report.get('pages_unchanged', 0)} saved files are loaded as they are; "
                     "no Prefect flow run was started")
    documents = report.get("documents") or []
    if documents:
        keys = [(d["level"] or "?", d["plan_year"] if d["plan_year"] is not None else "?") for d in documents]
        if flow == "reprocess":  # every document is rebuilt: new and changed mean nothing per row
            header, rows = ["level", "plan_year", "rebuilt"], [(*k, d["new"] + d["changed"]) for k, d in zip(keys, documents)]
        else:
            header, rows = ["level", "plan_year", "new", "changed"], [(*k, d["new"], d["changed"]) for k, d in zip(keys, documents)]
        lines += ["", format_rows(header, rows, "table")]
    blocked = blocked_hosts(failures)
    if blocked:
        lines += ["", f"blocked by a bot wall ({len(blocked)} hosts): {WHAT_TO_DO}"]
        lines += [f"  {host}: {wall}" for host, wall in blocked.items()]
    if failures:
        lines += ["", f"failed pages ({len(failures)}):"]
        lines += [f"  {url}: {error}" for url, error in failures[:FAILED_SHOWN]]
        if len(failures) > FAILED_SHOWN:
            lines.append(f"  … and {len(failures) - FAILED_SHOWN} more")
        query = "SELECT url, error FROM pages WHERE error IS NOT NULL ORDER BY fetched_at DESC"
        lines.append(f"  all of them: govreports sql {shlex.quote(query)} --db {shlex.quote(report['warehouse'])}")
    lines += ["", f"warehouse: {report['warehouse']}"]
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"
