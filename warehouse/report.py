"""The report: coverage, targets against actuals, the target ladder and recent runs as charts.

Each chart is a `Chart`: the SQL that gives its numbers (shown under it, runnable
as `govreports sql "..."`), the rows that SQL returned, and a Vega-Lite spec whose
data are exactly those rows, so what is drawn is what the query says
(tests/test_report.py checks it). `report_html` puts the charts in one HTML file
with vega, vega-lite and vega-embed inlined (vl-convert ships them), so it opens
from disk with no network; `warehouse.chart_images` draws the same specs as SVG
for the Prefect UI.

Selections are written into the SQL as literals, after checking them (a 6-digit
code, integer years), so the caption's query is the one that ran.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from warehouse.db import WarehouseError, connect_reader

LEVELS = ["national", "province", "city", "district", "county"]
# Lower is better for these (a ceiling): met when the actual is at or below the target.
CEILINGS = ("cpi", "unemployment_rate", "surveyed_unemployment_rate")
RECENT_RUNS = 20
HEATMAP_STEP = 16  # pixels per heatmap row and column
STATUS_COLORS = {"loaded": "#2b8cbe", "failed": "#e34a33", "missing": "#ececec"}


class ReportError(ValueError):
    """A selection the report cannot show (unknown region, empty year range); one line for users."""


@dataclass
class Chart:
    key: str  # a lowercase slug: the HTML element id and the Prefect artifact key's suffix
    title: str
    caption: str  # one line: what is plotted
    sql: str  # the query that gives `rows`, runnable as is
    rows: list[dict] = field(default_factory=list)
    spec: dict = field(default_factory=dict)  # Vega-Lite; spec["data"]["values"] is `rows`


@dataclass
class Selection:
    under: str | None = None
    first: int | None = None
    last: int | None = None

    def __post_init__(self) -> None:  # they go into the SQL as literals
        if self.under is not None and not (len(self.under) == 6 and self.under.isascii() and self.under.isdigit()):
            raise ReportError(f"{self.under!r} is not a 6-digit GB/T 2260 code")

    def where(self, *conditions: str) -> str:
        """A WHERE clause of these conditions and the selected plan years ('' when there are none)."""
        years = [f"year >= {int(self.first)}"] if self.first is not None else []
        years += [f"year <= {int(self.last)}"] if self.last is not None else []
        return f"WHERE {' AND '.join([*conditions, *years])}" if conditions or years else ""


def query(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    """Rows as dicts of JSON values (DECIMAL as float), as they go into a chart's data."""
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description]
    return [{c: _json_value(v) for c, v in zip(columns, row)} for row in cursor.fetchall()]


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


# --- coverage -----------------------------------------------------------------------------------------------

def coverage_sql(selection: Selection) -> str:
    where = f" {selection.where()}".rstrip()
    return f"""SELECT CASE WHEN region_code = '000000' THEN '000000' ELSE left(region_code, 2) || '0000' END AS province_code,
       coalesce(max(region_name) FILTER (WHERE level IN ('national', 'province')), any_value(region_name)) AS province,
       year,
       count(*) FILTER (WHERE status = 'loaded') AS loaded,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) FILTER (WHERE removed_sources > 0) AS removed,
       count(*) AS divisions,
       round(count(*) FILTER (WHERE status = 'loaded') / count(*), 4) AS share
FROM coverage{where}
GROUP BY 1, year
ORDER BY 1, year"""


def coverage_chart(con: duckdb.DuckDBPyConnection, selection: Selection) -> Chart:
    """Plan years against provinces (and the nation): the share of each one's divisions with a loaded report."""
    sql = coverage_sql(selection)
    rows = query(con, sql)
    spec = {
        "data": {"values": rows},
        "transform": [{"calculate": "datum.province + ' ' + datum.province_code", "as": "region"},
                      {"calculate": "(datum.failed > 0 ? '×' : '') + (datum.removed > 0 ? '†' : '')", "as": "mark"}],
        "width": {"step": HEATMAP_STEP * 2},
        "height": {"step": HEATMAP_STEP},
        "encoding": {
            "x": {"field": "year", "type": "ordinal", "title": "plan year"},
            "y": {"field": "region", "type": "ordinal", "title": None, "sort": {"field": "province_code"}},
        },
        "layer": [
            {"mark": "rect",
             "encoding": {
                 "color": {"condition": {"test": "datum.loaded == 0", "value": STATUS_COLORS["missing"]},
                           "field": "share", "type": "quantitative", "title": "share loaded",
                           "scale": {"domain": [0, 1], "scheme": "blues"}},
                 "tooltip": [{"field": "region"}, {"field": "year"}, {"field": "loaded"}, {"field": "divisions"},
                             {"field": "failed"}, {"field": "removed"}, {"field": "share", "format": ".1%"}]}},
            {"transform": [{"filter": "datum.mark != ''"}],
             "mark": {"type": "text", "fontSize": 11},
             "encoding": {"text": {"field": "mark"},
                          "color": {"condition": {"test": "datum.share > 0.5", "value": "white"}, "value": "black"}}},
        ],
    }
    return Chart(
        key="coverage", title="Coverage: share of divisions loaded, by province and plan year",
        caption="Each cell: of a province's divisions (itself, its cities, districts and counties; 全国 the national "
                "report) that year, the share with a loaded report; × some failed (pages found, none loaded), "
                "† a loaded copy's page has since been removed from its site.",
        sql=sql, rows=rows, spec=spec)


def under_coverage_sql(selection: Selection) -> str:
    where = f" {selection.where()}".rstrip()
    return f"""WITH RECURSIVE c AS MATERIALIZED (
    SELECT region_code, region_name, level, parent_code, year, status, removed_sources
    FROM coverage{where}
), under(region_code, year) AS (
    SELECT region_code, year FROM c WHERE region_code = '{selection.under}'
    UNION ALL
    SELECT c.region_code, c.year FROM c JOIN under AS u ON c.parent_code = u.region_code AND c.year = u.year
)
SELECT c.region_code, c.region_name, c.level, c.year, c.status, c.removed_sources
FROM c JOIN under USING (region_code, year)
ORDER BY c.region_code, c.year"""


def under_coverage_chart(con: duckdb.DuckDBPyConnection, selection: Selection) -> Chart:
    """Every division under one region (by each year's parent chain), its status per plan year."""
    sql = under_coverage_sql(selection)
    rows = query(con, sql)
    if not rows:
        raise ReportError(f"--under {selection.under}: no such region in the GB/T 2260 tables of these years")
    spec = {
        "data": {"values": rows},
        "transform": [{"calculate": "datum.region_name + ' ' + datum.region_code", "as": "region"},
                      {"calculate": "datum.removed_sources > 0 ? '†' : ''", "as": "mark"}],
        "width": {"step": HEATMAP_STEP * 2},
        "height": {"step": HEATMAP_STEP},
        "encoding": {
            "x": {"field": "year", "type": "ordinal", "title": "plan year"},
            "y": {"field": "region", "type": "ordinal", "title": None, "sort": {"field": "region_code"}},
        },
        "layer": [
            {"mark": "rect",
             "encoding": {
                 "color": {"field": "status", "type": "nominal",
                           "scale": {"domain": list(STATUS_COLORS), "range": list(STATUS_COLORS.values())}},
                 "tooltip": [{"field": "region"}, {"field": "level"}, {"field": "year"}, {"field": "status"},
                             {"field": "removed_sources"}]}},
            {"transform": [{"filter": "datum.mark != ''"}],
             "mark": {"type": "text", "fontSize": 11}, "encoding": {"text": {"field": "mark"}}},
        ],
    }
    name = rows[0]["region_name"] if rows[0]["region_code"] == selection.under else selection.under
    return Chart(
        key="coverage-under", title=f"Coverage under {name} {selection.under}: each division and plan year",
        caption="Each cell: whether a report of that division and plan year is loaded, failed (pages found, none "
                "loaded) or missing; divisions as that year's GB/T 2260 table places them; † a loaded copy's page "
                "has since been removed from its site.",
        sql=sql, rows=rows, spec=spec)


# --- targets against actuals --------------------------------------------------------------------------------

def targets_sql(selection: Selection) -> str:
    ceilings = ", ".join(f"'{code}'" for code in CEILINGS)
    return f"""SELECT indicator || ' ' || metric AS series, year, target, target_high, actual,
       target_status, actual_status,
       CASE WHEN target IS NULL OR actual IS NULL THEN NULL
            WHEN target_qualifier = 'at_most' OR indicator IN ({ceilings})
                THEN CASE WHEN actual <= coalesce(target_high, target) THEN 'met' ELSE 'missed' END
            ELSE CASE WHEN actual >= target THEN 'met' ELSE 'missed' END
       END AS outcome
FROM target_vs_actual
{selection.where("region_code = '000000'")}
QUALIFY sum(CASE WHEN target IS NOT NULL AND actual IS NOT NULL THEN 1 ELSE 0 END)
        OVER (PARTITION BY indicator, metric) > 0
ORDER BY series, year"""


def targets_chart(con: duckdb.DuckDBPyConnection, selection: Selection) -> Chart:
    """National targets and the actuals reported a year later, one panel per indicator with both."""
    sql = targets_sql(selection)
    rows = query(con, sql)
    x = {"field": "year", "type": "quantitative", "title": "plan year", "scale": {"zero": False},
         "axis": {"format": "d", "tickMinStep": 1}}
    layer = [
        {"transform": [{"filter": "datum.target != null && datum.target_high != null"}],
         "mark": {"type": "rule", "strokeWidth": 3, "color": "#999"},
         "encoding": {"x": x, "y": {"field": "target", "type": "quantitative"}, "y2": {"field": "target_high"}}},
        {"transform": [{"filter": "datum.target != null"}],
         "mark": {"type": "line", "point": {"shape": "stroke", "size": 120}, "color": "#999", "strokeDash": [4, 3]},
         "encoding": {"x": x, "y": {"field": "target", "type": "quantitative", "title": None,
                                    "scale": {"zero": False}},
                      "tooltip": [{"field": "series"}, {"field": "year"}, {"field": "target"},
                                  {"field": "target_high"}]}},
        {"transform": [{"filter": "datum.actual != null"},
                       {"calculate": "datum.outcome == null ? 'no target stated' : datum.outcome", "as": "actual vs target"}],
         "mark": {"type": "point", "filled": True, "size": 60},
         "encoding": {"x": x, "y": {"field": "actual", "type": "quantitative"},
                      "color": {"field": "actual vs target", "type": "nominal",
                                "scale": {"domain": ["met", "missed", "no target stated"],
                                          "range": ["#1a9641", "#d7191c", "#777"]}},
                      "tooltip": [{"field": "series"}, {"field": "year"}, {"field": "actual"}, {"field": "target"},
                                  {"field": "outcome"}]}},
        {"transform": [{"filter": "datum.target_status == 'not stated'"}],
         "mark": {"type": "text", "text": "not stated", "angle": 270, "align": "left", "fontSize": 9,
                  "color": "#b35806"},
         "encoding": {"x": x, "y": {"value": {"expr": "height - 4"}}}},
    ]
    spec = {
        "data": {"values": rows},
        "facet": {"field": "series", "type": "nominal", "title": None},
        "columns": 3,
        "spec": {"width": 230, "height": 150, "layer": layer},
        "resolve": {"scale": {"y": "independent"}},
    }
    return Chart(
        key="targets", title="National targets against actuals",
        caption="Per indicator with both: the target each national report sets for its plan year (grey dashes, a "
                "range as a bar) and the actual the next report gives (green met, red missed: at or above the "
                "target, at or below for CPI and unemployment); 'not stated': that year's report sets no such target.",
        sql=sql, rows=rows, spec=spec)


# --- target ladder ------------------------------------------------------------------------------------------

def ladder_sql(selection: Selection) -> str:
    order = ", ".join(f"'{level}'" for level in LEVELS)
    return f"""SELECT region_code, level, year, target
FROM target_ladder
{selection.where("indicator = 'gdp'", "metric = 'growth'", 'level IS NOT NULL')}
ORDER BY year, list_position([{order}], level), region_code"""


def ladder_chart(con: duckdb.DuckDBPyConnection, selection: Selection) -> Chart:
    """The spread of GDP growth targets at each level, year by year: the ladder rising down the hierarchy."""
    sql = ladder_sql(selection)
    rows = query(con, sql)
    spec = {
        "data": {"values": rows},
        "width": {"step": 12, "for": "position"},  # per level within a year
        "height": 280,
        "mark": {"type": "boxplot", "extent": "min-max", "size": 9},
        "encoding": {
            "x": {"field": "year", "type": "ordinal", "title": "plan year"},
            "xOffset": {"field": "level", "sort": LEVELS},
            "y": {"field": "target", "type": "quantitative", "title": "GDP growth target (%)", "scale": {"zero": False}},
            "color": {"field": "level", "type": "nominal", "sort": LEVELS, "scale": {"domain": LEVELS}},
        },
    }
    return Chart(
        key="ladder", title="The target ladder: GDP growth targets by level",
        caption="Per plan year and level: the spread (box: quartiles, whiskers: min and max) of the GDP growth "
                "targets the loaded reports set for their own plan year; one region is a single line.",
        sql=sql, rows=rows, spec=spec)


def region_ladder_sql(selection: Selection) -> str:
    return f"""SELECT year, target, parent_code, parent_target, province_code, province_target, national_target
FROM target_ladder
{selection.where(f"region_code = '{selection.under}'", "indicator = 'gdp'", "metric = 'growth'")}
ORDER BY year"""


def region_ladder_chart(con: duckdb.DuckDBPyConnection, selection: Selection) -> Chart:
    """One region's GDP growth target beside its parent's, its province's and the nation's."""
    sql = region_ladder_sql(selection)
    rows = query(con, sql)
    rungs = ["target", "parent_target", "province_target", "national_target"]
    spec = {
        "data": {"values": rows},
        "transform": [{"fold": rungs, "as": ["rung", "value"]}, {"filter": "datum.value != null"}],
        "width": 420,
        "height": 220,
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "year", "type": "ordinal", "title": "plan year"},
            "y": {"field": "value", "type": "quantitative", "title": "GDP growth target (%)", "scale": {"zero": False}},
            "color": {"field": "rung", "type": "nominal", "sort": rungs, "scale": {"domain": rungs}},
            "tooltip": [{"field": "year"}, {"field": "rung"}, {"field": "value"}],
        },
    }
    return Chart(
        key="ladder-under", title=f"GDP growth targets of {selection.under} and the rungs above it",
        caption=f"Per plan year: the GDP growth target {selection.under}'s report sets (target), its parent's, its "
                "province's and the nation's; a missing point is a report not loaded or stating no such target.",
        sql=sql, rows=rows, spec=spec)


# --- runs ---------------------------------------------------------------------------------------------------

def runs_sql() -> str:
    return f"""SELECT run_id, flow, strftime(started_at, '%Y-%m-%d %H:%M:%S') AS started,
       documents_new, documents_changed, errors
FROM runs
ORDER BY started_at DESC
LIMIT {RECENT_RUNS}"""


def runs_chart(con: duckdb.DuckDBPyConnection) -> Chart:
    sql = runs_sql()
    rows = query(con, sql)
    spec = {
        "data": {"values": rows},
        "transform": [{"calculate": "datum.started + ' ' + datum.flow", "as": "run"},
                      {"fold": ["documents_new", "documents_changed"], "as": ["documents", "count"]}],
        "width": {"step": 22},
        "height": 200,
        "mark": "bar",
        "encoding": {
            "x": {"field": "run", "type": "ordinal", "title": None, "sort": {"field": "started"},
                  "axis": {"labelAngle": -45}},
            "y": {"field": "count", "type": "quantitative", "title": "documents", "stack": True},
            "color": {"field": "documents", "type": "nominal", "scale": {"domain": ["documents_new", "documents_changed"]}},
            "tooltip": [{"field": "run_id"}, {"field": "run"}, {"field": "documents"}, {"field": "count"},
                        {"field": "errors", "title": "failed pages"}],
        },
    }
    return Chart(
        key="runs", title="Documents loaded by the last runs",
        caption=f"Per run (the last {RECENT_RUNS}, oldest left): the documents it loaded new and those it changed.",
        sql=sql, rows=rows, spec=spec)


def failures_sql() -> str:
    return f"""WITH recent AS (SELECT started_at, finished_at FROM runs ORDER BY started_at DESC LIMIT {RECENT_RUNS})
SELECT coalesce(nullif(p.host, ''), '(saved files)') AS host,
       CASE WHEN p.error LIKE 'blocked:%' THEN 'blocked'
            WHEN p.http_status >= 400 THEN 'HTTP ' || p.http_status
            ELSE 'no answer' END AS failure,
       count(DISTINCT p.url) AS pages
FROM pages AS p
WHERE p.error IS NOT NULL
  AND EXISTS (SELECT 1 FROM recent AS r WHERE p.fetched_at BETWEEN r.started_at AND coalesce(r.finished_at, p.fetched_at))
GROUP BY ALL
ORDER BY pages DESC, host, failure"""


def failures_chart(con: duckdb.DuckDBPyConnection) -> Chart:
    sql = failures_sql()
    rows = query(con, sql)
    spec = {
        "data": {"values": rows},
        "width": 420,
        "height": {"step": 18},
        "mark": "bar",
        "encoding": {
            "y": {"field": "host", "type": "nominal", "title": None, "sort": "-x"},
            "x": {"field": "pages", "type": "quantitative", "title": "failed pages", "stack": True},
            "color": {"field": "failure", "type": "nominal"},
            "tooltip": [{"field": "host"}, {"field": "failure"}, {"field": "pages"}],
        },
    }
    return Chart(
        key="failures", title="Failed pages by host in the last runs",
        caption=f"Per host: the pages whose fetch failed during the last {RECENT_RUNS} runs, by how (blocked: a "
                "challenge or refusal page; HTTP status; no answer: network errors and time-outs).",
        sql=sql, rows=rows, spec=spec)


# --- the report ---------------------------------------------------------------------------------------------

def build_charts(con: duckdb.DuckDBPyConnection, selection: Selection) -> list[Chart]:
    """Every chart of the report, in reading order."""
    if selection.first is not None and selection.last is not None and selection.first > selection.last:
        raise ReportError(f"--from {selection.first} is after --to {selection.last}")
    charts = [coverage_chart(con, selection)]
    if selection.under:
        charts.append(under_coverage_chart(con, selection))
    charts += [targets_chart(con, selection), ladder_chart(con, selection)]
    if selection.under:
        charts.append(region_ladder_chart(con, selection))
    charts += [runs_chart(con), failures_chart(con)]
    return charts


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; }}
section {{ margin: 2.5em 0; }}
p.caption {{ margin: .3em 0 .8em; color: #444; }}
p.empty {{ color: #b35806; }}
details pre {{ background: #f6f6f6; padding: .6em; overflow-x: auto; font-size: 12px; }}
.chart {{ overflow-x: auto; }}
</style>
<script>{bundle}</script>
</head>
<body>
<h1>{title}</h1>
<p>{subtitle}</p>
{sections}
<script>
for (const node of document.querySelectorAll("script[type='application/json'][data-chart]")) {{
  vegaEmbed("#" + node.dataset.chart, JSON.parse(node.textContent), {{actions: false, renderer: "svg"}})
    .catch(error => console.error("chart " + node.dataset.chart + ": " + error));
}}
</script>
</body>
</html>
"""

SECTION = """<section id="section-{key}">
<h2>{title}</h2>
<p class="caption">{caption}</p>
{body}
<details><summary>SQL ({count} rows)</summary><pre>{sql}</pre></details>
</section>"""


@functools.cache
def _javascript_bundle() -> str:
    """vega, vega-lite and vega-embed as one script (~0.9 MB; vl-convert bundles it in ~2 s, once a process)."""
    import vl_convert

    return vl_convert.javascript_bundle().replace("</script", "<\\/script")


def report_html(charts: list[Chart], *, title: str, subtitle: str) -> str:
    """One self-contained page: the charts' specs inline, vega-embed and its libraries in one <script>."""
    sections = []
    for chart in charts:
        if chart.rows:
            spec = json.dumps(chart.spec, ensure_ascii=False).replace("</", "<\\/")
            body = (f'<div class="chart" id="chart-{chart.key}"></div>\n'
                    f'<script type="application/json" data-chart="chart-{chart.key}">{spec}</script>')
        else:
            body = '<p class="empty">No rows yet: the query below returns nothing on this warehouse.</p>'
        sections.append(SECTION.format(key=chart.key, title=html.escape(chart.title), caption=html.escape(chart.caption),
                                       body=body, count=len(chart.rows), sql=html.escape(chart.sql)))
    bundle = _javascript_bundle()
    return PAGE.format(title=html.escape(title), subtitle=html.escape(subtitle), bundle=bundle,
                       sections="\n".join(sections))


def write_report(db_path: Path, out: Path, selection: Selection) -> list[Chart]:
    """`govreports report`: the charts of a read-only warehouse, written as one HTML file."""
    with connect_reader(db_path) as con:
        try:
            charts = build_charts(con, selection)
        except duckdb.CatalogException as error:
            raise WarehouseError(f"{db_path} has no report views yet: run any govreports run on it once "
                                 "(e.g. `govreports reprocess`) to upgrade it") from error
    scope = [f"under {selection.under}"] if selection.under else []
    if selection.first is not None or selection.last is not None:
        scope.append(f"plan years {selection.first or '…'}–{selection.last or '…'}")
    subtitle = f"Warehouse {db_path}, {dt.datetime.now():%Y-%m-%d %H:%M}" + (f"; {', '.join(scope)}" if scope else "")
    page = report_html(charts, title="govreports: coverage, targets and runs", subtitle=subtitle)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return charts
