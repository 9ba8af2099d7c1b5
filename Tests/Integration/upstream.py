"""A scripted HTTP/1.1 upstream on loopback, to test the services' outgoing client."""

import socket
import threading
import time


class Upstream:
    """Answers each request per `behaviour(index, head) -> action`.

    Actions: ("respond", status, headers, body), ("delay", seconds, status, headers, body), ("close",)
    which closes the connection without answering, ("raw", data) which sends `data` as it is (any status
    line, any framing) and keeps reading the connection, and ("hang",) which never answers and holds the
    connection until the client closes it.
    """

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.requests: list[dict] = []
        self.connections = 0
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self._closed = True
        self.sock.close()

    def _accept(self):
        while not self._closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self.active += 1
                self.max_active = max(self.max_active, self.active)
            threading.Thread(target=self._serve_counted, args=(conn,), daemon=True).start()

    def _serve_counted(self, conn):
        try:
            self._serve(conn)
        finally:
            with self._lock:
                self.active -= 1

    def _serve(self, conn):
        buffer = b""
        with conn:
            conn.settimeout(10)
            while True:
                while b"\r\n\r\n" not in buffer:
                    try:
                        chunk = conn.recv(65536)
                    except OSError:
                        return
                    if not chunk:
                        return
                    buffer += chunk
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                body, buffer = buffer[:length], buffer[length:]
                with self._lock:
                    index = len(self.requests)
                    self.requests.append({"method": method, "target": target, "headers": headers, "body": body})
                action = self.behaviour(index, self.requests[index])
                if action[0] == "close":
                    return
                if action[0] == "hang":
                    conn.settimeout(None)
                    while True:
                        try:
                            if not conn.recv(65536):
                                return
                        except OSError:
                            return
                if action[0] == "raw":
                    try:
                        conn.sendall(action[1])
                    except OSError:
                        return
                    continue
                if action[0] == "delay":
                    time.sleep(action[1])
                    action = ("respond", *action[2:])
                _, status, extra, payload = action
                response = f"HTTP/1.1 {status} X\r\nContent-Length: {len(payload)}\r\n"
                for name, value in extra.items():
                    response += f"{name}: {value}\r\n"
                try:
                    conn.sendall(response.encode() + b"\r\n" + payload)
                except OSError:
                    return


def version_document(version="v9", pod="backend-pod"):
    import json

    return json.dumps({"service": "backend", "version": version, "revision": "r", "pod": pod}).encode()
