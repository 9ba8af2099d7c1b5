"""Malformed and hostile requests get an error or a close, and the server stays healthy."""

import socket
import time


def raw(port, payload: bytes, timeout=3.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except socket.timeout:
            pass
        return received


def assert_healthy(service):
    response, _ = service.request("GET", "/healthz")
    assert response.status == 200


def test_bad_request_line(start_service):
    service = start_service("backend")
    reply = raw(service.port, b"THIS IS NOT HTTP\r\n\r\n")
    assert reply == b"" or reply.startswith(b"HTTP/1.1 400")
    reply = raw(service.port, b"GET /healthz HTTP/9.9\r\n\r\n")
    assert reply == b"" or b" 400 " in reply.split(b"\r\n")[0] or b" 505 " in reply.split(b"\r\n")[0]
    assert_healthy(service)


def test_oversized_header_block(start_service):
    service = start_service("backend", MAX_HEADER_BYTES=2048)
    reply = raw(service.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 5000 + b"\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 431")
    reply = raw(service.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Fine: " + b"a" * 1000 + b"\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200")
    assert_healthy(service)


def test_truncated_body(start_service):
    service = start_service("backend")
    with socket.create_connection(("127.0.0.1", service.port), timeout=3) as sock:
        sock.sendall(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly-ten!!")
    assert_healthy(service)


def test_client_that_stops_mid_header_is_timed_out_without_holding_a_loop(start_service):
    service = start_service("backend", IDLE_TIMEOUT_SECONDS=1, EVENT_LOOPS=1)
    with socket.create_connection(("127.0.0.1", service.port), timeout=5) as stalled:
        stalled.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Partial: ")
        started = time.monotonic()
        assert_healthy(service)  # the only loop still serves others
        assert stalled.recv(1024) == b"", "the stalled connection is closed"
        assert 0.5 < time.monotonic() - started < 3.5
    assert_healthy(service)


def test_many_garbage_connections_leave_server_healthy(start_service):
    service = start_service("backend")
    payloads = [b"\x00\xff" * 100, b"GET / HTTP/1.1\r\nBad Header Without Colon\r\n\r\n", b"\r\n\r\n\r\n",
                b"GET /healthz HTTP/1.1\r\nContent-Length: -5\r\n\r\n", b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"]
    for payload in payloads * 4:
        raw(service.port, payload, timeout=1.0)
    assert_healthy(service)
    metrics = service.metrics()
    assert "\nhttp_server_active_requests 1.0\n" in metrics, "only the scrape itself is in flight"
