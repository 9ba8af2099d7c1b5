"""The frontend when its backend is down, slow or back: bounded errors, a readable page, quick recovery."""

import json
import re
import time
import urllib.parse

import pytest

from conftest import Service, free_port, wait_until
from upstream import Upstream


def test_backend_down_then_back(start_service, tmp_path):
    port = free_port()
    frontend = start_service("frontend", BACKEND_URL=f"http://127.0.0.1:{port}", BACKEND_TIMEOUT_MS=500)

    started = time.monotonic()
    response, problem = frontend.json("GET", "/api/entries")
    assert response.status == 502 and problem["error"]["code"] == "backend_unavailable"
    assert time.monotonic() - started < 0.5
    response, problem = frontend.json("POST", "/api/entries", body="{}", headers={"Content-Type": "application/json"})
    assert response.status == 502

    response, html = frontend.request("GET", "/")
    assert response.status == 503
    assert "backend is unavailable" in html.decode() and 'class="notice"' in html.decode()
    assert response.getheader("Content-Type").startswith("text/html")
    assert frontend.json("GET", "/readyz")[0].status == 200, "readiness does not cascade"

    backend = Service("backend", {"PORT": str(port), "ADMIN_PORT": "0", "DATABASE_PATH": str(tmp_path / "late.sqlite")}, [])
    try:
        came_back = time.monotonic()
        assert wait_until(lambda: backend.request("GET", "/readyz")[0].status == 200)
        assert wait_until(lambda: frontend.request("GET", "/")[0].status == 200, timeout=1.0), \
            "full service within a second of the backend returning"
        assert time.monotonic() - came_back < 2.0
        assert frontend.json("GET", "/api/entries")[0].status == 200
    finally:
        backend.stop()


def test_slow_backend_is_cut_off_at_the_deadline(start_service):
    upstream = Upstream(lambda index, request: ("delay", 3.0, 200, {"Content-Type": "application/json"}, b"{}"))
    frontend = start_service("frontend", BACKEND_URL=upstream.url, BACKEND_TIMEOUT_MS=300)
    started = time.monotonic()
    response, problem = frontend.json("GET", "/api/entries")
    elapsed = time.monotonic() - started
    assert response.status == 504 and problem["error"]["code"] == "backend_timeout"
    assert 0.3 <= elapsed < 0.6
    started = time.monotonic()
    response, html = frontend.request("GET", "/")
    assert response.status == 503 and time.monotonic() - started < 0.8
    upstream.close()


def test_trace_headers_reach_the_backend_unchanged(start_service):
    from test_client import TRACE_HEADERS

    upstream = Upstream(lambda index, request: ("respond", 200, {"Content-Type": "application/json", "X-App-Version": "v9"},
                                                 b'{"items":[],"next":null}'))
    frontend = start_service("frontend", BACKEND_URL=upstream.url)
    response, _ = frontend.json("GET", "/api/entries?limit=3", headers={**TRACE_HEADERS, "X-Request-Id": "rid-7"})
    assert response.status == 200 and response.getheader("X-Backend-Version") == "v9"
    sent = upstream.requests[0]
    assert sent["target"] == "/api/v1/entries?limit=3"
    for name, value in TRACE_HEADERS.items():
        assert sent["headers"][name] == value, name
    assert sent["headers"]["x-request-id"] == "rid-7"

    response, _ = frontend.json("GET", "/api/entries")
    created = response.getheader("X-Request-Id")
    assert upstream.requests[1]["headers"]["x-request-id"] == created
    upstream.close()


def test_a_failed_post_is_not_retried_without_a_key(start_service):
    upstream = Upstream(lambda index, request: ("close",))
    frontend = start_service("frontend", BACKEND_URL=upstream.url)
    response, _ = frontend.json("POST", "/api/entries", body="{}", headers={"Content-Type": "application/json"})
    assert response.status == 502
    assert len(upstream.requests) == 1, "a POST may have reached the backend; repeating it could store it twice"
    response, _ = frontend.json("POST", "/api/entries", body="{}",
                                headers={"Content-Type": "application/json", "Idempotency-Key": "k"})
    assert len(upstream.requests) == 3, "with an Idempotency-Key the one retry is safe"
    upstream.close()


@pytest.mark.parametrize("status, code, kept", [
    (504, "write_outcome_unknown", True),  # PostgreSQL did not confirm the write: it may be stored
    (503, "database_unavailable", True),  # nothing stored: keeping the key costs nothing
    (422, "validation_failed", False),  # refused: the visitor will change the draft
    (409, "idempotency_key_conflict", False),  # the key is taken: the same key would be refused forever
])
def test_the_form_keeps_its_idempotency_key_unless_the_backend_refused_it(start_service, status, code, kept):
    """After a failed submit the backend did not refuse (no 4xx), the entry may be stored, so the page
    offers the form with the same key: "Please try again" cannot store it twice. After a refusal, a new
    key, as the visitor sends a new draft."""
    error = json.dumps({"error": {"code": code, "message": "m"}}).encode()

    def behaviour(index, request):
        if request["method"] == "POST":
            return ("respond", status, {"Content-Type": "application/json"}, error)
        return ("respond", 200, {"Content-Type": "application/json"}, b'{"items":[],"next":null}')

    upstream = Upstream(behaviour)
    frontend = start_service("frontend", BACKEND_URL=upstream.url)
    form = urllib.parse.urlencode({"author": "Ada", "message": "once", "idempotencyKey": "the-first-key"})
    response, html = frontend.request("POST", "/entries", body=form,
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == status
    keys = re.findall(r'name="idempotencyKey" value="([^"]*)"', html.decode())
    assert len(keys) == 1 and keys[0]
    assert (keys[0] == "the-first-key") == kept, keys
    upstream.close()
