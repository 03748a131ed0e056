# Sourced by scripts/cluster, scripts/rolling-restart and scripts/test (after common.sh and
# postgres.sh): a cluster of node processes on this machine behind an nginx of its own.
#
# Topology (recorded in $CLUSTER_DIR/cluster.env by `up`, so later commands address the
# cluster that is running whatever their environment says):
#   node nI: CHORUS_NODE_ID=nI, HTTP port BASE_PORT+I-1, Hazelcast port HZ_PORT+I-1
#   nginx:   LB_PORT, prefix $CLUSTER_DIR/nginx (pid, logs, temp dirs), config/nginx/*
# Every other CHORUS_* variable of the caller's environment passes through to the nodes.

CLUSTER_LB_PORT=${CHORUS_LB_PORT:-8080}
CLUSTER_BASE_PORT=${CHORUS_CLUSTER_BASE_PORT:-8081}
CLUSTER_HZ_PORT=${CHORUS_CLUSTER_PORT:-5701}
CLUSTER_NAME=${CHORUS_CLUSTER_NAME:-chorus}
CLUSTER_DB=${CHORUS_PG_DATABASE:-chorus}
CLUSTER_MEMBERS=${CHORUS_CLUSTER_MEMBERS:-}
CLUSTER_SIZE=0
# The contract's state directory for the contract's ports; a cluster on another LB port
# gets its own, so two clusters in one checkout never share pid files.
if [ "$CLUSTER_LB_PORT" = 8080 ]; then
  CLUSTER_DIR=${CHORUS_CLUSTER_DIR:-$CHORUS_ROOT/.chorus/cluster}
else
  CLUSTER_DIR=${CHORUS_CLUSTER_DIR:-$CHORUS_ROOT/.chorus/cluster-$CLUSTER_LB_PORT}
fi
# seconds a starting node may take to be ready and see the whole cluster (2 busy cores: JVMs start slowly)
CLUSTER_READY_TIMEOUT=${CHORUS_CLUSTER_READY_TIMEOUT:-180}
CLUSTER_NGINX_PREFIX="$CLUSTER_DIR/nginx"
NGINX_BIN=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)

cluster_say() { echo "cluster: $*" >&2; }
cluster_fail() { echo "cluster: $*" >&2; return 1; }

# Installs nginx from Debian packages when it is missing (as root, or through sudo). Only
# the binary is used: the cluster runs its own nginx process, never the system service.
ensure_nginx() {
  if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
    NGINX_BIN=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
    return 0
  fi
  echo "chorus: nginx is not installed; installing it from Debian packages" >&2
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx >/dev/null
  NGINX_BIN=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
  [ -x "$NGINX_BIN" ] || cluster_fail "nginx is still missing after apt-get install nginx"
}

# Writes nginx.conf (config/nginx/nginx.conf.template with the LB port and one upstream
# server per node) and proxy.conf into PREFIX. Relative paths in the template (pid, logs,
# temp dirs) resolve against the prefix given to nginx with -p.
# usage: cluster_render_nginx PREFIX LB_PORT BASE_PORT SIZE
cluster_render_nginx() {
  local prefix=$1 lb_port=$2 base_port=$3 size=$4 servers="" i
  for i in $(seq 1 "$size"); do
    # max_fails=0: no passive marking, every request may try every node (docs/operations.md:
    # a WebSocket records its success only when it closes, so a node marked failed by its
    # drain's 503s stayed marked after its restart, and nginx ran out of nodes)
    servers+="    server 127.0.0.1:$((base_port + i - 1)) max_fails=0;\n"
  done
  mkdir -p "$prefix/logs" "$prefix/temp"
  sed -e "s/{{LB_PORT}}/$lb_port/g" -e "s|^ *{{UPSTREAM_SERVERS}}|$servers|" \
    "$CHORUS_ROOT/config/nginx/nginx.conf.template" > "$prefix/nginx.conf"
  cp "$CHORUS_ROOT/config/nginx/proxy.conf" "$prefix/proxy.conf"
}

_cluster_nginx() {
  "$NGINX_BIN" -p "$CLUSTER_NGINX_PREFIX/" -e "$CLUSTER_NGINX_PREFIX/logs/error.log" -c "$CLUSTER_NGINX_PREFIX/nginx.conf" "$@"
}

cluster_nginx_pid() {
  local pid
  pid=$(cat "$CLUSTER_NGINX_PREFIX/nginx.pid" 2>/dev/null) || return 1
  # pids are reused: only an nginx started with this prefix counts
  [ -n "$pid" ] && _pid_runs "$pid" "$CLUSTER_NGINX_PREFIX/" && echo "$pid"
}

# Whether process PID is alive and its command line contains TEXT.
_pid_runs() {
  kill -0 "$1" 2>/dev/null && tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

cluster_start_nginx() {
  cluster_render_nginx "$CLUSTER_NGINX_PREFIX" "$CLUSTER_LB_PORT" "$CLUSTER_BASE_PORT" "$CLUSTER_SIZE"
  _cluster_nginx -t -q || cluster_fail "nginx rejected $CLUSTER_NGINX_PREFIX/nginx.conf"
  if cluster_nginx_pid >/dev/null; then
    _cluster_nginx -s reload
  else
    _cluster_nginx || cluster_fail "nginx did not start; see $CLUSTER_NGINX_PREFIX/logs/error.log"
  fi
}

cluster_stop_nginx() {
  local pid
  pid=$(cluster_nginx_pid) || return 0
  # graceful: listeners close at once; worker_shutdown_timeout bounds open sockets
  kill -QUIT "$pid"
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# --- topology -----------------------------------------------------------------------

cluster_write_state() {
  mkdir -p "$CLUSTER_DIR"
  cat > "$CLUSTER_DIR/cluster.env" <<EOF
CLUSTER_SIZE=$CLUSTER_SIZE
CLUSTER_LB_PORT=$CLUSTER_LB_PORT
CLUSTER_BASE_PORT=$CLUSTER_BASE_PORT
CLUSTER_HZ_PORT=$CLUSTER_HZ_PORT
CLUSTER_NAME=$CLUSTER_NAME
CLUSTER_DB=$CLUSTER_DB
CLUSTER_MEMBERS=$CLUSTER_MEMBERS
EOF
}

# Loads the topology `up` recorded; fails when there is none.
cluster_load_state() {
  [ -f "$CLUSTER_DIR/cluster.env" ] || cluster_fail "no cluster in $CLUSTER_DIR (scripts/cluster up N first; CHORUS_LB_PORT / CHORUS_CLUSTER_DIR pick another)"
  # shellcheck disable=SC1091
  source "$CLUSTER_DIR/cluster.env"
}

cluster_node_ids() {
  local i
  for i in $(seq 1 "$CLUSTER_SIZE"); do echo "n$i"; done
}

# Checks NODE is one of n1..nSIZE and prints its index.
cluster_node_index() {
  local id=$1 i=${1#n}
  if [[ ! "$id" =~ ^n[0-9]+$ ]] || [ "$i" -lt 1 ] || [ "$i" -gt "$CLUSTER_SIZE" ]; then
    cluster_fail "unknown node '$id' (this cluster has n1..n$CLUSTER_SIZE)"
    return 1
  fi
  echo "$i"
}

cluster_http_port() { echo $((CLUSTER_BASE_PORT + ${1#n} - 1)); }

# The node's JVM pid when it is alive: no exit status recorded yet, and the pid (pids are
# reused) still a JVM running a jar staged in this cluster's directory.
cluster_node_pid() {
  local pid
  [ -s "$CLUSTER_DIR/$1.exit" ] && return 1
  pid=$(cat "$CLUSTER_DIR/$1.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && _pid_runs "$pid" "$CLUSTER_DIR/jars/" && echo "$pid"
}

_port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# --- starting a node ------------------------------------------------------------------

# The jar nodes run: a copy per build under the state dir, so a rebuild (mvn package in a
# rolling restart) never rewrites the file a running JVM is reading classes from.
cluster_stage_jar() {
  local stamp staged
  stamp=$(stat -c %Y "$CHORUS_JAR")
  staged="$CLUSTER_DIR/jars/chorus-node-$stamp.jar"
  if [ ! -f "$staged" ]; then
    mkdir -p "$CLUSTER_DIR/jars"
    cp "$CHORUS_JAR" "$staged.tmp" && mv "$staged.tmp" "$staged"
  fi
  echo "$staged"
}

# Starts node ID in the background and returns once its JVM pid is known. The one way a
# node starts, for `up`, `start` and rolling-restart. A supervisor shell in a session of
# its own (so the caller's Ctrl-C or exit does not reach it) waits for the JVM and records
# its exit status in ID.exit (0 after a drain, 137 after SIGKILL).
cluster_spawn_node() {
  local id=$1 i http_port hz_port jar
  i=$(cluster_node_index "$id") || return 1
  if cluster_node_pid "$id" >/dev/null; then
    cluster_fail "$id is already running (pid $(cluster_node_pid "$id"))"
    return 1
  fi
  http_port=$((CLUSTER_BASE_PORT + i - 1))
  hz_port=$((CLUSTER_HZ_PORT + i - 1))
  for port in "$http_port" "$hz_port"; do
    if _port_in_use "$port"; then
      cluster_fail "port $port (for $id) is taken by another process; pick other ports (CHORUS_CLUSTER_BASE_PORT, CHORUS_CLUSTER_PORT)"
      return 1
    fi
  done
  jar=$(cluster_stage_jar)
  rm -f "$CLUSTER_DIR/$id.pid" "$CLUSTER_DIR/$id.exit"
  echo "=== $(date -u +%FT%TZ) cluster: starting $id (http $http_port, hazelcast $hz_port, $(basename "$jar"))" >> "$CLUSTER_DIR/$id.log"
  (
    export CHORUS_NODE_ID=$id CHORUS_HTTP_PORT=$http_port CHORUS_CLUSTER_PORT=$hz_port
    export CHORUS_CLUSTER_NAME=$CLUSTER_NAME CHORUS_CLUSTER_MEMBERS=$CLUSTER_MEMBERS CHORUS_PG_DATABASE=$CLUSTER_DB
    # N nodes on one machine: each is told its share of the cores (CHORUS_CLUSTER_NODE_CPUS
    # overrides, "all": not told); first, so a count in JAVA_OPTS wins
    export JAVA_OPTS="$(cpu_count_opt "${CHORUS_CLUSTER_NODE_CPUS:-$(node_cpu_share "$CLUSTER_SIZE")}") ${JAVA_OPTS:-}"
    # nodes are reached through nginx (or by the scripts on 127.0.0.1), not from outside
    export CHORUS_HTTP_HOST=${CHORUS_HTTP_HOST:-127.0.0.1}
    # browsers open cookie sockets on the load balancer's origin
    export CHORUS_AUTH_ALLOWED_ORIGINS=${CHORUS_AUTH_ALLOWED_ORIGINS:-http://localhost:$CLUSTER_LB_PORT,http://127.0.0.1:$CLUSTER_LB_PORT}
    exec setsid bash -c 'source "$1/scripts/lib/common.sh"; CHORUS_JAR=$2
      ( exec_node ) &
      echo $! > "$3.pid"
      wait $!
      echo $? > "$3.exit"' supervisor "$CHORUS_ROOT" "$jar" "$CLUSTER_DIR/$id" \
      </dev/null >>"$CLUSTER_DIR/$id.log" 2>&1
  ) &
  for _ in $(seq 1 100); do
    [ -s "$CLUSTER_DIR/$id.pid" ] && return 0
    sleep 0.1
  done
  cluster_fail "$id did not start (no pid after 10 s); see $CLUSTER_DIR/$id.log"
}

# --- asking a node --------------------------------------------------------------------

# A value of a flat JSON field ("key":value or "key":"value") from stdin.
_json_field() {
  grep -o "\"$1\" *: *\(\"[^\"]*\"\|[^,}]*\)" | head -n 1 | sed -e 's/^[^:]*: *//' -e 's/^"//' -e 's/"$//'
}

# An admin JWT (role=admin) signed with the nodes' key, made once per script run.
cluster_admin_token() {
  local errors
  if [ -z "${CLUSTER_ADMIN_TOKEN:-}" ]; then
    # its stderr only when it fails: a JVM starting on a busy machine warns about blocked threads
    errors=$(mktemp)
    if ! CLUSTER_ADMIN_TOKEN=$(cd "$CHORUS_ROOT" && java -DCHORUS_LOG_LEVEL=WARN -jar "$CHORUS_JAR" token ops --admin --ttl 3600 2>"$errors"); then
      cat "$errors" >&2
      rm -f "$errors"
      CLUSTER_ADMIN_TOKEN=""
      cluster_fail "could not make an admin token with $CHORUS_JAR"
      return 1
    fi
    rm -f "$errors"
  fi
}

# GET /admin/status of node ID into CLUSTER_STATUS_BODY; returns 1 when it does not answer 200.
cluster_admin_status() {
  local port
  port=$(cluster_http_port "$1")
  cluster_admin_token || return 1
  CLUSTER_STATUS_BODY=$(curl -sS -m 3 -f -H "Authorization: Bearer $CLUSTER_ADMIN_TOKEN" "http://127.0.0.1:$port/admin/status" 2>/dev/null) || return 1
}

cluster_node_ready() {
  curl -fsS -m 3 -o /dev/null "http://127.0.0.1:$(cluster_http_port "$1")/health/ready" 2>/dev/null
}

# The cluster size node ID sees ("?" when unknown): /admin/status, or for a build without
# it, the last member list Hazelcast logged (config/logback.xml keeps those lines).
# Call cluster_admin_token first: in a $(...) subshell the token would be made every time.
cluster_node_sees() {
  local seen
  if cluster_admin_status "$1"; then
    seen=$(_json_field cluster_size <<< "$CLUSTER_STATUS_BODY")
  else
    seen=$({ grep -o 'Members {size:[0-9]*' "$CLUSTER_DIR/$1.log" 2>/dev/null || true; } | tail -n 1 | sed 's/.*size://')
  fi
  echo "${seen:-?}"
}

# Waits until node ID answers ready; fails at once if its process exits.
cluster_wait_ready() {
  local id=$1 deadline=$((SECONDS + CLUSTER_READY_TIMEOUT))
  while [ $SECONDS -lt $deadline ]; do
    if ! cluster_node_pid "$id" >/dev/null; then
      cluster_fail "$id exited (status $(cat "$CLUSTER_DIR/$id.exit" 2>/dev/null || echo '?')) before it was ready; last lines of $CLUSTER_DIR/$id.log:"
      tail -n 20 "$CLUSTER_DIR/$id.log" >&2
      return 1
    fi
    cluster_node_ready "$id" && return 0
    sleep 1
  done
  cluster_fail "$id was not ready within ${CLUSTER_READY_TIMEOUT}s (CHORUS_CLUSTER_READY_TIMEOUT); see $CLUSTER_DIR/$id.log"
}

# Waits until every node that is alive is ready and sees exactly EXPECTED members (default:
# as many as are alive), so a killed node's ghost has been removed and a new one joined.
cluster_wait_whole() {
  local expected=${1:-} deadline=$((SECONDS + CLUSTER_READY_TIMEOUT)) id alive seen whole
  cluster_admin_token
  while [ $SECONDS -lt $deadline ]; do
    alive=()
    for id in $(cluster_node_ids); do
      cluster_node_pid "$id" >/dev/null && alive+=("$id")
    done
    whole=yes
    for id in "${alive[@]}"; do
      seen=$(cluster_node_sees "$id")
      if [ "$seen" != "${expected:-${#alive[@]}}" ] || ! cluster_node_ready "$id"; then
        whole=no
        break
      fi
    done
    if [ "$whole" = yes ] && { [ -z "$expected" ] || [ "${#alive[@]}" = "$expected" ]; }; then
      return 0
    fi
    sleep 1
  done
  cluster_fail "the cluster was not whole within ${CLUSTER_READY_TIMEOUT}s: $(cluster_status_summary)"
}

cluster_status_summary() {
  local id out=""
  cluster_admin_token
  for id in $(cluster_node_ids); do
    if cluster_node_pid "$id" >/dev/null; then
      out+="$id sees $(cluster_node_sees "$id")$(cluster_node_ready "$id" && echo ' (ready)' || echo ' (not ready)'); "
    else
      out+="$id down; "
    fi
  done
  echo "${out%; }"
}

# drain.timeoutMs in effect for the nodes: CHORUS_DRAIN_TIMEOUT_MS, config/node.json, the default.
cluster_drain_timeout_ms() {
  local from_file
  from_file=$(awk '/"drain"[[:space:]]*:/ {d = 1} d && /"timeoutMs"/ {gsub(/[^0-9]/, ""); print; exit}' "$CHORUS_ROOT/config/node.json")
  echo "${CHORUS_DRAIN_TIMEOUT_MS:-${from_file:-30000}}"
}

# Waits for node ID's JVM to exit within SECONDS; prints its exit status.
cluster_wait_exit() {
  local id=$1 seconds=$2 deadline
  deadline=$((SECONDS + seconds))
  while [ $SECONDS -lt $deadline ]; do
    if [ -s "$CLUSTER_DIR/$id.exit" ]; then
      cat "$CLUSTER_DIR/$id.exit"
      return 0
    fi
    if ! cluster_node_pid "$id" >/dev/null && [ ! -f "$CLUSTER_DIR/$id.pid" ]; then
      echo "?"
      return 0
    fi
    sleep 0.2
  done
  return 1
}

# POST /admin/drain to node ID; falls back to SIGTERM (the same drain) when the endpoint is
# not there (a build without it) or refuses. Prints how it asked.
cluster_drain_node() {
  local id=$1 pid port code
  pid=$(cluster_node_pid "$id") || return 0
  port=$(cluster_http_port "$id")
  if cluster_admin_token 2>/dev/null; then
    code=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $CLUSTER_ADMIN_TOKEN" \
      "http://127.0.0.1:$port/admin/drain" 2>/dev/null || true)
    if [ "$code" = 202 ]; then
      echo "POST /admin/drain"
      return 0
    fi
  fi
  kill -TERM "$pid" 2>/dev/null || true
  echo "SIGTERM (POST /admin/drain answered ${code:-nothing})"
}
