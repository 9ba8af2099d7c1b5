"""A real HTTP server on loopback whose answers are drawn at random, as a weighted canary's are: for the
tests of loadgen's gates and of `loadgen serve`."""

import asyncio
import random
import re
import threading

from conftest import free_port


class SplitServer:
    """Answers every request 200 with `X-App-Version` drawn at random, v1 with `v1_share`, else v2, and
    `X-Track` stable or canary to match (other version names with `names`); `v1_share` may change while
    it serves. Path segments shape the answers, for the error and latency
    gates: `/fail/N` answers every N-th request 500, `/canary-fails/N` every N-th v2 answer, `/delay/MS`
    waits MS ms before every answer, `/canary-delay/MS` before every v2 answer (they combine)."""

    def __init__(self, v1_share, names=("v1", "v2")):
        self.v1_share = v1_share
        self.names = names
        self.port = free_port()
        self.draw = random.SystemRandom().random
        self.served = 0
        self.canaries = 0
        self.loop = asyncio.new_event_loop()
        self.connections = set()
        started = threading.Event()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._serve(started),), daemon=True)
        self.thread.start()
        assert started.wait(5), "the split server did not start"

    async def _serve(self, started):
        self.stopping = asyncio.Event()
        server = await asyncio.start_server(self._connection, "127.0.0.1", self.port, backlog=1024)
        started.set()
        await self.stopping.wait()
        server.close()
        for task in self.connections:
            task.cancel()
        await asyncio.gather(*self.connections, return_exceptions=True)

    async def _connection(self, reader, writer):
        self.connections.add(asyncio.current_task())
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                self.served += 1
                stable = self.draw() < self.v1_share
                version, track = (self.names[0], "stable") if stable else (self.names[1], "canary")
                self.canaries += not stable
                path = head.split(b" ", 2)[1].decode()
                fails = False
                for kind, number in re.findall(r"/(fail|canary-fails|delay|canary-delay)/(\d+)", path):
                    if kind == "fail":
                        fails |= self.served % int(number) == 0
                    elif kind == "canary-fails":
                        fails |= not stable and self.canaries % int(number) == 0
                    elif kind == "delay" or not stable:
                        await asyncio.sleep(int(number) / 1000)
                status = "500 Internal Server Error" if fails else "200 OK"
                writer.write(f"HTTP/1.1 {status}\r\nX-App-Version: {version}\r\nX-Track: {track}\r\n"
                             f"Content-Length: 2\r\n\r\nok".encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            self.connections.discard(asyncio.current_task())

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.loop.call_soon_threadsafe(self.stopping.set)
        self.thread.join(5)
        self.loop.close()
