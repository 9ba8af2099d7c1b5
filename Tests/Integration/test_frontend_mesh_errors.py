"""Answers on the backend hop that are not the backend's own: Envoy's local replies under Istio, and any
other non-JSON error. The frontend answers those with its own JSON error (the page with its degraded
notice), and passes the backend's own JSON errors through unchanged.

The mapping: a 503 becomes 503 `backend_unavailable`, a 504 becomes 504 `backend_timeout`, anything else
(other statuses, and non-JSON successes) 502 `backend_error`.
"""

import json
import urllib.parse

import pytest

from upstream import Upstream

ENVOY = {"server": "envoy", "date": "Tue, 02 Dec 2025 07:00:00 GMT"}
TEXT = {"content-type": "text/plain", **ENVOY}
HTML = {"content-type": "text/html; charset=utf-8"}

# (upstream status, upstream headers, upstream body, frontend status, frontend code)
NOT_THE_BACKEND = {
    "no_healthy_upstream": (503, TEXT, b"no healthy upstream", 503, "backend_unavailable"),
    "connect_failure": (503, {**TEXT, "x-envoy-overloaded": "true"},
                        b"upstream connect error or disconnect/reset before headers. reset reason: connection failure",
                        503, "backend_unavailable"),
    "upstream_timeout": (504, TEXT, b"upstream request timeout", 504, "backend_timeout"),
    "fault_abort_500": (500, TEXT, b"fault filter abort", 502, "backend_error"),
    "html_502": (502, HTML, b"<html><body><h1>502 Bad Gateway</h1></body></html>", 502, "backend_error"),
    "rbac_403": (403, TEXT, b"RBAC: access denied", 502, "backend_error"),
    "no_content_type_503": (503, ENVOY, b"", 503, "backend_unavailable"),
    "json_but_not_the_contract": (503, {"content-type": "application/json", **ENVOY},
                                  b'{"status":503,"message":"no healthy upstream"}', 503, "backend_unavailable"),
    "html_200": (200, HTML, b"<html><body>captive portal</body></html>", 502, "backend_error"),
}


def answering(status, headers, body):
    return Upstream(lambda index, request: ("respond", status, headers, body))


def assert_frontend_error(response, problem, status, code):
    assert response.status == status, (response.status, problem)
    assert response.getheader("Content-Type") == "application/json"
    assert set(problem) == {"error"} and set(problem["error"]) == {"code", "message"}, problem
    assert problem["error"]["code"] == code
    assert isinstance(problem["error"]["message"], str) and problem["error"]["message"]
    assert response.getheader("X-App-Version") == "v7"
    assert response.getheader("X-Request-Id") == "rid-mesh"
    assert response.getheader("X-Backend-Version") is None, "no backend answered"


@pytest.mark.parametrize("case", NOT_THE_BACKEND.values(), ids=NOT_THE_BACKEND.keys())
def test_mesh_replies_become_the_frontends_json_errors(start_service, case):
    upstream_status, headers, body, status, code = case
    upstream = answering(upstream_status, headers, body)
    frontend = start_service("frontend", BACKEND_URL=upstream.url, APP_VERSION="v7", EVENT_LOOPS=1)
    rid = {"X-Request-Id": "rid-mesh"}

    response, data = frontend.request("GET", "/api/entries?limit=5", headers=rid)
    assert_frontend_error(response, json.loads(data), status, code)
    response, data = frontend.request(
        "POST", "/api/entries", body=json.dumps({"author": "a", "message": "m"}),
        headers={**rid, "Content-Type": "application/json", "Idempotency-Key": "mesh-key"})
    assert_frontend_error(response, json.loads(data), status, code)

    response, info = frontend.json("GET", "/api/info", headers=rid)
    assert response.status == 200 and response.getheader("Content-Type") == "application/json"
    assert info["backend"] == {"reachable": False}
    assert response.getheader("X-App-Version") == "v7" and response.getheader("X-Request-Id") == "rid-mesh"
    upstream.close()


@pytest.mark.parametrize("case", NOT_THE_BACKEND.values(), ids=NOT_THE_BACKEND.keys())
def test_the_page_degrades_on_mesh_replies(start_service, case):
    upstream_status, headers, body, status, _ = case
    upstream = answering(upstream_status, headers, body)
    frontend = start_service("frontend", BACKEND_URL=upstream.url, APP_VERSION="v7", EVENT_LOOPS=1)

    response, html = frontend.request("GET", "/")
    page = html.decode()
    assert response.status == 503
    assert response.getheader("Content-Type").startswith("text/html")
    assert "backend is unavailable" in page and 'class="notice"' in page
    assert response.getheader("X-App-Version") == "v7"

    form = urllib.parse.urlencode({"author": "Ada", "message": "kept draft", "idempotencyKey": "k"})
    response, html = frontend.request("POST", "/entries", body=form,
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    page = html.decode()
    assert response.status == status
    assert response.getheader("Content-Type").startswith("text/html")
    assert "Your entry was not saved: " in page, "the notice says why"
    assert "kept draft" in page
    upstream.close()


# (status, headers, body): the backend's own JSON errors, as it sends them.
THE_BACKENDS_OWN = {
    "entry_not_found": (404, {"Content-Type": "application/json"},
                        b'{"error":{"code":"entry_not_found","message":"no entry 7"}}'),
    "invalid_query": (400, {"Content-Type": "application/json; charset=utf-8"},
                      b'{"error":{"code":"invalid_query","message":"limit must be an integer from 1 to 100"}}'),
    "validation": (422, {"Content-Type": "application/json"},
                   b'{"error":{"code":"validation_failed","message":"invalid entry","fields":{"author":"required"}}}'),
    "database_busy": (503, {"Content-Type": "application/json", "Retry-After": "1"},
                      b'{"error":{"code":"database_busy","message":"the database is busy; retry"}}'),
    "problem_json": (500, {"Content-Type": "application/problem+json"},
                     b'{"error":{"code":"internal_error","message":"internal error"}}'),
}


@pytest.mark.parametrize("case", THE_BACKENDS_OWN.values(), ids=THE_BACKENDS_OWN.keys())
def test_the_backends_own_json_errors_pass_through_unchanged(start_service, case):
    status, headers, body = case
    upstream = answering(status, {**headers, "X-App-Version": "v9", "server": "istio-envoy"}, body)
    frontend = start_service("frontend", BACKEND_URL=upstream.url, APP_VERSION="v7", EVENT_LOOPS=1)
    for method, extra in [("GET", {}), ("POST", {"Content-Type": "application/json"})]:
        response, data = frontend.request(method, "/api/entries", body="{}" if method == "POST" else None, headers=extra)
        assert response.status == status and data == body
        assert response.getheader("Content-Type") == headers["Content-Type"]
        assert response.getheader("Retry-After") == headers.get("Retry-After")
        assert response.getheader("X-Backend-Version") == "v9"
        assert response.getheader("X-App-Version") == "v7"
    upstream.close()
