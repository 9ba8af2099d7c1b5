"""What every drill shares: the verdict, its output, and loadgen in the background through a gateway."""

import http.client
import json
import re
import subprocess
import threading
import time

from mesh import get


class DrillFailed(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise DrillFailed(message)


def say(text):
    print(f"  {text}", flush=True)


def start_loadgen(mesh, *args):
    """loadgen in the background against `mesh.gateway_url` (a Mesh or a Cluster); returns the process
    and its report path."""
    report = mesh.workdir / f"loadgen-{time.monotonic_ns()}.json"
    process = subprocess.Popen([str(mesh.bin_dir / "loadgen"), mesh.gateway_url, *map(str, args), "--quiet",
                                "--event-loops", "1", "--json", str(report)], stdout=subprocess.PIPE, text=True)
    return process, report


def finish_loadgen(process, report, timeout=120):
    out, _ = process.communicate(timeout=timeout)
    return process.returncode, json.loads(report.read_text()), out


class AcknowledgedWrites:
    """POSTs guestbook entries through the gateway at `port` from `threads` threads until `stop()`,
    each on a fresh connection; keeps the id and the moment of every 201 and counts every other answer,
    so a drill can ask the store afterwards for exactly what was promised."""

    def __init__(self, port, threads=4, label="drill"):
        self.port, self.label = port, label
        self.acknowledged: dict[int, float] = {}
        self.failures: dict[str, int] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._write, daemon=True) for _ in range(threads)]
        for thread in self.threads:
            thread.start()

    def _write(self):
        sent = 0
        while not self.stopping.is_set():
            sent += 1
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("POST", "/api/entries", body=json.dumps({"author": self.label, "message": f"write {sent}"}),
                                   headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                body = response.read()
                connection.close()
                outcome = response.status
            except OSError as error:
                outcome, body = type(error).__name__, b""
            with self.lock:
                if outcome == 201:
                    self.acknowledged[json.loads(body)["id"]] = time.monotonic()
                else:
                    self.failures[str(outcome)] = self.failures.get(str(outcome), 0) + 1
            if outcome != 201:
                time.sleep(0.02)  # an outage is answered at once; do not spin on it

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(10)
        return self


def stored_ids(backend_url) -> set[int]:
    """Every entry id the backend at `backend_url` lists, page by page."""
    ids, before = set(), None
    while True:
        status, body = get(backend_url + "/api/v1/entries?limit=100" + (f"&before={before}" if before else ""), timeout=10)
        check(status == 200, f"listing the entries failed with {status}: {body[:200]}")
        page = json.loads(body)
        ids |= {item["id"] for item in page["items"]}
        if page["next"] is None:
            return ids
        before = page["next"]


def metric(url, series) -> float:
    """The value of one series (`name` or `name{labels}`, as exposed) of the service at `url`."""
    status, body = get(url + "/metrics")
    check(status == 200, f"{url}/metrics answered {status}")
    found = re.search(rb"\n" + re.escape(series.encode()) + rb" ([0-9.e+-]+)", body)
    check(found, f"{url}/metrics has no {series}")
    return float(found.group(1))


def cpu_seconds(url) -> float:
    """process_cpu_seconds_total of the service at `url`."""
    return metric(url, "process_cpu_seconds_total")
