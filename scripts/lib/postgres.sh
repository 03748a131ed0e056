# Sourced by scripts/run, scripts/test and .ci/run: makes sure a PostgreSQL server is
# installed and running on this machine, and that the chorus role and a database exist.
# Installs PostgreSQL from Debian packages when it is missing (as root, or through sudo).

CHORUS_PG_HOST=${CHORUS_PG_HOST:-127.0.0.1}
CHORUS_PG_PORT=${CHORUS_PG_PORT:-5432}
CHORUS_PG_USER=${CHORUS_PG_USER:-chorus}
CHORUS_PG_PASSWORD=${CHORUS_PG_PASSWORD:-chorus}

_as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

_as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sudo -u postgres sh -c "$*"; fi
}

_pg_install() {
  echo "chorus: PostgreSQL is not installed; installing it from Debian packages" >&2
  _as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  _as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
}

# Starts the machine's PostgreSQL cluster if it is down (creating one if there is none).
pg_ensure_running() {
  command -v pg_lsclusters >/dev/null 2>&1 || _pg_install
  if pg_isready -q -h "$CHORUS_PG_HOST" -p "$CHORUS_PG_PORT" 2>/dev/null; then
    return 0
  fi
  local cluster
  cluster=$(pg_lsclusters -h 2>/dev/null | awk -v port="$CHORUS_PG_PORT" '$3 == port {print $1 " " $2; exit}')
  if [ -z "$cluster" ]; then
    local version
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    echo "chorus: creating PostgreSQL $version cluster 'main' on port $CHORUS_PG_PORT" >&2
    _as_root pg_createcluster -p "$CHORUS_PG_PORT" "$version" main >/dev/null
    cluster="$version main"
  fi
  echo "chorus: starting PostgreSQL cluster $cluster" >&2
  # shellcheck disable=SC2086
  _as_root pg_ctlcluster $cluster start
  for _ in $(seq 1 60); do
    pg_isready -q -h "$CHORUS_PG_HOST" -p "$CHORUS_PG_PORT" && return 0
    sleep 0.5
  done
  echo "chorus: PostgreSQL did not become ready on $CHORUS_PG_HOST:$CHORUS_PG_PORT" >&2
  return 1
}

# Creates the chorus login role (password auth over TCP) and the given database if missing.
pg_ensure_database() {
  local db=$1
  _as_postgres "psql -qtA -p $CHORUS_PG_PORT -c \"select 1\" >/dev/null" || return 1
  if [ "$(_as_postgres "psql -qtA -p $CHORUS_PG_PORT -c \"select 1 from pg_roles where rolname = '$CHORUS_PG_USER'\"")" != 1 ]; then
    _as_postgres "psql -q -p $CHORUS_PG_PORT -c \"create role $CHORUS_PG_USER login password '$CHORUS_PG_PASSWORD'\""
  fi
  if [ "$(_as_postgres "psql -qtA -p $CHORUS_PG_PORT -c \"select 1 from pg_database where datname = '$db'\"")" != 1 ]; then
    _as_postgres "psql -q -p $CHORUS_PG_PORT -c \"create database $db owner $CHORUS_PG_USER\""
  fi
}

# Drops and creates the given database: a test run starts from an empty schema, so
# migrations are checked from the first one every time and no run sees another's rows.
pg_recreate_database() {
  local db=$1
  pg_ensure_database "$db"
  _as_postgres "psql -q -p $CHORUS_PG_PORT -c \"drop database if exists $db with (force)\""
  _as_postgres "psql -q -p $CHORUS_PG_PORT -c \"create database $db owner $CHORUS_PG_USER\""
}
