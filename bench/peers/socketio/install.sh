#!/usr/bin/env bash
# Installs the Socket.IO peer's pinned dependencies (package-lock.json) into node_modules.
# Idempotent: does nothing when node_modules already matches the lock file.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
  echo "socket.io peer: npm (Node.js 20+) is required; install Node.js first" >&2
  exit 1
fi
# npm writes its own copy of the lock into node_modules; equal means already installed.
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] \
    && [ -d node_modules/socket.io ] && [ -d node_modules/@socket.io/postgres-adapter ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
