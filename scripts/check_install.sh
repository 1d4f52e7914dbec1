#!/usr/bin/env bash
# What a pip or uv user does: `pip install .` into a clean venv WITHOUT requirements.lock,
# then `govreports check-sources sources.yaml` and `govreports demo` twice. Passes when the
# package's own dependency bounds give a working install and the second demo changes no row
# (every table but `runs` keeps its row count). Uses pip's cache, so a warm run takes ~1.5 min.
#   bash scripts/check_install.sh            (PYTHON=python3.11 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
started=$SECONDS
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { printf '[%3ds] %s\n' $((SECONDS - started)) "$*"; }
fail() { echo "install check FAILED: $*" >&2; exit 1; }

step "a copy of the tracked files (a build must not need anything untracked)"
mkdir "$work/src"
git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$work/src"

step "clean venv, pip install . (no lock)"
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --upgrade pip >"$work/pip.log" 2>&1 || { tail -30 "$work/pip.log"; fail "pip upgrade"; }
"$work/venv/bin/pip" install "$work/src" >"$work/pip.log" 2>&1 || { tail -30 "$work/pip.log"; fail "pip install ."; }
! grep -q "BuildBackendWarning" "$work/pip.log" || { grep -A3 BuildBackendWarning "$work/pip.log"; fail "the build warns"; }
"$work/venv/bin/pip" freeze | grep -iE '^(prefect|fastapi|sqlalchemy|duckdb)==' | tr '\n' ' '; echo

export GOVREPORTS_DB="$work/data/warehouse.duckdb" GOVREPORTS_DATA="$work/data" PREFECT_HOME="$work/prefect"
cd "$work"  # not the checkout: the installed package must carry its own data files

step "govreports check-sources sources.yaml"
"$work/venv/bin/govreports" check-sources "$work/src/sources.yaml" | tail -1 || fail "check-sources"

counts() {
  "$work/venv/bin/python" - "$GOVREPORTS_DB" <<'EOF'
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                    "WHERE table_type = 'BASE TABLE' AND table_name <> 'runs' ORDER BY 1").fetchall()]
print(" ".join(f"{t}={con.execute(f'SELECT count(*) FROM {t}').fetchone()[0]}" for t in tables))
EOF
}

step "govreports demo"
"$work/venv/bin/govreports" demo | tail -1 || fail "demo"
first=$(counts)
step "govreports demo, again"
"$work/venv/bin/govreports" demo | tail -1 || fail "second demo"
second=$(counts)
echo "rows after the first demo:  $first"
[ "$first" = "$second" ] || fail "the second demo changed rows: $second"
grep -q "documents=5" <<<"$first" || fail "expected 5 documents: $first"
step "install check passed: lock-free install, demo loads 5 documents, a second demo changes no row"
