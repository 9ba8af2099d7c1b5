"""A local service mesh on loopback: the real backend and frontend binaries as processes, and a real
Envoy as the ingress gateway, configured from the Helm chart's own routing (see chart_routing.py and
envoy_config.py). Every process is started and stopped here; all traffic stays on 127.0.0.1.

Run `python3 loadtest/mesh/mesh.py` to bring one up by hand (Ctrl-C stops it); drills.py uses it."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chart_routing  # noqa: E402
import envoy_config  # noqa: E402
from ports import free_port  # noqa: E402,F401  (re-exported: the drills and tests take it from here)

ROOT = Path(__file__).resolve().parents[2]


def envoy_binary():
    import envoy

    return str(Path(envoy.__file__).parent / "_bin" / "envoy")


def get(url, timeout=2.0, headers=None):
    """(status, body) of a GET; status 0 when nothing answered."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def wait_for(predicate, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@dataclass
class Process:
    name: str
    port: int
    admin_port: int
    popen: subprocess.Popen
    version: str = ""

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def ready(self):
        return get(self.url + "/readyz")[0] == 200

    def admin(self, method, path):
        request = urllib.request.Request(f"http://127.0.0.1:{self.admin_port}{path}", method=method, data=b"")
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status


@dataclass
class Mesh:
    """Processes plus the gateway. `chart_values` are the `--set` values the routing is rendered with."""

    chart_values: dict = field(default_factory=dict)
    bin_dir: Path = field(default_factory=lambda: Path(os.environ.get("SKALAR_BIN_DIR", ROOT / ".build" / "debug")))
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="skalar-mesh-")))
    processes: list = field(default_factory=list)
    envoy: subprocess.Popen | None = None
    gateway_port: int = field(default_factory=free_port)
    envoy_admin_port: int = field(default_factory=free_port)

    def __post_init__(self):
        self.routing = chart_routing.routing(self.chart_values)
        self.env = self.routing.frontend_env

    # --- processes ---

    def start(self, binary, name, version, extra_env=None, port=None):
        port = port or free_port()
        admin_port = free_port()
        env = {"PATH": os.environ.get("PATH", ""), "PORT": str(port), "ADMIN_PORT": str(admin_port),
               "BIND_ADDRESS": "127.0.0.1", "APP_VERSION": version, "POD_NAME": name, "LOG_FORMAT": "json",
               "LOG_LEVEL": "warning", "ACCESS_LOG": "false"}
        env.update(extra_env or {})
        log = open(self.workdir / f"{name}.log", "ab")
        popen = subprocess.Popen([str(self.bin_dir / binary)], env=env, stdout=log, stderr=log)
        process = Process(name, port, admin_port, popen, version)
        self.processes.append(process)
        return process

    def start_backend(self, port=None, name="backend-app-0", extra_env=None):
        env = {"DATABASE_PATH": str(self.workdir / "backend.sqlite"), "DRAIN_SECONDS": "0"}
        env.update(extra_env or {})
        backend = self.start("backend", name, "v1", env, port=port)
        assert wait_for(backend.ready), "backend did not become ready"
        self.backend = backend
        return backend

    def start_frontend(self, version, name, port=None, extra_env=None):
        """A frontend with the chart's container environment (drain, timeouts, CPU work)."""
        env = {key: value for key, value in self.env.items() if key not in ("PORT", "ADMIN_PORT", "LOG_FORMAT", "LOG_LEVEL")}
        env["BACKEND_URL"] = self.backend.url
        env.update(extra_env or {})
        return self.start("frontend", name, version, env, port=port)

    def stop(self, process, sig=signal.SIGTERM, timeout=30):
        if process.popen.poll() is None:
            process.popen.send_signal(sig)
        return process.popen.wait(timeout)

    # --- the gateway ---

    def start_gateway(self, endpoints):
        """Starts Envoy with the chart's routing; `endpoints` maps a subset (None: the whole service) to
        the frontend processes behind it, running or not yet."""
        config = envoy_config.bootstrap(self.routing, self.gateway_port, self.envoy_admin_port,
                                        {subset: [p.port for p in members] for subset, members in endpoints.items()})
        path = self.workdir / "envoy.json"
        path.write_text(json.dumps(config, indent=2))
        log = open(self.workdir / "envoy.log", "ab")
        self.envoy = subprocess.Popen([envoy_binary(), "-c", str(path), "--log-level", "warning",
                                       "--base-id", str(self.gateway_port), "--concurrency", "1"],
                                      stdout=log, stderr=log)
        assert wait_for(lambda: get(f"http://127.0.0.1:{self.envoy_admin_port}/ready")[0] == 200, timeout=15), \
            f"Envoy did not start; see {self.workdir / 'envoy.log'}"

    def stop_gateway(self):
        if self.envoy and self.envoy.poll() is None:
            self.envoy.terminate()
            self.envoy.wait(10)
        self.envoy = None

    def healthy_hosts(self, cluster):
        """How many endpoints of `cluster` Envoy's health checks consider healthy."""
        status, body = get(f"http://127.0.0.1:{self.envoy_admin_port}/clusters?format=json")
        if status != 200:
            return 0
        for entry in json.loads(body).get("cluster_statuses", []):
            if entry["name"] == cluster:
                return sum(1 for host in entry.get("host_statuses", [])
                           if host.get("health_status", {}).get("eds_health_status") == "HEALTHY"
                           and not host["health_status"].get("failed_active_health_check"))
        return 0

    @property
    def gateway_url(self):
        return f"http://127.0.0.1:{self.gateway_port}"

    def loadgen(self, *args, timeout=120):
        """Runs loadgen through the gateway; returns (exit status, JSON report)."""
        report = self.workdir / f"loadgen-{time.monotonic_ns()}.json"
        result = subprocess.run([str(self.bin_dir / "loadgen"), self.gateway_url, *map(str, args), "--quiet",
                                 "--event-loops", "1", "--json", str(report)],
                                capture_output=True, text=True, timeout=timeout)
        return result.returncode, json.loads(report.read_text()) if report.exists() else None, result.stdout

    def close(self):
        self.stop_gateway()
        for process in self.processes:
            if process.popen.poll() is None:
                process.popen.kill()
                process.popen.wait(10)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def main():
    with Mesh(chart_values={"frontend.canary.enabled": "true"}) as mesh:
        mesh.start_backend()
        v1 = [mesh.start_frontend("v1", f"frontend-v1-{i}") for i in range(2)]
        v2 = [mesh.start_frontend("v2", "frontend-v2-0")]
        mesh.start_gateway({"stable": v1, "canary": v2})
        print(f"gateway {mesh.gateway_url}/  (Envoy admin http://127.0.0.1:{mesh.envoy_admin_port}/), logs in {mesh.workdir}")
        print("Ctrl-C stops everything")
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
