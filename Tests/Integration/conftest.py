"""Starts the real Skalar binaries on loopback ports and speaks HTTP to them."""

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "loadtest" / "mesh"))
from mesh import free_port, wait_for as wait_until  # noqa: E402  (one copy of these helpers)

BIN_DIR = Path(os.environ.get("SKALAR_BIN_DIR", ROOT / ".build" / "debug"))


class Service:
    """One running service process; its JSON log lines are collected from stdout."""

    def __init__(self, binary: str, env: dict, args: list):
        self.binary = binary
        self.admin_port = int(env["ADMIN_PORT"]) if env.get("ADMIN_PORT") else None
        full_env = {"PATH": os.environ.get("PATH", ""), "LOG_FORMAT": "json", "DRAIN_SECONDS": "0"}
        full_env.update(env)
        self.process = subprocess.Popen(
            [str(BIN_DIR / binary), *args], env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[dict] = []
        self.raw_lines: list[str] = []
        self._listening = threading.Event()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        deadline = time.monotonic() + 10
        while not self._listening.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                break
        if not self._listening.is_set():
            self.stop()
            raise RuntimeError(f"{binary} did not start: {self.process.stderr.read() if self.process.stderr else ''}")
        self.port = next(line["port"] for line in self.lines if line.get("message") == "listening")

    def _read_stdout(self):
        for raw in self.process.stdout:
            self.raw_lines.append(raw)
            try:
                line = json.loads(raw)
            except json.JSONDecodeError:
                continue
            self.lines.append(line)
            if line.get("message") == "listening":
                self._listening.set()

    def request(self, method: str, path: str, body=None, headers=None, port=None, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            return response, data
        finally:
            conn.close()

    def json(self, method: str, path: str, **kwargs):
        response, data = self.request(method, path, **kwargs)
        return response, json.loads(data) if data else None

    def admin(self, method: str, path: str, body=None):
        return self.json(method, path, body=body, port=self.admin_port)

    def metrics(self) -> str:
        _, data = self.request("GET", "/metrics")
        return data.decode()

    def signal(self, sig=signal.SIGTERM):
        self.process.send_signal(sig)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def start_service(tmp_path):
    started: list[Service] = []

    def start(binary: str, args=None, ready=True, **env) -> Service:
        """Starts `binary`; with `ready`, returns once `/readyz` answers 200."""
        settings = {"PORT": "0", "ADMIN_PORT": str(free_port()), "EVENT_LOOPS": "2"}
        if binary == "backend":
            settings["DATABASE_PATH"] = str(tmp_path / f"backend-{len(started)}.sqlite")
        settings.update({key: str(value) for key, value in env.items()})
        service = Service(binary, settings, args or [])
        started.append(service)
        if ready and not wait_until(lambda: service.request("GET", "/readyz")[0].status == 200, timeout=10):
            raise RuntimeError(f"{binary} did not become ready")
        return service

    yield start
    for service in started:
        service.stop()



@pytest.fixture
def split_server():
    """Starts `SplitServer(v1_share)`s (split_server.py), closed afterwards."""
    from split_server import SplitServer

    servers = []

    def start(v1_share, **options):
        servers.append(SplitServer(v1_share, **options))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def postgres_database():
    """A fresh database on the configured PostgreSQL server (see postgres.py), dropped afterwards."""
    import postgres

    if not postgres.ADMIN_URL:
        pytest.skip(postgres.SKIP_REASON)
    database = postgres.Database(postgres.ADMIN_URL)
    yield database
    database.drop()


@pytest.fixture
def private_postgres():
    """Starts PostgreSQL servers of the test's own (`private_postgres(port=None)`), stopped afterwards."""
    import shutil
    import tempfile

    import postgres

    if not postgres.ADMIN_URL:
        pytest.skip(postgres.SKIP_REASON)
    servers = []

    def start(port=None):
        # Not under pytest's tmp_path: the server runs as another user, who cannot enter root's 0700 folder.
        server = postgres.PrivateServer(Path(tempfile.mkdtemp(prefix="skalar-pg-")), port)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
        shutil.rmtree(server.directory, ignore_errors=True)
