"""The backend on a real PostgreSQL server: several replicas on one database, the server going away and
coming back, slow queries, and the ways a configuration can be wrong.

test_backend_entries.py runs the API's own checks on both stores; these are what only a shared server has.
"""

import json
import os
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

import postgres
from conftest import BIN_DIR, free_port, wait_until

pytestmark = postgres.requires_postgres


def post(service, body, headers=None, timeout=10):
    return service.json("POST", "/api/v1/entries", body=json.dumps(body).encode(), timeout=timeout,
                        headers={"Content-Type": "application/json", **(headers or {})})


def ready(service) -> bool:
    return service.request("GET", "/readyz")[0].status == 200


def logged(service, message: str) -> list[dict]:
    return [line for line in service.lines if line.get("message") == message]


def metric(service, line_start: str) -> float:
    for line in service.metrics().splitlines():
        if line.startswith(line_start + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no {line_start} in /metrics")


def test_one_idempotency_key_sent_to_two_replicas_at_once_creates_one_entry(start_service, postgres_database):
    replicas = [start_service("backend", DATABASE_URL=postgres_database.url) for _ in range(2)]
    for round in range(5):
        key = str(uuid.uuid4())
        barrier = threading.Barrier(16)

        def send(index):
            barrier.wait()
            return post(replicas[index % 2], {"author": "a", "message": f"race {round}"}, {"Idempotency-Key": key})

        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(send, range(16)))
        assert {response.status for response, _ in results} == {201}
        assert len({json.dumps(body, sort_keys=True) for _, body in results}) == 1, "every answer is the first one"
        assert len({response.getheader("Location") for response, _ in results}) == 1
        assert sum(response.getheader("Idempotent-Replayed") is None for response, _ in results) == 1
        stored = postgres_database.query(f"SELECT count(*) FROM entries WHERE message = 'race {round}'")
        assert stored == "1"


def test_replicas_starting_at_once_migrate_and_seed_once(start_service, postgres_database):
    replicas = [start_service("backend", ready=False, DATABASE_URL=postgres_database.url, SEED_ENTRIES=120)
                for _ in range(4)]
    assert wait_until(lambda: all(ready(replica) for replica in replicas), timeout=15)
    assert postgres_database.query("SELECT string_agg(version::text, ',') FROM skalar_schema_migrations") == "1"
    assert postgres_database.query("SELECT count(*) FROM entries") == "120", "seeded once, not once per replica"
    assert sum(len(logged(replica, "database migrated")) for replica in replicas) == 1
    for replica in replicas:
        assert replica.json("GET", "/api/v1/entries?limit=1")[1]["items"][0]["message"] == \
            "Seeded entry 120 for load tests."
    # A later start finds nothing to migrate.
    again = start_service("backend", DATABASE_URL=postgres_database.url)
    assert not logged(again, "database migrated")


def test_readiness_follows_the_server_and_recovers_without_a_restart(start_service, private_postgres):
    server = private_postgres()
    service = start_service("backend", DATABASE_URL=server.url)
    response, created = post(service, {"author": "a", "message": "before"})
    assert response.status == 201

    server.stop()
    assert wait_until(lambda: not ready(service), timeout=5), "readiness fails while the server is down"
    started = time.monotonic()
    response, body = service.json("GET", "/readyz")
    assert response.status == 503 and "database" in body["error"]["message"]
    assert service.json("GET", "/healthz")[0].status == 200, "liveness never follows the database"
    response, body = service.json("GET", "/api/v1/entries")
    assert response.status == 503 and body["error"]["code"] == "database_unavailable"
    assert response.getheader("Retry-After") == "1"
    assert time.monotonic() - started < 1, "without a server, requests are answered at once"

    server.start()
    assert wait_until(lambda: ready(service), timeout=10), "ready again by itself"
    assert post(service, {"author": "a", "message": "after"})[0].status == 201
    assert [item["message"] for item in service.json("GET", "/api/v1/entries")[1]["items"]] == ["after", "before"]
    assert service.process.poll() is None
    assert logged(service, "database connection restored")


def test_an_unreachable_server_at_start_up_leaves_the_backend_live_and_unready_until_it_appears(
        start_service, private_postgres):
    port = free_port()
    password = "appears-" + uuid.uuid4().hex
    service = start_service("backend", ready=False,
                            DATABASE_URL=f"postgresql://skalar:{password}@127.0.0.1:{port}/skalar")
    assert wait_until(lambda: logged(service, "database unavailable; retrying"), timeout=5)
    assert "Connection refused" in logged(service, "database unavailable; retrying")[0]["error"]
    assert service.json("GET", "/healthz")[0].status == 200
    assert service.json("GET", "/readyz")[0].status == 503
    response, body = service.json("GET", "/api/v1/entries")
    assert response.status == 503 and body["error"]["code"] == "database_unavailable"

    server = private_postgres(port=port)
    postgres.psql(server.url, f"ALTER ROLE skalar PASSWORD '{password}'")
    assert wait_until(lambda: ready(service), timeout=10)
    assert post(service, {"author": "a", "message": "m"})[0].status == 201
    assert service.process.poll() is None


def test_a_wrong_password_is_logged_clearly_without_the_password(start_service, postgres_database):
    secret = "wrong-" + uuid.uuid4().hex
    service = start_service("backend", ready=False, DATABASE_URL=postgres.with_password(postgres_database.url, secret))
    assert wait_until(lambda: logged(service, "database unavailable; retrying"), timeout=5)
    assert service.json("GET", "/healthz")[0].status == 200 and service.json("GET", "/readyz")[0].status == 503
    line = logged(service, "database unavailable; retrying")[0]
    assert "password authentication failed" in line["error"]
    assert "skalar_test_" in line["database"] and "127.0.0.1" in line["database"]
    time.sleep(0.5)
    service.stop()
    output = "".join(service.raw_lines) + service.process.stderr.read()
    assert secret not in output


def test_the_password_may_come_from_pgpassword_or_a_password_file(start_service, postgres_database, tmp_path):
    password = postgres.password_of(postgres_database.url)
    bare = postgres.with_password(postgres_database.url, None)
    from_variable = start_service("backend", ready=False, DATABASE_URL=bare, PGPASSWORD=password)
    assert wait_until(lambda: ready(from_variable), timeout=10)

    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:*:*:skalar:{password}\n")
    passfile.chmod(0o600)
    from_file = start_service("backend", ready=False, DATABASE_URL=bare, PGPASSFILE=str(passfile))
    assert wait_until(lambda: ready(from_file), timeout=10)


def test_a_host_name_is_looked_up_by_the_loops_own_resolver(start_service, postgres_database):
    """libpq would call the blocking getaddrinfo on the loop; the backend looks names up with evdns first."""
    by_name = postgres_database.url.replace("@127.0.0.1:", "@localhost:")
    assert "@localhost:" in by_name
    service = start_service("backend", ready=False, DATABASE_URL=by_name)
    assert wait_until(lambda: ready(service), timeout=10)
    assert post(service, {"author": "a", "message": "m"})[0].status == 201

    unknown = by_name.replace("@localhost:", "@no-such-host.invalid:")
    lost = start_service("backend", ready=False, DATABASE_URL=unknown)
    assert wait_until(lambda: logged(lost, "database unavailable; retrying"), timeout=10)
    assert "cannot look up no-such-host.invalid" in logged(lost, "database unavailable; retrying")[0]["error"]
    assert lost.json("GET", "/healthz")[0].status == 200 and lost.json("GET", "/readyz")[0].status == 503


def test_sslmode_is_honoured(start_service, postgres_database):
    service = start_service("backend", ready=False, DATABASE_URL=postgres_database.url + "?sslmode=require")
    assert wait_until(lambda: logged(service, "database unavailable; retrying"), timeout=5)
    assert "SSL" in logged(service, "database unavailable; retrying")[0]["error"]
    assert service.json("GET", "/readyz")[0].status == 503


@pytest.mark.parametrize(
    "url, reason",
    [
        ("postgresql://skalar:hunter2@[::1/db", 'matching "]"'),
        ("postgresql://skalar:hunter2@localhost/db?nosuch=1", 'invalid URI query parameter: "nosuch"'),
        ("postgresql://skalar:hun%zzter2@localhost/db", "invalid percent-encoded token"),
        ("postgresql://skalar:hunter2@localhost:fivefourthreetwo/db", 'invalid port "fivefourthreetwo"'),
        ("postgresql://skalar:hunter2@localhost/db?sslmode=sometimes", 'invalid sslmode "sometimes"'),
        ("host=localhost password=hunter2 port", 'missing "=" after "port"'),
        ("mysql://localhost/db", "missing"),
    ],
)
def test_an_unparsable_database_url_stops_start_up_with_one_line(url, reason):
    result = subprocess.run(
        [str(BIN_DIR / "backend")],
        env={"PATH": os.environ["PATH"], "PORT": "0", "ADMIN_PORT": "0", "DATABASE_URL": url},
        capture_output=True, text=True, timeout=10)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "DATABASE_URL" in result.stderr and reason in result.stderr
    assert "hunter2" not in result.stderr and "hun%zzter2" not in result.stderr, "the password is masked"


def hold_lock(database, lock_sql: str, seconds: float) -> subprocess.Popen:
    """A psql session that runs `lock_sql` in a transaction and keeps it open for `seconds`; returns once
    the lock is held."""
    holder = subprocess.Popen(
        ["psql", "--no-psqlrc", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database.url, "-c",
         f"BEGIN; {lock_sql}; SELECT pg_sleep({seconds}); COMMIT;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    held = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep%' AND wait_event = 'PgSleep'"
    assert wait_until(lambda: database.query(held) == "1", timeout=5)
    return holder


def test_a_query_past_its_deadline_is_a_503_and_blocks_nothing_else(start_service, postgres_database):
    service = start_service("backend", DATABASE_URL=postgres_database.url, EVENT_LOOPS=1,
                            POSTGRES_QUERY_TIMEOUT_MS=400)
    assert post(service, {"author": "a", "message": "m"})[0].status == 201
    holder = hold_lock(postgres_database, "LOCK TABLE entries IN ACCESS EXCLUSIVE MODE", 1.5)
    outcome = {}

    def slow_read():
        started = time.monotonic()
        response, body = service.json("GET", "/api/v1/entries")
        outcome.update(status=response.status, body=body, retry=response.getheader("Retry-After"),
                       seconds=time.monotonic() - started)

    reader = threading.Thread(target=slow_read)
    reader.start()
    slowest = 0.0
    while reader.is_alive():
        started = time.monotonic()
        assert service.json("GET", "/healthz")[0].status == 200
        assert service.json("GET", "/version")[0].status == 200
        slowest = max(slowest, time.monotonic() - started)
        time.sleep(0.02)
    reader.join()
    assert outcome["status"] == 503 and outcome["body"]["error"]["code"] == "database_timeout"
    assert outcome["retry"] == "1"
    assert 0.35 < outcome["seconds"] < 1.5, "answered at the 400 ms deadline"
    assert slowest < 0.2, "the only event loop kept serving while the query waited"
    holder.wait(10)
    assert wait_until(lambda: service.json("GET", "/api/v1/entries")[0].status == 200, timeout=5)
    assert metric(service, 'db_query_duration_seconds_count{operation="select_page"}') >= 2


def test_the_pool_gauges_show_connections_in_use_idle_and_waiting(start_service, postgres_database):
    service = start_service("backend", DATABASE_URL=postgres_database.url, EVENT_LOOPS=1, POSTGRES_POOL_SIZE=2,
                            POSTGRES_QUERY_TIMEOUT_MS=8000)
    assert service.json("GET", "/api/v1/entries")[0].status == 200
    assert metric(service, 'db_client_connection_count{state="idle"}') == 1
    assert metric(service, 'db_client_connection_count{state="used"}') == 0
    assert metric(service, "db_client_connection_pending_requests") == 0

    # A row lock, not a table lock: a connection opened meanwhile can still prepare its statements.
    _, entry = post(service, {"author": "a", "message": "locked"})
    holder = hold_lock(postgres_database, f"SELECT id FROM entries WHERE id = {entry['id']} FOR UPDATE", 1.5)

    def counts():
        return [metric(service, name) for name in ('db_client_connection_count{state="idle"}',
                                                   'db_client_connection_count{state="used"}',
                                                   "db_client_connection_pending_requests")]

    with ThreadPoolExecutor(5) as pool:
        # Two deletes wait for the row, one on each connection (the second made the pool grow) …
        deletes = [pool.submit(service.json, "DELETE", f"/api/v1/entries/{entry['id']}", timeout=15)
                   for _ in range(2)]
        assert wait_until(lambda: counts() == [0, 2, 0], timeout=5), counts()
        # … so three reads wait for room.
        reads = [pool.submit(service.json, "GET", "/api/v1/entries", timeout=15) for _ in range(3)]
        assert wait_until(lambda: counts() == [0, 2, 3], timeout=5), counts()
        time.sleep(0.3)
        assert counts() == [0, 2, 3], "the pool stops at its size; the other queries wait"
        assert sorted(future.result()[0].status for future in deletes) == [204, 404]
        assert {future.result()[0].status for future in reads} == {200}, "the waiting reads ran once room came"
    holder.wait(10)
    assert metric(service, 'db_client_connection_count{state="idle"}') == 2
    assert metric(service, 'db_client_connection_count{state="used"}') == 0
    assert metric(service, "db_client_connection_pending_requests") == 0


def test_writes_that_waited_share_a_commit_and_one_failing_write_fails_alone(start_service, postgres_database):
    """Writes waiting for a connection go out as one transaction; when one of them fails, the server rolls
    back all of them, and the others are sent again, each on its own."""
    service = start_service("backend", DATABASE_URL=postgres_database.url, EVENT_LOOPS=1, POSTGRES_POOL_SIZE=1)
    postgres_database.query("ALTER TABLE entries ADD CONSTRAINT no_poison CHECK (message <> 'poison')")
    _, entry = post(service, {"author": "a", "message": "locked"})
    holder = hold_lock(postgres_database, f"SELECT id FROM entries WHERE id = {entry['id']} FOR UPDATE", 1)
    messages = [f"waited {index}" for index in range(8)] + ["poison"]
    with ThreadPoolExecutor(10) as pool:
        blocked = pool.submit(service.json, "DELETE", f"/api/v1/entries/{entry['id']}", timeout=15)
        assert wait_until(lambda: metric(service, 'db_client_connection_count{state="used"}') == 1, timeout=5)
        posts = [pool.submit(post, service, {"author": "a", "message": message}, None, 15) for message in messages]
        assert wait_until(lambda: metric(service, "db_client_connection_pending_requests") == 9, timeout=5)
        assert blocked.result()[0].status == 204
        statuses = [future.result()[0].status for future in posts]
    holder.wait(10)
    assert statuses == [201] * 8 + [500]
    stored = postgres_database.query("SELECT message FROM entries").splitlines()
    assert sorted(stored) == messages[:8], "every write but the failing one is stored, once"


def test_a_server_restart_under_writes_loses_no_acknowledged_entry(start_service, private_postgres):
    server = private_postgres()
    service = start_service("backend", DATABASE_URL=server.url)
    acknowledged, statuses = set(), []
    stop = threading.Event()

    def writer(index):
        count = 0
        while not stop.is_set():
            count += 1
            response, body = post(service, {"author": f"w{index}", "message": f"{count}"}, timeout=10)
            statuses.append(response.status)
            if response.status == 201:
                acknowledged.add(body["id"])

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    server.restart()
    assert wait_until(lambda: ready(service), timeout=10)
    time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join(15)
    # A write the restart found waiting is a 503 (never sent: a retry is safe), one it cut off on the
    # connection a 504 write_outcome_unknown (perhaps stored); never a 500.
    assert set(statuses) <= {201, 503, 504}, statuses
    assert {503, 504} & set(statuses) and statuses[-1] == 201
    stored = {int(line) for line in postgres.psql(server.url, "SELECT id FROM entries").split()}
    assert acknowledged <= stored, f"acknowledged entries lost: {sorted(acknowledged - stored)[:10]}"
