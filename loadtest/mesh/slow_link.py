"""A TCP relay on loopback whose answers can be held back: a slow network between a client and its
server, such as a backend and its PostgreSQL server, without touching either."""

import socket
import threading
import time


class SlowLink:
    """Relays 127.0.0.1:`port` to 127.0.0.1:`target_port`. While `delay` is above 0, every chunk from
    the server waits that many seconds before it goes on to the client; what the client sends is never
    held, so the server does its work at once and only its answers come late."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.delay = 0.0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closing = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closing.is_set():
            try:
                client, _ = self.listener.accept()
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                continue
            server.settimeout(None)
            threading.Thread(target=self._relay, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._relay, args=(server, client, True), daemon=True).start()

    def _relay(self, source, sink, answers):
        try:
            while chunk := source.recv(65536):
                if answers and self.delay > 0:
                    time.sleep(self.delay)
                sink.sendall(chunk)
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            source.close()

    def close(self):
        self.closing.set()
        self.listener.close()
