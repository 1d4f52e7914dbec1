#!/usr/bin/env bash
# Deploy govreports from prefect.yaml to a real local Prefect server, start a worker,
# run the backfill/manual deployment against the sample site and check the warehouse.
# Everything (server database, warehouse, raw archive) lives in a temporary directory;
# the server listens on a free loopback port. Needs only .venv (made by `make test`).
#   bash scripts/check_deployments.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/.venv/bin"
PY="$BIN/python"
started=$SECONDS
work=$(mktemp -d)
export PREFECT_HOME="$work/prefect"
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PREFECT_API_URL="http://127.0.0.1:$port/api"
export PREFECT_SERVER_ANALYTICS_ENABLED=false PREFECT_UI_ENABLED=false DO_NOT_TRACK=1
export PREFECT_SERVER_API_HOST=127.0.0.1 PREFECT_SERVER_API_PORT="$port"
export GOVREPORTS_DATA="$work/data"
db="$work/warehouse.duckdb"
pids=()
cleanup() {  # the worker may take a while to stop on SIGTERM: SIGKILL what is left after 10 s
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 20); do
    alive=0; for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break; sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP_CHECK_DIR:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "deployment check FAILED: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -40 "$f" >&2; done; exit 1; }
step() { printf '[%3ds] %s\n' $((SECONDS - started)) "$*"; }

healthy() {  # no curl on a fresh machine: ask the API with Python
  "$PY" -c 'import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)
except OSError:
    sys.exit(1)' "$PREFECT_API_URL/health"
}

step "prefect server on 127.0.0.1:$port (PREFECT_HOME=$PREFECT_HOME)"
"$BIN/prefect" server start --host 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 & pids+=($!)
for _ in $(seq 1 180); do healthy && break; sleep 1; done
healthy || fail "prefect server did not start"

step "work pool, prefect deploy --all"
"$BIN/prefect" work-pool create govreports --type process >"$work/pool.log" 2>&1 || fail "work-pool create"
"$BIN/prefect" --no-prompt deploy --all >"$work/deploy.log" 2>&1 || fail "prefect deploy --all"

step "deployments and their parameter forms"
for name in scrape/daily backfill/manual reprocess/manual; do
  "$BIN/prefect" deployment inspect "$name" --output json >"$work/$(tr / _ <<<"$name").json" 2>"$work/inspect.log" \
    || fail "missing deployment $name"
done
"$PY" - "$work" <<'EOF' || fail "deployment definitions"
"""The UI renders a typed form from parameter_openapi_schema: check the types, schedule and pool."""
import json, sys
from pathlib import Path

work = Path(sys.argv[1])
def load(name): return json.loads((work / f"{name}.json").read_text())
def types(prop):  # {"type": "string"} or {"anyOf": [{"type": "string"}, {"type": "null"}]}
    return {t.get("type") for t in prop.get("anyOf", [prop])}

problems = []
def expect(ok, what):
    if not ok: problems.append(what)

backfill, scrape, reprocess = load("backfill_manual"), load("scrape_daily"), load("reprocess_manual")
props = backfill["parameter_openapi_schema"]["properties"]
urls = props.get("urls", {})
expect(any(t.get("type") == "array" and t.get("items", {}).get("type") == "string"
           for t in urls.get("anyOf", [urls])), f"backfill urls is not an array of strings: {urls}")
for name in ("sources_file", "from_dir", "db"):
    expect("string" in types(props.get(name, {})), f"backfill {name} is not a string: {props.get(name)}")
expect("integer" in types(props.get("max_pages", {})), f"backfill max_pages is not an integer: {props.get('max_pages')}")
expect("string" in types(scrape["parameter_openapi_schema"]["properties"].get("sources_file", {})),
       "scrape sources_file is not a string")
expect("string" in types(reprocess["parameter_openapi_schema"]["properties"].get("db", {})), "reprocess db is not a string")
crons = [(s["schedule"].get("cron"), s["schedule"].get("timezone")) for s in scrape.get("schedules", [])]
expect(crons == [("0 3 * * *", "Asia/Shanghai")], f"scrape/daily schedule: {crons}")
expect(not backfill.get("schedules") and not reprocess.get("schedules"), "manual deployments must have no schedule")
for d in (backfill, scrape, reprocess):
    expect(d.get("work_pool_name") == "govreports", f"{d['name']} work pool: {d.get('work_pool_name')}")
print("parameters:", {k: sorted(t for t in types(v) if t) for k, v in props.items()})
if problems:
    sys.exit("\n".join(problems))
EOF

step "scrape/daily's sources file is there and valid"
sources=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["parameters"]["sources_file"])' "$work/scrape_daily.json")
"$BIN/govreports" check-sources "$sources" >"$work/check-sources.log" 2>&1 \
  || fail "scrape/daily's sources_file $sources: $(tail -1 "$work/check-sources.log")"
tail -1 "$work/check-sources.log"

step "the scheduler fills scrape/daily with Scheduled runs"
"$PY" - <<'EOF' || fail "no scheduled runs for scrape/daily"
import asyncio, sys
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName, FlowRunFilter, FlowRunFilterState, FlowRunFilterStateName

async def scheduled() -> int:
    async with get_client() as client:
        runs = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["daily"])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(name=FlowRunFilterStateName(any_=["Scheduled"]))),
            limit=10, offset=0)
        return len(runs)

async def main() -> None:
    for _ in range(90):
        if n := await scheduled():
            print(f"scrape/daily: {n} scheduled runs")
            return
        await asyncio.sleep(1)
    sys.exit("the scheduler created no runs for scrape/daily")

asyncio.run(main())
EOF

step "worker and sample site"
"$BIN/prefect" worker start --pool govreports --type process >"$work/worker.log" 2>&1 & pids+=($!)
"$PY" -m flows.sample_site "$work/sources.yaml" >"$work/site.log" 2>&1 & pids+=($!)
for _ in $(seq 1 60); do grep -q http "$work/site.log" && break; sleep 0.5; done  # printed after the file is written
[ -s "$work/sources.yaml" ] || fail "sample site did not start"

step "run backfill/manual and wait for it"
timeout 600 "$BIN/prefect" deployment run backfill/manual \
  --param "sources_file=$work/sources.yaml" --param "db=$db" --watch --watch-timeout 540 >"$work/run.log" 2>&1 \
  || fail "backfill run did not finish"
grep -q "Completed" "$work/run.log" || fail "backfill run did not complete"

step "warehouse"
documents=$("$BIN/govreports" sql "SELECT count(*) AS n FROM documents" --db "$db" --format csv | tail -1 | tr -d '\r')
runs=$("$BIN/govreports" sql "SELECT flow || ':' || documents_new AS r FROM runs" --db "$db" --format csv | tail -1 | tr -d '\r')
[ "$documents" = "5" ] || fail "expected 5 documents, found $documents"
[ "$runs" = "backfill:5" ] || fail "expected one backfill run row with 5 new documents, found $runs"
step "deployment check passed: 3 deployments, backfill/manual Completed, $documents documents loaded"
