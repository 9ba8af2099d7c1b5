"""The runtime's HTTP client, exercised through the frontend's backend calls against a scripted upstream."""

import time

from upstream import Upstream, version_document

TRACE_HEADERS = {
    "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "tracestate": "congo=t61rcWkgMzE",
    "baggage": "user=alice",
    "x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7",
    "x-b3-spanid": "e457b5a2e4d86bd1",
    "x-b3-parentspanid": "05e3ac9a4f6e3b90",
    "x-b3-sampled": "1",
    "x-b3-flags": "1",
    "b3": "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1",
    "x-ot-span-context": "abc;def;1",
}


def answer_version(index, request):
    return ("respond", 200, {"Content-Type": "application/json"}, version_document())


def test_propagates_trace_headers_and_request_id():
    upstream = Upstream(answer_version)
    try:
        from conftest import Service, free_port

        service = Service("frontend", {"PORT": "0", "ADMIN_PORT": str(free_port()), "BACKEND_URL": upstream.url}, [])
        try:
            response, body = service.json("GET", "/api/info", headers={**TRACE_HEADERS, "X-Request-Id": "rid-1"})
            assert response.status == 200
            assert body["backend"] == {"reachable": True, "version": "v9", "pod": "backend-pod"}
            assert response.getheader("X-Backend-Version") == "v9"
            sent = upstream.requests[0]["headers"]
            for name, value in TRACE_HEADERS.items():
                assert sent[name] == value, name
            assert sent["x-request-id"] == "rid-1"
            assert sent["host"] == f"127.0.0.1:{upstream.port}"

            response, _ = service.json("GET", "/api/info")
            assert upstream.requests[1]["headers"]["x-request-id"] == response.getheader("X-Request-Id"), \
                "a request without an id gets one, and the backend sees the same one"
        finally:
            service.stop()
    finally:
        upstream.close()


def test_keep_alive_connections_are_pooled(start_service):
    upstream = Upstream(answer_version)
    service = start_service("frontend", BACKEND_URL=upstream.url, EVENT_LOOPS=1)
    for _ in range(5):
        assert service.json("GET", "/api/info")[1]["backend"]["reachable"]
    assert len(upstream.requests) == 5
    assert upstream.connections == 1
    upstream.close()


def test_timeout_is_bounded_and_counted(start_service):
    upstream = Upstream(lambda index, request: ("delay", 2.0, 200, {}, version_document()))
    service = start_service("frontend", BACKEND_URL=upstream.url, BACKEND_TIMEOUT_MS=300)
    started = time.monotonic()
    response, body = service.json("GET", "/api/info")
    elapsed = time.monotonic() - started
    assert response.status == 200 and body["backend"] == {"reachable": False}
    assert response.getheader("X-Backend-Version") is None
    assert 0.3 <= elapsed < 0.8
    assert 'http_client_request_errors_total{http_request_method="GET",error_type="timeout"} 1' in service.metrics()
    upstream.close()


def test_idempotent_call_is_retried_once_after_a_connection_failure(start_service):
    upstream = Upstream(lambda index, request: ("close",) if index == 0 else answer_version(index, request))
    service = start_service("frontend", BACKEND_URL=upstream.url)
    response, body = service.json("GET", "/api/info")
    assert body["backend"]["reachable"] is True
    assert len(upstream.requests) == 2 and upstream.connections == 2
    metrics = service.metrics()
    assert 'http_client_request_duration_seconds_count{http_request_method="GET",http_response_status_code="200"} 1' in metrics
    upstream.close()


def test_retry_happens_only_once(start_service):
    upstream = Upstream(lambda index, request: ("close",))
    service = start_service("frontend", BACKEND_URL=upstream.url)
    response, body = service.json("GET", "/api/info")
    assert body["backend"] == {"reachable": False}
    assert len(upstream.requests) == 2
    assert 'error_type="reset"} 1' in service.metrics()
    upstream.close()


def test_refused_connection_fails_fast(start_service):
    from conftest import free_port

    service = start_service("frontend", BACKEND_URL="http://127.0.0.1:%d" % free_port(), BACKEND_TIMEOUT_MS=2000)
    started = time.monotonic()
    response, body = service.json("GET", "/api/info")
    assert body["backend"] == {"reachable": False}
    assert time.monotonic() - started < 0.5


def test_calls_past_the_pool_bound_wait_for_a_connection(start_service):
    from concurrent.futures import ThreadPoolExecutor

    upstream = Upstream(lambda index, request: ("delay", 0.2, 200, {"Content-Type": "application/json"}, b'{"items":[]}'))
    service = start_service("frontend", BACKEND_URL=upstream.url, BACKEND_TIMEOUT_MS=3000, EVENT_LOOPS=1)
    with ThreadPoolExecutor(100) as pool:
        statuses = list(pool.map(lambda _: service.request("GET", "/api/entries", timeout=10)[0].status, range(100)))
    assert statuses == [200] * 100, "calls beyond 64 waited for a connection instead of failing"
    assert upstream.max_active <= 64, "one loop never holds more than 64 connections to the backend"
    upstream.close()


def test_waiting_for_a_connection_ends_at_the_deadline(start_service):
    from concurrent.futures import ThreadPoolExecutor

    upstream = Upstream(lambda index, request: ("delay", 1.5, 200, {"Content-Type": "application/json"}, b'{"items":[]}'))
    service = start_service("frontend", BACKEND_URL=upstream.url, BACKEND_TIMEOUT_MS=600, EVENT_LOOPS=1)
    def timed_request(_):
        started = time.monotonic()
        response, body = service.json("GET", "/api/entries", timeout=10)
        return response.status, body["error"]["code"], time.monotonic() - started

    with ThreadPoolExecutor(80) as pool:
        results = list(pool.map(timed_request, range(80)))
    assert {status for status, _, _ in results} == {504}, "the deadline ran out, waiting in line or not"
    assert {code for _, code, _ in results} == {"backend_timeout"}
    assert max(seconds for _, _, seconds in results) < 1.2, "waiting in line never outlasts the deadline"
    upstream.close()
