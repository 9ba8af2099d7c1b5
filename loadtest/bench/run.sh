#!/usr/bin/env bash
# Compares Skalar backend's /healthz with a minimal C evhttp server; see README.md.
# Env: BENCH_SECONDS (10), BENCH_STARTS (5), BENCH_CONNS ("50 200"), BENCH_PORT (18090, +0..2 per server),
#      SERVER_CPU (0), LOAD_CPU (1), BACKEND (.build/release/backend).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${BENCH_SECONDS:-10}
starts=${BENCH_STARTS:-5}
read -ra conns <<<"${BENCH_CONNS:-50 200}"
port=${BENCH_PORT:-18090}
server_cpu=${SERVER_CPU:-0}
load_cpu=${LOAD_CPU:-1}
backend=${BACKEND:-$root/.build/release/backend}
out=$root/.build-bench   # gitignored; keeps the compiled C server and raw wrk output for a look afterwards

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v gcc >/dev/null || need+=(gcc)
[[ -f /usr/include/event2/http.h ]] || need+=(libevent-dev)
if ((${#need[@]})); then
    apt-get install -y "${need[@]}" || { apt-get update && apt-get install -y "${need[@]}"; }
fi
if [[ ! -x $backend ]]; then
    echo "no backend binary at $backend; build it: swift build -c release --product backend" >&2
    exit 1
fi

mkdir -p "$out"
gcc -O2 -Wall -o "$out/c-evhttp-server" "$here/c-evhttp-server.c" -levent

stop() {
    # The probe is the server's parent: terminating it stops and reaps the server.
    if [[ -n ${PROBE_PID:-} ]]; then
        kill -TERM "$PROBE_PID" 2>/dev/null || true
        wait "$PROBE_PID" 2>/dev/null || true
    fi
}
trap stop EXIT
trap 'exit 130' INT TERM

# start PORT [VAR=VALUE...] -- CMD...   sets server_pid and startup_ms
start() {
    local p=$1 vars=()
    shift
    while [[ $1 != -- ]]; do vars+=("$1"); shift; done
    shift
    coproc PROBE { exec env "${vars[@]}" python3 "$here/start_probe.py" "$server_cpu" "$load_cpu" "$p" "$@"; }
    read -r server_pid startup_ms <&"${PROBE[0]}" || { echo "server on :$p never answered 200" >&2; exit 1; }
}

# wrk prints latencies as 812.00us, 1.23ms or 1.05s; the tables use ms.
to_ms() {
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/) n *= 1000; printf "%.3f", n }'
}

names=("C evhttp" "Skalar, access log off" "Skalar, access log on")
rows=() usage=() notes=()
declare -A c_rps

for i in 0 1 2; do
    name=${names[$i]} p=$((port + i))
    # DRAIN_SECONDS=0: the default drain would keep each stop waiting 5 s.
    skalar=(PORT=$p ADMIN_PORT=0 BIND_ADDRESS=127.0.0.1 EVENT_LOOPS=1 LOG_FORMAT=json DRAIN_SECONDS=0)
    # One start→first 200 varies by several ms (page cache, scheduling): report the median of a few
    # starts, and keep the last one running for the rest.
    times=()
    for ((k = 1; k <= starts; k++)); do
        ((k == 1)) || stop
        case $i in
            0) start "$p" -- "$out/c-evhttp-server" "$p" ;;
            1) start "$p" "${skalar[@]}" ACCESS_LOG=false LOG_LEVEL=warning -- "$backend" ;;
            # /healthz is an operational route, access-logged at debug level: without LOG_LEVEL=debug
            # ACCESS_LOG=true would write nothing for it and this row would repeat the one above.
            2) start "$p" "${skalar[@]}" ACCESS_LOG=true LOG_LEVEL=debug -- "$backend" ;;
        esac
        times+=("$startup_ms")
    done
    startup_ms=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }')
    sleep 1   # idle RSS means after start-up settles, before any load
    rss=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status")
    usage+=("| $name | $rss | $startup_ms |")

    for c in "${conns[@]}"; do
        log=$out/wrk-$i-c$c.txt
        taskset -c "$load_cpu" wrk -t1 -c"$c" -d"${seconds}s" --latency "http://127.0.0.1:$p/healthz" >"$log"
        rps=$(awk '/^Requests\/sec:/ { print $2 }' "$log")
        p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$log")")
        p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$log")")
        if ((i == 0)); then c_rps[$c]=$rps; fi
        ratio=$(awk -v s="$rps" -v c="${c_rps[$c]}" 'BEGIN { printf "%.2f", s / c }')
        rows+=("| $name | $c | $rps | ${ratio}× | $p50 | $p99 |")
        while read -r line; do notes+=("$name, $c conns: $line"); done \
            < <(grep -E 'Non-2xx|Socket errors' "$log" || true)
    done
    stop
done

echo
echo "/healthz, ${seconds}s per run, wrk -t1 on CPU $load_cpu, server on CPU $server_cpu (latencies in ms)"
echo
echo "| server | conns | req/s | ratio to C | p50 | p99 |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "| server | idle RSS MiB | start→first 200 ms (median of $starts) |"
echo "|---|---|---|"
printf '%s\n' "${usage[@]}"
echo
if ((${#notes[@]})); then
    echo "wrk reported problems (raw output in $out):"
    printf '  %s\n' "${notes[@]}"
else
    echo "wrk: no socket errors, no non-2xx responses (raw output in $out)"
fi
