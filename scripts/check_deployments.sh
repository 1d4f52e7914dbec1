#!/usr/bin/env bash
# Deploy govreports from prefect.yaml to a real local Prefect server, start a worker,
# run backfill/manual through the worker over a site big enough to start the pipeline's worker
# processes, scrape/daily on it (a second crawl changes no row), and cancel a run (nothing outlives it).
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

step "worker, and the sample web with the 20 national reports as one more site (25 documents)"
# batches of 10: the 25 reports make three batches, the first big enough (MIN_PARALLEL_ITEMS, 8) to start
# the pipeline's worker processes, as any real scrape/daily does
GOVREPORTS_BATCH_SIZE=10 "$BIN/prefect" worker start --pool govreports --type process >"$work/worker.log" 2>&1 & pids+=($!)
worker=$!
"$PY" -m flows.sample_site "$work/sources.yaml" --national tests/fixtures/corpus/national >"$work/site.log" 2>&1 & pids+=($!)
for _ in $(seq 1 60); do grep -q http "$work/site.log" && break; sleep 0.5; done  # printed after the file is written
[ -s "$work/sources.yaml" ] || fail "sample site did not start"

run_deployment() {  # NAME LOG PARAM...: run a deployment through the worker until it ends; sets $flow_run
  local name=$1 log=$2; shift 2
  local params=(); for p in "$@"; do params+=(--param "$p"); done
  timeout 600 "$BIN/prefect" deployment run "$name" "${params[@]}" --watch --watch-timeout 540 >"$log" 2>&1 || true
  grep -q "Completed" "$log" || fail "$name run did not complete: $(grep -i 'state\|finished' "$log" | tail -1)"
  flow_run=$(grep -o 'UUID: [0-9a-f-]*' "$log" | head -1 | cut -d' ' -f2)
}
sql() { "$BIN/govreports" sql "$1" --db "${2:-$db}" --format csv | tail -n +2 | tr -d '\r'; }
rows() {  # every stable row of the warehouse, as one digest per table (run ids and timestamps aside)
  sql "SELECT (SELECT md5(string_agg(concat_ws('|', url, raw_sha256, error, role), ',' ORDER BY url, raw_sha256)) FROM pages)
       || ' ' || (SELECT md5(string_agg(concat_ws('|', doc_id, region_code, plan_year, source_count), ',' ORDER BY doc_id)) FROM documents)
       || ' ' || (SELECT md5(string_agg(concat_ws('|', doc_id, url, copy_sha256), ',' ORDER BY doc_id, url)) FROM document_sources)
       || ' ' || (SELECT md5(string_agg(concat_ws('|', doc_id, indicator, basis, value, char_start), ',' ORDER BY doc_id, char_start, indicator, basis)) FROM indicators)
       || ' ' || (SELECT count(*) || '/' || sum(count) FROM terms)
       || ' ' || (SELECT md5(coalesce(string_agg(concat_ws('|', url, reason), ',' ORDER BY url, reason), '')) FROM skipped_links) AS digest"
}
descendants() {  # PID: the processes below PID that still run (zombies have ended), one "pid command" a line
  "$PY" - "$1" <<'PYEOF'
import sys
from pathlib import Path

def stat(pid):
    try:
        state, ppid = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[:2]
        return int(ppid), state
    except (FileNotFoundError, ProcessLookupError):
        return None

procs = {int(p.name): s for p in Path("/proc").iterdir() if p.name.isdigit() and (s := stat(p.name))}
found, frontier = set(), {int(sys.argv[1])}
while frontier:
    frontier = {pid for pid, (ppid, _) in procs.items() if ppid in frontier} - found
    found |= frontier
for pid in sorted(found):
    if procs[pid][1] != "Z":
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError):
            continue
        print(pid, command[:160])
PYEOF
}

step "run backfill/manual through the worker"
run_deployment backfill/manual "$work/run.log" "sources_file=$work/sources.yaml" "db=$db"
documents=$(sql "SELECT count(*) FROM documents")
runs=$(sql "SELECT flow || ':' || documents_new FROM runs")
[ "$documents" = "25" ] || fail "expected 25 documents, found $documents"
[ "$runs" = "backfill:25" ] || fail "expected one backfill run row with 25 new documents, found $runs"
"$BIN/prefect" flow-run logs "$flow_run" >"$work/backfill-logs.log" 2>&1 || fail "no logs for flow run $flow_run"
if [ "$("$PY" -c 'import os; print(len(os.sched_getaffinity(0)))')" -gt 1 ]; then
  grep -q "started [0-9]* worker processes" "$work/backfill-logs.log" \
    || fail "the backfill ran without the pipeline's worker processes (no 'started N worker processes' in its log)"
  grep -o "started [0-9]* worker processes" "$work/backfill-logs.log"
else
  echo "one core: the pipeline works in its own process, no worker processes to check"
fi

step "run scrape/daily through the worker on the same site: a second crawl changes no row"
before=$(rows)
run_deployment scrape/daily "$work/scrape.log" "sources_file=$work/sources.yaml" "db=$db"
after=$(rows)
[ "$before" = "$after" ] || fail "scrape/daily changed rows: $before -> $after"
scrapes=$(sql "SELECT count(*) || ':' || sum(documents_new + documents_changed) FROM runs WHERE flow = 'scrape'")
[ "$scrapes" = "1:0" ] || fail "expected one scrape run row with no new or changed document, found $scrapes"

step "cancel a backfill/manual run once its worker processes work: no process may outlive it"
timeout 60 "$BIN/prefect" deployment run backfill/manual --param "sources_file=$work/sources.yaml" \
  --param "db=$work/cancelled.duckdb" >"$work/cancel-run.log" 2>&1 || fail "could not start the run to cancel"
cancel_run=$(grep -o 'UUID: [0-9a-f-]*' "$work/cancel-run.log" | head -1 | cut -d' ' -f2)
for _ in $(seq 1 600); do
  descendants "$worker" >"$work/family.txt"
  [ "$(grep -c multiprocessing.forkserver "$work/family.txt")" -ge 2 ] && break
  sleep 0.2
done
[ "$(grep -c multiprocessing.forkserver "$work/family.txt")" -ge 2 ] || fail "the run to cancel started no worker processes"
"$BIN/prefect" flow-run cancel "$cancel_run" >"$work/cancel.log" 2>&1 || fail "prefect flow-run cancel"
cancelled=$SECONDS
while [ -s "$work/family.txt" ] && [ $((SECONDS - cancelled)) -lt 60 ]; do
  sleep 1; descendants "$worker" >"$work/family.txt"
done
[ -s "$work/family.txt" ] && fail "processes outlived the cancelled run: $(cat "$work/family.txt")"
state=$("$PY" - "$cancel_run" <<'PYEOF'
import asyncio, sys
from prefect.client.orchestration import get_client

async def state() -> str:
    async with get_client() as client:
        for _ in range(60):
            run = await client.read_flow_run(sys.argv[1])
            if run.state.is_final():
                break
            await asyncio.sleep(1)
        return run.state.name

print(asyncio.run(state()))
PYEOF
)
[ "$state" = "Cancelled" ] || fail "the cancelled run ended $state"
echo "run $cancel_run cancelled: its flow process and worker processes gone $((SECONDS - cancelled)) s after the cancel"

step "deployment check passed: 3 deployments; backfill/manual Completed with the worker processes, $documents documents; scrape/daily changed no row; a cancelled run left no process"
