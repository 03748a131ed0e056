# Sourced by the scripts: the node jar, the Java toolchain, and the development JWT key.

CHORUS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CHORUS_JAR="$CHORUS_ROOT/verticles/node/target/chorus-node.jar"

# Installs a JDK 17 and Maven from Debian packages when they are missing.
ensure_toolchain() {
  if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
    echo "chorus: installing a JDK and Maven from Debian packages" >&2
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jdk-headless maven >/dev/null
  fi
}

# Builds the node's fat jar when it is missing or older than any source, pom or resource.
ensure_jar() {
  ensure_toolchain
  if [ -f "$CHORUS_JAR" ] && [ -z "$(find "$CHORUS_ROOT/pom.xml" "$CHORUS_ROOT/shared" "$CHORUS_ROOT/verticles" \
        -path '*/target' -prune -o -path '*/src/test' -prune -o -type f -newer "$CHORUS_JAR" -print -quit)" ]; then
    return 0
  fi
  echo "chorus: building the node jar" >&2
  (cd "$CHORUS_ROOT" && mvn -B -q -DskipTests -pl verticles/node -am package) >&2
}

# Exports CHORUS_JWT_SECRET from a per-checkout random development key, unless a key is
# already configured through the environment. Nothing in the repository holds a key.
ensure_dev_jwt_key() {
  if [ -n "${CHORUS_JWT_SECRET:-}" ] || [ -n "${CHORUS_JWT_PUBLIC_KEY:-}" ]; then
    return 0
  fi
  local file="$CHORUS_ROOT/.chorus/dev-jwt-secret"
  if [ ! -s "$file" ]; then
    mkdir -p "$(dirname "$file")"
    (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n/+=' > "$file")
  fi
  CHORUS_JWT_SECRET=$(cat "$file")
  export CHORUS_JWT_SECRET
}

# The module openings Hazelcast asks for at start-up (without them it runs, but slower).
HAZELCAST_OPENS="--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED \
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
  --add-opens java.management/sun.management=ALL-UNNAMED --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED"

# node_cpu_share N: the cores each of N nodes sharing this machine is told it has
# (-XX:ActiveProcessorCount): its share, at least 1, as a container's CPU limit would tell it.
# Sized for the whole machine, N JVMs' event loops, GC, JIT and Hazelcast threads
# oversubscribe it N times (docs/bench/findings.md, 23).
node_cpu_share() {
  local share=$(( $(nproc) / ($1 > 0 ? $1 : 1) ))
  echo $(( share > 0 ? share : 1 ))
}

# cpu_count_opt CPUS: the JVM option that tells a node it has CPUS cores; nothing for "all".
cpu_count_opt() {
  [ "$1" = all ] || echo "-XX:ActiveProcessorCount=$1"
}

# JVM options every node starts with, before JAVA_OPTS (whose options win). Metaspace's first
# collection threshold sits above the 55-80 MB of classes a node loads, so loading them
# triggers no collection: with the Serial collector, which the JVM picks for a node that is
# told of one core or given under 1.8 GB (scripts/cluster's nodes on 2 cores, a 1 GiB pod),
# each such collection was a full one of 48-268 ms in a node's first minute (findings 36).
NODE_JVM_DEFAULTS="-XX:MetaspaceSize=128m"

# Replaces the calling shell with a node: the one launch command of scripts/run, of the
# cluster scripts' nodes (scripts/lib/cluster.sh) and of the container image. Arguments go to
# the node (--roles ...).
exec_node() {
  cd "$CHORUS_ROOT" || return 1
  # shellcheck disable=SC2086
  exec java $HAZELCAST_OPENS $NODE_JVM_DEFAULTS ${JAVA_OPTS:-} -jar "$CHORUS_JAR" "$@"
}
