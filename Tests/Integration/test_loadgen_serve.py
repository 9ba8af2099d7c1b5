"""`loadgen serve`, the load tester for Flagger's webhooks, as a real process on loopback: its gates
answer with their verdicts, its loads run in the background and report a failure on the next call, it
refuses anything but loadgen's arguments without running a shell, and it bounds its runs, their length
and its request bodies."""

import json
import signal
import time

import pytest

from conftest import wait_until


@pytest.fixture
def server(start_service):
    def start(**env):
        return start_service("loadgen", args=["serve"], ADMIN_PORT="0", **env)

    return start


def webhook(service, cmd, kind=None, **extra):
    metadata = {"cmd": cmd, **({"type": kind} if kind else {})}
    body = {"name": "frontend", "namespace": "demo", "phase": "Progressing", "checksum": "abc", "metadata": metadata,
            **extra}
    response, data = service.request("POST", "/", body=json.dumps(body), headers={"Content-Type": "application/json"},
                                     timeout=60)
    return response.status, json.loads(data)


def test_a_gate_answers_with_its_verdict(server, split_server):
    service, target = server(), split_server(0.9)
    status, body = webhook(service, f"loadgen {target.url} --requests 1500 --expect-split v1=90,v2=10", "gate")
    assert status == 200 and body["outcome"] == "pass", body
    assert body["report"]["requests"]["completed"] == 1500
    status, body = webhook(service, f"{target.url} --requests 1500 --expect-split v1=50,v2=50", "gate")
    assert status == 412 and body["outcome"] == "fail"
    assert [gate["outcome"] for gate in body["report"]["gates"]] == ["pass", "fail"]
    status, body = webhook(service, f"{target.url} --requests 100 --expect-split v1=90,v2=10", "gate")
    assert status == 412 and body["outcome"] == "inconclusive", "too small a run never passes a gate"
    status, body = webhook(service, f"{target.url}/fail/1 --requests 50", "gate")
    assert status == 412 and body["outcome"] == "fail", "failing traffic fails the gate without asking"
    metrics = service.metrics()
    assert 'loadgen_runs_total{type="gate",outcome="pass"} 1' in metrics
    assert 'loadgen_runs_total{type="gate",outcome="fail"} 2' in metrics
    assert "loadgen_runs_active 0" in metrics


def test_a_load_runs_in_the_background_and_its_failure_is_heard_once(server, split_server):
    service, target = server(), split_server(0.5)
    failing = f"{target.url}/fail/2 --rate 50 --duration 1s"
    status, body = webhook(service, failing)
    assert status == 202 and body["status"] == "started"
    status, body = webhook(service, failing)
    assert status == 200 and body["status"] == "running", "the same command is not started twice"
    assert wait_until(lambda: "loadgen_runs_active 0" in service.metrics(), timeout=10)
    status, body = webhook(service, failing)
    assert status == 412 and body["status"] == "previous_run_failed" and body["outcome"] == "fail", body
    status, body = webhook(service, failing)
    assert status == 202, "a failure is reported once; the next call starts the load again"
    status, body = webhook(service, f"{target.url} --rate 50 --duration 1s", "load")
    assert status == 202, "another command runs beside it"


def test_logs_are_json_lines_per_run(server, split_server):
    service, target = server(), split_server(1.0)
    webhook(service, f"{target.url} --requests 20", "gate")
    assert all(json.loads(line) for line in service.raw_lines if line.strip())
    started = next(line for line in service.lines if line.get("message") == "run started")
    finished = next(line for line in service.lines if line.get("message") == "run finished")
    assert started["canary"] == "demo/frontend" and started["type"] == "gate" and started["phase"] == "Progressing"
    assert started["cmd"] == f"{target.url} --requests 20" and finished["run"] == started["run"]
    assert finished["outcome"] == "pass" and finished["requests"] == "20"


@pytest.mark.parametrize("cmd", [
    "loadgen http://127.0.0.1:1; touch {marker}",
    "loadgen http://127.0.0.1:1 && touch {marker}",
    "loadgen http://127.0.0.1:1 | touch {marker}",
    "loadgen http://127.0.0.1:1 --header \"X: $(touch {marker})\"",
    "loadgen http://127.0.0.1:1 --header 'X: `touch {marker}`'",
    "loadgen http://127.0.0.1:1 > {marker}",
    "touch {marker}",
    "/bin/sh -c 'touch {marker}'",
    "loadgen http://127.0.0.1:1 --json {marker}",
    "loadgen http://127.0.0.1:1 --html={marker}",
    "loadgen http://127.0.0.1:1 --mix-file /etc/passwd",
    "loadgen http://127.0.0.1:1 --frobnicate",
    "loadgen http://127.0.0.1:1 --rate fast",
    "loadgen 'http://127.0.0.1:1",
    "loadgen",
])
def test_anything_but_loadgens_arguments_is_refused_and_nothing_runs(server, tmp_path, cmd):
    service = server()
    marker = tmp_path / "ran"
    status, body = webhook(service, cmd.format(marker=marker), "gate")
    assert status == 400 and body["error"]["code"] == "invalid_command", body
    time.sleep(0.2)
    assert not marker.exists()
    assert "run started" not in [line.get("message") for line in service.lines]


def test_quoted_shell_characters_are_only_text(server, split_server, tmp_path):
    """Inside quotes a `;` is part of a header's value, never a command: the run goes ahead, nothing else."""
    service, target = server(), split_server(1.0)
    marker = tmp_path / "ran"
    status, body = webhook(service, f"loadgen '{target.url}/?a=1&b=2' --requests 10 -H 'X-Note: a; touch {marker}'",
                           "gate")
    assert status == 200, body
    assert not marker.exists()


@pytest.mark.parametrize("body, code", [
    (b"not json", "invalid_json"),
    (b"[]", "invalid_json"),
    (b'{"name":"frontend"}', "invalid_webhook"),
    (b'{"metadata":{"cmd":42}}', "invalid_webhook"),
    (b'{"metadata":{"cmd":"http://127.0.0.1:1","type":"bash"}}', "invalid_webhook"),
])
def test_bad_bodies_are_400(server, body, code):
    response, data = server().request("POST", "/", body=body)
    assert response.status == 400 and json.loads(data)["error"]["code"] == code


def test_runs_are_bounded(server, split_server):
    service, target = server(MAX_CONCURRENT_RUNS=1, MAX_RUN_SECONDS=5, MAX_BODY_BYTES=2048), split_server(1.0)
    status, body = webhook(service, f"{target.url} --rate 20 --duration 10s", "gate")
    assert status == 400 and body["error"]["code"] == "run_too_long"
    status, body = webhook(service, f"{target.url} --rate 20 --duration 4s --wait-ready 2s", "gate")
    assert status == 400 and body["error"]["code"] == "run_too_long", "waiting for the targets counts"
    assert webhook(service, f"{target.url} --rate 20 --duration 3s")[0] == 202
    status, body = webhook(service, f"{target.url} --requests 10", "gate")
    assert status == 429 and body["error"]["code"] == "too_many_runs"
    response, _ = service.request("POST", "/", body=b"{" + b" " * 4096 + b"}")
    assert response.status == 413
    # A run bounded only by its count ends at MAX_RUN_SECONDS.
    assert wait_until(lambda: "loadgen_runs_active 0" in service.metrics(), timeout=10)
    started = time.monotonic()
    status, body = webhook(service, f"{target.url}/delay/100 --connections 1 --requests 1000000", "gate")
    assert status == 200 and 4 < time.monotonic() - started < 8, body["report"]["seconds"]


def test_shutdown_cuts_a_gate_short_and_says_so(server, split_server):
    service, target = server(DRAIN_SECONDS=1), split_server(1.0)
    answers = []
    import threading

    thread = threading.Thread(target=lambda: answers.append(webhook(service, f"{target.url} --rate 20 --duration 30s",
                                                                     "gate")))
    thread.start()
    assert wait_until(lambda: any(line.get("message") == "run started" for line in service.lines), timeout=5)
    started = time.monotonic()
    service.signal(signal.SIGTERM)
    thread.join(15)
    status, body = answers[0]
    assert status == 503 and body["report"]["interrupted"] is True
    assert service.wait(15) == 0 and time.monotonic() - started < 12
