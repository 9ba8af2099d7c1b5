# Shared pieces of the benchmark scripts; sourced, not run.
# Env: BENCH_SECONDS (10), BENCH_STARTS (5), BENCH_CONNS ("50 200"), SERVER_CPU (0), LOAD_CPU (1).

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${BENCH_SECONDS:-10}
starts=${BENCH_STARTS:-5}
read -ra conns <<<"${BENCH_CONNS:-${default_conns:-50 200}}"
server_cpu=${SERVER_CPU:-0}
load_cpu=${LOAD_CPU:-1}
out=$root/.build-bench   # gitignored; keeps compiled helpers and raw wrk output for a look afterwards
bin=$root/.build/release

ensure_tools() {
    local need=()
    command -v wrk >/dev/null || need+=(wrk)
    command -v gcc >/dev/null || need+=(gcc)
    [[ -f /usr/include/event2/http.h ]] || need+=(libevent-dev)
    if ((${#need[@]})); then
        apt-get install -y "${need[@]}" || { apt-get update && apt-get install -y "${need[@]}"; }
    fi
    mkdir -p "$out"
}

# The services as the container images ship them: release, Swift runtime linked statically.
build_services() {
    (cd "$root" && swift build -c release --static-swift-stdlib >&2)
}

stop() {
    # The probe is the server's parent: terminating it stops and reaps the server.
    if [[ -n ${PROBE_PID:-} ]]; then
        kill -TERM "$PROBE_PID" 2>/dev/null || true
        wait "$PROBE_PID" 2>/dev/null || true
    fi
}

# start PORT [VAR=VALUE...] -- CMD...   sets server_pid and startup_ms
start() {
    local p=$1 vars=()
    shift
    while [[ $1 != -- ]]; do vars+=("$1"); shift; done
    shift
    coproc PROBE { exec env "${vars[@]}" python3 "$here/start_probe.py" "$server_cpu" "$load_cpu" "$p" "$@"; }
    read -r server_pid startup_ms <&"${PROBE[0]}" || { echo "server on :$p never answered 200" >&2; exit 1; }
}

# start_measured PORT [VAR=VALUE...] -- CMD...   like start, but startup_ms is the median of BENCH_STARTS
# starts (one start varies by several ms with page cache and scheduling); the last one keeps running.
start_measured() {
    local times=() k
    for ((k = 1; k <= starts; k++)); do
        ((k == 1)) || stop
        start "$@"
        times+=("$startup_ms")
    done
    startup_ms=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }')
}

idle_rss_mib() {
    sleep 1   # after start-up settles, before any load
    awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status"
}

# wrk prints latencies as 812.00us, 1.23ms or 1.05s; the tables use ms.
to_ms() {
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/) n *= 1000; printf "%.3f", n }'
}

# run_wrk LOG CONNS URL [wrk args...]   sets rps, p50, p99; records wrk's complaints in notes
run_wrk() {
    local log=$1 c=$2 url=$3
    shift 3
    taskset -c "$load_cpu" wrk -t1 -c"$c" -d"${seconds}s" --latency "$@" "$url" >"$log"
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$log")
    p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$log")")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$log")")
    while read -r line; do notes+=("$(basename "$log" .txt): $line"); done < <(grep -E 'Non-2xx|Socket errors' "$log" || true)
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

print_notes() {
    if ((${#notes[@]})); then
        echo "wrk reported problems (raw output in $out):"
        printf '  %s\n' "${notes[@]}"
    else
        echo "wrk: no socket errors, no non-2xx responses (raw output in $out)"
    fi
}

notes=()
