"""HTTP/1.1 framing as the server enforces it (docs/architecture.md, "HTTP framing"): every request is read
by its own framing before the next one starts, every ambiguous or malformed head gets a JSON 400 and a
close, limits are refused before the body is read, and heads and bodies are bounded by time."""

import json
import os
import resource
import socket
import time

import pytest

from conftest import free_port


def exchange(port, payload: bytes, timeout=5.0) -> bytes:
    """Sends `payload`, half-closes, and returns everything the server sends until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        return read_until_closed(sock)


def read_until_closed(sock) -> bytes:
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def responses(stream: bytes, head_answers=0) -> list[tuple[int, dict, bytes]]:
    """Splits a byte stream into (status, headers, body) by Content-Length; a response without one is
    the last. The first `head_answers` responses answer HEAD, so they carry a length but no body."""
    parsed = []
    while stream:
        head, separator, rest = stream.partition(b"\r\n\r\n")
        assert separator, f"incomplete response head: {stream[:200]!r}"
        lines = head.decode("latin-1").split("\r\n")
        assert lines[0].startswith("HTTP/1.1 "), lines[0]
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        if len(parsed) < head_answers:
            body, stream = b"", rest
        elif "content-length" in headers:
            length = int(headers["content-length"][0])
            body, stream = rest[:length], rest[length:]
        elif status in (204, 304) or 100 <= status < 200:
            body, stream = b"", rest
        else:
            body, stream = rest, b""
        parsed.append((status, headers, body))
    return parsed


def assert_json_error(response, status):
    got, headers, body = response
    assert got == status, (got, body[:200])
    assert headers["content-type"] == ["application/json"]
    assert "error" in json.loads(body)
    assert headers.get("x-app-version") and headers.get("x-request-id"), headers


HEALTHZ_CLOSE = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.fixture(params=["backend", "frontend"])
def service(request, start_service):
    return start_service(request.param, EVENT_LOOPS=1)


# Item 2: requests are framed by their own Content-Length, whatever the method.

@pytest.mark.parametrize("method", [b"HEAD", b"TRACE", b"GET", b"DELETE", b"OPTIONS"])
def test_a_body_is_read_as_the_body_whatever_the_method(service, method):
    payload = (method + b" /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(SMUGGLED) + SMUGGLED
               + HEALTHZ_CLOSE)
    answered = responses(exchange(service.port, payload), head_answers=1 if method == b"HEAD" else 0)
    assert [status for status, _, _ in answered][1:] == [200], "the smuggled request never runs"
    assert len(answered) == 2


@pytest.mark.parametrize("header", [
    b"Transfer-Encoding : chunked",
    b"Content-Length : 28",
    b"Content-Length\t: 28",
    b"Content-Length: 5\r\nContent-Length: 6",
    b"Content-Length: 5, 6",
    b"Content-Length: +5",
    b"Content-Length: 0x5",
    b"Content-Length: 5\r\nTransfer-Encoding: chunked",
    b"Transfer-Encoding: chunked, chunked",
    b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
    b"X-Nul: a\x00b",
    b"X-Cr: a\rb",
    b"X-Folded: a\r\n b",
    b" X-Leading-Space: a",
    b"X-Empty-Name\r\n: a",
    b"Host: second",
])
def test_ambiguous_framing_gets_400_and_a_close(service, header):
    payload = b"POST /healthz HTTP/1.1\r\nHost: x\r\n" + header + b"\r\n\r\n" + b"0\r\n\r\n" + SMUGGLED
    answered = responses(exchange(service.port, payload))
    assert len(answered) == 1, [status for status, _, _ in answered]
    assert_json_error(answered[0], 400)
    assert answered[0][1]["connection"] == ["close"]


def test_http_1_0_with_transfer_encoding_is_faulty(service):
    payload = b"POST /healthz HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    assert_json_error(responses(exchange(service.port, payload))[0], 400)


def test_unknown_transfer_coding_gets_501(service):
    payload = b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
    answered = responses(exchange(service.port, payload))
    assert len(answered) == 1
    assert_json_error(answered[0], 501)


def test_identical_repeated_content_length_is_one_length(service):
    payload = b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab" + HEALTHZ_CLOSE
    assert [status for status, _, _ in responses(exchange(service.port, payload))] == [405, 200]


# Item 3: limits before the body is read, and heads and bodies bounded by time.

def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(start_service):
    service = start_service("backend", MAX_BODY_BYTES=1000)
    with socket.create_connection(("127.0.0.1", service.port), timeout=5) as sock:
        sock.sendall(b"POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100000\r\n\r\n")
        answered = responses(read_until_closed(sock))
    assert len(answered) == 1
    assert_json_error(answered[0], 413)
    assert json.loads(answered[0][2])["error"]["code"] == "body_too_large"


def test_a_chunked_body_stops_at_the_limit(start_service):
    service = start_service("backend", MAX_BODY_BYTES=1000)
    with socket.create_connection(("127.0.0.1", service.port), timeout=5) as sock:
        sock.sendall(b"POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(2):
            sock.sendall(b"258\r\n" + b"x" * 600 + b"\r\n")
        answered = responses(read_until_closed(sock))  # no last chunk: the limit alone ends the request
    assert len(answered) == 1
    assert_json_error(answered[0], 413)


def test_a_body_at_the_limit_is_accepted_chunked_or_not(start_service):
    service = start_service("backend", MAX_BODY_BYTES=60)
    entry = b'{"author":"a","message":"' + b"m" * 32 + b'"}'
    body = entry + b" " * (60 - len(entry))
    head = b"POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    plain = head + b"Content-Length: 60\r\n\r\n" + body
    chunked = head + b"Transfer-Encoding: chunked\r\n\r\n" + b"%x;ext=1\r\n%s\r\n0\r\nX-Trailer: t\r\n\r\n" % (60, body)
    for payload in (plain, chunked):
        assert [status for status, _, _ in responses(exchange(service.port, payload + HEALTHZ_CLOSE))] == [201, 200]
    over = head + b"Content-Length: 61\r\n\r\n" + body + b" "
    assert responses(exchange(service.port, over))[0][0] == 413


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def test_oversized_bodies_are_never_buffered(start_service):
    service = start_service("backend", MAX_BODY_BYTES=1 << 20)
    before = rss_kib(service.process.pid)
    declared = 7 << 19  # 3.5 MiB: under the 4x cap that libevent's evhttp buffered up to
    sockets = []
    for _ in range(100):
        sock = socket.create_connection(("127.0.0.1", service.port), timeout=5)
        sock.setblocking(False)
        try:
            sock.send(b"POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % declared)
            sent = 0
            while sent < declared - 4096:
                sent += sock.send(b"x" * min(1 << 16, declared - 4096 - sent))
        except OSError:
            pass  # refused: the socket is full or closed, as it should be
        sockets.append(sock)
    time.sleep(1)
    grown = rss_kib(service.process.pid) - before
    for sock in sockets:
        sock.close()
    assert grown < 64 * 1024, f"the backend grew by {grown} KiB for 100 refused bodies"


def trickle(port, head: bytes, every: float, for_seconds: float) -> float | None:
    """Sends `head` one byte every `every` seconds; returns when the server closed, or None."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        for index in range(len(head)):
            if time.monotonic() - started > for_seconds:
                return None
            try:
                sock.sendall(head[index:index + 1])
            except OSError:
                return time.monotonic() - started
            sock.settimeout(every)
            try:
                if sock.recv(65536) == b"":
                    return time.monotonic() - started
                read_until_closed(sock)
                return time.monotonic() - started
            except socket.timeout:
                pass
            except ConnectionResetError:
                return time.monotonic() - started
    return None


def test_a_trickled_head_is_bounded_by_the_header_timeout(start_service):
    service = start_service("backend", IDLE_TIMEOUT_SECONDS=3, HEADER_TIMEOUT_SECONDS=2)
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 200 + b"\r\n\r\n"
    closed_after = trickle(service.port, head, every=0.25, for_seconds=8)
    assert closed_after is not None and closed_after < 4.5, closed_after


def test_a_trickled_body_is_bounded_by_the_body_timeout(start_service):
    service = start_service("backend", IDLE_TIMEOUT_SECONDS=3, BODY_TIMEOUT_SECONDS=2)
    with socket.create_connection(("127.0.0.1", service.port), timeout=5) as sock:
        sock.sendall(b"POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n")
        started = time.monotonic()
        sock.settimeout(0.25)
        reply = b""
        while time.monotonic() - started < 8:
            try:
                sock.sendall(b"x")
                chunk = sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            reply += chunk
        closed_after = time.monotonic() - started
    assert closed_after < 4.5, closed_after
    if reply:
        assert_json_error(responses(reply)[0], 408)


def test_the_timeouts_are_settings_with_bounds(start_service):
    for name in ("HEADER_TIMEOUT_SECONDS", "BODY_TIMEOUT_SECONDS"):
        with pytest.raises(RuntimeError):
            start_service("backend", **{name: "0"})


# Item 6: no content for 1xx, 204 and 304.

@pytest.mark.parametrize("code", [204, 304])
def test_no_content_statuses_send_no_body(start_service, code):
    frontend = start_service("frontend", EVENT_LOOPS=1)
    stream = exchange(frontend.port, b"GET /status/%d HTTP/1.1\r\nHost: x\r\n\r\n" % code + HEALTHZ_CLOSE)
    head, _, rest = stream.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d " % code)
    assert b"content-length" not in head.lower() or code == 304
    assert rest.startswith(b"HTTP/1.1 200 "), rest[:80]
    response, body = frontend.request("GET", f"/status/{code}")
    assert response.status == code and body == b""


# Item 8: the request target.

@pytest.mark.parametrize("target", [b"/api/entries\rX", b"/a b", b"/a\x7f", b"/\xff", b"/a\tb"])
def test_an_invalid_target_gets_400(service, target):
    answered = responses(exchange(service.port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n" + SMUGGLED))
    assert len(answered) == 1
    assert_json_error(answered[0], 400)


# Item 10: RFC 9112's request line and Host, chunk syntax, and JSON for every error.

def test_absolute_form_targets_are_served(service):
    answered = responses(exchange(service.port, b"GET http://example.test/healthz HTTP/1.1\r\nHost: x\r\n"
                                                b"Connection: close\r\n\r\n"))
    assert answered[0][0] == 200


@pytest.mark.parametrize("hosts", [b"", b"Host: a\r\nHost: b\r\n", b"Host: a\r\nhost: a\r\n", b"Host: a b\r\n"])
def test_http_1_1_needs_exactly_one_valid_host(service, hosts):
    answered = responses(exchange(service.port, b"GET /healthz HTTP/1.1\r\n" + hosts + b"\r\n"))
    assert len(answered) == 1
    assert_json_error(answered[0], 400)


def test_http_1_0_may_omit_host_and_is_answered_in_1_1(service):
    answered = responses(exchange(service.port, b"GET /healthz HTTP/1.0\r\n\r\n"))
    assert answered[0][0] == 200
    assert answered[0][1]["connection"] == ["close"]


def test_http_1_0_keep_alive_keeps_the_connection(service):
    payload = b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + b"GET /healthz HTTP/1.0\r\n\r\n"
    answered = responses(exchange(service.port, payload))
    assert [status for status, _, _ in answered] == [200, 200]
    assert answered[0][1]["connection"] == ["keep-alive"]


def test_a_higher_minor_version_is_answered_in_1_1(service):
    stream = exchange(service.port, b"GET /healthz HTTP/1.2\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert stream.startswith(b"HTTP/1.1 200 ")


@pytest.mark.parametrize("line", [b"GET /healthz HTTP/2.0", b"GET /healthz HTTP/3.0"])
def test_other_major_versions_get_505(service, line):
    assert_json_error(responses(exchange(service.port, line + b"\r\nHost: x\r\n\r\n"))[0], 505)


@pytest.mark.parametrize("chunks", [b"zz\r\nab\r\n0\r\n\r\n", b"2\r\nabc\r\n0\r\n\r\n", b"-2\r\nab\r\n0\r\n\r\n",
                                    b"2 \r\nab\r\n0\r\n\r\n", b"2\nab\r\n0\r\n\r\n"])
def test_bad_chunk_syntax_gets_400(service, chunks):
    payload = b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + SMUGGLED
    answered = responses(exchange(service.port, payload))
    assert len(answered) == 1
    assert_json_error(answered[0], 400)


def test_connect_gets_a_framed_answer_on_a_kept_alive_connection(service):
    answered = responses(exchange(service.port, b"CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n"
                                  + HEALTHZ_CLOSE))
    assert [status for status, _, _ in answered][1:] == [200]
    assert "content-length" in answered[0][1]


@pytest.mark.parametrize("payload, status", [
    (b"THIS IS NOT HTTP\r\n\r\n", 400),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20_000 + b"\r\n\r\n", 431),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n", 417),
    (b"POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", 413),
    (b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 501),
])
def test_every_error_the_server_answers_itself_is_json_with_the_contract_headers(service, payload, status):
    answered = responses(exchange(service.port, payload))
    assert len(answered) == 1
    assert_json_error(answered[0], status)


def test_expect_100_continue_is_honoured(start_service):
    service = start_service("backend")
    body = b'{"author":"a","message":"continued"}'
    with socket.create_connection(("127.0.0.1", service.port), timeout=5) as sock:
        sock.sendall(b"POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Expect: 100-continue\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        assert read_until_closed(sock).startswith(b"HTTP/1.1 201 ")


def test_too_many_header_fields_get_431(service):
    fields = b"".join(b"X-H%d: v\r\n" % index for index in range(101))
    assert_json_error(responses(exchange(service.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n"))[0],
                      431)
    fields = b"".join(b"X-H%d: v\r\n" % index for index in range(98))  # with Host and Connection: 100
    assert responses(exchange(service.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + fields
                              + b"Connection: close\r\n\r\n"))[0][0] == 200


def test_pipelined_requests_are_answered_in_order(service):
    payload = b"".join(b"GET /delay/%d HTTP/1.1\r\nHost: x\r\n\r\n" % ms for ms in (30, 0, 10)) + HEALTHZ_CLOSE
    if service.binary == "backend":
        payload = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-N: 1\r\n\r\n" * 3 + HEALTHZ_CLOSE
    answered = responses(exchange(service.port, payload))
    assert len(answered) == 4 and all(status == 200 for status, _, _ in answered)
    if service.binary == "frontend":
        assert [json.loads(body)["delayedMs"] for _, _, body in answered[:3]] == [30, 0, 10]


# Item 4: running out of file descriptors.

def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


def test_descriptor_exhaustion_backs_off_logs_once_and_recovers(start_service):
    service = start_service("backend", EVENT_LOOPS=1)
    limit = 64
    _, hard = resource.prlimit(service.process.pid, resource.RLIMIT_NOFILE)
    resource.prlimit(service.process.pid, resource.RLIMIT_NOFILE, (limit, hard))
    hoard = []
    for _ in range(limit + 40):  # past the limit: the rest wait in the listen backlog
        hoard.append(socket.create_connection(("127.0.0.1", service.port), timeout=5))
    time.sleep(0.5)
    cpu_before = cpu_seconds(service.process.pid)
    lines_before = len(service.raw_lines)
    time.sleep(3)
    burned = cpu_seconds(service.process.pid) - cpu_before
    logged = service.raw_lines[lines_before:]
    assert burned < 0.5, f"{burned} CPU-seconds in 3 s at the descriptor limit"
    assert len(logged) <= 4, logged[:5]
    assert all(json.loads(line)["level"] in ("warning", "error") for line in logged)
    for sock in hoard:
        sock.close()
    resource.prlimit(service.process.pid, resource.RLIMIT_NOFILE, (1024, hard))
    deadline = time.monotonic() + 5
    while True:
        try:
            response, _ = service.request("GET", "/healthz", timeout=1)
            break
        except OSError:
            assert time.monotonic() < deadline, "the listener did not recover"
    assert response.status == 200
    metrics = service.metrics()
    counted = [line for line in metrics.splitlines() if line.startswith("http_server_accept_errors_total")]
    assert counted and float(counted[0].split()[-1]) >= 1, counted
    assert all(line.startswith("{") for line in service.raw_lines), "every log line is JSON"
    os.set_blocking(service.process.stderr.fileno(), False)
    try:
        stderr = os.read(service.process.stderr.fileno(), 1 << 20)
    except BlockingIOError:
        stderr = b""
    assert stderr == b"", f"nothing but JSON on stdout, and nothing on stderr: {stderr[:300]!r}"


def test_a_host_named_like_an_envoy_cluster_is_accepted(service):
    # Envoy's active health checks send the cluster's name as Host, and Istio-style names carry `|`.
    payload = b"GET /healthz HTTP/1.1\r\nHost: outbound|8080||backend-service\r\nConnection: close\r\n\r\n"
    assert responses(exchange(service.port, payload))[0][0] == 200
