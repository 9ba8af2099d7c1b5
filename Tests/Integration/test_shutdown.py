"""Graceful shutdown: drain with readiness failed, finish in-flight work, exit 0; a second signal exits at once."""

import json
import signal
import threading
import time

from conftest import free_port


def test_drain_serves_then_finishes_in_flight_and_exits_0(start_service):
    service = start_service(
        "frontend", DRAIN_SECONDS=2, SHUTDOWN_TIMEOUT_SECONDS=5,
        BACKEND_URL="http://127.0.0.1:%d" % free_port(), BACKEND_TIMEOUT_MS=200,
    )
    service.admin("PUT", "/faults", body=json.dumps({"delayMs": 2500}))
    slow = {}

    def slow_request():
        response, body = service.json("GET", "/api/info")
        slow["status"] = response.status
        slow["finished"] = time.monotonic()

    thread = threading.Thread(target=slow_request)
    thread.start()
    time.sleep(0.2)
    signalled = time.monotonic()
    service.signal(signal.SIGTERM)
    time.sleep(0.2)

    response, body = service.json("GET", "/readyz")
    assert response.status == 503 and body["error"]["message"] == "draining"
    response, _ = service.json("GET", "/healthz")
    assert response.status == 200, "liveness stays 200 while draining"
    assert response.getheader("Connection") == "close", "draining responses move clients off this pod"
    response, _ = service.json("GET", "/version")
    assert response.status == 200, "new requests are still served during the drain"

    status = service.wait(timeout=10)
    exited = time.monotonic()
    thread.join(5)
    assert status == 0
    assert slow["status"] == 200, "the in-flight request completed"
    assert slow["finished"] <= exited
    assert exited - signalled >= 2.0, "the drain lasted DRAIN_SECONDS"
    assert exited - signalled < 2.0 + 5.0, "exit within drain plus the shutdown bound"
    messages = [line["message"] for line in service.lines]
    assert "draining" in messages and "stopped" in messages


def test_idle_process_exits_promptly_after_the_drain(start_service):
    service = start_service("backend", DRAIN_SECONDS=1)
    service.request("GET", "/healthz")
    started = time.monotonic()
    service.signal(signal.SIGINT)
    assert service.wait(timeout=5) == 0
    assert 1.0 <= time.monotonic() - started < 2.0


def test_second_signal_exits_at_once(start_service):
    service = start_service("backend", DRAIN_SECONDS=30)
    service.signal(signal.SIGTERM)
    time.sleep(0.3)
    started = time.monotonic()
    service.signal(signal.SIGTERM)
    status = service.wait(timeout=3)
    assert time.monotonic() - started < 1.0
    assert status != 0


def test_shutdown_bound_cuts_off_stuck_requests(start_service):
    service = start_service(
        "frontend", DRAIN_SECONDS=0, SHUTDOWN_TIMEOUT_SECONDS=1,
        BACKEND_URL="http://127.0.0.1:%d" % free_port(), BACKEND_TIMEOUT_MS=200,
    )
    service.admin("PUT", "/faults", body=json.dumps({"delayMs": 8000}))
    def stuck_request():
        try:
            service.request("GET", "/api/info", timeout=15)
        except ConnectionError:
            pass  # cut off by the shutdown bound, as intended

    threading.Thread(target=stuck_request, daemon=True).start()
    time.sleep(0.2)
    started = time.monotonic()
    service.signal(signal.SIGTERM)
    status = service.wait(timeout=5)
    assert status == 1, "an exit that abandons work says so"
    assert time.monotonic() - started < 2.5
