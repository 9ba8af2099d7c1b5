#!/usr/bin/env bash
# Builds both services and runs them locally; Ctrl-C stops everything.
#
#   scripts/run.sh              one backend on the embedded SQLite default (./data/backend.sqlite)
#   scripts/run.sh --postgres   a throwaway PostgreSQL server on loopback and two backend replicas on it
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
source scripts/lib/postgres.sh

postgres=false
case "${1:-}" in
    "") ;;
    --postgres) postgres=true ;;
    *) echo "usage: scripts/run.sh [--postgres]" >&2; exit 2 ;;
esac

ensure_build_dependencies
ensure_apt_packages curl
$postgres && ensure_postgres
swift build
bin="$(swift build --show-bin-path)"

# Local runs stop at once: the drain only matters while Kubernetes removes a pod from its endpoints.
export LOG_FORMAT="${LOG_FORMAT:-text}" DRAIN_SECONDS="${DRAIN_SECONDS:-0}"
mkdir -p data

pids=()
postgres_dir=
stop() {
    trap - INT TERM EXIT
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
    if [ -n "$postgres_dir" ]; then
        postgres_stop "$postgres_dir" || true
        rm -rf "$postgres_dir"
    fi
}
trap stop INT TERM EXIT

backends=(8081)
if $postgres; then
    postgres_dir=$(mktemp -d "${TMPDIR:-/tmp}/skalar-run-pg.XXXXXX")
    postgres_start "$postgres_dir"
    backends=(8081 8082)
    for index in "${!backends[@]}"; do
        PORT=${backends[$index]} ADMIN_PORT=$((9091 + index)) POD_NAME="backend-$index" DATABASE_URL=$POSTGRES_URL \
            "$bin/backend" &
        pids+=($!)
    done
else
    PORT=8081 ADMIN_PORT=9091 DATABASE_PATH=./data/backend.sqlite "$bin/backend" &
    pids+=($!)
fi
PORT=8080 ADMIN_PORT=9090 BACKEND_URL=http://127.0.0.1:8081 "$bin/frontend" &
pids+=($!)

for port in 8080 "${backends[@]}"; do
    for _ in $(seq 100); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && break
        sleep 0.1
    done
done

if $postgres; then
    cat <<URLS

  Skalar is running on PostgreSQL (Ctrl-C stops everything and drops the database):
    guestbook  http://127.0.0.1:8080/                            (the page; its backend is replica 0)
    backends   http://127.0.0.1:8081/api/v1/entries   http://127.0.0.1:8082/api/v1/entries   (replicas 0 and 1)
    admin      http://127.0.0.1:9090/faults   http://127.0.0.1:9091/faults   http://127.0.0.1:9092/faults
    probes     /healthz  /readyz  /metrics  /version   on ports 8080, 8081 and 8082
    database   $POSTGRES_URL
               (psql "$POSTGRES_URL"; its files are in $postgres_dir)

URLS
else
    cat <<URLS

  Skalar is running (Ctrl-C stops both services):
    guestbook  http://127.0.0.1:8080/                            (the page; also /api/entries, /api/info)
    backend    http://127.0.0.1:8081/api/v1/entries
    admin      http://127.0.0.1:9090/faults   http://127.0.0.1:9091/faults   (frontend, backend)
    probes     /healthz  /readyz  /metrics  /version   on ports 8080 and 8081

URLS
fi
wait "${pids[@]}"
