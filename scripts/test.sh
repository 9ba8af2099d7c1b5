#!/usr/bin/env bash
# Runs every test: the Helm chart tests, the Swift unit tests, the integration tests and drills against
# the real binaries (the backend's on SQLite and on a throwaway PostgreSQL server), bounded fuzzing, and
# the container images built and run with podman.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
source scripts/lib/postgres.sh

ensure_build_dependencies
ensure_postgres   # the backend's PostgreSQL tests run against a real server
ensure_apt_packages prometheus   # promtool checks the /metrics output
ensure_apt_packages chromium chromium-driver   # the browser test of the page
ensure_test_python
source scripts/lib/chart-tools.sh; run_chart_tests   # the Helm chart: lint, validation, checkov, assertions
.venv-test/bin/pytest -q Tests/Architecture   # swift format lint and line width, the runtime's floors and C wall

swift build --build-tests
swift test --skip-build

# A PostgreSQL server on loopback for the integration tests, which make a database per test on it.
postgres_dir=$(mktemp -d "${TMPDIR:-/tmp}/skalar-test-pg.XXXXXX")
trap 'postgres_stop "$postgres_dir" || true; rm -rf "$postgres_dir"' EXIT
postgres_start "$postgres_dir"
SKALAR_TEST_DATABASE_URL=$POSTGRES_URL SKALAR_BIN_DIR="$(swift build --show-bin-path)" \
    .venv-test/bin/pytest -q Tests/Integration "$@"
postgres_stop "$postgres_dir"
scripts/fuzz.sh 100000
scripts/test-images.sh   # the real Dockerfiles built and run with podman
