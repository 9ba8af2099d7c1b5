"""The `helm test` pods' scripts, run with busybox's sh and wget (as in the busybox image) against a
local stand-in for frontend-service: they pass when the frontend answers as the contract says, and fail
when it does not."""

import json
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import chartlib

BUSYBOX = shutil.which("busybox")
pytestmark = pytest.mark.skipif(BUSYBOX is None and not chartlib.os.environ.get("CI"),
                                reason="busybox missing (scripts/lib/chart-tools.sh installs it)")


class StandIn:
    """An HTTP server on 127.0.0.1 whose answers the test sets."""

    def __init__(self):
        self.routes = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                status, headers, body = routes.get(self.path, (404, {}, b"{}"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def frontend():
    server = StandIn()
    yield server
    server.close()


def script(name, port):
    [pod] = [p for p in chartlib.manifests().of_kind("Pod") if p["metadata"]["name"] == name]
    text = pod["spec"]["containers"][0]["command"][-1]
    assert "http://frontend-service:80" in text
    return text.replace("http://frontend-service:80", f"http://127.0.0.1:{port}").replace("sleep 3", "sleep 0")


@pytest.fixture(scope="module")
def applets(tmp_path_factory):
    """A PATH of busybox applets only, as in the busybox image (none of the host's tools)."""
    assert BUSYBOX, "busybox is missing"
    directory = tmp_path_factory.mktemp("busybox-bin")
    subprocess.run([BUSYBOX, "--install", "-s", str(directory)], check=True)
    return str(directory)


def run_script(text, applets):
    return subprocess.run([BUSYBOX, "sh", "-c", text], capture_output=True, text=True, timeout=60,
                          env={"PATH": applets}, cwd="/")


def test_version_test_passes_with_the_header(frontend, applets):
    frontend.routes["/version"] = (200, {"X-App-Version": "v1"}, b'{"service":"frontend","version":"v1"}')
    result = run_script(script("frontend-version-test", frontend.port), applets)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS: frontend-service answered with X-App-Version: v1" in result.stdout


def test_version_test_fails_without_the_header(frontend, applets):
    frontend.routes["/version"] = (200, {}, b"{}")
    result = run_script(script("frontend-version-test", frontend.port), applets)
    assert result.returncode == 1 and "FAIL: no X-App-Version header" in result.stdout


def test_version_test_fails_when_the_frontend_errs(frontend, applets):
    frontend.routes["/version"] = (503, {"X-App-Version": "v1"}, b"{}")
    result = run_script(script("frontend-version-test", frontend.port), applets)
    assert result.returncode == 1 and "did not answer 200" in result.stdout


INFO = {"frontend": {"version": "v1", "pod": "frontend-app-deployment-abc"},
        "backend": {"reachable": True, "version": "v1", "pod": "backend-app-0"}}


def test_backend_test_passes_when_the_backend_answers(frontend, applets):
    frontend.routes["/api/info"] = (200, {"X-App-Version": "v1"}, json.dumps(INFO).encode())
    frontend.routes["/api/entries"] = (200, {}, b'{"items":[],"next":null}')
    result = run_script(script("backend-through-frontend-test", frontend.port), applets)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS: the frontend reached the backend" in result.stdout


def test_backend_test_also_accepts_compact_json(frontend, applets):
    compact = json.dumps(INFO, separators=(",", ":")).encode()
    frontend.routes["/api/info"] = (200, {}, compact)
    frontend.routes["/api/entries"] = (200, {}, b'{"items":[{"id":1}],"next":null}')
    assert run_script(script("backend-through-frontend-test", frontend.port), applets).returncode == 0


@pytest.mark.parametrize("info_status,reachable,entries_status", [
    (200, False, 200),   # the frontend could not reach the backend
    (200, True, 502),    # the entries call failed (e.g. the AuthorizationPolicy refused it)
    (503, True, 200),
])
def test_backend_test_fails_when_the_backend_is_unreachable(frontend, applets, info_status, reachable, entries_status):
    info = {**INFO, "backend": {"reachable": reachable}}
    frontend.routes["/api/info"] = (info_status, {}, json.dumps(info).encode())
    frontend.routes["/api/entries"] = (entries_status, {}, b'{"error":{"code":"backend_unavailable"}}')
    result = run_script(script("backend-through-frontend-test", frontend.port), applets)
    assert result.returncode == 1, result.stdout
    assert "FAIL: the frontend could not reach the backend" in result.stdout


def test_loadgen_waits_until_the_frontend_is_ready(frontend, applets):
    [job] = chartlib.manifests("canary-10.yaml").of_kind("Job")
    [wait] = job["spec"]["template"]["spec"]["initContainers"]
    text = wait["command"][-1].replace("http://frontend-service:80", f"http://127.0.0.1:{frontend.port}")
    text = text.replace("sleep 2", "sleep 0")
    frontend.routes["/readyz"] = (200, {}, b'{"status":"ready"}')
    assert run_script(text, applets).returncode == 0
    frontend.routes["/readyz"] = (503, {}, b"{}")
    with pytest.raises(subprocess.TimeoutExpired):  # keeps waiting (the Job's deadline bounds it)
        subprocess.run([BUSYBOX, "sh", "-c", text], capture_output=True, timeout=2, env={"PATH": applets})
