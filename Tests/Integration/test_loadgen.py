"""The load generator against the real services and scripted peers on loopback."""

import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import BIN_DIR, free_port


def loadgen(*args, timeout=60):
    env = {"PATH": os.environ.get("PATH", ""), "LOADGEN_EVENT_LOOPS": "1"}
    return subprocess.run([str(BIN_DIR / "loadgen"), *map(str, args)], env=env, capture_output=True, text=True, timeout=timeout)


def report(tmp_path, *args, timeout=60):
    path = tmp_path / "report.json"
    result = loadgen(*args, "--json", path, "--quiet", timeout=timeout)
    return result, json.loads(path.read_text()) if path.exists() else None


@pytest.fixture
def versions(start_service):
    """Two frontends that answer with different versions, sharing one backend."""
    backend = start_service("backend")
    url = f"http://127.0.0.1:{backend.port}"
    v1 = start_service("frontend", BACKEND_URL=url, APP_VERSION="v1", ACCESS_LOG="false")
    v2 = start_service("frontend", BACKEND_URL=url, APP_VERSION="v2", ACCESS_LOG="false")
    return f"http://127.0.0.1:{v1.port}", f"http://127.0.0.1:{v2.port}"


def test_counts_add_up(versions, tmp_path):
    v1, _ = versions
    result, data = report(tmp_path, v1, "--requests", 700, "--connections", 8, "--mix", "page=1,list=8,post=1")
    assert result.returncode == 0, result.stdout + result.stderr
    completed = data["requests"]["completed"]
    assert completed == 700
    assert sum(data["status"].values()) + sum(data["errors"].values()) == completed
    assert data["status"] == {"200": 630, "201": 70}, "the mix's proportions, exactly"
    assert "Requests   700 in" in result.stdout


def test_open_loop_rate_is_accurate(versions, tmp_path):
    v1, _ = versions
    result, data = report(tmp_path, v1 + "/healthz", "--rate", 250, "--duration", "4s")
    assert result.returncode == 0
    achieved = data["requests"]["perSecond"]
    assert abs(achieved - 250) / 250 <= 0.02, f"{achieved} req/s for 250"
    assert data["requests"]["completed"] == 1000


def test_split_tally_and_expect_split(versions, tmp_path):
    v1, v2 = versions
    targets = [v1] * 9 + [v2]
    # Targets in turn make the split exact; ±8 points is what 400 responses can judge (test_loadgen_gates.py
    # has the statistics).
    result, data = report(tmp_path, *targets, "--requests", 400, "--expect-split", "v1=90,v2=10", "--split-tolerance", 8)
    assert result.returncode == 0, result.stdout
    split = data["versions"]["X-App-Version"]
    assert split["v1"]["percent"] == 90 and split["v2"]["percent"] == 10
    assert data["versions"]["X-Backend-Version"]["dev"]["count"] == 400

    result, data = report(tmp_path, *targets, "--requests", 400, "--expect-split", "v1=50,v2=50")
    assert result.returncode == 1 and data["passed"] is False
    assert "expect-split: FAIL" in result.stdout
    result, _ = report(tmp_path, v1, "--requests", 1200, "--expect-split", "v1=90,v2=10")
    assert result.returncode == 1, "a version that never answered fails the split"


def test_error_rate_and_p99_gates(versions, tmp_path):
    v1, _ = versions
    assert report(tmp_path, v1 + "/healthz", "--requests", 200, "--max-error-rate", 0)[0].returncode == 0
    result, data = report(tmp_path, v1 + "/status/503", "--requests", 200, "--max-error-rate", 0.5)
    assert result.returncode == 1 and data["errorRate"] == 1
    assert data["status"] == {"503": 200}
    assert report(tmp_path, v1 + "/healthz", "--requests", 200, "--max-p99", "1s")[0].returncode == 0
    result, data = report(tmp_path, v1 + "/delay/60", "--requests", 40, "--max-p99", "20ms")
    assert result.returncode == 1 and data["latencyMs"]["p99"] >= 60


def test_refused_and_stalled_targets_are_counted_and_the_run_ends_on_time(tmp_path):
    started = time.monotonic()
    result, data = report(tmp_path, f"http://127.0.0.1:{free_port()}", "--rate", 50, "--duration", "1s")
    assert data["errors"] == {"connect": 50} and time.monotonic() - started < 3

    stall = socket.socket()
    stall.bind(("127.0.0.1", 0))
    stall.listen(100)
    accepted = []
    threading.Thread(target=lambda: [accepted.append(stall.accept()) for _ in range(100)], daemon=True).start()
    started = time.monotonic()
    result, data = report(tmp_path, f"http://127.0.0.1:{stall.getsockname()[1]}", "--rate", 20, "--duration", "1s",
                          "--timeout", "500ms", "--connections", 50)
    elapsed = time.monotonic() - started
    assert data["errors"] == {"timeout": 20} and data["requests"]["completed"] == 20
    assert elapsed < 3, "the run ends at its duration plus the request timeout"
    stall.close()


def test_usage_errors_exit_2():
    for args in [[], ["ftp://x"], ["http://127.0.0.1:1", "--rate", "fast"], ["http://127.0.0.1:1", "--shape", "wave"],
                 ["http://127.0.0.1:1", "--expect-split", "v1=80"], ["http://127.0.0.1:1", "--max-error-rate", "5"],
                 ["http://127.0.0.1:1", "--mix", "everything"], ["http://127.0.0.1:1", "--duration", "-3s"]]:
        result = loadgen(*args)
        assert result.returncode == 2, args
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_ctrl_c_prints_the_summary_so_far(versions):
    v1, _ = versions
    process = subprocess.Popen([str(BIN_DIR / "loadgen"), v1 + "/healthz", "--rate", "100", "--duration", "60s"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 130
    assert "(interrupted)" in out and "Requests" in out
    assert "req/s" in err, "the live progress line"


def test_wait_ready_waits_for_a_late_target(start_service, tmp_path):
    port = free_port()
    later = {}

    def start_late():
        time.sleep(1.0)
        later["backend"] = start_service("backend", PORT=port)

    thread = threading.Thread(target=start_late)
    thread.start()
    result, data = report(tmp_path, f"http://127.0.0.1:{port}/readyz", "--requests", 20, "--wait-ready", "10s")
    thread.join()
    assert result.returncode == 0 and data["status"] == {"200": 20}
