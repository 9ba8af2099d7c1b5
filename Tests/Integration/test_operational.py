"""The operational surface both services share: probes, metrics, version, headers and limits."""

import gzip
import re
import shutil
import subprocess

import pytest

SERVICES = ["frontend", "backend"]
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def assert_common_headers(response, version="dev"):
    assert response.getheader("X-App-Version") == version
    assert response.getheader("X-Request-Id")


@pytest.mark.parametrize("binary", SERVICES)
def test_probes_and_version(start_service, binary):
    service = start_service(binary, APP_VERSION="v7", POD_NAME="pod-a")
    response, body = service.json("GET", "/healthz")
    assert response.status == 200 and body == {"status": "ok"}
    assert_common_headers(response, "v7")
    response, body = service.json("GET", "/readyz")
    assert response.status == 200 and body == {"status": "ready"}
    response, body = service.json("GET", "/version")
    assert response.status == 200
    assert body["service"] == binary and body["version"] == "v7" and body["pod"] == "pod-a"
    assert set(body) == {"service", "version", "revision", "pod"}


@pytest.mark.parametrize("binary", SERVICES)
def test_request_id_is_kept_or_made(start_service, binary):
    service = start_service(binary)
    response, _ = service.request("GET", "/healthz", headers={"X-Request-Id": "abc-123"})
    assert response.getheader("X-Request-Id") == "abc-123"
    response, _ = service.request("GET", "/healthz")
    assert UUID.match(response.getheader("X-Request-Id"))
    response, _ = service.request("GET", "/healthz", headers={"X-Request-Id": "x" * 200})
    assert UUID.match(response.getheader("X-Request-Id")), "an overlong id is replaced"


@pytest.mark.parametrize("binary", SERVICES)
def test_404_405_and_413_are_json_with_headers(start_service, binary):
    service = start_service(binary, MAX_BODY_BYTES=1000)
    response, body = service.json("GET", "/no/such/path")
    assert response.status == 404 and body["error"]["code"] == "not_found"
    assert response.getheader("Content-Type") == "application/json"
    assert_common_headers(response)

    response, body = service.json("DELETE", "/healthz")
    assert response.status == 405 and body["error"]["code"] == "method_not_allowed"
    assert response.getheader("Allow") == "GET, HEAD"
    assert_common_headers(response)

    response, body = service.json("POST", "/healthz", body=b"x" * 1001)
    assert response.status == 413 and body["error"]["code"] == "body_too_large"
    assert response.getheader("Connection") == "close"
    assert_common_headers(response)

    response, _ = service.request("GET", "/healthz")
    assert response.status == 200, "the server stays healthy after a 413"


def test_body_far_past_the_limit_is_refused_without_reading_it(start_service):
    service = start_service("backend", MAX_BODY_BYTES=1000)
    response, _ = service.request("POST", "/healthz", body=b"x" * 100_000)
    assert response.status == 413
    response, _ = service.request("GET", "/healthz")
    assert response.status == 200


def test_head_has_headers_and_no_body(start_service):
    import socket

    service = start_service("backend")
    response, data = service.request("HEAD", "/healthz")
    assert response.status == 200 and data == b""
    assert response.getheader("Content-Length") == "15"
    assert_common_headers(response)
    with socket.create_connection(("127.0.0.1", service.port), timeout=3) as sock:
        sock.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head_response, get_response = received.split(b"HTTP/1.1 200 OK", 2)[1:]
    assert head_response.endswith(b"\r\n\r\n"), "no body after a HEAD response on a keep-alive connection"
    assert b'"service":"backend"' in get_response


def test_metrics_pass_promtool_and_name_routes(start_service):
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian package prometheus) is required"
    service = start_service("backend", APP_VERSION="v3")
    service.request("GET", "/healthz")
    service.request("GET", "/missing")
    text = service.metrics()
    check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert 'http_server_request_duration_seconds_count{http_request_method="GET",http_route="/healthz",http_response_status_code="200"} 1' in text
    assert 'http_route="unmatched",http_response_status_code="404"' in text
    assert 'app_build_info{service="backend",version="v3",revision="unknown"} 1' in text
    for name in ["http_server_active_requests", "process_cpu_seconds_total", "process_resident_memory_bytes",
                 "process_open_fds", "process_start_time_seconds"]:
        assert f"# TYPE {name} " in text, name


def test_metrics_content_type(start_service):
    service = start_service("backend")
    response, _ = service.request("GET", "/metrics")
    assert response.getheader("Content-Type").startswith("text/plain; version=0.0.4")


def test_gzip_for_clients_that_accept_it(start_service):
    service = start_service("backend")
    for _ in range(3):
        service.request("GET", "/healthz")
    response, data = service.request("GET", "/metrics", headers={"Accept-Encoding": "gzip"})
    assert response.getheader("Content-Encoding") == "gzip"
    assert response.getheader("Vary") == "Accept-Encoding"
    assert b"http_server_request_duration_seconds" in gzip.decompress(data)

    response, data = service.request("GET", "/healthz", headers={"Accept-Encoding": "gzip"})
    assert response.getheader("Content-Encoding") is None, "small bodies are not worth compressing"
    response, data = service.request("GET", "/metrics", headers={"Accept-Encoding": "gzip;q=0"})
    assert response.getheader("Content-Encoding") is None


def test_keep_alive_serves_many_requests_on_one_connection(start_service):
    import http.client

    service = start_service("backend")
    conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=5)
    for _ in range(20):
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        assert response.status == 200
        response.read()
    conn.close()


def test_event_loops_and_access_log(start_service):
    service = start_service("backend", EVENT_LOOPS=3)
    listening = next(line for line in service.lines if line["message"] == "listening")
    assert listening["event_loops"] == 3 and listening["service"] == "backend"
    service.request("GET", "/missing", headers={"X-Request-Id": "trace-me"})
    from conftest import wait_until

    assert wait_until(lambda: any(line.get("request_id") == "trace-me" for line in service.lines))
    entry = next(line for line in service.lines if line.get("request_id") == "trace-me")
    assert entry["message"] == "request" and entry["method"] == "GET" and entry["status"] == 404
    assert entry["route"] == "unmatched" and isinstance(entry["duration_ms"], float)
    assert entry["level"] == "info" and entry["version"] == "dev" and "time" in entry


@pytest.mark.parametrize("binary", SERVICES)
def test_healthcheck_subcommand(start_service, binary):
    import os

    from conftest import BIN_DIR, free_port

    service = start_service(binary)
    env = {"PATH": os.environ.get("PATH", ""), "PORT": str(service.port)}
    assert subprocess.run([str(BIN_DIR / binary), "healthcheck"], env=env, timeout=5).returncode == 0
    service.admin("POST", "/healthz/disable")
    assert subprocess.run([str(BIN_DIR / binary), "healthcheck"], env=env, timeout=5).returncode == 1
    env["PORT"] = str(free_port())
    assert subprocess.run([str(BIN_DIR / binary), "healthcheck"], env=env, timeout=5).returncode == 1
