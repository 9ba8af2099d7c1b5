"""The backend's guestbook API, on a real SQLite file and on a real PostgreSQL database: each test runs
on both stores, which must answer alike."""

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    return request.param


@pytest.fixture
def database(engine, request, tmp_path):
    """The backend's settings for a fresh, empty database of `engine`."""
    if engine == "sqlite":
        return {"DATABASE_PATH": str(tmp_path / "guestbook.sqlite")}
    return {"DATABASE_URL": request.getfixturevalue("postgres_database").url}


@pytest.fixture
def backend(start_service, database):
    return start_service("backend", **database)


def post(service, body, headers=None, raw=None):
    payload = raw if raw is not None else json.dumps(body).encode()
    return service.json("POST", "/api/v1/entries", body=payload,
                        headers={"Content-Type": "application/json", **(headers or {})})


def wait_ready(service):
    from conftest import wait_until

    assert wait_until(lambda: service.request("GET", "/readyz")[0].status == 200)


def test_create_read_list_delete(backend):
    wait_ready(backend)
    response, entry = post(backend, {"author": "  Ada ", "message": "Hello\nworld"})
    assert response.status == 201
    assert entry["author"] == "Ada" and entry["message"] == "Hello\nworld"
    assert response.getheader("Location") == f"/api/v1/entries/{entry['id']}"
    assert entry["createdAt"].endswith("Z") and "T" in entry["createdAt"]
    response, fetched = backend.json("GET", f"/api/v1/entries/{entry['id']}")
    assert response.status == 200 and fetched == entry
    response, page = backend.json("GET", "/api/v1/entries")
    assert page == {"items": [entry], "next": None}
    response, _ = backend.request("DELETE", f"/api/v1/entries/{entry['id']}")
    assert response.status == 204
    assert backend.json("GET", f"/api/v1/entries/{entry['id']}")[0].status == 404
    assert backend.json("DELETE", f"/api/v1/entries/{entry['id']}")[0].status == 404
    assert backend.json("GET", "/api/v1/entries/abc")[0].status == 400


def test_pagination_stays_correct_while_others_insert(backend):
    wait_ready(backend)
    ids = [post(backend, {"author": "a", "message": f"m{i}"})[1]["id"] for i in range(25)]
    seen = []
    before = None
    inserted_meanwhile = []
    while True:
        query = "/api/v1/entries?limit=7" + (f"&before={before}" if before else "")
        response, page = backend.json("GET", query)
        assert response.status == 200 and len(page["items"]) <= 7
        seen += [item["id"] for item in page["items"]]
        inserted_meanwhile.append(post(backend, {"author": "b", "message": "during"})[1]["id"])
        if page["next"] is None:
            break
        before = page["next"]
    assert seen == sorted(ids, reverse=True), "each entry exactly once, newest first, none from later inserts"
    assert min(inserted_meanwhile) > max(ids)


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "before=0", "before=-3", "before=1.5"])
def test_bad_page_parameters(backend, query):
    response, body = backend.json("GET", f"/api/v1/entries?{query}")
    assert response.status == 400 and body["error"]["code"] == "invalid_query"


def test_limit_bounds_are_accepted(backend):
    wait_ready(backend)
    for limit in (1, 100):
        assert backend.json("GET", f"/api/v1/entries?limit={limit}")[0].status == 200


@pytest.mark.parametrize(
    "body,field",
    [
        ({"author": "a" * 65, "message": "m"}, "author"),
        ({"author": "", "message": "m"}, "author"),
        ({"author": "   ", "message": "m"}, "author"),
        ({"author": "a", "message": "m" * 2001}, "message"),
        ({"author": "a", "message": "\n \t"}, "message"),
        ({"author": "a\nb", "message": "m"}, "author"),
        ({"author": "a", "message": "bell\u0007"}, "message"),
        ({"author": "a", "message": "tab\tinside"}, "message"),
        ({"author": "a", "message": "c1\u0085inside"}, "message"),
        ({"author": 5, "message": "m"}, "author"),
        ({"author": "a", "message": None}, "message"),
        ({"author": "a", "message": ["m"]}, "message"),
        ({"message": "m"}, "author"),
        ({"author": "a"}, "message"),
        ({"author": "a", "message": "m", "admin": True}, "admin"),
    ],
)
def test_validation_rules(backend, body, field):
    response, result = post(backend, body)
    assert response.status == 422
    assert result["error"]["code"] == "validation_failed"
    assert field in result["error"]["fields"]


def test_boundaries_are_accepted(backend):
    wait_ready(backend)
    response, entry = post(backend, {"author": "a" * 64, "message": "m" * 2000})
    assert response.status == 201 and len(entry["author"]) == 64 and len(entry["message"]) == 2000
    response, entry = post(backend, {"author": "é" * 64, "message": "😀" * 2000})
    assert response.status == 201, "limits count characters, not bytes"


def test_malformed_bodies(backend):
    assert post(backend, None, raw=b"{not json")[0].status == 400
    assert post(backend, None, raw=b'["a"]')[0].status == 400
    assert post(backend, None, raw=b'{"author":"\xff","message":"m"}')[0].status == 400, "invalid UTF-8"
    response, body = backend.json("POST", "/api/v1/entries", body=b'{"author":"a","message":"m"}',
                                   headers={"Content-Type": "text/plain"})
    assert response.status == 415 and body["error"]["code"] == "unsupported_media_type"
    response, body = backend.json("POST", "/api/v1/entries", body=b'{"author":"a","message":"m"}')
    assert response.status == 415
    response, body = post(backend, None, raw=b'{"author":"a","message":"' + b"m" * 2_000_000 + b'"}')
    assert response.status == 413


def test_injection_and_html_are_stored_verbatim(backend):
    wait_ready(backend)
    hostile = {"author": "Robert'); DROP TABLE entries;--", "message": "<script>alert('x')</script> \" ' & %s ?1"}
    response, entry = post(backend, hostile)
    assert response.status == 201
    assert backend.json("GET", f"/api/v1/entries/{entry['id']}")[1] == entry
    assert entry["author"] == hostile["author"] and entry["message"] == hostile["message"]
    assert backend.json("GET", "/api/v1/entries")[1]["items"][0] == entry


def test_idempotency_key_replays_the_first_response(backend):
    wait_ready(backend)
    key = str(uuid.uuid4())
    first, entry = post(backend, {"author": "a", "message": "once"}, {"Idempotency-Key": key})
    again, replayed = post(backend, {"author": "a", "message": "once"}, {"Idempotency-Key": key})
    assert first.status == again.status == 201
    assert replayed == entry and again.getheader("Location") == first.getheader("Location")
    assert again.getheader("Idempotent-Replayed") == "true"
    assert len(backend.json("GET", "/api/v1/entries")[1]["items"]) == 1

    response, body = post(backend, {"author": "a", "message": "different"}, {"Idempotency-Key": key})
    assert response.status == 409 and body["error"]["code"] == "idempotency_key_reused"
    assert post(backend, {"author": "a", "message": "m"}, {"Idempotency-Key": "x" * 256})[0].status == 400
    assert post(backend, {"author": "a", "message": "m"}, {"Idempotency-Key": "has space"})[0].status == 400


def test_concurrent_duplicates_create_one_entry(backend):
    wait_ready(backend)
    key = str(uuid.uuid4())
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: post(backend, {"author": "a", "message": "race"}, {"Idempotency-Key": key}), range(32)))
    assert {response.status for response, _ in results} == {201}
    assert len({body["id"] for _, body in results}) == 1
    assert len(backend.json("GET", "/api/v1/entries")[1]["items"]) == 1


def test_parallel_writers_and_readers_never_see_5xx(backend):
    wait_ready(backend)
    statuses = []
    lock = threading.Lock()

    def work(index):
        if index % 2:
            response, _ = post(backend, {"author": f"w{index}", "message": "parallel"})
        else:
            response, _ = backend.json("GET", "/api/v1/entries?limit=50")
        with lock:
            statuses.append(response.status)

    with ThreadPoolExecutor(24) as pool:
        list(pool.map(work, range(400)))
    assert set(statuses) <= {200, 201}
    assert statuses.count(201) == 200
    metrics = backend.metrics()
    assert "guestbook_entries 200.0" in metrics
    assert 'db_query_duration_seconds_count{operation="commit"}' in metrics


def test_seed_entries_fill_an_empty_database(start_service, database):
    service = start_service("backend", SEED_ENTRIES=250, **database)
    wait_ready(service)
    response, page = service.json("GET", "/api/v1/entries?limit=100")
    assert len(page["items"]) == 100 and page["next"] is not None
    assert "guestbook_entries 250.0" in service.metrics()
