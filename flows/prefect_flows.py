"""Prefect flows `backfill`, `scrape` and `reprocess`: thin wrappers around flows.pipeline.

Each batch step becomes one task run (not one per page), results are not
persisted (they are in the warehouse), and every run publishes a markdown
summary and a table of the documents it loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows import pipeline, reprocess as reprocess_module
from tasks.fetch import FetchConfig
from tasks.sources import Site, load_sources, sites_from_urls
from warehouse import db as warehouse_db


class NothingFetched(RuntimeError):
    """Every page of the run failed: the run is marked Failed, not Completed."""


def _task_runner(name: str, fn: Callable[..., Any], *args: Any) -> Any:
    return task(fn, name=name, persist_result=False, cache_policy=NO_CACHE)(*args)


def _db_path(db: str | None) -> Path:
    return Path(db) if db else warehouse_db.default_db_path()


def _sites(urls: list[str], sources_file: str | None) -> list[Site]:
    sites = load_sources(sources_file) if sources_file else []
    return sites + (sites_from_urls(urls) if urls else [])


def _publish(summary: pipeline.RunSummary) -> None:
    logger = get_run_logger()
    lines = [
        f"## govreports {summary.flow} run",
        "",
        "| pages seen | fetched | unchanged | failed | skipped | documents new | documents changed | indicators loaded |",
        "|---|---|---|---|---|---|---|---|",
        f"| {summary.pages_seen} | {summary.pages_fetched} | {summary.pages_unchanged} | {len(summary.failures)} | "
        f"{len(summary.skipped)} | {summary.documents_new} | {summary.documents_changed} | {summary.indicators_loaded} |",
    ]
    if summary.failures:
        lines += ["", "### Failed pages", ""] + [f"- {url}: {error}" for url, error in summary.failures[:200]]
    create_markdown_artifact(markdown="\n".join(lines), key=f"{summary.flow}-summary", description="run summary")
    if summary.new_documents:
        create_table_artifact(table=summary.new_documents, key=f"{summary.flow}-documents",
                              description="documents loaded by this run")
    for url, error in summary.failures:
        logger.warning("page failed: %s: %s", url, error)
    logger.info(
        "pages seen %d, fetched %d, unchanged %d, failed %d; documents new %d, changed %d; indicators %d",
        summary.pages_seen, summary.pages_fetched, summary.pages_unchanged, len(summary.failures),
        summary.documents_new, summary.documents_changed, summary.indicators_loaded,
    )


def _finish(summary: pipeline.RunSummary) -> dict:
    _publish(summary)
    if summary.pages_seen and summary.failures and summary.pages_fetched == 0 and summary.pages_unchanged == 0:
        raise NothingFetched(f"nothing could be fetched: {len(summary.failures)} pages failed")
    return summary.run_row() | {"pages_unchanged": summary.pages_unchanged, "indicators_loaded": summary.indicators_loaded}


@flow(name="backfill", log_prints=True)
def backfill(urls: list[str] | None = None, sources_file: str | None = None, from_dir: str | None = None,
             db: str | None = None, max_pages: int | None = None) -> dict:
    """One-off backfill: discover, fetch, clean, dedupe, extract, segment and load."""
    summary = pipeline.run_pipeline(
        flow="backfill", db_path=_db_path(db), sites=_sites(urls or [], sources_file),
        from_dir=Path(from_dir) if from_dir else None, config=FetchConfig(max_pages=max_pages),
        runner=_task_runner,
    )
    return _finish(summary)


@flow(name="scrape", log_prints=True)
def scrape(sources_file: str = "sources.yaml", db: str | None = None) -> dict:
    """Scheduled incremental run: revisit listings, conditional requests, only new or changed pages."""
    summary = pipeline.run_pipeline(flow="scrape", db_path=_db_path(db), sites=_sites([], sources_file),
                                    runner=_task_runner)
    return _finish(summary)


@flow(name="reprocess", log_prints=True)
def reprocess(db: str | None = None) -> dict:
    """Rebuild documents, indicators and terms from the raw archive with the current code; no network."""
    summary = reprocess_module.reprocess(_db_path(db), runner=_task_runner)
    _publish(summary)
    return summary.run_row() | {"indicators_loaded": summary.indicators_loaded}
