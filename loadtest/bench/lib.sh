# Shared pieces of the benchmark scripts; sourced, not run.
# Env: BENCH_ROUNDS (7), BENCH_SECONDS (3), BENCH_WARMUP_SECONDS (1), BENCH_STARTS (5),
#      BENCH_CONNS ("50 200"), SERVER_CPU (0), LOAD_CPU (1).
#
# A script starts every server it compares, declares its cases (add_case), and run_rounds measures each
# case once per round, round-robin. Machine drift (other work, CPU frequency) moves the runs of one round
# alike, so it cancels in the ratio of a case to its peer measured in the same round; a row shows the
# median over the rounds and the min–max of the per-round ratios.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=${BENCH_ROUNDS:-7}
seconds=${BENCH_SECONDS:-3}
warmup_seconds=${BENCH_WARMUP_SECONDS:-1}
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
    if ((rounds < 1)); then echo "BENCH_ROUNDS must be at least 1" >&2; exit 2; fi
    mkdir -p "$out"
}

# The services as the container images ship them: release, Swift runtime linked statically.
build_services() {
    (cd "$root" && swift build -c release --static-swift-stdlib >&2)
}

# Servers and their probes. Each server runs under start_probe.py, which stays its parent: terminating
# the probe stops and reaps the server.
probes=()

# stop_probe PID   stops one server through its probe
stop_probe() {
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    local kept=() pid
    for pid in "${probes[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
    probes=("${kept[@]}")
}

# stop_all   stops every server still running (the scripts' EXIT trap)
stop_all() {
    while ((${#probes[@]})); do stop_probe "${probes[0]}"; done
}

# start PORT [VAR=VALUE...] -- CMD...   starts a server that keeps running; sets server_pid, startup_ms
# and probe_pid
start() {
    local p=$1 vars=() fifo
    shift
    while [[ $1 != -- ]]; do vars+=("$1"); shift; done
    shift
    # A FIFO rather than a coproc: bash keeps one coproc at a time, and the servers run side by side.
    fifo=$out/probe-$p.fifo
    rm -f "$fifo"
    mkfifo "$fifo"
    env "${vars[@]}" python3 "$here/start_probe.py" "$server_cpu" "$load_cpu" "$p" "$@" >"$fifo" &
    probe_pid=$!
    probes+=("$probe_pid")
    read -r server_pid startup_ms <"$fifo" || { rm -f "$fifo"; echo "server on :$p never answered 200" >&2; exit 1; }
    rm -f "$fifo"
}

# start_measured PORT [VAR=VALUE...] -- CMD...   like start, but startup_ms is the median of BENCH_STARTS
# starts (one start varies by several ms with page cache and scheduling); the last one keeps running.
start_measured() {
    local times=() k
    for ((k = 1; k <= starts; k++)); do
        ((k == 1)) || stop_probe "$probe_pid"
        start "$@"
        times+=("$startup_ms")
    done
    startup_ms=$(median "${times[@]}")
}

idle_rss_mib() {
    sleep 1   # after start-up settles, before any load
    awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status"
}

# median VALUE...   the middle value, or the mean of the middle two
# a / b with two decimals.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.10g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
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

# The cases: what one run measures, and the case it is compared with.
case_slug=() case_group=() case_peer=() case_label=() case_args=()
declare -A result_rps result_p50 result_p99 result_extra

# add_case SLUG GROUP PEER LABEL MEASURE [ARGS...]   sets last_case to the new case's index
#   SLUG names its raw output files; cases of one GROUP (a connection count) run next to each other in a
#   round; PEER is the index of the case this one's ratio is taken to ("self" for a peer);
#   `MEASURE LOG ARGS...` runs once and sets rps, p50 and p99 (and extra, a per-run figure of the script's).
add_case() {
    local slug=$1 group=$2 peer=$3 label=$4
    shift 4
    last_case=${#case_slug[@]}
    if [[ $peer == self ]]; then peer=$last_case; fi
    case_slug+=("$slug") case_group+=("$group") case_peer+=("$peer") case_label+=("$label")
    case_args+=("$(printf '%q ' "$@")")
}

# measure CASE LOG   runs a case once
measure() {
    local -a command
    eval "command=(${case_args[$1]})"
    extra=""
    "${command[0]}" "$2" "${command[@]:1}"
}

# run_rounds   an unrecorded warm-up run of every case (BENCH_WARMUP_SECONDS, 0 for none), then
# BENCH_ROUNDS rounds. A round runs each group's cases one after the other, starting one case further
# on each round, so that no case always holds the same place in the round.
run_rounds() {
    local groups=() group members i k r measured_seconds=$seconds
    mapfile -t groups < <(printf '%s\n' "${case_group[@]}" | awk '!seen[$0]++')
    if ((warmup_seconds > 0)); then
        seconds=$warmup_seconds
        for i in "${!case_slug[@]}"; do measure "$i" "$out/${case_slug[$i]}-warmup.txt"; done
        seconds=$measured_seconds
    fi
    for ((r = 1; r <= rounds; r++)); do
        for group in "${groups[@]}"; do
            members=()
            for i in "${!case_slug[@]}"; do
                if [[ ${case_group[$i]} == "$group" ]]; then members+=("$i"); fi
            done
            for ((k = 0; k < ${#members[@]}; k++)); do
                i=${members[$(((k + r - 1) % ${#members[@]}))]}
                measure "$i" "$out/${case_slug[$i]}-round$r.txt"
                result_rps[$i,$r]=$rps result_p50[$i,$r]=$p50 result_p99[$i,$r]=$p99 result_extra[$i,$r]=$extra
                printf 'round %d/%d: %s, %s conns: %.0f req/s\n' "$r" "$rounds" "${case_label[$i]}" "$group" "$rps" >&2
            done
        done
    done
}

# summarize CASE   sets, over the rounds: med_rps, med_p50, med_p99, med_extra, ratio_med and
# ratio_spread (per-round ratios to the peer; "–" for a peer), and p50_added (median per-round p50
# minus the peer's, in ms)
summarize() {
    local i=$1 peer=${case_peer[$1]} r rps_list=() p50_list=() p99_list=() extra_list=() ratios=() added=()
    for ((r = 1; r <= rounds; r++)); do
        rps_list+=("${result_rps[$i,$r]}") p50_list+=("${result_p50[$i,$r]}") p99_list+=("${result_p99[$i,$r]}")
        if [[ -n ${result_extra[$i,$r]} ]]; then extra_list+=("${result_extra[$i,$r]}"); fi
        ratios+=("$(awk -v a="${result_rps[$i,$r]}" -v b="${result_rps[$peer,$r]}" 'BEGIN { print a / b }')")
        added+=("$(awk -v a="${result_p50[$i,$r]}" -v b="${result_p50[$peer,$r]}" 'BEGIN { print a - b }')")
    done
    med_rps=$(printf '%.0f' "$(median "${rps_list[@]}")")
    med_p50=$(printf '%.3f' "$(median "${p50_list[@]}")")
    med_p99=$(printf '%.3f' "$(median "${p99_list[@]}")")
    med_extra=""
    if ((${#extra_list[@]})); then med_extra=$(median "${extra_list[@]}"); fi
    ratio_med=$(printf '%.2f' "$(median "${ratios[@]}")")
    p50_added=$(printf '%+.3f' "$(median "${added[@]}")")
    if ((peer == i)); then
        ratio_spread="–"
    else
        ratio_spread=$(printf '%s\n' "${ratios[@]}" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f–%.2f", lo, hi }')
    fi
}

# method_line WHAT   the line under a table's title that says how it was measured
method_line() {
    echo "$1: $rounds rounds of ${seconds}s runs, round-robin (after a ${warmup_seconds}s warm-up of each); medians over the rounds"
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
