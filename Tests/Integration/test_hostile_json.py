"""Hostile input to the parsers on the request path (issue 12, items 1 and 11): JSON bodies, query
strings, forms and percent-decoding stay linear and capped, and invisible or direction-changing text
is refused or isolated.

The caps these tests lean on are documented in docs/architecture.md and the README's limits table:
at most 1000 members per JSON object, 10000 values per JSON document, 64 levels of nesting, and 100
fields per query string or form."""

import itertools
import json
import socket
import string
import threading
import time
import urllib.parse

import pytest

MEMBERS_PER_OBJECT = 1000
VALUES_PER_DOCUMENT = 10_000
FIELDS_PER_FORM = 100
DEFAULT_MAX_BODY_BYTES = 1 << 20
JSON_HEADERS = {"Content-Type": "application/json"}
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def distinct_keys(count):
    """`count` different keys of three characters each, so 130,000 of them fit in 1 MiB."""
    alphabet = string.ascii_letters + string.digits
    return ["".join(key) for key in itertools.islice(itertools.product(alphabet, repeat=3), count)]


def object_with_keys(count):
    return ("{" + ",".join(f'"{key}":0' for key in distinct_keys(count)) + "}").encode()


def error_code(data):
    return json.loads(data)["error"]["code"]


class RawPost:
    """A POST sent from its own thread on its own connection, so the test can watch the server meanwhile."""

    def __init__(self, port, path, body, content_type="application/json"):
        self.payload = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
                        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
        self.port = port
        self.sent = threading.Event()
        self.sent_at = None
        self.answered_at = None
        self.reply = b""
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=120) as sock:
            sock.sendall(self.payload)
            self.sent_at = time.monotonic()
            self.sent.set()
            while chunk := sock.recv(65536):
                self.reply += chunk
        self.answered_at = time.monotonic()

    def result(self, timeout):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"no answer within {timeout} s"
        head, _, body = self.reply.partition(b"\r\n\r\n")
        return int(head.split()[1]), body, self.answered_at - self.sent_at


def timed_healthz(service, bound):
    """Seconds `/healthz` took; the request itself gives up (and the test fails) after `bound`."""
    started = time.monotonic()
    try:
        response, _ = service.request("GET", "/healthz", timeout=bound)
    except (socket.timeout, TimeoutError):
        pytest.fail(f"/healthz did not answer within {bound} s while the bodies were parsed")
    assert response.status == 200
    return time.monotonic() - started


def test_objects_with_130k_keys_are_refused_at_once_and_healthz_keeps_answering(start_service):
    # One loop, so both bodies and the probe share it: a parse that holds the loop starves the probe.
    # Before the fix each body took about 34 s of CPU (duplicate detection compared every key with every
    # earlier one); a bound of 2 s on the probe and 10 s on the answers cannot be missed by chance.
    backend = start_service("backend", EVENT_LOOPS=1)
    body = object_with_keys(130_000)
    assert len(body) <= DEFAULT_MAX_BODY_BYTES, "within the default MAX_BODY_BYTES, so the parser sees it"
    posts = [RawPost(backend.port, "/api/v1/entries", body) for _ in range(2)]
    for post in posts:
        post.sent.wait(10)
    assert timed_healthz(backend, bound=2) < 2
    for post in posts:
        status, answer, seconds = post.result(timeout=10)
        assert status == 400 and error_code(answer) == "invalid_json", answer[:200]
        assert f"more than {MEMBERS_PER_OBJECT} members" in json.loads(answer)["error"]["message"]
        assert seconds < 10
    assert backend.request("GET", "/healthz", timeout=2)[0].status == 200


def test_many_small_objects_meet_the_cap_on_values(start_service):
    # Objects within the member cap, but 130 of them: the document as a whole has too many values.
    backend = start_service("backend")
    chunk = object_with_keys(MEMBERS_PER_OBJECT).decode()
    body = ('{"author":"a","message":"m","x":[' + ",".join([chunk] * 130) + "]}").encode()
    assert len(body) <= DEFAULT_MAX_BODY_BYTES
    started = time.monotonic()
    response, problem = backend.json("POST", "/api/v1/entries", body=body, headers=JSON_HEADERS)
    assert time.monotonic() - started < 10
    assert response.status == 400 and problem["error"]["code"] == "invalid_json"
    assert f"more than {VALUES_PER_DOCUMENT} values" in problem["error"]["message"]
    # A flat array of half a million values, about the most a 1 MiB body can hold, is refused the same way.
    flat = b'{"x":[' + b",".join([b"0"] * 500_000) + b"]}"
    response, problem = backend.json("POST", "/api/v1/entries", body=flat, headers=JSON_HEADERS)
    assert response.status == 400 and f"more than {VALUES_PER_DOCUMENT} values" in problem["error"]["message"]


def test_the_caps_are_exact(start_service):
    backend = start_service("backend")
    # 1000 members are read (and refused for what they say: unknown fields), 1001 are not read at all.
    at_cap = ('{"author":"a","message":"m",' + object_with_keys(MEMBERS_PER_OBJECT - 2).decode()[1:]).encode()
    response, problem = backend.json("POST", "/api/v1/entries", body=at_cap, headers=JSON_HEADERS)
    assert response.status == 422 and problem["error"]["code"] == "validation_failed"
    assert len(problem["error"]["fields"]) == MEMBERS_PER_OBJECT - 2
    over = ('{"author":"a","message":"m",' + object_with_keys(MEMBERS_PER_OBJECT - 1).decode()[1:]).encode()
    response, problem = backend.json("POST", "/api/v1/entries", body=over, headers=JSON_HEADERS)
    assert response.status == 400 and problem["error"]["code"] == "invalid_json"
    # Nesting: 64 levels (the object and 63 arrays) are the limit, as before.
    deep = b'{"author":"a","message":"m","x":' + b"[" * 63 + b"]" * 63 + b"}"
    assert backend.json("POST", "/api/v1/entries", body=deep, headers=JSON_HEADERS)[0].status == 422
    deeper = b'{"author":"a","message":"m","x":' + b"[" * 64 + b"]" * 64 + b"}"
    response, problem = backend.json("POST", "/api/v1/entries", body=deeper, headers=JSON_HEADERS)
    assert response.status == 400 and "nesting deeper than 64" in problem["error"]["message"]


def test_duplicate_keys_are_still_refused(start_service):
    backend = start_service("backend")
    for body in [b'{"author":"a","author":"b","message":"m"}',
                 # The last key repeats the first, 999 members apart: the set remembers them all.
                 object_with_keys(MEMBERS_PER_OBJECT - 1)[:-1] + b',"aaa":1}',
                 # The same key once escaped, once not.
                 b'{"author":"a","message":"m","\\u0061uthor":"b"}']:
        response, problem = backend.json("POST", "/api/v1/entries", body=body, headers=JSON_HEADERS)
        assert response.status == 400 and problem["error"]["code"] == "invalid_json", body[:60]
        assert "duplicate member" in problem["error"]["message"]
    assert backend.json("GET", "/api/v1/entries")[1]["items"] == []


def test_query_strings_are_capped_and_must_decode(start_service):
    backend = start_service("backend")
    fields = "&".join(f"p{index}=1" for index in range(FIELDS_PER_FORM - 1))
    assert backend.json("GET", f"/api/v1/entries?{fields}&limit=5")[0].status == 200
    for query in [f"{fields}&p99=1&limit=5", "&".join(["a=b"] * 3000)]:
        response, problem = backend.json("GET", f"/api/v1/entries?{query}")
        assert response.status == 400 and problem["error"]["code"] == "invalid_query"
        assert f"more than {FIELDS_PER_FORM} fields" in problem["error"]["message"]
    # An escape that does not decode, or decodes to something that is not UTF-8, is a 400 like any other
    # bad value; before, `limit=%ff` was ignored (the default page) while `limit=abc` was a 400.
    for query in ["limit=%ff", "limit=abc", "limit=%zz", "limit=%4", "before=%c3%28", "limit=5&x=%ff", "%ff=1"]:
        response, problem = backend.json("GET", f"/api/v1/entries?{query}")
        assert response.status == 400 and problem["error"]["code"] == "invalid_query", query
    assert backend.json("GET", "/api/v1/entries?limit=%35")[0].status == 200, "a good escape still decodes"


def test_the_frontend_relays_query_and_caps_its_form(start_service):
    backend = start_service("backend")
    frontend = start_service("frontend", BACKEND_URL=f"http://127.0.0.1:{backend.port}")
    response, problem = frontend.json("GET", "/api/entries?limit=%ff")
    assert response.status == 400 and problem["error"]["code"] == "invalid_query"
    many = "&".join(f"p{index}=1" for index in range(5000)) + "&author=a&message=m&idempotencyKey=k"
    started = time.monotonic()
    response, html = frontend.request("POST", "/entries", body=many, headers=FORM_HEADERS)
    assert time.monotonic() - started < 10
    assert response.status == 400 and "could not be read" in html.decode()
    for bad in ["author=%ff&message=m", "author=%e2%80&message=m", "author=a%&message=m"]:
        response, html = frontend.request("POST", "/entries", body=bad, headers=FORM_HEADERS)
        assert response.status == 400 and "could not be read" in html.decode(), bad
    assert backend.json("GET", "/api/v1/entries")[1]["items"] == [], "nothing was stored"


ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


def test_invisible_authors_are_refused(start_service):
    backend = start_service("backend")
    for author in ZERO_WIDTH + ["".join(ZERO_WIDTH), " \u200b\u00a0\u2060 ", "\u202e\u2066\u2069", "\u3164\u115f"]:
        response, problem = backend.json("POST", "/api/v1/entries", headers=JSON_HEADERS,
                                         body=json.dumps({"author": author, "message": "m"}))
        assert response.status == 422 and problem["error"]["code"] == "validation_failed", repr(author)
        assert problem["error"]["fields"] == {"author": "must not be empty"}, repr(author)
        response, problem = backend.json("POST", "/api/v1/entries", headers=JSON_HEADERS,
                                         body=json.dumps({"author": "a", "message": author}))
        assert response.status == 422 and problem["error"]["fields"] == {"message": "must not be empty"}
    # Invisible characters around a name are trimmed like white space; inside it they stay (a joiner
    # inside an emoji sequence is part of the name).
    response, entry = backend.json("POST", "/api/v1/entries", headers=JSON_HEADERS,
                                   body=json.dumps({"author": "\u200b Ada\ufeff", "message": "\u2060hi\u200b"}))
    assert response.status == 201 and entry["author"] == "Ada" and entry["message"] == "hi"
    family = "\U0001f469\u200d\U0001f467"
    response, entry = backend.json("POST", "/api/v1/entries", headers=JSON_HEADERS,
                                   body=json.dumps({"author": family, "message": "m"}))
    assert response.status == 201 and entry["author"] == family
    assert len(backend.json("GET", "/api/v1/entries")[1]["items"]) == 2


def test_the_form_refuses_an_invisible_author(start_service):
    backend = start_service("backend")
    frontend = start_service("frontend", BACKEND_URL=f"http://127.0.0.1:{backend.port}")
    body = urllib.parse.urlencode({"author": "\u200b\u200d", "message": "hello", "idempotencyKey": "k-1"})
    response, html = frontend.request("POST", "/entries", body=body, headers=FORM_HEADERS)
    assert response.status == 422
    assert '<span class="field-error" id="author-error">must not be empty</span>' in html.decode()
    assert backend.json("GET", "/api/v1/entries")[1]["items"] == []


def test_user_text_is_isolated_and_escaped_on_the_page(start_service):
    backend = start_service("backend")
    frontend = start_service("frontend", BACKEND_URL=f"http://127.0.0.1:{backend.port}")
    author = "Eve\u202e<b>evil</b>"  # inside the name: at its edges the backend trims bidi controls
    message = "price \u2067100\u2069 \u202dlater"
    response, _ = backend.json("POST", "/api/v1/entries", headers=JSON_HEADERS,
                               body=json.dumps({"author": author, "message": message}))
    assert response.status == 201
    response, html = frontend.request("GET", "/")
    page = html.decode()
    assert response.status == 200
    # An unclosed override in one entry cannot run into the page around it: each value is its own
    # bidi isolate, and the markup in it is still text.
    assert '<bdi class="author">Eve\u202e&lt;b&gt;evil&lt;/b&gt;</bdi>' in page
    assert f'<p class="message" dir="auto">{message}</p>' in page
    assert "<b>evil" not in page
    # What the visitor typed, shown again after a refused form, is isolated too.
    body = urllib.parse.urlencode({"author": "\u202eRTL", "message": "", "idempotencyKey": "k-2"})
    response, html = frontend.request("POST", "/entries", body=body, headers=FORM_HEADERS)
    page = html.decode()
    assert response.status == 422
    assert 'dir="auto" value="\u202eRTL"' in page
    assert '<textarea name="message" dir="auto"' in page
