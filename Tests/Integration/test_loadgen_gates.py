"""loadgen's gates decide a run, against a real server on loopback whose answers are drawn at random
as a weighted canary's are: the split gate never fails a true split by chance and never passes a wrong
one, says when a run is too small to tell, and failing traffic fails a run that asked for no gate."""

import json
import math
import re
from statistics import NormalDist

from test_loadgen import loadgen

CONFIDENCE = 0.999


def run(tmp_path, *args):
    path = tmp_path / "report.json"
    result = loadgen(*args, "--json", path, "--quiet", timeout=120)
    return result, json.loads(path.read_text())


def split_gate(data):
    return next(gate for gate in data["gates"] if gate["gate"] == "expect-split")


def responses_needed(share, tolerance_points, intervals=1):
    """The fewest responses whose Wilson interval at `share` is at most the tolerance either side: the
    gate's rule, computed here independently (Python's own normal quantile)."""
    z = NormalDist().inv_cdf(1 - (1 - CONFIDENCE) / (2 * intervals))
    t = tolerance_points / 100

    def half(n):
        return z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)

    n = 1
    while half(n) > t:
        n += 1
    return n


def test_a_true_50_50_split_passes_twenty_runs_of_twenty(split_server, tmp_path):
    """At the default 99.9%, a true split fails only if some share lands beyond tolerance plus its
    interval, about 7 standard deviations at the smallest decisive run: each run fails by chance far
    less often than 1 in 10^10, so twenty runs pass unless the gate is wrong."""
    server = split_server(0.5)
    needed = responses_needed(0.5, 3)
    for attempt in range(20):
        result, data = run(tmp_path, server.url, "--requests", needed + 200, "--expect-split", "v1=50,v2=50")
        assert result.returncode == 0, f"run {attempt + 1}: {result.stdout}"
        assert split_gate(data)["outcome"] == "pass"


def test_a_true_60_40_split_checked_as_50_50_fails(split_server, tmp_path):
    server = split_server(0.6)
    result, data = run(tmp_path, server.url, "--requests", 3000, "--expect-split", "v1=50,v2=50")
    assert result.returncode == 1, result.stdout
    gate = split_gate(data)
    assert gate["outcome"] == "fail" and data["outcome"] == "fail"
    assert "outside the expected share ±3 points at 99.9% confidence" in gate["detail"]
    assert "expect-split: FAIL" in result.stdout


def test_a_run_too_small_to_tell_says_how_many_it_needs_and_exits_3(split_server, tmp_path):
    server = split_server(0.5)
    needed = responses_needed(0.5, 3)
    result, data = run(tmp_path, server.url, "--requests", 1200, "--expect-split", "v1=50,v2=50")
    assert result.returncode == 3, result.stdout
    gate = split_gate(data)
    assert gate["outcome"] == "inconclusive" and data["outcome"] == "inconclusive" and data["passed"] is False
    assert f"about {needed} are needed" in gate["detail"], (needed, gate["detail"])
    assert "expect-split: INCONCLUSIVE" in result.stdout
    # Judged at the expected shares, so the verdict on the run's size does not depend on chance: the
    # number it names is enough.
    result, data = run(tmp_path, server.url, "--requests", needed, "--expect-split", "v1=50,v2=50")
    assert split_gate(data)["outcome"] == "pass", split_gate(data)["detail"]


def test_every_version_is_judged(split_server, tmp_path):
    """Three expected versions, and a version nobody expected, which counts as expected at 0%."""
    server = split_server(0.5)
    result, data = run(tmp_path, server.url, "--requests", 400, "--expect-split", "v1=40,v2=40,v3=20",
                       "--split-tolerance", 10)
    gate = split_gate(data)
    assert result.returncode == 1 and gate["outcome"] == "fail", gate["detail"]
    assert gate["detail"].startswith("v3 outside"), gate["detail"]
    result, data = run(tmp_path, server.url, "--requests", 400, "--expect-split", "v1=100")
    assert split_gate(data)["detail"].startswith("v1, v2 outside"), split_gate(data)["detail"]


def test_a_tolerance_of_zero_is_exact(split_server, tmp_path):
    only_v1 = split_server(1.0)
    result, data = run(tmp_path, only_v1.url, "--requests", 50, "--expect-split", "v1=100", "--split-tolerance", 0)
    assert result.returncode == 0 and split_gate(data)["outcome"] == "pass", result.stdout
    mostly = split_server(0.98)
    result, data = run(tmp_path, mostly.url, "--requests", 2000, "--expect-split", "v1=100", "--split-tolerance", 0)
    assert result.returncode == 1 and split_gate(data)["outcome"] == "fail", result.stdout
    result = loadgen(only_v1.url, "--expect-split", "v1=90,v2=10", "--split-tolerance", 0)
    assert result.returncode == 2 and "--split-tolerance 0 is exact" in result.stderr


def test_another_split_header(split_server, tmp_path):
    server = split_server(0.9)
    result, data = run(tmp_path, server.url, "--requests", 1500, "--expect-split", "stable=90,canary=10",
                       "--split-header", "x-track")
    assert result.returncode == 0, result.stdout
    assert set(data["versions"]["x-track"]) == {"stable", "canary"}
    result, data = run(tmp_path, server.url, "--requests", 100, "--split-header", "x-app-version",
                       "--expect-split", "v1=50,v2=50", "--split-tolerance", 40)
    assert result.returncode == 0, "the version header, whatever its case"
    assert loadgen(server.url, "--split-header", "bad header").returncode == 2


def test_no_response_with_the_header_is_inconclusive(split_server, tmp_path):
    server = split_server(0.5)
    result, data = run(tmp_path, server.url, "--requests", 100, "--expect-split", "v1=50,v2=50",
                       "--split-header", "X-Canary")
    assert result.returncode == 3
    assert split_gate(data)["detail"].startswith("no response carried X-Canary")


def test_failing_traffic_fails_a_run_without_gates(split_server, tmp_path):
    server = split_server(0.5)
    result, data = run(tmp_path, server.url + "/fail/1", "--requests", 100)
    assert result.returncode == 1, "every request failed"
    assert {"gate": "requests", "outcome": "fail", "passed": False, "detail": "all 100 requests failed"} in data["gates"]
    result, data = run(tmp_path, server.url + "/fail/1", "--requests", 100, "--max-error-rate", 1)
    assert result.returncode == 1, "loosening the error gate does not pass a run that never succeeded"

    result, data = run(tmp_path, server.url + "/fail/20", "--requests", 400)
    assert result.returncode == 1 and data["errorRate"] == 0.05
    gate = next(gate for gate in data["gates"] if gate["gate"] == "max-error-rate")
    assert gate == {"gate": "max-error-rate", "outcome": "fail", "passed": False,
                    "detail": "5% failed, limit 1% (the default; --max-error-rate sets it)"}
    result, data = run(tmp_path, server.url + "/fail/20", "--requests", 400, "--max-error-rate", 0.1)
    assert result.returncode == 0 and data["outcome"] == "pass"


def test_confidence_is_checked(split_server):
    server = split_server(0.5)
    for bad in ("100", "42", "high"):
        result = loadgen(server.url, "--confidence", bad)
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, (bad, result.stderr)


def p99_samples_needed(intervals=2):
    """The fewest samples whose p99 has an upper bound: the gate's rank rule, computed here independently."""
    z = NormalDist().inv_cdf(1 - (1 - CONFIDENCE) / (2 * intervals))
    n = 1
    while math.ceil(n * 0.99 + z * math.sqrt(n * 0.99 * 0.01)) + 1 > n:
        n += 1
    return n


def gate(data, name):
    return next(gate for gate in data["gates"] if gate["gate"] == name)


def test_each_version_has_its_own_counts_errors_and_latency(split_server, tmp_path):
    server = split_server(0.5)
    result, data = run(tmp_path, server.url + "/canary-fails/10/canary-delay/20", "--requests", 2000,
                       "--max-error-rate", 1)
    assert result.returncode == 0, result.stdout
    split = data["byVersion"]
    assert split["header"] == "X-App-Version" and set(split["versions"]) == {"v1", "v2"}
    v1, v2 = split["versions"]["v1"], split["versions"]["v2"]
    assert v1["count"] + v2["count"] == 2000 and abs(v1["percent"] + v2["percent"] - 100) < 0.01
    assert v1["errorRate"] == 0 and abs(v2["errorRate"] - 0.1) < 0.002, "every 10th v2 answer failed"
    assert v2["latencyMs"]["p50"] >= 20 > v1["latencyMs"]["p50"], "each version's latency is its own"
    assert v1["latencyMs"]["p50"] <= v1["latencyMs"]["p90"] <= v1["latencyMs"]["p99"]
    assert re.search(r"By version X-App-Version v2: \d+ \([\d.]+%\), failed (9|10)(\.\d+)?%, p50 2\d", result.stdout), result.stdout


def test_error_rate_delta_gate(split_server, tmp_path):
    server = split_server(0.5)
    args = ("--requests", 3000, "--max-error-rate", 1, "--max-error-rate-delta", "v2/v1=0.02")
    result, data = run(tmp_path, server.url + "/canary-fails/10", *args)
    assert result.returncode == 1 and gate(data, "max-error-rate-delta v2/v1")["outcome"] == "fail", result.stdout
    assert re.match(r"v2 fails more; v2 (9|10)(\.\d+)?% failed of \d+, v1 0% of \d+: difference \+",
                    gate(data, "max-error-rate-delta v2/v1")["detail"])
    result, data = run(tmp_path, server.url, *args)
    assert result.returncode == 0, result.stdout
    result, data = run(tmp_path, server.url, "--requests", 200, "--max-error-rate-delta", "v2/v1=0.02")
    assert result.returncode == 3 and gate(data, "max-error-rate-delta v2/v1")["outcome"] == "inconclusive"
    result, data = run(tmp_path, server.url, "--requests", 200, "--max-error-rate-delta", "v3/v1=0.02")
    assert result.returncode == 3 and "v3 never answered" in gate(data, "max-error-rate-delta v3/v1")["detail"]


def test_p99_ratio_gate(split_server, tmp_path):
    """Every answer waits 100 ms, so the tails are the server's sleep: a scheduling stall of the machine
    (48 ms was seen under load) widens each p99's upper bound by its own length, and the gate at R = 3
    stays decisive until a stall passes 200 ms. The slow canary waits a second more."""
    server = split_server(0.5)
    needed = p99_samples_needed()
    args = ("--requests", 2 * needed + 600, "--connections", 200, "--max-p99-ratio", "v2/v1=3")
    result, data = run(tmp_path, server.url + "/delay/100/canary-delay/1000", *args)
    assert result.returncode == 1 and gate(data, "max-p99-ratio v2/v1")["outcome"] == "fail", result.stdout
    result, data = run(tmp_path, server.url + "/delay/100", *args)
    assert result.returncode == 0, result.stdout
    result, data = run(tmp_path, server.url + "/delay/5", "--requests", 1000, "--max-p99-ratio", "v2/v1=2")
    detail = gate(data, "max-p99-ratio v2/v1")["detail"]
    assert result.returncode == 3 and f"each needs {needed}" in detail, detail


def test_comparison_gates_are_checked(split_server):
    server = split_server(0.5)
    for option, value in [("--max-error-rate-delta", "v2/v1=0"), ("--max-error-rate-delta", "v2=0.1"),
                          ("--max-error-rate-delta", "v1/v1=0.1"), ("--max-p99-ratio", "v2/v1=1"),
                          ("--max-p99-ratio", "v2/v1=fast")]:
        result = loadgen(server.url, option, value)
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, (option, value, result.stderr)
