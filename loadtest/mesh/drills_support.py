"""What every drill shares: the verdict, its output, and loadgen in the background through a gateway."""

import json
import subprocess
import time


class DrillFailed(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise DrillFailed(message)


def say(text):
    print(f"  {text}", flush=True)


def start_loadgen(mesh, *args):
    """loadgen in the background against `mesh.gateway_url` (a Mesh or a Cluster); returns the process
    and its report path."""
    report = mesh.workdir / f"loadgen-{time.monotonic_ns()}.json"
    process = subprocess.Popen([str(mesh.bin_dir / "loadgen"), mesh.gateway_url, *map(str, args), "--quiet",
                                "--event-loops", "1", "--json", str(report)], stdout=subprocess.PIPE, text=True)
    return process, report


def finish_loadgen(process, report, timeout=120):
    out, _ = process.communicate(timeout=timeout)
    return process.returncode, json.loads(report.read_text()), out
