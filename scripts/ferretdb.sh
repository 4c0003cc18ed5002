#!/usr/bin/env bash
# Builds FerretDB 1.x (a MongoDB-wire server on SQLite) from the Go module proxy
# into .tools/ferretdb/ once, then starts it. Used by .ci/run for the MongoDB tests.
#   scripts/ferretdb.sh build          -> prints the binary's path
#   scripts/ferretdb.sh start <port>   -> starts it in the background, prints its mongodb:// URL
#   scripts/ferretdb.sh start-pg <port> -> the same on a PostgreSQL cluster of its own (benches)
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

# Prints the URL once FerretDB listens on port $1; its log and a failure after 10 s.
announce() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
      echo "mongodb://127.0.0.1:$1/"
      return 0
    fi
    sleep 0.1
  done
  echo "ferretdb: did not start; log:" >&2
  cat "$dir/ferretdb-$1.log" >&2
  return 1
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
    announce "$port"
    ;;
  start-pg)
    # FerretDB on PostgreSQL instead of SQLite, for the two-instance bench (docs/deployment.md):
    # a cluster of its own under .tools/ferretdb/pg-<port>, listening on <port>+1, from Debian's
    # postgresql package (installed once when missing). PostgreSQL refuses to run as root, so
    # as root the cluster runs as the package's postgres user.
    port="${2:?port}"
    build
    pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    if [ -z "$pgbin" ]; then
      apt-get install -y postgresql >&2
      pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
    as_pg=()
    [ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)
    pgdata="$dir/pg-$port"
    pgport=$((port + 1))
    [ -f "$pgdata/postmaster.pid" ] && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -m fast stop >&2 || true
    rm -rf "$pgdata" && mkdir -p "$pgdata"
    [ "$(id -u)" = 0 ] && chown postgres "$pgdata"
    "${as_pg[@]}" "$pgbin/initdb" -D "$pgdata" -A trust -U postgres >/dev/null
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w \
      -o "-p $pgport -k $pgdata -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
    "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U postgres ferretdb
    "$bin" --handler=pg --postgresql-url="postgres://postgres@127.0.0.1:$pgport/ferretdb" \
      --listen-addr="127.0.0.1:$port" --telemetry=disable --state-dir=- --debug-addr=- \
      --log-level=warn > "$dir/ferretdb-$port.log" 2>&1 &
    echo $! > "$dir/ferretdb-$port.pid"
    announce "$port"
    ;;
  *)
    echo "usage: scripts/ferretdb.sh build | start <port> | start-pg <port>" >&2
    exit 2
    ;;
esac
