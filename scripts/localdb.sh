#!/usr/bin/env bash
# The checkout's own PostgreSQL cluster under var/pg: its own socket directory and a port
# picked per checkout (hash of the path, then the next free one), so two checkouts on one
# machine never share a cluster. initdb refuses root, so as root the cluster runs as `postgres`.
#   localdb.sh start        init if needed, start, create database `mapserver`
#   localdb.sh stop | status
#   localdb.sh url [DB]     the libpq URL of database DB (default mapserver)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
pgdir=${MAPSERVER_PGDIR:-$root/var/pg}  # tests point this at a throwaway cluster
data=$pgdir/data
log=$pgdir/server.log
hash=$(printf %s "$pgdir" | sha1sum | cut -c1-8)
sockdir=$pgdir/run
# Unix socket paths are limited to ~107 bytes; deep checkouts get theirs under /tmp.
if [ ${#sockdir} -gt 80 ]; then sockdir=/tmp/mapserver-pg-$hash; fi

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || [ -e "$sockdir/.s.PGSQL.$1" ]; }

pick_port() {
    local base=$(( 0x${hash:0:4} % 10000 + 20000 )) p
    for p in $(seq "$base" $((base + 500))); do
        if ! port_in_use "$p"; then echo "$p"; return; fi
    done
    echo "no free port near $base" >&2; exit 1
}

port() { cat "$pgdir/port"; }

running() { [ -f "$data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }

init() {
    [ -x "$bindir/initdb" ] || { echo "PostgreSQL 15 is not installed ($bindir/initdb missing): run 'make deps' as root, or apt-get install postgresql-15 postgresql-15-postgis-3" >&2; exit 1; }
    mkdir -p "$pgdir" "$sockdir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres:postgres "$pgdir" "$sockdir"
        if ! runuser -u postgres -- test -x "$pgdir"; then
            echo "user postgres cannot reach $pgdir: make its parent folders world-traversable (chmod o+x) or set DATABASE_URL" >&2
            exit 1
        fi
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$pgdir/initdb.log"
    fi
}

start() {
    init
    if ! running; then
        if [ ! -f "$pgdir/port" ] || port_in_use "$(port)"; then pick_port >"$pgdir/port"; fi
        as_owner "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 start \
            -o "-c listen_addresses='' -c port=$(port) -c unix_socket_directories=$sockdir -c synchronous_commit=off -c max_connections=200" >/dev/null
    fi
    if ! "$bindir/psql" "$(url postgres)" -tAc "SELECT 1 FROM pg_database WHERE datname = 'mapserver'" | grep -q 1; then
        "$bindir/createdb" -h "$sockdir" -p "$(port)" -U postgres mapserver
    fi
}

stop() {
    if running; then as_owner "$bindir/pg_ctl" -D "$data" -w -m fast stop >/dev/null; fi
}

url() { echo "postgresql://postgres@/${1:-mapserver}?host=$sockdir&port=$(port)"; }

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) if running; then echo "running: $(url)"; else echo "stopped"; exit 3; fi ;;
    url) url "${2:-mapserver}" ;;
    *) echo "usage: $0 start|stop|status|url [DB]" >&2; exit 2 ;;
esac
