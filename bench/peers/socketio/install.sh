#!/usr/bin/env bash
# Installs the Socket.IO peer's pinned dependencies (package-lock.json) into node_modules.
# Idempotent: does nothing when node_modules already matches the lock file.
set -euo pipefail
cd "$(dirname "$0")"
# Like ensure_toolchain for the JDK: Node.js and npm from Debian packages when missing
# (Debian 12 has Node.js 18, enough for socket.io 4.8; the benchmarks were run on 20).
if ! command -v npm >/dev/null 2>&1; then
  echo "socket.io peer: installing Node.js and npm from Debian packages" >&2
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null
fi
# npm writes its own copy of the lock into node_modules; equal means already installed.
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] \
    && [ -d node_modules/socket.io ] && [ -d node_modules/@socket.io/postgres-adapter ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
