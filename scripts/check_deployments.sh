#!/usr/bin/env bash
# Deploy govreports to a real local Prefect server and run the backfill deployment
# against the sample site. Everything lives in a temporary PREFECT_HOME on a free port.
#   bash scripts/check_deployments.sh        (needs `make test` set-up done once: .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/.venv/bin"
work=$(mktemp -d)
export PREFECT_HOME="$work/prefect"
port=$("$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export PREFECT_API_URL="http://127.0.0.1:$port/api"
export PREFECT_SERVER_ANALYTICS_ENABLED=false PREFECT_UI_ENABLED=false
export GOVREPORTS_DATA="$work/data"
db="$work/warehouse.duckdb"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$BIN/prefect" server start --host 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 & pids+=($!)
for _ in $(seq 1 120); do
  curl -sf "$PREFECT_API_URL/health" >/dev/null && break
  sleep 1
done
curl -sf "$PREFECT_API_URL/health" >/dev/null || { echo "prefect server did not start"; cat "$work/server.log"; exit 1; }

"$BIN/prefect" work-pool create govreports --type process >/dev/null
"$BIN/prefect" --no-prompt deploy --all >"$work/deploy.log" 2>&1 || { cat "$work/deploy.log"; exit 1; }
"$BIN/prefect" deployment ls | tee "$work/deployments.txt"
for name in scrape/daily backfill/manual reprocess/manual; do
  grep -q "$name" "$work/deployments.txt" || { echo "missing deployment $name"; exit 1; }
done

"$BIN/prefect" worker start --pool govreports >"$work/worker.log" 2>&1 & pids+=($!)
"$BIN/python" -m flows.sample_site "$work/sources.yaml" >"$work/site.txt" & pids+=($!)
for _ in $(seq 1 30); do [ -s "$work/site.txt" ] && break; sleep 0.5; done

timeout 600 "$BIN/prefect" deployment run backfill/manual \
  --param "sources_file=$work/sources.yaml" --param "db=$db" --watch --watch-timeout 540 | tee "$work/run.log"
grep -q "Completed" "$work/run.log" || { echo "backfill run did not complete"; tail -50 "$work/worker.log"; exit 1; }

documents=$("$BIN/govreports" sql "SELECT count(*) AS n FROM documents" --db "$db" --format csv | tail -1)
echo "documents loaded by the deployment: $documents"
[ "$documents" = "5" ] || { echo "expected 5 documents"; exit 1; }
echo "deployment check passed"
