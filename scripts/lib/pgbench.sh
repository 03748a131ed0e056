# Sourced by scripts/bench: the pgbench baseline for the durable round trip (issue 6).
# pgbench_run SCRIPT CLIENTS SECONDS runs one of bench/pgbench/*.sql against the benchmark
# database and prints one line: tps=<n> rows_per_s=<n> latency_avg_ms=<n>
# pgbench_rate_run SCRIPT CLIENTS SECONDS RATE runs it at a fixed RATE of transactions a second
# instead (pgbench -R, open loop: each latency is from the transaction's scheduled start, its
# wait for a free client included) and prints: rate=<n> tps=<n> p50_ms=<n> p99_ms=<n>
# p999_ms=<n> max_ms=<n>, what the database itself gives one commit per message at that rate.
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

# The script's path (a path, or a name in bench/pgbench), with bench_messages created if missing.
_pgbench_script() {
  local script=$1
  [ -f "$script" ] || script="$_PGBENCH_DIR/${script%.sql}.sql"
  if [ ! -f "$script" ]; then
    echo "pgbench: no script ${1} (nor $script)" >&2
    return 2
  fi
  if [ "$(_pgbench_env && psql -qtA -c "select to_regclass('bench_messages') is not null")" != t ]; then
    (_pgbench_env && psql -q -v ON_ERROR_STOP=1 -f "$_PGBENCH_DIR/setup.sql" >/dev/null) || return 1
  fi
  # absolute: pgbench_rate_run runs pgbench in a folder of its own (for its logs)
  echo "$(cd "$(dirname "$script")" && pwd)/$(basename "$script")"
}

# pgbench's threads: one per core, at most one per client.
_pgbench_threads() {
  local threads
  threads=$(nproc 2>/dev/null || echo 1)
  [ "$1" -lt "$threads" ] && threads=$1
  echo "$threads"
}

pgbench_run() {
  local script=${1:-} clients=${2:-} seconds=${3:-}
  if [ -z "$script" ] || [ -z "$clients" ] || [ -z "$seconds" ]; then
    echo "usage: pgbench_run SCRIPT CLIENTS SECONDS" >&2
    return 2
  fi
  script=$(_pgbench_script "$script") || return $?
  (
    _pgbench_env
    local rows threads out
    rows=$(sed -n 's/^-- rows-per-transaction: *\([0-9][0-9]*\).*/\1/p' "$script" | head -n 1)
    rows=${rows:-1}
    threads=$(_pgbench_threads "$clients")
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

pgbench_rate_run() {
  local script=${1:-} clients=${2:-} seconds=${3:-} rate=${4:-}
  if [ -z "$script" ] || [ -z "$clients" ] || [ -z "$seconds" ] || [ -z "$rate" ]; then
    echo "usage: pgbench_rate_run SCRIPT CLIENTS SECONDS RATE" >&2
    return 2
  fi
  script=$(_pgbench_script "$script") || return $?
  (
    _pgbench_env
    local threads logs out
    threads=$(_pgbench_threads "$clients")
    logs=$(mktemp -d)
    trap 'rm -rf "$logs"' EXIT
    # -l: a line per transaction (client, number, latency us, script, epoch s, us, schedule lag us)
    if ! out=$(cd "$logs" && pgbench -n -M prepared -c "$clients" -j "$threads" -T "$seconds" -R "$rate" -l -f "$script" 2>&1); then
      echo "pgbench_rate_run: pgbench failed:" >&2
      echo "$out" >&2
      exit 1
    fi
    local tps
    tps=$(echo "$out" | awk '/^tps = / { print $3 }')
    cat "$logs"/pgbench_log.* | awk '{ print ($3 + $7) / 1000 }' | sort -n | awk -v rate="$rate" -v tps="$tps" '
      { ms[NR] = $1 }
      END {
        if (NR == 0 || tps == "") { exit 1 }
        printf "rate=%d tps=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f\n", rate, tps,
          ms[int((NR - 1) * 0.5) + 1], ms[int((NR - 1) * 0.99) + 1], ms[int((NR - 1) * 0.999) + 1], ms[NR]
      }' || { echo "pgbench_rate_run: no transactions logged:" >&2; echo "$out" >&2; exit 1; }
  )
}
