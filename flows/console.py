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
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task
from rich.text import Text

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
    if not from_dir or has_urls:
        return None
    return saved_files(Path(from_dir))[0]


def saved_files(from_dir: Path) -> tuple[int, Counter[str]]:
    """How many files under `from_dir` a run reads, and the others by suffix (`""`: none), hidden ones
    (`.DS_Store`, `.git/`) left out: what a run warns it ignores."""
    from tasks.parse import LOCAL_SUFFIXES

    read, ignored = 0, Counter[str]()
    for path in from_dir.rglob("*"):
        if path.is_dir():  # a FIFO or a broken link is an input too: the run records why it cannot read it
            continue
        if path.suffix.lower() in LOCAL_SUFFIXES:
            read += 1
        elif not any(part.startswith(".") for part in path.relative_to(from_dir).parts):
            ignored[path.suffix.lower()] += 1
    return read, ignored


def ignored_note(ignored: Counter[str]) -> str | None:
    """`ignores 4 files it cannot read: 3 .json, 1 without a suffix`, or None."""
    from tasks.parse import LOCAL_SUFFIXES

    if not ignored:
        return None
    most_first = sorted(ignored.items(), key=lambda item: (-item[1], item[0] == "", item[0]))
    kinds = ", ".join(f"{n} {suffix or 'without a suffix'}" for suffix, n in most_first)
    total = sum(ignored.values())
    return (f"--from-dir ignores {total} file{'s' if total != 1 else ''} of other types: {kinds} "
            f"(it reads {' '.join(sorted(LOCAL_SUFFIXES))})")


class RunProgress:
    """A live progress line on a terminal, fed by the pipeline's progress hook; nothing elsewhere.

    The line is fitted to the terminal's width each time it is drawn (`run_line`): on a narrow one the
    least useful parts (the rate, then the bar, the time left, the elapsed time) go whole, never half.
    """

    def __init__(self, flow: str, total: int | None, console: Console | None = None,
                 get_time: Callable[[], float] | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.flow = flow
        self.unit = "files" if total else "pages"  # a known total is a folder of saved files
        self.last: pipeline.RunSummary | None = None
        self.first_page: float | None = None
        # On a terminal rich routes other writes to stdout/stderr (a warning) above the live line.
        self.progress = Progress(SpinnerColumn(), _RunLineColumn(self), console=self.console, get_time=get_time,
                                 disable=not self.console.is_terminal, transient=True)
        # Until the first page: Prefect is starting (a temporary API server takes 5-20 s).
        self.task = self.progress.add_task(f"{flow}: starting Prefect", total=total)

    def update(self, summary: pipeline.RunSummary) -> None:
        """The progress hook: called after every page and every loaded batch."""
        self.last = summary
        self.first_page = self.first_page or self.progress.get_time()  # the rate leaves out Prefect's start-up
        self.progress.update(self.task, completed=summary.settled, description=self.flow)

    def line(self, task: Task, width: int) -> Text:
        """The progress line for `task`, at most `width` columns. Files or pages count once settled: a
        report read but not yet loaded (its batch of up to 100 is being made) is not done."""
        summary = self.last
        parts: list[Part] = [Part(0, Text(task.description, style="bold"), "")]
        if summary is not None:
            if task.total:
                parts.append(Part(4, _bar(task.completed, task.total), " "))
            done = f"{summary.settled}/{int(task.total)}" if task.total else f"{summary.settled}"
            parts.append(Part(0, Text(f"{done} {self.unit}"), " "))
            if summary.pending:  # read, their batch being made: the run is not stuck
                parts.append(Part(5, Text(f"{summary.pending} in progress")))
            parts.append(Part(1, Text(f"{summary.documents_new + summary.documents_changed} documents")))
            if summary.failures:
                parts.append(Part(1, Text(f"{len(summary.failures)} failed", style="red")))
            rate = summary.settled / max(self.progress.get_time() - (self.first_page or 0), 1.0)
            parts.append(Part(5, Text(f"{rate:.1f} {self.unit}/s")))
        parts.append(Part(2, Text(_clock(task.elapsed or 0), style="progress.elapsed")))
        if summary is not None and task.total and task.time_remaining is not None and not task.finished:
            parts.append(Part(3, Text(f"{_clock(task.time_remaining)} left", style="progress.remaining")))
        return run_line(parts, width)

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


class _RunLineColumn(ProgressColumn):
    """The run's whole line as one column, so rich never squeezes a part of it to nothing."""

    def __init__(self, display: RunProgress) -> None:
        super().__init__()
        self.display = display

    def render(self, task: Task) -> Text:
        return self.display.line(task, self.display.console.width - 2)  # the spinner and its gap


@dataclass(frozen=True)
class Part:
    """A piece of the progress line: what it shows, the separator before it, and when it goes (the
    highest `drop` first) if the line does not fit."""

    drop: int
    text: Text
    before: str = " · "


def run_line(parts: list[Part], width: int) -> Text:
    """The parts joined, dropping whole parts (highest `drop` first) until the line fits `width`; a line
    still too long (a very narrow terminal) is cut with an ellipsis."""
    kept = list(parts)
    while len(kept) > 1 and _joined(kept).cell_len > width:
        kept.remove(max(kept, key=lambda part: part.drop))
    line = _joined(kept)
    line.truncate(max(width, 1), overflow="ellipsis")
    return line


def _joined(parts: list[Part]) -> Text:
    line = Text()
    for n, part in enumerate(parts):
        line.append_text(Text(part.before) + part.text if n else part.text)
    return line


BAR_WIDTH = 12


def _bar(done: float, total: float) -> Text:
    filled = round(BAR_WIDTH * min(done / total, 1.0)) if total else 0
    return Text.assemble(("━" * filled, "bar.complete"), ("━" * (BAR_WIDTH - filled), "bar.back"))


def _clock(seconds: float) -> str:
    """0:07, 12:30, 1:02:03."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def run_result(summary: pipeline.RunSummary) -> dict:
    """What a run returns (a flow run's result; the CLI's --json keys): its `runs` row, more counts, and
    `inputs`: what became of every input (pipeline.OUTCOMES), adding up to its `total`."""
    return summary.run_row() | {"pages_unchanged": summary.pages_unchanged, "pages_fresh": summary.pages_fresh,
                                "indicators_loaded": summary.indicators_loaded, "inputs": summary.input_counts()}


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


# How a summary names each outcome of an input: (one, many).
OUTCOME_WORDS = {
    "document_new": ("new document", "new documents"),
    "document_changed": ("changed document", "changed documents"),
    "copy_merged": ("copy merged", "copies merged"),
    "unchanged": ("unchanged", "unchanged"),
    "fresh": ("still fresh (not asked)", "still fresh (not asked)"),
    "not_report": ("not a report", "not reports"),
    "failed": ("failed", "failed"),
    "blocked": ("blocked", "blocked"),
    "listing": ("listing page", "listing pages"),
    "report_part": ("later page of a report", "later pages of reports"),
    "robots": ("robots.txt", "robots.txt"),
    "pending": ("not processed", "not processed"),
}


def inputs_line(inputs: dict[str, int], unit: str) -> str:
    """`40 files → 37 new documents, 1 copy merged, 2 not reports`: every input in one bucket."""
    total = inputs.get("total", 0)
    buckets = [f"{n} {OUTCOME_WORDS[key][n != 1]}" for key, n in inputs.items() if key != "total" and n]
    return f"{total} {unit} → {', '.join(buckets) or 'nothing'}"


def summary_text(report: dict, failures: list[tuple[str, str]], format_rows: Callable[[list[str], list[tuple], str], str],
                 seconds: float, unit: str = "pages") -> str:
    """A short human summary: what became of every input, counts, documents by level and plan year, failed
    pages and where to look. `unit` names the inputs (`files` for a folder of saved files)."""
    flow = report.get("flow", "run")
    inputs = report.get("inputs") or {}
    head = f"{flow} finished in {_duration(seconds)}"
    lines = [f"{head}: {inputs_line(inputs, unit)}" if inputs.get("total") else head]
    if flow != "reprocess":
        lines.append(f"pages: {report.get('pages_seen', 0)} seen, {report.get('pages_fetched', 0)} fetched, "
                     f"{report.get('pages_unchanged', 0)} unchanged, {report.get('errors', 0)} failed · "
                     f"documents: {report.get('documents_new', 0)} new, {report.get('documents_changed', 0)} changed · "
                     f"indicators: {report.get('indicators_loaded', 0)}")
    else:
        lines.append(f"documents: {report.get('documents_new', 0)} new, {report.get('documents_changed', 0)} rebuilt · "
                     f"indicators: {report.get('indicators_loaded', 0)}")
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
    if inputs.get("not_report"):
        query = "SELECT url, reason FROM skipped_links ORDER BY first_seen DESC"
        lines += ["", f"not reports ({inputs['not_report']}), each with why: "
                      f"govreports sql {shlex.quote(query)} --db {shlex.quote(report['warehouse'])}"]
    lines += ["", f"warehouse: {report['warehouse']}"]
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"
