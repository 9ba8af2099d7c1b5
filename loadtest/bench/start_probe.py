#!/usr/bin/env python3
"""Starts a server, times process start to its first 200 on /healthz, then stays its parent.

Usage: start_probe.py SERVER_CPUS PROBE_CPU PORT CMD...   (SERVER_CPUS: one CPU, or a list like 0,1)
Prints "PID MILLISECONDS" once the first 200 arrives. The clock starts after Python itself is up,
just before the spawn. Staying the parent lets SIGTERM here stop the server and reap it, so no
orphan or zombie outlives the benchmark.
"""
import os
import signal
import socket
import subprocess
import sys
import time

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def healthz_ok(port):
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(1)
            s.connect(("127.0.0.1", port))
            s.sendall(REQUEST)
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def main():
    server_cpus = {int(cpu) for cpu in sys.argv[1].split(",")}
    probe_cpu, port = (int(a) for a in sys.argv[2:4])
    cmd = sys.argv[4:]
    # Poll from the load generator's core, idle at this point, so polling does not slow the start.
    os.sched_setaffinity(0, {probe_cpu})
    if healthz_ok(port):
        sys.exit(f"start_probe: something already answers on 127.0.0.1:{port}; refusing to time it")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    start = time.monotonic_ns()
    # The child inherits this affinity; pinning here rather than in preexec_fn keeps Popen on its
    # vfork path, about 1 ms quicker, so less of the probe's own cost lands in the measurement.
    os.sched_setaffinity(0, server_cpus)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    os.sched_setaffinity(0, {probe_cpu})
    try:
        while not healthz_ok(port):
            if proc.poll() is not None:
                sys.exit(f"start_probe: {cmd[0]} exited with {proc.returncode} before answering 200")
            if time.monotonic_ns() - start > 10_000_000_000:
                sys.exit(f"start_probe: {cmd[0]} gave no 200 within 10 s")
            time.sleep(0.0005)
        print(proc.pid, f"{(time.monotonic_ns() - start) / 1e6:.1f}", flush=True)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()
