"""The `govreports` command: backfill, scrape, reprocess, sql, export, demo, check-sources, inspect, review.

Arguments are checked before any flow starts, so a typo ends in one clear
line on stderr and a non-zero exit, and changes nothing.
"""

from __future__ import annotations

import argparse
import csv
import contextlib
import io
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit

import duckdb

from tasks.corrections import CorrectionsError, corrections_file, read_corrections
from tasks.sources import SourcesError, load_sources, sites_from_urls
from tasks.walls import WHAT_TO_DO, blocked_hosts
from warehouse import db as warehouse_db

if TYPE_CHECKING:
    from flows import console

EXIT_USAGE = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT: what a shell reports for a command stopped by Ctrl-C
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE: what a shell reports for a command whose reader went away


class UsageError(Exception):
    """Bad arguments: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"govreports: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="govreports", description="Chinese government work reports as a DuckDB warehouse.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    backfill = commands.add_parser("backfill", help="one-off backfill from listing/report URLs, a sources file or saved files")
    backfill.add_argument("--url", action="append", default=[], help="a listing page or a report page (repeatable)")
    backfill.add_argument("--sources", help="a YAML sources file")
    backfill.add_argument("--from-dir", help="a folder of saved .html/.htm/.txt/.md/.pdf/.docx reports (Markdown is read as text)")
    backfill.add_argument("--authority", choices=["official", "mirror"], default=None,
                          help="the --from-dir files are official copies or mirrors: how they rank when copies "
                               "collapse into one document (default: official when a page's own government-site "
                               "metadata says so, e.g. its 网站标识码, else mirror)")
    backfill.add_argument("--db", help="warehouse path (default $GOVREPORTS_DB or data/warehouse.duckdb)")
    backfill.add_argument("--max-pages", type=int, help="stop after this many report pages")

    scrape = commands.add_parser("scrape", help="the scheduled incremental flow, run once")
    scrape.add_argument("--sources", default="sources.yaml")
    scrape.add_argument("--db")
    for run in (backfill, scrape):
        run.add_argument("--revalidate", action="store_true",
                         help="ask every server about every page, also those still fresh by HTTP caching")

    reprocess = commands.add_parser("reprocess", help="rebuild documents, indicators and terms from the raw archive")
    reprocess.add_argument("--db")
    for run in (backfill, scrape, reprocess):
        run.add_argument("--corrections", metavar="FILE",
                         help="a corrections file, CSV match,field,value,note (default $GOVREPORTS_CORRECTIONS, "
                              "else corrections.csv here when present, else the corrections the warehouse keeps)")

    review = commands.add_parser("review", help="the documents whose region, plan year or kind rests on the "
                                                "weakest evidence, most doubtful first")
    review.add_argument("--db")
    review.add_argument("--limit", type=int, default=20, help="how many to list (default 20)")
    review.add_argument("--json", action="store_true", help="one JSON object per document per line")

    sql = commands.add_parser("sql", help="ad hoc SQL on a read-only connection")
    sql.add_argument("query")
    sql.add_argument("--db")
    sql.add_argument("--format", choices=["table", "csv", "json"], default="table")

    export = commands.add_parser("export", help="write every table and view for pandas, R, Stata")
    export.add_argument("--format", choices=["parquet", "csv", "dta"], required=True)
    export.add_argument("--out", required=True)
    export.add_argument("--db")

    coverage = commands.add_parser("coverage", help="which region-years are loaded, failed or missing (a matrix)")
    coverage.add_argument("--under", type=_region_code, help="only this region and those below it (6-digit code)")
    coverage.add_argument("--level", choices=["national", "province", "city", "district", "county"])
    coverage.add_argument("--from", dest="year_from", type=int, help="first plan year")
    coverage.add_argument("--to", dest="year_to", type=int, help="last plan year")
    coverage.add_argument("--format", choices=["table", "csv"], default="table")
    coverage.add_argument("--db")

    report = commands.add_parser("report",
                                 help="one self-contained HTML file of charts: coverage, targets, ladder, runs")
    report.add_argument("--out", help="the HTML file (default data/report.html; $GOVREPORTS_DATA/report.html when set)")
    report.add_argument("--under", type=_region_code,
                        help="also this region's divisions and its target beside those above it (6-digit code)")
    report.add_argument("--from", dest="year_from", type=int, help="first plan year")
    report.add_argument("--to", dest="year_to", type=int, help="last plan year")
    report.add_argument("--db")

    demo = commands.add_parser("demo", help="serve the bundled sample site on loopback and backfill it")

    check = commands.add_parser("check-sources", help="validate a sources file and print its sites (no network)")
    check.add_argument("file")

    inspect = commands.add_parser("inspect", help="what the pipeline makes of pages or URLs; writes nothing")
    inspect.add_argument("targets", nargs="+", metavar="PATH_OR_URL")
    inspect.add_argument("--json", action="store_true", help="one JSON object per input per line")
    inspect.add_argument("--content-selector", metavar="CSS", help="try a CSS selector for the main content")

    for run in (backfill, scrape, reprocess):
        run.add_argument("--json", action="store_true", help="print the run's summary as one JSON object")
    for run in (backfill, scrape, reprocess, demo):
        run.add_argument("--verbose", action="store_true", help="also show Prefect's log lines")
    return parser


def _region_code(text: str) -> str:
    if not (len(text) == 6 and text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a 6-digit GB/T 2260 code (000000 is the nation)")
    return text


def _db(args: argparse.Namespace) -> Path:
    return Path(args.db) if args.db else warehouse_db.default_db_path()


def _check_run_arguments(args: argparse.Namespace) -> None:
    if getattr(args, "max_pages", None) is not None and args.max_pages < 1:
        raise UsageError("--max-pages must be at least 1")
    if getattr(args, "from_dir", None) and Path(args.from_dir).is_file():
        raise UsageError(f"--from-dir takes a folder and {args.from_dir} is a file: put it in a folder of its own "
                         f"(or see what the pipeline makes of it: govreports inspect {args.from_dir})")
    if getattr(args, "from_dir", None) and not Path(args.from_dir).is_dir():
        raise UsageError(f"--from-dir {args.from_dir}: no such directory")
    if getattr(args, "url", None):
        sites_from_urls(args.url)
    if getattr(args, "sources", None):
        load_sources(args.sources)
    if args.command == "backfill" and not (args.url or args.sources or args.from_dir):
        raise UsageError("backfill needs --url, --sources or --from-dir")
    args.corrections_path = corrections_file(args.corrections)
    args.corrections_rows = read_corrections(args.corrections_path) if args.corrections_path else None
    from flows.pipeline import default_batch_size

    try:
        default_batch_size()
    except ValueError as error:
        raise UsageError(str(error)) from error
    warehouse_db.check_writable(_db(args))


def _format_rows(columns: list[str], rows: list[tuple], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([dict(zip(columns, row)) for row in rows], ensure_ascii=False, default=str, indent=1)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(rows)
        return out.getvalue().rstrip("\n")
    cells = [columns] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(_pad(v, w) for v, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if not rows:  # a header alone reads as a broken command
        lines.append("(0 rows)")
    return "\n".join(lines)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


READ_ONLY_HINT = " (govreports sql is read-only: it cannot change the warehouse, write files or use the network)"


def run_sql(query: str, db_path: Path, fmt: str) -> str:
    """The user's SQL on a read-only connection that also has no file or network access.

    Read-only alone still lets COPY ... TO, EXPORT DATABASE and INSTALL write
    files or download; `govreports export` is the way to write files.
    """
    with warehouse_db.connect_reader(db_path) as con:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")  # the user's SQL cannot turn it back on
        try:
            cursor = con.execute(query)
        except duckdb.Error as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            refused = isinstance(error, duckdb.PermissionException) or any(
                marker in first for marker in ("read-only", "configuration has been locked"))
            raise UsageError(f"SQL failed: {first}{READ_ONLY_HINT if refused else ''}") from error
        columns = [d[0] for d in cursor.description or []]
        return _format_rows(columns, cursor.fetchall(), fmt)


DEMO_QUERY = """
SELECT d.region_name AS region, d.region_code, d.plan_year, d.source_count AS sources,
       (SELECT count(*) FROM indicators i WHERE i.doc_id = d.doc_id) AS indicators
FROM documents d ORDER BY d.plan_year, d.region_code
"""


def run_demo() -> str:
    """Backfill the sample site, served on the ports this warehouse knows it on: a second demo changes no row."""
    from flows.console import RunProgress
    from flows.prefect_flows import backfill
    from flows.sample_site import known_ports, serve_sample_site

    db_path = warehouse_db.default_db_path()
    warehouse_db.check_writable(db_path)
    use_temporary_server()
    with serve_sample_site(ports=known_ports(db_path)) as site, tempfile.TemporaryDirectory() as tmp:
        if site.moved:
            print(f"govreports: note: the port the last demo used is taken now, so these sites load as new "
                  f"copies: {', '.join(site.moved)}", file=sys.stderr)
        sources = site.write_sources(Path(tmp) / "sample-sources.yaml")
        display = RunProgress("demo", None)
        with CtrlC(display).armed(), display.running():
            result = backfill(sources_file=str(sources), db=str(db_path))
    table = run_sql(DEMO_QUERY, db_path, "table")
    return (f"{table}\n\nloaded into {db_path}: {result['documents_new']} new documents, "
            f"{result['documents_changed']} changed, {result['indicators_loaded']} indicators, "
            f"{result['errors']} failed pages")


def write_report(args: argparse.Namespace) -> str:
    """`govreports report`: the charts as one HTML file; says where it is and what each chart holds."""
    from warehouse.report import ReportError, Selection, write_report as write

    out = Path(args.out) if args.out else warehouse_db.default_data_dir() / "report.html"
    try:
        charts = write(_db(args), out, Selection(under=args.under, first=args.year_from, last=args.year_to))
    except ReportError as error:
        raise UsageError(str(error)) from error
    counts = ", ".join(f"{chart.key} {len(chart.rows)}" for chart in charts)
    return f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, opens offline); rows per chart: {counts}"


def check_sources(path: str) -> str:
    """The sites of a valid sources file, one row each; a problem raises SourcesError (one line, exit 2)."""
    sites = load_sources(path)
    rows = [(s.name, s.authority, s.min_delay, s.max_concurrency, len(s.start_urls),
             ", ".join(dict.fromkeys(urlsplit(u).netloc for u in s.start_urls))) for s in sites]
    table = _format_rows(["site", "authority", "min_delay", "max_concurrency", "start_urls", "hosts"], rows, "table")
    urls = sum(len(s.start_urls) for s in sites)
    return f"{table}\n\n{path}: {len(sites)} sites, {urls} start URLs, valid (no URL was fetched)"


def run_flow(args: argparse.Namespace) -> None:
    """backfill, scrape or reprocess: progress on a terminal, then a summary (or --json).

    Every run is a Prefect flow run, except a `--from-dir` backfill with nothing new: it runs the same
    pipeline here, without starting Prefect (see `nothing_new`).
    """
    from flows import console

    db_path = _db(args)
    started = time.monotonic()
    ignored = console.saved_files(Path(args.from_dir))[1] if getattr(args, "from_dir", None) else None
    if ignored:
        print(f"govreports: warning: {console.ignored_note(ignored)}", file=sys.stderr)
    if _saved_files_only(args) and nothing_new(db_path, Path(args.from_dir)):
        with CtrlC().armed():
            result, failures = _run_here(args, db_path)
        run_id = result["run_id"]
    else:
        result, failures, run_id = _run_in_prefect(args, db_path)
    nothing_fetched = not isinstance(result, dict)
    report = (result if isinstance(result, dict) else {}) | console.run_report(db_path, run_id)
    if ignored is not None:
        report["ignored_files"] = dict(ignored.most_common())
    if args.json:
        report["failed_pages"] = [{"url": url, "error": error} for url, error in failures]
        report["blocked_hosts"] = [{"host": host, "wall": wall, "what_to_do": WHAT_TO_DO}
                                   for host, wall in blocked_hosts(failures).items()]
        print(json.dumps(report, default=str, ensure_ascii=False))
    else:
        unit = "files" if _saved_files_only(args) else "pages"
        print(console.summary_text(report, failures, _format_rows, time.monotonic() - started, unit))
    if nothing_fetched:
        # The run finished and recorded every failure in `pages`: not an argument error.
        print(f"govreports: warning: {result} (see the pages table)", file=sys.stderr)


def _saved_files_only(args: argparse.Namespace) -> bool:
    """A backfill of saved files alone: whether it has work is known without fetching anything."""
    return args.command == "backfill" and bool(args.from_dir) and not args.url and not args.sources


def nothing_new(db_path: Path, from_dir: Path) -> bool:
    """Whether a `--from-dir` run would find every saved file as it was loaded.

    Asked of the flow's own reader, `local_reports`, with the flow's `known_pages`, so the answer is the
    flow's: a new or changed file, or one that failed to read before, is work (and the first one found
    ends the check); an unchanged file whose archived copy is gone is archived again here, as the flow
    would. Starting Prefect for such a run (its temporary server: ~9 s) would cost more than the run.
    """
    from flows.pipeline import local_reports
    from tasks.archive import RawArchive
    from tasks.records import PageFetch
    from warehouse.load import known_pages

    with warehouse_db.connect_writer(db_path) as con:
        known = known_pages(con)
    archive = RawArchive(warehouse_db.raw_dir_for(db_path))
    return all(isinstance(item, PageFetch) and item.not_modified
               for item in local_reports(from_dir, archive, known))


def _run_here(args: argparse.Namespace, db_path: Path) -> tuple[dict, list[tuple[str, str]]]:
    """The pipeline in this process, no flow run: for a run that will find nothing to do.

    It writes what the flow would (the `runs` row; a saved file's status when it reads fine again), and
    should a file change after the check, loads it as the flow would.
    """
    from flows import console
    from flows.pipeline import run_pipeline

    summary = run_pipeline(flow="backfill", db_path=db_path, sites=[], from_dir=Path(args.from_dir),
                           from_dir_authority=args.authority, corrections=args.corrections_rows)
    return console.run_result(summary) | {"flow_run_id": None}, summary.failures


def _run_in_prefect(args: argparse.Namespace, db_path: Path) -> tuple[dict | BaseException, list[tuple[str, str]], str]:
    """The run as a Prefect flow run, with live progress on a terminal: its result (or why nothing could
    be fetched), its failed pages and its `runs` id."""
    from flows import console, prefect_flows

    use_temporary_server()
    total = console.page_total(getattr(args, "from_dir", None), bool(getattr(args, "url", None) or getattr(args, "sources", None)))
    display = console.RunProgress(args.command, total)
    corrections = str(args.corrections_path) if args.corrections_path else None
    with CtrlC(display).armed(), display.running(), heartbeats_only_with_a_server():
        if args.command == "backfill":
            state = prefect_flows.backfill(urls=args.url, sources_file=args.sources, from_dir=args.from_dir,
                                           db=str(db_path), max_pages=args.max_pages, authority=args.authority,
                                           revalidate=args.revalidate, corrections=corrections, return_state=True)
        elif args.command == "scrape":
            state = prefect_flows.scrape(sources_file=args.sources, db=str(db_path), revalidate=args.revalidate,
                                         corrections=corrections, return_state=True)
        else:
            state = prefect_flows.reprocess(db=str(db_path), corrections=corrections, return_state=True)
        result = state.result(raise_on_failure=False)
        if isinstance(result, BaseException) and not isinstance(result, prefect_flows.NothingFetched):
            raise result  # inside: a run that failed after a Ctrl-C ends as interrupted
    failures = display.last.failures if display.last else []
    if isinstance(result, prefect_flows.NothingFetched):
        return result, failures, display.last.run_id
    return result | {"flow_run_id": str(state.state_details.flow_run_id)}, failures, result["run_id"]


class CtrlC:
    """Ctrl-C during a run: one line, exit status 130, within seconds, no process left behind.

    The first Ctrl-C raises KeyboardInterrupt in the run, so Prefect records the flow run as crashed
    and a batch being loaded rolls back (batches already loaded stay: each is one transaction). What
    the unwinding would still wait for (a fetch in flight, the worker processes' batch, Prefect's
    exit handlers) is cut short: at once when it reaches here, FORCE_SECONDS later at the latest, or
    at a second Ctrl-C. The temporary Prefect server is stopped, the line printed, and the process
    ends without Python's exit handlers; the worker processes end with it (flows/lifeline.py). The
    next run loads the rest.
    """

    FORCE_SECONDS = 5.0

    def __init__(self, display: console.RunProgress | None = None) -> None:
        self.display = display
        self._committed_before = 0
        self._pressed = False
        self._exiting = threading.Lock()

    @property
    def loaded(self) -> int:
        """Documents this run has committed (counted at each batch's commit, flows/pipeline.py)."""
        from flows import pipeline

        return pipeline.committed_documents - self._committed_before

    @contextlib.contextmanager
    def armed(self) -> Iterator[CtrlC]:
        from flows import pipeline

        self._committed_before = pipeline.committed_documents
        previous = signal.signal(signal.SIGINT, self._on_sigint)
        try:
            yield self
        except BaseException:  # KeyboardInterrupt, or what it broke on its way (a DuckDB transaction)
            if self._pressed:
                self.exit()
            raise
        else:
            if self._pressed:  # the run finished anyway (Ctrl-C in its last moments): still interrupted
                self.exit()
        finally:
            signal.signal(signal.SIGINT, previous)

    def _on_sigint(self, signum: int, frame: object) -> None:
        if self._exiting.locked():  # already on its way out
            return
        if self._pressed:
            self.exit()
        self._pressed = True
        threading.excepthook = _quiet  # the run is ending: a thread that fails now (a pool losing its
        # workers) has nothing to report
        threading.Timer(self.FORCE_SECONDS, self.exit).start()
        raise KeyboardInterrupt

    def exit(self) -> NoReturn:
        """Stop what the run started, print the line, end the process (from either thread, once)."""
        self._exiting.acquire()  # a second caller waits here for the first to end the process
        if self.display is not None:
            self.display.progress.stop()  # the terminal gets its cursor back
        if _temporary_server is not None:
            _temporary_server.stop()
        # counted last: a batch whose commit ended while the run unwound is loaded and counted
        print(f"interrupted: {self.loaded} documents loaded; run the same command again to finish",
              file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(EXIT_INTERRUPTED)


def _quiet(args: threading.ExceptHookArgs) -> None:
    pass


_temporary_server = None  # Prefect's temporary API server for this process's runs, when it has one


def use_temporary_server() -> None:
    """Without a configured Prefect server, runs get a temporary one that ignores the terminal's Ctrl-C
    and ends with this process even when it is killed (flows/temporary_server.py)."""
    global _temporary_server
    from prefect.settings import get_current_settings

    from flows.temporary_server import TemporaryServer

    if not get_current_settings().api.url:
        _temporary_server = TemporaryServer()


def heartbeats_only_with_a_server():
    """No flow-run heartbeats on Prefect's temporary API server (no PREFECT_API_URL configured).

    Heartbeats let a Prefect server mark a run whose process died as crashed; the temporary server
    stops with this command, so none would be there to do it. Stopping the heartbeat thread costs each
    flow run up to a second at its end (Prefect 3.9.1 joins it, and it sleeps in 1 s steps).
    """
    import contextlib

    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings

    if get_current_settings().api.url:
        return contextlib.nullcontext()
    return temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})


def _prefect_defaults() -> None:
    """Defaults for Prefect's ephemeral API when no server is configured (a user's settings win).

    The demo runs offline, so no telemetry; and a busy 2-core machine can need
    more than Prefect's 20 s to start the temporary API server.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")  # the client's telemetry too (and its first-run notice)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _prefect_defaults()
    from flows.console import quiet_libraries

    try:
        with quiet_libraries(getattr(args, "verbose", False)):
            status = _run_command(args)
            sys.stdout.flush()  # a closed pipe shows here, not in Python's exit
            return status
    except BrokenPipeError:  # `govreports sql ... | head -2`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        return EXIT_PIPE_CLOSED
    except KeyboardInterrupt:  # Ctrl-C outside a run (a run's own is handled by CtrlC)
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run_command(args: argparse.Namespace) -> int:
    try:
        if args.command in ("backfill", "scrape", "reprocess"):
            _check_run_arguments(args)
            run_flow(args)
        elif args.command == "sql":
            print(run_sql(args.query, _db(args), args.format))
        elif args.command == "export":
            from warehouse.export import export

            for path in export(str(_db(args)), args.format, args.out):
                print(path)
            if args.format == "csv":  # on stderr: stdout lists the files, for scripts
                print("govreports: note: each <name>.csv has its column types in <name>.schema.json beside it; read "
                      "region codes as text (000000, not 0): pandas.read_csv(path, dtype={'region_code': str}), or "
                      "every text column from the schema as docs/queries.md shows", file=sys.stderr)
        elif args.command == "coverage":
            from warehouse.coverage import CoverageError, coverage_report

            try:
                print(coverage_report(_db(args), under=args.under, level=args.level, first=args.year_from,
                                      last=args.year_to, fmt=args.format))
            except CoverageError as error:
                raise UsageError(str(error)) from error
        elif args.command == "report":
            print(write_report(args))
        elif args.command == "demo":
            print(run_demo())
        elif args.command == "check-sources":
            print(check_sources(args.file))
        elif args.command == "review":
            from warehouse.review import ReviewError, review_command

            if args.limit < 1:
                raise UsageError("--limit must be at least 1")
            try:
                print(review_command(_db(args), limit=args.limit, as_json=args.json))
            except ReviewError as error:
                raise UsageError(str(error)) from error
        elif args.command == "inspect":
            from flows.inspection import inspect_command

            return inspect_command(args.targets, as_json=args.json, content_selector=args.content_selector)
    except (UsageError, SourcesError, CorrectionsError) as error:
        print(f"govreports: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except warehouse_db.WarehouseError as error:
        print(f"govreports: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
