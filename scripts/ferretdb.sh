#!/usr/bin/env bash
# Builds FerretDB 1.x (a MongoDB-wire server on SQLite) from the Go module proxy
# into .tools/ferretdb/ once, then starts it. Used by .ci/run for the MongoDB tests.
#   scripts/ferretdb.sh build          -> prints the binary's path
#   scripts/ferretdb.sh start <port>   -> starts it in the background, prints its mongodb:// URL
set -euo pipefail

version=v1.24.2
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.tools/ferretdb"
bin="$dir/ferretdb-$version"

build() {
  [ -x "$bin" ] && return
  command -v go >/dev/null 2>&1 || { echo "ferretdb: Go is needed to build FerretDB" >&2; return 1; }
  mkdir -p "$dir"
  echo "ferretdb: building FerretDB $version (about a minute, once)" >&2
  local src work
  src=$(go mod download -json "github.com/FerretDB/FerretDB@$version" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
  [ -n "$src" ] || { echo "ferretdb: could not download the module" >&2; return 1; }
  work=$(mktemp -d)
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
  # A module download has no git metadata; FerretDB reads its version from this file instead.
  echo "$version" > "$work/build/version/version.txt"
  (cd "$work" && GOFLAGS=-mod=mod go build -o "$bin.tmp" ./cmd/ferretdb)
  mv "$bin.tmp" "$bin"
  rm -rf "$work"
}

case "${1:-}" in
  build)
    build
    echo "$bin"
    ;;
  start)
    port="${2:?port}"
    build
    data="$dir/data-$port"
    rm -rf "$data" && mkdir -p "$data"
    "$bin" --handler=sqlite --sqlite-url="file:$data/" --listen-addr="127.0.0.1:$port" \
      --telemetry=disable --state-dir=- --debug-addr=- --log-level=warn > "$dir/ferretdb-$port.log" 2>&1 &
    echo $! > "$dir/ferretdb-$port.pid"
    for _ in $(seq 1 100); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "mongodb://127.0.0.1:$port/"
        exit 0
      fi
      sleep 0.1
    done
    echo "ferretdb: did not start; log:" >&2
    cat "$dir/ferretdb-$port.log" >&2
    exit 1
    ;;
  *)
    echo "usage: scripts/ferretdb.sh build | start <port>" >&2
    exit 2
    ;;
esac
