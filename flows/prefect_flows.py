"""Prefect flows `backfill`, `scrape` and `reprocess`: thin wrappers around flows.pipeline.

Each batch of 100 report pages is one task run (dedupe-and-load), not one per
page, so a 10,000-page backfill makes a hundred task runs; a reprocess shows
its steps per chunk. Batches go to tasks wrapped in `quote`: Prefect would
otherwise walk every line of every page looking for futures (a third of the
run time). Results are not persisted: they are in the warehouse, which is also
the cache (pages keyed on their ETag/Last-Modified and body hash, documents on
their body hash and extractor version), so unchanged work is skipped before a
task starts. Every run publishes a markdown summary, a table of the
documents it loaded (the first ARTIFACT_ROWS; the description gives the query
for all of them), the coverage table, and two pictures: the coverage heatmap and
the national targets against actuals (the report's charts, warehouse/report.py,
drawn as SVG by a process started with the run: warehouse/chart_images.py), and
sends the pipeline's own log lines to the run's log.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.utilities.annotations import quote

from flows import pipeline, reprocess as reprocess_module
from flows.console import run_result
from tasks.corrections import load_corrections
from tasks.fetch import FetchConfig
from tasks.walls import WHAT_TO_DO, blocked_hosts
from tasks.sources import Site, load_sources, sites_from_urls
from warehouse import db as warehouse_db
from warehouse.chart_images import ChartImageError, ChartImages, data_url

# Rows an artifact lists (failed pages, documents loaded): the UI pages through a
# few hundred at most, and each row is sent to and stored by the Prefect server
# (2,000 documents were 260 KB of JSON); the warehouse has them all.
ARTIFACT_ROWS = 200


class NothingFetched(RuntimeError):
    """Every page of the run failed: the run is marked Failed, not Completed."""


def _task_runner(name: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Run one batch step as one task run."""
    step = task(fn, name=name, persist_result=False, cache_policy=NO_CACHE)
    return step(*(quote(arg) for arg in args))


class _StampRun(logging.Filter):
    """Give records from the pipeline's threads (no Prefect context there) the flow run's id."""

    def __init__(self, flow_run_id: str) -> None:
        super().__init__()
        self.flow_run_id = flow_run_id

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "flow_run_id", None):
            record.flow_run_id = self.flow_run_id
        return True


@contextlib.contextmanager
def _pipeline_logs_to_run() -> Iterator[None]:
    """Send `govreports.*` log lines (warehouse waits, the worker processes started, ...) to this flow
    run's log in the UI."""
    from prefect.logging.handlers import APILogHandler

    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        yield
        return
    handler = APILogHandler()
    handler.addFilter(_StampRun(str(context.flow_run.id)))
    project_logger = logging.getLogger("govreports")
    level = project_logger.level
    project_logger.setLevel(logging.INFO)  # the run's log has the pipeline's info lines (its worker processes)
    project_logger.addHandler(handler)
    try:
        yield
    finally:
        project_logger.removeHandler(handler)
        project_logger.setLevel(level)


def _db_path(db: str | None) -> Path:
    return Path(db) if db else warehouse_db.default_db_path()


def _charts_dir(db: str | None) -> Path:
    """The cache of the run's chart pictures: `charts/` beside the raw archive."""
    return warehouse_db.raw_dir_for(_db_path(db)).parent / "charts"


def _sites(urls: list[str], sources_file: str | None) -> list[Site]:
    sites = load_sources(sources_file) if sources_file else []
    return sites + (sites_from_urls(urls) if urls else [])


def summary_markdown(summary: pipeline.RunSummary) -> str:
    """The run summary artifact: the page and document counts, then every failed page."""
    lines = [
        f"## govreports {summary.flow} run",
        "",
        "| pages seen | fetched | unchanged | of them not asked (fresh) | failed | skipped | documents new "
        "| documents changed | indicators loaded |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {summary.pages_seen} | {summary.pages_fetched} | {summary.pages_unchanged} | {summary.pages_fresh} | "
        f"{len(summary.failures)} | "
        f"{len(summary.skipped)} | {summary.documents_new} | {summary.documents_changed} | {summary.indicators_loaded} |",
    ]
    blocked = blocked_hosts(summary.failures)
    if blocked:
        lines += ["", f"### Blocked by a bot wall ({len(blocked)} hosts)", "", WHAT_TO_DO[0].upper() + WHAT_TO_DO[1:] + ".", ""]
        lines += [f"- {host}: {wall}" for host, wall in blocked.items()]
    if summary.failures:
        lines += ["", f"### Failed pages ({len(summary.failures)})", ""]
        lines += [f"- {url}: {error}" for url, error in summary.failures[:ARTIFACT_ROWS]]
        if len(summary.failures) > ARTIFACT_ROWS:
            lines.append(f"- … and {len(summary.failures) - ARTIFACT_ROWS} more "
                         "(`SELECT url, error FROM pages WHERE error IS NOT NULL`)")
    return "\n".join(lines)


def documents_query(run_id: str) -> str:
    """SQL for every document a run loaded: those whose loaded_at falls in the run (runs never overlap: one writer)."""
    return ("SELECT d.doc_id, d.region_name, d.region_code, d.plan_year, d.source_count FROM documents d "
            f"JOIN runs r ON d.loaded_at BETWEEN r.started_at AND r.finished_at WHERE r.run_id = '{run_id}'")


def documents_artifact(summary: pipeline.RunSummary) -> tuple[list[dict], str]:
    """The documents table artifact's rows (the first ARTIFACT_ROWS) and its description, with the query for all."""
    loaded = len(summary.new_documents)
    shown = f"the first {ARTIFACT_ROWS} of {loaded}" if loaded > ARTIFACT_ROWS else f"all {loaded}"
    # double quotes: the query holds single quotes and nothing a shell expands inside double quotes
    return summary.new_documents[:ARTIFACT_ROWS], (
        f"documents loaded by this run ({shown}); every one: "
        f'`govreports sql "{documents_query(summary.run_id)}"`')


def coverage_table(db_path: Path) -> list[dict[str, str]]:
    """Loaded region-years per level and plan year ('loaded/regions'), for the run's coverage artifact."""
    from warehouse.coverage import level_year_table

    with warehouse_db.connect_reader(db_path) as con:
        return level_year_table(con)


def chart_pictures(db_path: Path, images: ChartImages) -> tuple[list, list[str]]:
    """The report's coverage heatmap and national targets chart (those with rows) and their SVG pictures."""
    from warehouse.report import Selection, coverage_chart, targets_chart

    with warehouse_db.connect_reader(db_path) as con:
        charts = [coverage_chart(con, Selection()), targets_chart(con, Selection())]
    charts = [chart for chart in charts if chart.rows]
    # no aria label on every mark: a third of the size
    return charts, images.draw([dict(chart.spec, config={"aria": False}) for chart in charts]) if charts else []


def publish_charts(pictures: Future, flow_name: str) -> None:
    """Each chart as a markdown artifact whose description is the picture, an SVG data: URL (the UI fetches
    nothing): the run's Artifacts tab shows it on the artifact's card (Prefect's V2 UI), the artifact's
    page above the caption and the query (both UIs)."""
    try:
        charts, svgs = pictures.result()
    except ChartImageError as error:  # the pictures are a view of the warehouse: the run itself is done
        get_run_logger().warning("%s; the charts: `govreports report`", error)
        return
    for chart, svg in zip(charts, svgs):
        create_markdown_artifact(
            key=f"{flow_name}-{chart.key}-chart",
            description=f"**{chart.title}**\n\n![{chart.title}]({data_url(svg)})",
            markdown=f"{chart.caption}\n\nThe numbers:\n\n```sql\n{chart.sql}\n```\n\n"
                     "Every chart, for any region and years: `govreports report` (an HTML file).")


def _publish(summary: pipeline.RunSummary, db_path: Path, images: ChartImages) -> None:
    """The run's artifacts and closing log lines. The queries (DuckDB, off the GIL) and the drawing (its own
    process) go on in threads while the other artifacts are sent."""
    logger = get_run_logger()
    with ThreadPoolExecutor(max_workers=2) as pool:
        pictures = pool.submit(chart_pictures, db_path, images)
        coverage = pool.submit(coverage_table, db_path)
        create_markdown_artifact(markdown=summary_markdown(summary), key=f"{summary.flow}-summary",
                                 description="pages and documents of this run")
        if summary.new_documents:
            rows, description = documents_artifact(summary)
            create_table_artifact(table=rows, key=f"{summary.flow}-documents", description=description)
        create_table_artifact(table=coverage.result(), key=f"{summary.flow}-coverage",
                              description="loaded/regions by level and plan year after this run (`govreports coverage`)")
        publish_charts(pictures, summary.flow)
    for url, error in summary.failures:
        logger.warning("page failed: %s: %s", url, error)
    logger.info(
        "pages seen %d, fetched %d, unchanged %d (%d not asked: still fresh), failed %d; documents new %d, changed %d; "
        "indicators %d",
        summary.pages_seen, summary.pages_fetched, summary.pages_unchanged, summary.pages_fresh, len(summary.failures),
        summary.documents_new, summary.documents_changed, summary.indicators_loaded,
    )


def _finish(summary: pipeline.RunSummary, db_path: Path, images: ChartImages) -> dict:
    _publish(summary, db_path, images)
    if summary.nothing_fetched:
        raise NothingFetched(f"nothing could be fetched: {len(summary.failures)} pages failed")
    return run_result(summary)


@flow(name="backfill", log_prints=True)
def backfill(urls: list[str] | None = None, sources_file: str | None = None, from_dir: str | None = None,
             db: str | None = None, max_pages: int | None = None,
             authority: Literal["official", "mirror"] | None = None, revalidate: bool = False,
             corrections: str | None = None) -> dict:
    """One-off backfill: discover, fetch, clean, dedupe, extract, segment and load.

    Args:
        urls: listing pages (reports are discovered on them and their next pages) or report pages
        sources_file: a YAML sources file (see docs/acquisition.md, "Sources file"), as a path on the worker's machine
        from_dir: a folder of saved .html/.htm/.txt/.pdf/.docx reports on the worker's machine
        db: the warehouse path; empty for $GOVREPORTS_DB or data/warehouse.duckdb
        max_pages: stop after this many report pages; empty for no limit
        authority: whether the from_dir files are official copies or mirrors (which copy is canonical); empty:
            each file by its own page metadata (tasks/anatomy.page_authority)
        revalidate: ask about every page, also those still fresh by HTTP caching (a page corrected within hours)
        corrections: a corrections file (match,field,value,note); empty for $GOVREPORTS_CORRECTIONS, else
            corrections.csv in the working directory when present, else the corrections the warehouse stores
    """
    fixes = load_corrections(corrections)
    with ChartImages(_charts_dir(db)) as images, _pipeline_logs_to_run():
        summary = pipeline.run_pipeline(
            flow="backfill", db_path=_db_path(db), sites=_sites(urls or [], sources_file),
            from_dir=Path(from_dir) if from_dir else None, from_dir_authority=authority,
            config=FetchConfig(max_pages=max_pages, revalidate=revalidate),
            runner=_task_runner, corrections=fixes,
        )
        return _finish(summary, _db_path(db), images)


@flow(name="scrape", log_prints=True)
def scrape(sources_file: str = "sources.yaml", db: str | None = None, revalidate: bool = False,
           corrections: str | None = None) -> dict:
    """Scheduled incremental run: revisit listings, conditional requests, only new or changed pages.

    Args:
        sources_file: the YAML sources file, relative to the checkout the deployment was made from, or absolute
        db: the warehouse path; empty for $GOVREPORTS_DB or data/warehouse.duckdb
        revalidate: ask about every page, also those still fresh by HTTP caching (a page corrected within hours)
        corrections: a corrections file, as for backfill
    """
    fixes = load_corrections(corrections)
    with ChartImages(_charts_dir(db)) as images, _pipeline_logs_to_run():
        summary = pipeline.run_pipeline(flow="scrape", db_path=_db_path(db), sites=_sites([], sources_file),
                                        config=FetchConfig(revalidate=revalidate), runner=_task_runner,
                                        corrections=fixes)
        return _finish(summary, _db_path(db), images)


@flow(name="reprocess", log_prints=True)
def reprocess(db: str | None = None, corrections: str | None = None) -> dict:
    """Rebuild documents, indicators and terms from the raw archive with the current code; no network.

    Args:
        db: the warehouse path; empty for $GOVREPORTS_DB or data/warehouse.duckdb
        corrections: a corrections file, as for backfill
    """
    fixes = load_corrections(corrections)
    with ChartImages(_charts_dir(db)) as images, _pipeline_logs_to_run():
        summary = reprocess_module.reprocess(_db_path(db), runner=_task_runner, corrections=fixes)
        _publish(summary, _db_path(db), images)
    return run_result(summary)
