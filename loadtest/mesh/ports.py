"""Loopback ports for the servers that tests and drills start: `free_port()`. Standalone (no imports
beyond the standard library), so the image tests' own environment can use it too."""

import random
import socket
from pathlib import Path


class _PortAllocator:
    """Hands out loopback ports that are free now and that the kernel never picks on its own.

    A port is picked here, released, and bound later by a binary (again after each restart of a pod).
    A port from the kernel's ephemeral range (what binding port 0 gives) may meanwhile become the
    source port of some outgoing connection, and the binary then exits 1, "address in use". So the
    ports come from below that range (or above it, if it leaves more room there), in order from a
    random start, and none is handed out twice in one process."""

    FIRST = 15000  # below the usual services' ports (5432, 8080, 9090 ...), so that none is taken

    def __init__(self):
        low, high = (int(bound) for bound in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        below, above = range(self.FIRST, low), range(high + 1, 65536)
        self.ports = below if len(below) >= len(above) else above
        if len(self.ports) < 1000:
            raise RuntimeError(f"the ephemeral port range {low}-{high} leaves no room for test ports")
        self.next = random.randrange(len(self.ports))
        self.handed_out = 0

    def take(self) -> int:
        while self.handed_out < len(self.ports):
            port = self.ports[self.next]
            self.next = (self.next + 1) % len(self.ports)
            self.handed_out += 1
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
        raise RuntimeError(f"all {len(self.ports)} test ports were handed out")


_ports = _PortAllocator()


def free_port() -> int:
    """A loopback port for a server this process starts (see _PortAllocator)."""
    return _ports.take()


if __name__ == "__main__":
    print(free_port())  # for scripts/lib/postgres.sh
