"""The admin listener: probe overrides and fault injection, reachable only on its own port."""

import json
import time

from conftest import free_port


def test_readiness_toggle(start_service):
    service = start_service("backend")
    response, body = service.admin("POST", "/readyz/disable")
    assert response.status == 200
    response, body = service.json("GET", "/readyz")
    assert response.status == 503 and body["error"]["code"] == "not_ready"
    assert response.getheader("X-App-Version") == "dev"
    response, _ = service.json("GET", "/healthz")
    assert response.status == 200, "liveness does not follow readiness"
    service.admin("POST", "/readyz/enable")
    assert service.json("GET", "/readyz")[0].status == 200


def test_liveness_toggle(start_service):
    service = start_service("frontend")
    service.admin("POST", "/healthz/disable")
    response, body = service.json("GET", "/healthz")
    assert response.status == 503 and body["error"]["code"] == "not_live"
    service.admin("POST", "/healthz/enable")
    assert service.json("GET", "/healthz")[0].status == 200


def test_admin_routes_are_not_on_the_main_listener(start_service):
    service = start_service("backend")
    assert service.request("POST", "/readyz/disable")[0].status == 404
    assert service.request("GET", "/faults")[0].status == 404


def test_admin_port_zero_disables_it(start_service):
    port = free_port()
    service = start_service("backend", ADMIN_PORT=0)
    listening = next(line for line in service.lines if line["message"] == "listening")
    assert listening["admin_port"] == 0
    assert service.request("GET", "/healthz")[0].status == 200


def test_fault_settings_are_validated(start_service):
    service = start_service("backend")
    response, body = service.admin("GET", "/faults")
    assert body == {"errorRate": 0, "delayMs": 0}
    response, body = service.admin("PUT", "/faults", body=json.dumps({"errorRate": 1.5, "delayMs": 20000}))
    assert response.status == 422 and body["error"]["code"] == "validation_failed"
    assert set(body["error"]["fields"]) == {"errorRate", "delayMs"}
    response, body = service.admin("PUT", "/faults", body="{not json")
    assert response.status == 400 and body["error"]["code"] == "invalid_json"
    response, body = service.admin("PUT", "/faults", body=json.dumps({"delayMs": 5, "bogus": 1}))
    assert response.status == 422 and "bogus" in body["error"]["fields"]
    assert service.admin("GET", "/faults")[1] == {"errorRate": 0, "delayMs": 0}, "a rejected update changes nothing"


def test_faults_hit_application_routes_only(start_service):
    service = start_service("frontend", BACKEND_URL="http://127.0.0.1:%d" % free_port(), BACKEND_TIMEOUT_MS=200)
    response, body = service.admin("PUT", "/faults", body=json.dumps({"errorRate": 1.0}))
    assert response.status == 200 and body == {"errorRate": 1, "delayMs": 0}
    response, body = service.json("GET", "/api/info")
    assert response.status == 500 and body["error"]["code"] == "fault_injected"
    assert service.json("GET", "/healthz")[0].status == 200, "probes are exempt"

    service.admin("PUT", "/faults", body=json.dumps({"errorRate": 0, "delayMs": 300}))
    started = time.monotonic()
    service.request("GET", "/api/info")
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    service.request("GET", "/healthz")
    assert time.monotonic() - started < 0.2

    response, body = service.admin("DELETE", "/faults")
    assert body == {"errorRate": 0, "delayMs": 0}
    started = time.monotonic()
    service.request("GET", "/api/info")
    assert time.monotonic() - started < 0.3
