"""At least a hundred malformed or hostile HTTP requests: each gets an error or a close, memory stays
bounded, and the server answers normally afterwards."""

import socket
import threading
import time

import pytest


def hostile_requests():
    requests = []
    # Broken request lines.
    for line in [b"", b"GET", b"GET /", b"GET / HTTP/1.1 extra", b"/ HTTP/1.1", b"GET  / HTTP/1.1", b"G\x00T / HTTP/1.1",
                 b"GET / HTTP/1", b"GET / HTTP/2.0", b"GET / HTTP/1.1\n", b"GET / FTP/1.1", b"GET http:// HTTP/1.1",
                 b"\xff\xfe\xfd / HTTP/1.1", b"GET /\x00 HTTP/1.1", b"GET /" + b"a" * 70_000 + b" HTTP/1.1",
                 b"BREW /pot HTTP/1.1", b"GET /%zz HTTP/1.1", b"GET ../../etc/passwd HTTP/1.1", b"GET * HTTP/1.1",
                 b"CONNECT localhost:22 HTTP/1.1"]:
        requests.append(line + b"\r\nHost: x\r\n\r\n")
    # Broken or hostile headers.
    for header in [b"NoColon", b": empty-name", b"Bad Name: x", b"X-A: \x00", b"X-Folded: a\r\n  b", b"Host: a\r\nHost: b",
                   b"Content-Length: -1", b"Content-Length: abc", b"Content-Length: 5\r\nContent-Length: 6",
                   b"Content-Length: 99999999999999999999", b"Transfer-Encoding: gzip", b"Transfer-Encoding: chunked, chunked",
                   b"Expect: 100-continue-please", b"X-Request-Id: " + b"r" * 5000, b"X-Big: " + b"b" * 20_000,
                   b"Connection: close, close, close", b"Accept-Encoding: " + b"gzip;" * 2000]:
        requests.append(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + header + b"\r\n\r\n")
    requests.append(b"GET /healthz HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(3000)) + b"\r\n")
    # Broken chunked bodies.
    for body in [b"zz\r\nabc\r\n0\r\n\r\n", b"5\r\nabc\r\n0\r\n\r\n", b"-1\r\n\r\n", b"FFFFFFFFFFFFFFFF\r\n", b"3\r\nabcdef",
                 b"0\r\nTrailer: x\r\n", b"1;ext=" + b"e" * 10_000 + b"\r\na\r\n0\r\n\r\n", b"\r\n\r\n\r\n"]:
        requests.append(b"POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    # Bodies that lie about their length or are too large.
    for length, body in [(10, b"short"), (0, b"extra bytes after"), (2_000_000, b"x" * 1000), (5, b"{\"a\":")]:
        requests.append(b"POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % length + body)
    # Valid HTTP with hostile content.
    for path in [b"/api/v1/entries?limit=" + b"9" * 500, b"/api/v1/entries?before=-1", b"/api/v1/entries/" + b"1" * 400,
                 b"/api/v1/entries/%00", b"/" + b"/" * 3000, b"/api/v1/entries?" + b"&".join([b"a=b"] * 3000)]:
        requests.append(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    for body in [b"{" * 10_000, b"[" * 100 + b"]" * 100, b"\"" + b"\\u0000" * 1000 + b"\"", b"{\"author\":\"\xc3\x28\"}",
                 b"{\"author\":1e999999,\"message\":\"m\"}", b"\x00" * 100, b"null", b"{\"author\":\"a\",\"author\":\"b\"}"]:
        requests.append(b"POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    # Methods the routes do not take, and requests that look like other protocols.
    for line in [b"PATCH /healthz HTTP/1.1", b"OPTIONS * HTTP/1.1", b"TRACE / HTTP/1.1", b"PUT /api/v1/entries HTTP/1.1",
                 b"PRI * HTTP/2.0\r\n\r\nSM", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"]:
        requests.append(line + b"\r\nHost: x\r\n\r\n")
    # Pipelined junk after a good request, and many requests on one connection.
    requests.append(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE GARBAGE\r\n\r\n")
    requests.append(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 50)
    # Random binary noise of several sizes.
    import random
    noise = random.Random(7)
    for size in [1, 7, 64, 512, 4096, 65536] * 5:
        requests.append(bytes(noise.getrandbits(8) for _ in range(size)))
    return requests


REQUESTS = hostile_requests()


def send(port, payload, timeout=3.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            return b""  # the server closed first: an acceptable answer
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        return received


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def test_there_are_at_least_a_hundred():
    assert len(REQUESTS) >= 100


def test_each_gets_an_error_or_a_close_and_the_server_stays_healthy(start_service):
    service = start_service("backend", EVENT_LOOPS=1, IDLE_TIMEOUT_SECONDS=2)
    service.request("GET", "/healthz")
    before = rss_kib(service.process.pid)
    for round_number in range(3):
        for payload in REQUESTS:
            reply = send(service.port, payload)
            if reply:
                status_line = reply.split(b"\r\n", 1)[0]
                assert status_line.startswith(b"HTTP/1.1 "), (payload[:80], status_line)
                status = int(status_line.split()[1])
                # 501 is evhttp's answer to a method it does not know, 505 to an HTTP version: both correct.
                assert status < 500 or status in (501, 503, 505), (payload[:80], status_line)
    grown = rss_kib(service.process.pid) - before
    assert grown < 32 * 1024, f"memory grew by {grown} KiB over {3 * len(REQUESTS)} hostile requests"
    response, body = service.json("GET", "/healthz")
    assert response.status == 200
    assert service.process.poll() is None


def test_slowloris_connections_neither_block_nor_exhaust(start_service):
    service = start_service("backend", EVENT_LOOPS=1, IDLE_TIMEOUT_SECONDS=1)
    sockets = []
    for _ in range(200):
        sock = socket.create_connection(("127.0.0.1", service.port), timeout=5)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        sockets.append(sock)
    started = time.monotonic()
    assert service.request("GET", "/healthz")[0].status == 200
    assert time.monotonic() - started < 0.5, "200 half-open requests do not slow a real one"
    time.sleep(2.5)
    closed = sum(1 for sock in sockets if _closed(sock))
    assert closed == len(sockets), "every stalled connection was timed out"
    for sock in sockets:
        sock.close()
    assert service.request("GET", "/healthz")[0].status == 200


def _closed(sock):
    sock.settimeout(0.5)
    try:
        return sock.recv(1) == b""
    except (socket.timeout, ConnectionResetError):
        return False
