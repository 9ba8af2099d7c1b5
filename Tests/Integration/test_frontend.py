"""The frontend with a real backend: the page, the form, the API pass-through and the demo endpoints."""

import json
import re
import threading
import time
import urllib.parse

import pytest

from conftest import free_port, wait_until


@pytest.fixture
def stack(start_service):
    backend = start_service("backend")
    frontend = start_service("frontend", BACKEND_URL=f"http://127.0.0.1:{backend.port}", EVENT_LOOPS=1,
                             APP_VERSION="v1", POD_NAME="frontend-pod-a")
    return frontend, backend


def submit_form(frontend, author, message, key="form-key-1"):
    body = urllib.parse.urlencode({"author": author, "message": message, "idempotencyKey": key})
    return frontend.request("POST", "/entries", body=body,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_page_shows_entries_and_the_form_adds_one(stack):
    frontend, backend = stack
    response, html = frontend.request("GET", "/")
    assert response.status == 200
    assert "No entries yet" in html.decode()
    assert response.getheader("X-Backend-Version") == "dev"

    response, _ = submit_form(frontend, "Grace", "Hello from the form\nsecond line")
    assert response.status == 303 and response.getheader("Location") == "/"
    response, html = frontend.request("GET", "/")
    page = html.decode()
    assert "Grace" in page and "Hello from the form\nsecond line" in page
    assert '<span class="version">v1</span>' in page and "frontend-pod-a" in page
    assert backend.json("GET", "/api/v1/entries")[1]["items"][0]["author"] == "Grace"


def test_a_double_submit_stores_one_entry(stack):
    frontend, backend = stack
    assert submit_form(frontend, "Ada", "once", key="same-key")[0].status == 303
    assert submit_form(frontend, "Ada", "once", key="same-key")[0].status == 303
    assert len(backend.json("GET", "/api/v1/entries")[1]["items"]) == 1


def test_form_errors_keep_what_was_typed(stack):
    frontend, _ = stack
    response, html = submit_form(frontend, "   ", "kept message")
    page = html.decode()
    assert response.status == 422
    assert 'class="field-error" id="author-error"' in page and "kept message" in page
    response, html = frontend.request("POST", "/entries", body="author=a", headers={"Content-Type": "text/plain"})
    assert response.status == 400 and "could not be read" in html.decode()


def test_values_are_escaped_and_the_page_is_locked_down(stack):
    frontend, _ = stack
    attack = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>&amp;"
    submit_form(frontend, attack[:60], attack)
    response, html = frontend.request("GET", "/")
    page = html.decode()
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img src=x onerror=alert(2)&gt;&amp;amp;" in page
    csp = response.getheader("Content-Security-Policy")
    assert "default-src 'none'" in csp and "style-src 'self'" in csp and "script-src" not in csp
    assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("Referrer-Policy") == "no-referrer"
    assert response.getheader("Cache-Control") == "no-store"
    assert not re.search(r'(src|href)="(https?:)?//', page), "no external asset"
    response, css = frontend.request("GET", "/assets/skalar.css?v=v1")
    assert response.status == 200 and response.getheader("Content-Type").startswith("text/css")
    assert b".tone-0" in css


def test_api_pass_through_keeps_statuses_bodies_and_idempotency(stack):
    frontend, backend = stack
    headers = {"Content-Type": "application/json", "Idempotency-Key": "api-key-1"}
    body = json.dumps({"author": "api", "message": "through the frontend"})
    first, created = frontend.json("POST", "/api/entries", body=body, headers=headers)
    again, replayed = frontend.json("POST", "/api/entries", body=body, headers=headers)
    assert first.status == again.status == 201 and created == replayed
    assert again.getheader("Idempotent-Replayed") == "true"
    assert first.getheader("X-Backend-Version") == "dev"
    response, problem = frontend.json("POST", "/api/entries", body=json.dumps({"author": "api", "message": "other"}), headers=headers)
    assert response.status == 409 and problem["error"]["code"] == "idempotency_key_reused"

    response, page = frontend.json("GET", "/api/entries?limit=1")
    assert response.status == 200 and page["items"][0] == created and page["next"] is None
    assert page == backend.json("GET", "/api/v1/entries?limit=1")[1]
    response, problem = frontend.json("GET", "/api/entries?limit=0")
    assert response.status == 400 and problem["error"]["code"] == "invalid_query"
    response, problem = frontend.json("POST", "/api/entries", body=json.dumps({"author": ""}), headers={"Content-Type": "application/json"})
    assert response.status == 422 and set(problem["error"]["fields"]) == {"author", "message"}
    response, problem = frontend.json("POST", "/api/entries", body="x", headers={"Content-Type": "text/plain"})
    assert response.status == 415


def test_demo_status_and_delay(start_service):
    frontend = start_service("frontend", EVENT_LOOPS=1)
    response, body = frontend.json("GET", "/status/418")
    assert response.status == 418 and body == {"status": 418}
    for bad in ["/status/199", "/status/600", "/status/abc", "/delay/10001", "/delay/-1", "/delay/x"]:
        response, body = frontend.json("GET", bad)
        assert response.status == 400, bad
    timings = {}

    def delayed():
        started = time.monotonic()
        timings["response"] = frontend.json("GET", "/delay/600")
        timings["delay"] = time.monotonic() - started

    thread = threading.Thread(target=delayed)
    thread.start()
    time.sleep(0.1)
    started = time.monotonic()
    assert frontend.request("GET", "/healthz")[0].status == 200
    assert time.monotonic() - started < 0.1, "the delay does not block the only loop"
    thread.join(3)
    assert timings["response"][1] == {"delayedMs": 600} and 0.6 <= timings["delay"] < 0.9


def test_cpu_work_burns_the_asked_cpu_time(start_service):
    frontend = start_service("frontend", EVENT_LOOPS=1, CPU_WORK_MS=20, ACCESS_LOG="false")

    def cpu_seconds():
        for line in frontend.metrics().splitlines():
            if line.startswith("process_cpu_seconds_total "):
                return float(line.split()[1])

    before = cpu_seconds()
    for _ in range(25):
        frontend.request("GET", "/api/info")
    used = cpu_seconds() - before
    assert 25 * 0.020 <= used < 25 * 0.020 * 1.5, f"{used:.3f} s of CPU for 25 requests at 20 ms"
    before = cpu_seconds()
    for _ in range(25):
        frontend.request("GET", "/healthz")
    assert cpu_seconds() - before < 0.1, "probes do no synthetic work"


def test_both_services_log_the_same_request_id(stack):
    frontend, backend = stack
    frontend.request("GET", "/api/entries", headers={"X-Request-Id": "one-id-two-logs"})
    assert wait_until(lambda: any(line.get("request_id") == "one-id-two-logs" for line in backend.lines))
    assert wait_until(lambda: any(line.get("request_id") == "one-id-two-logs" for line in frontend.lines))
    backend_line = next(line for line in backend.lines if line.get("request_id") == "one-id-two-logs")
    assert backend_line["route"] == "/api/v1/entries" and backend_line["service"] == "backend"
