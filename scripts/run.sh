#!/usr/bin/env bash
# Builds both services and runs them locally on the embedded SQLite default; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh

ensure_build_dependencies
ensure_apt_packages curl
swift build
bin="$(swift build --show-bin-path)"

# Local runs stop at once: the drain only matters while Kubernetes removes a pod from its endpoints.
export LOG_FORMAT="${LOG_FORMAT:-text}" DRAIN_SECONDS="${DRAIN_SECONDS:-0}"
mkdir -p data

pids=()
stop() {
    trap - INT TERM EXIT
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

PORT=8081 ADMIN_PORT=9091 DATABASE_PATH=./data/backend.sqlite "$bin/backend" &
pids+=($!)
PORT=8080 ADMIN_PORT=9090 BACKEND_URL=http://127.0.0.1:8081 "$bin/frontend" &
pids+=($!)

for url in http://127.0.0.1:8081/readyz http://127.0.0.1:8080/readyz; do
    for _ in $(seq 100); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && break
        sleep 0.1
    done
done

cat <<URLS

  Skalar is running (Ctrl-C stops both services):
    guestbook  http://127.0.0.1:8080/                            (the page; also /api/entries, /api/info)
    backend    http://127.0.0.1:8081/api/v1/entries
    admin      http://127.0.0.1:9090/faults   http://127.0.0.1:9091/faults   (frontend, backend)
    probes     /healthz  /readyz  /metrics  /version   on ports 8080 and 8081

URLS
wait "${pids[@]}"
