"""The backend under storage faults, each on the real binary: a full disk, a database file the process
cannot write, its file deleted or replaced while it runs, a database it cannot open at start-up, and
another program's SQLite file."""

import errno
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import BIN_DIR, Service, wait_until

# `PRAGMA application_id` of Skalar's databases: "SKLR" in ASCII (docs/architecture.md).
SKALAR_APPLICATION_ID = 0x534B4C52
# The user that a test runs the backend as when the file modes must count (root ignores them).
UNPRIVILEGED = 65534


def post(service, message, key=None, timeout=10):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    return service.json("POST", "/api/v1/entries", body=json.dumps({"author": "a", "message": message}),
                        headers=headers, timeout=timeout)


def messages(service):
    response, page = service.json("GET", "/api/v1/entries")
    assert response.status == 200
    return [item["message"] for item in page["items"]]


def backend_environment(path, **settings):
    return {"PATH": os.environ.get("PATH", ""), "PORT": "0", "ADMIN_PORT": "0", "LOG_FORMAT": "json",
            "DRAIN_SECONDS": "0", "DATABASE_PATH": str(path), **settings}


def make_skalar_database(path, message="kept"):
    """A database the backend made and wrote one entry to, the backend stopped again."""
    service = Service("backend", backend_environment(path), [])
    try:
        assert wait_until(lambda: service.request("GET", "/readyz")[0].status == 200)
        assert post(service, message)[0].status == 201
        service.signal(signal.SIGTERM)
        assert service.wait(10) == 0
    finally:
        service.stop()
    return path


def run_to_exit(path, prefix=(), binary=BIN_DIR / "backend"):
    """Runs the backend on `path` and returns its result; it must exit by itself."""
    try:
        return subprocess.run([*prefix, str(binary)], env=backend_environment(path),
                              capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("the backend started and kept running on a database it must refuse")


def assert_refused(result, *words):
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("backend: ") and "DATABASE_PATH" in lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    assert "listening" not in result.stdout, "a refused database stops the backend before it listens"


def logged(service, message):
    """Whether the service logs `message` soon (its output is read by another thread)."""
    return wait_until(lambda: any(line.get("message") == message for line in service.lines), timeout=10)


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def application_id(path):
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA application_id").fetchone()[0]


def mount(*arguments):
    result = subprocess.run(["mount", *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"mount {' '.join(arguments)} is not possible here: {result.stderr.strip()}")


# A full disk.

@pytest.fixture
def small_filesystem(tmp_path):
    """A 2 MiB tmpfs: a real file system that runs out of space (ENOSPC)."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mount("-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", str(mount_point))
    yield mount_point
    subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


def fill(directory):
    """Writes a file until the file system has no byte left; returns it."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        chunk = 1 << 16
        while chunk:
            try:
                os.write(fd, b"\0" * chunk)
            except OSError as error:
                assert error.errno == errno.ENOSPC
                chunk //= 2
    finally:
        os.close(fd)
    assert os.statvfs(directory).f_bavail == 0
    return filler


def test_a_full_disk_is_a_507_while_reads_go_on_and_writes_recover(small_filesystem, start_service):
    service = start_service("backend", DATABASE_PATH=small_filesystem / "db.sqlite")
    assert post(service, "before")[0].status == 201
    filler = fill(small_filesystem)

    response, body = post(service, "while full", key="full-1")
    assert response.status == 507, body
    assert response.getheader("Content-Type") == "application/json"
    assert body["error"]["code"] == "storage_full"
    assert post(service, "while full")[0].status == 507, "every write fails while the disk is full"
    assert messages(service) == ["before"], "reads go on"
    assert service.request("GET", "/readyz")[0].status == 200, "readiness stays up: reads work"
    assert 'db_write_errors_total{reason="storage_full"} 2' in service.metrics().splitlines()
    assert logged(service, "database storage full; writes fail")
    full = [line for line in service.lines if line.get("message") == "database storage full; writes fail"]
    assert len(full) == 1 and full[0]["level"] == "error", "one line when the condition begins"

    filler.unlink()
    response, body = post(service, "while full", key="full-1")
    assert response.status == 201 and response.getheader("Idempotent-Replayed") is None, \
        "the refused write stored nothing, not even its idempotency key"
    assert messages(service) == ["while full", "before"]
    assert logged(service, "database writes succeed again")


# A database file the process cannot write.

def test_a_database_file_the_process_cannot_write_stops_start_up():
    """Mode 0444 as an unprivileged user: SQLite would silently open the file read-only (EACCES)."""
    directory = Path(tempfile.mkdtemp(prefix="skalar-read-only-"))
    try:
        path = make_skalar_database(directory / "db.sqlite")
        prefix, binary = (), BIN_DIR / "backend"
        if os.geteuid() == 0:  # root writes any file whatever its mode: run as nobody
            if shutil.which("setpriv") is None:
                pytest.skip("setpriv is needed to run the backend unprivileged")
            for entry in [directory, *directory.iterdir()]:
                os.chown(entry, UNPRIVILEGED, UNPRIVILEGED)
            prefix = ("setpriv", f"--reuid={UNPRIVILEGED}", f"--regid={UNPRIVILEGED}", "--clear-groups")
            # A copy nobody may run, wherever the checkout is (a home directory may be closed to others).
            binary = Path(shutil.copy2(BIN_DIR / "backend", directory / "backend"))
        os.chmod(path, 0o444)
        before = digest(path)
        assert_refused(run_to_exit(path, prefix, binary), "read-only")
        assert digest(path) == before
    finally:
        shutil.rmtree(directory)


def test_a_database_file_on_a_read_only_mount_stops_start_up(tmp_path):
    """The file alone bind-mounted read-only: EROFS, even for root."""
    path = make_skalar_database(tmp_path / "db.sqlite")
    mount("--bind", str(path), str(path))
    try:
        mount("-o", "remount,bind,ro", str(path))
        assert_refused(run_to_exit(path), "read-only")
    finally:
        subprocess.run(["umount", str(path)], check=True)


# The database file deleted or replaced while the backend runs.

def delete_database(path):
    path.unlink()


def delete_database_and_its_companions(path):
    for suffix in ["", "-wal", "-shm"]:
        Path(f"{path}{suffix}").unlink()


def delete_write_ahead_log(path):
    Path(f"{path}-wal").unlink()


def replace_database_by_a_copy(path):
    """What restoring a backup with `cp` and `mv` does: the same content at the path, another file."""
    copy = path.with_name("copy.sqlite")
    shutil.copyfile(path, copy)
    os.replace(copy, path)


@pytest.mark.parametrize("change", [delete_database, delete_database_and_its_companions, delete_write_ahead_log,
                                    replace_database_by_a_copy], ids=lambda change: change.__name__)
def test_no_201_for_a_write_the_file_at_the_path_does_not_hold(start_service, tmp_path, change):
    path = tmp_path / "db.sqlite"
    service = start_service("backend", DATABASE_PATH=path)
    assert post(service, "before")[0].status == 201
    change(path)

    for attempt in range(2):
        response, body = post(service, f"after {attempt}")
        assert response.status == 503, body
        assert body["error"]["code"] == "database_file_lost"
    response, body = service.json("GET", "/readyz")
    assert response.status == 503 and "deleted or replaced" in body["error"]["message"]
    assert service.json("GET", "/api/v1/entries")[0].status == 503
    assert service.json("GET", "/healthz")[0].status == 200
    assert logged(service, "database file deleted or replaced while open; restart the backend")


def test_a_database_behind_a_symbolic_link_works(start_service, tmp_path):
    """SQLite keeps the write-ahead log beside the file the link leads to; the file check looks there too."""
    (tmp_path / "volume").mkdir()
    link = tmp_path / "db.sqlite"
    link.symlink_to(tmp_path / "volume" / "db.sqlite")
    service = start_service("backend", DATABASE_PATH=link)
    assert post(service, "through the link")[0].status == 201
    assert (tmp_path / "volume" / "db.sqlite-wal").exists()
    assert service.request("GET", "/readyz")[0].status == 200


def test_a_file_replaced_while_idle_fails_readiness_before_any_write(start_service, tmp_path):
    path = tmp_path / "db.sqlite"
    service = start_service("backend", DATABASE_PATH=path)
    replace_database_by_a_copy(path)
    response, body = service.json("GET", "/readyz")
    assert response.status == 503 and "deleted or replaced" in body["error"]["message"]
    assert post(service, "after")[0].status == 503


# A database the backend cannot open at start-up.

def test_a_file_that_is_not_a_database_stops_start_up_and_stays_unchanged(tmp_path):
    path = tmp_path / "db.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    before = digest(path)
    assert_refused(run_to_exit(path), "not an SQLite database")
    assert digest(path) == before
    assert sorted(os.listdir(tmp_path)) == ["db.sqlite"]


def test_a_directory_at_the_path_stops_start_up(tmp_path):
    (tmp_path / "db.sqlite").mkdir()
    assert_refused(run_to_exit(tmp_path / "db.sqlite"), "directory")


@pytest.fixture
def locked_database(tmp_path):
    """A Skalar database whose lock another process holds (an exclusive-mode connection)."""
    path = make_skalar_database(tmp_path / "db.sqlite")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO entries (author, message, created_at) VALUES ('h', 'holder', 0)")
    holder.execute("COMMIT")  # the exclusive lock stays until the connection closes
    yield path, holder
    holder.close()


def test_a_database_locked_at_start_up_answers_503_at_once_and_recovers(start_service, locked_database):
    path, holder = locked_database
    service = start_service("backend", ready=False, DATABASE_PATH=path)
    assert logged(service, "database unavailable; retrying")
    response, body = service.json("GET", "/readyz")
    assert response.status == 503 and "locked" in body["error"]["message"], body

    started = time.monotonic()
    response, body = post(service, "waits for nothing", timeout=3)
    assert response.status == 503 and body["error"]["code"] == "database_unavailable", body
    assert response.getheader("Retry-After") == "1"
    response, body = service.json("GET", "/api/v1/entries", timeout=3)
    assert response.status == 503 and body["error"]["code"] == "database_unavailable", body
    assert time.monotonic() - started < 1, "answered at once"
    assert service.json("GET", "/healthz")[0].status == 200

    holder.close()
    assert wait_until(lambda: service.request("GET", "/readyz")[0].status == 200, timeout=10)
    assert post(service, "after")[0].status == 201
    assert messages(service) == ["after", "holder", "kept"]


def test_a_backend_waiting_for_its_database_shuts_down_at_once(start_service, locked_database):
    path, _ = locked_database
    service = start_service("backend", ready=False, DATABASE_PATH=path, SHUTDOWN_TIMEOUT_SECONDS=5)
    assert logged(service, "database unavailable; retrying")
    assert post(service, "refused", timeout=3)[0].status == 503
    started = time.monotonic()
    service.signal(signal.SIGTERM)
    assert service.wait(10) == 0
    assert time.monotonic() - started < 2, "nothing held the shutdown"


# Another program's SQLite file.

def another_programs_database(path):
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)")
        connection.execute("INSERT INTO accounts (owner) VALUES ('someone')")
        connection.execute("PRAGMA user_version = 1")  # the number Skalar's own first schema has


def another_programs_marked_database(path):
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA application_id = 252006674")  # Fossil's
        connection.execute("CREATE TABLE config (name TEXT PRIMARY KEY, value)")


def another_programs_empty_marked_database(path):
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA application_id = 1")


def half_migrated_database(path):
    """What earlier builds made of another program's file: its tables, Skalar's tables, user_version 1."""
    make_skalar_database(path)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA application_id = 0")
        connection.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)")


@pytest.mark.parametrize("make", [another_programs_database, another_programs_marked_database,
                                  another_programs_empty_marked_database, half_migrated_database],
                         ids=lambda make: make.__name__)
def test_another_programs_database_is_refused_and_left_unchanged(tmp_path, make):
    path = tmp_path / "db.sqlite"
    make(path)
    files = sorted(os.listdir(tmp_path))
    before = digest(path)
    assert_refused(run_to_exit(path), "not a Skalar database")
    assert digest(path) == before, "byte for byte"
    if make is not half_migrated_database:
        assert sorted(os.listdir(tmp_path)) == files, "no write-ahead log: the journal mode is untouched"


def test_a_new_database_is_marked_as_skalars(start_service, tmp_path):
    path = tmp_path / "db.sqlite"
    service = start_service("backend", DATABASE_PATH=path)
    assert post(service, "first")[0].status == 201
    assert application_id(path) == SKALAR_APPLICATION_ID


def test_a_skalar_database_from_before_the_marking_is_adopted(start_service, tmp_path):
    path = make_skalar_database(tmp_path / "db.sqlite")
    with sqlite3.connect(path) as connection:  # as every build before the marking left it
        connection.execute("PRAGMA application_id = 0")
    service = start_service("backend", DATABASE_PATH=path)
    assert messages(service) == ["kept"]
    assert post(service, "after the upgrade")[0].status == 201
    assert application_id(path) == SKALAR_APPLICATION_ID
    service.stop()
    service = start_service("backend", DATABASE_PATH=path)
    assert messages(service) == ["after the upgrade", "kept"]
