"""The backend's database life: start-up checks, readiness, durability across kill -9."""

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from conftest import BIN_DIR, Service, free_port, wait_until


def test_missing_directory_stops_start_up_with_a_clear_line(tmp_path):
    result = subprocess.run(
        [str(BIN_DIR / "backend")],
        env={"PATH": os.environ["PATH"], "PORT": "0", "ADMIN_PORT": "0", "DATABASE_PATH": str(tmp_path / "nope" / "db.sqlite")},
        capture_output=True, text=True, timeout=10)
    assert result.returncode == 2
    assert "DATABASE_PATH" in result.stderr and "does not exist" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_migrations_are_safe_to_rerun(start_service, tmp_path):
    path = str(tmp_path / "db.sqlite")
    for round in range(3):
        service = start_service("backend", DATABASE_PATH=path)
        assert wait_until(lambda: service.request("GET", "/readyz")[0].status == 200)
        service.json("POST", "/api/v1/entries", body=json.dumps({"author": "a", "message": f"r{round}"}),
                     headers={"Content-Type": "application/json"})
        service.stop()
    service = start_service("backend", DATABASE_PATH=path)
    assert wait_until(lambda: service.request("GET", "/readyz")[0].status == 200)
    assert len(service.json("GET", "/api/v1/entries")[1]["items"]) == 3


def test_acknowledged_entries_survive_kill_9(tmp_path):
    """Write under load, kill -9 mid-stream, restart: every entry answered with 201 is there."""
    path = str(tmp_path / "durable.sqlite")
    acknowledged: set[int] = set()
    for round in range(20):
        service = Service("backend", {"PORT": "0", "ADMIN_PORT": "0", "DATABASE_PATH": path, "EVENT_LOOPS": "2"}, [])
        try:
            assert wait_until(lambda: service.request("GET", "/readyz")[0].status == 200)
            _, page = service.json("GET", "/api/v1/entries?limit=1")
            present = set()
            before = None
            while True:
                _, page = service.json("GET", "/api/v1/entries?limit=100" + (f"&before={before}" if before else ""))
                present |= {item["id"] for item in page["items"]}
                if page["next"] is None:
                    break
                before = page["next"]
            missing = acknowledged - present
            assert not missing, f"round {round}: acknowledged entries lost: {sorted(missing)[:10]}"

            stop = threading.Event()

            def writer():
                while not stop.is_set():
                    try:
                        response, body = service.json("POST", "/api/v1/entries", timeout=2,
                                                      body=json.dumps({"author": "d", "message": f"round {round}"}),
                                                      headers={"Content-Type": "application/json"})
                    except OSError:
                        return
                    if response.status == 201:
                        acknowledged.add(body["id"])

            threads = [threading.Thread(target=writer) for _ in range(4)]
            for thread in threads:
                thread.start()
            time.sleep(0.15)
            service.process.send_signal(signal.SIGKILL)
            service.process.wait(5)
            stop.set()
            for thread in threads:
                thread.join(5)
        finally:
            service.stop()
    assert len(acknowledged) > 100, "the load really wrote"


def test_a_stuck_write_stalls_neither_reads_nor_probes(start_service, tmp_path):
    """Another process holds the write lock: the POST waits on the writer thread, the loops keep serving."""
    import sqlite3

    path = tmp_path / "locked.sqlite"
    service = start_service("backend", DATABASE_PATH=str(path), EVENT_LOOPS=1)
    holder = sqlite3.connect(path, isolation_level=None, timeout=5)
    holder.execute("BEGIN IMMEDIATE")
    result = {}

    def write():
        started = time.monotonic()
        response, body = service.json("POST", "/api/v1/entries", body=json.dumps({"author": "a", "message": "waits"}),
                                      headers={"Content-Type": "application/json"})
        result.update(status=response.status, seconds=time.monotonic() - started)

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.2)
    slowest = 0.0
    for _ in range(20):
        started = time.monotonic()
        assert service.request("GET", "/api/v1/entries")[0].status == 200
        assert service.request("GET", "/healthz")[0].status == 200
        slowest = max(slowest, time.monotonic() - started)
    assert slowest < 0.2, "the only event loop kept answering while the write waited"
    assert "status" not in result, "the write is still waiting for the lock"
    holder.execute("COMMIT")
    writer.join(5)
    assert result["status"] == 201 and result["seconds"] >= 0.2


def test_a_lock_held_past_the_busy_timeout_is_a_retryable_503(start_service, tmp_path):
    import sqlite3

    path = tmp_path / "busy.sqlite"
    service = start_service("backend", DATABASE_PATH=str(path))
    holder = sqlite3.connect(path, isolation_level=None, timeout=5)
    holder.execute("BEGIN IMMEDIATE")
    outcome = {}

    def write():
        started = time.monotonic()
        response, body = service.json("POST", "/api/v1/entries", body=json.dumps({"author": "a", "message": "m"}),
                                      headers={"Content-Type": "application/json"}, timeout=20)
        outcome.update(response=response, body=body, seconds=time.monotonic() - started)

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(2.5)
    response, body = service.json("GET", "/readyz")
    assert response.status == 503 and body["error"]["message"] == "database writes are stalled", \
        "a write stuck past 2 s takes the pod out of rotation"
    assert service.json("GET", "/healthz")[0].status == 200
    writer.join(10)
    assert outcome["response"].status == 503 and outcome["body"]["error"]["code"] == "database_busy"
    assert outcome["response"].getheader("Retry-After") == "1"
    assert 4.5 < outcome["seconds"] < 7, "the busy timeout is 5 s"
    holder.execute("ROLLBACK")
    assert wait_until(lambda: service.request("GET", "/readyz")[0].status == 200)
    assert service.json("POST", "/api/v1/entries", body=json.dumps({"author": "a", "message": "m"}),
                        headers={"Content-Type": "application/json"})[0].status == 201
