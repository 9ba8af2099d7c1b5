"""The loopback ports the tests and drills hand to the binaries. A port is picked, released and only then
bound by the binary, sometimes again after a restart; if the kernel may give it meanwhile to an outgoing
connection as its source port, the binary exits 1 ("address in use"). On a clean clone a drill's
backend pod crash-looped this way while three replicas opened their PostgreSQL pools."""

import socket
from pathlib import Path

from conftest import free_port


def ephemeral_range():
    low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    return int(low), int(high)


def test_ports_lie_outside_the_range_the_kernel_picks_source_ports_from():
    low, high = ephemeral_range()
    ports = [free_port() for _ in range(200)]
    inside = [port for port in ports if low <= port <= high]
    assert not inside, f"{len(inside)} of 200 ports in the ephemeral range {low}-{high}: {inside[:5]}"


def test_a_released_port_is_not_handed_out_again():
    """A pod keeps its port across restarts; nothing else may get it while the pod waits to restart."""
    ports = [free_port() for _ in range(2000)]
    assert len(set(ports)) == len(ports)


def test_a_port_in_use_is_skipped():
    first = free_port()
    # The next few ports in the allocator's order are held, so it must look past them.
    held = []
    try:
        for port in range(first + 1, first + 6):
            sock = socket.socket()
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                sock.close()
                continue
            held.append(sock)
        held_ports = {sock.getsockname()[1] for sock in held}
        port = free_port()
        assert port not in held_ports
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))
    finally:
        for sock in held:
            sock.close()
