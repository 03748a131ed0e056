# Sourced by scripts/bench: the pgbench baseline for the durable round trip (issue 6).
# pgbench_run SCRIPT CLIENTS SECONDS runs one of bench/pgbench/*.sql against the benchmark
# database and prints one line: tps=<n> rows_per_s=<n> latency_avg_ms=<n>
#
# SCRIPT is a path or a name in bench/pgbench (one-row, batched). A script's rows per
# transaction come from its "-- rows-per-transaction: N" line (1 when it has none).
# Database: CHORUS_BENCH_DB (default chorus_bench, as scripts/bench) on CHORUS_PG_HOST/PORT/USER/
# PASSWORD (postgres.sh's defaults); the table comes from bench/pgbench/setup.sql, created
# when missing (pgbench_setup recreates it empty).

_PGBENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/bench/pgbench"

_pgbench_env() {
  export PGHOST=${CHORUS_PG_HOST:-127.0.0.1} PGPORT=${CHORUS_PG_PORT:-5432}
  export PGUSER=${CHORUS_PG_USER:-chorus} PGPASSWORD=${CHORUS_PG_PASSWORD:-chorus}
  export PGDATABASE=${CHORUS_BENCH_DB:-chorus_bench}
}

# Recreates bench_messages empty in the benchmark database.
pgbench_setup() {
  (_pgbench_env && psql -q -v ON_ERROR_STOP=1 -f "$_PGBENCH_DIR/setup.sql" >/dev/null)
}

pgbench_run() {
  local script=${1:-} clients=${2:-} seconds=${3:-}
  if [ -z "$script" ] || [ -z "$clients" ] || [ -z "$seconds" ]; then
    echo "usage: pgbench_run SCRIPT CLIENTS SECONDS" >&2
    return 2
  fi
  [ -f "$script" ] || script="$_PGBENCH_DIR/${script%.sql}.sql"
  if [ ! -f "$script" ]; then
    echo "pgbench_run: no script ${1} (nor $script)" >&2
    return 2
  fi
  (
    _pgbench_env
    if [ "$(psql -qtA -c "select to_regclass('bench_messages') is not null")" != t ]; then
      psql -q -v ON_ERROR_STOP=1 -f "$_PGBENCH_DIR/setup.sql" >/dev/null || exit 1
    fi
    local rows threads out
    rows=$(sed -n 's/^-- rows-per-transaction: *\([0-9][0-9]*\).*/\1/p' "$script" | head -n 1)
    rows=${rows:-1}
    threads=$(nproc 2>/dev/null || echo 1)
    [ "$clients" -lt "$threads" ] && threads=$clients
    # -n: no vacuum of pgbench's own tables (there are none); -M prepared, as Chorus's
    # vertx-pg-client prepares its statements.
    if ! out=$(pgbench -n -M prepared -c "$clients" -j "$threads" -T "$seconds" -f "$script" 2>&1); then
      echo "pgbench_run: pgbench failed:" >&2
      echo "$out" >&2
      exit 1
    fi
    echo "$out" | awk -v rows="$rows" '
      /^latency average = / { lat = $4 }
      /^tps = / { tps = $3 }
      END {
        if (tps == "") { exit 1 }
        printf "tps=%.1f rows_per_s=%.0f latency_avg_ms=%.3f\n", tps, tps * rows, lat
      }' || { echo "pgbench_run: no tps in pgbench's output:" >&2; echo "$out" >&2; exit 1; }
  )
}
