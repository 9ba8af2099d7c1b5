"""Drills that run a chart transition the way a cluster does (cluster.py): the routes change at once,
pods arrive and leave on Kubernetes' clock, and sidecars drain on Istio's. Each runs under load with
loadgen's gates and fails if a request is lost.

The canary flows are the ones the chart README documents: each drill reads the `helm upgrade` lines of
the README block marked `<!-- drill: NAME -->`, so the README cannot promise a flow that loses
requests.

    python3 loadtest/mesh/drills.py canary-enable canary-reweight-promote stable-roll-during-canary \\
        canary-abort backend-rollout-classic backend-rollout-native"""

import json
import re
import shlex
import threading
import time

from cluster import Cluster, Timeline
from drills_support import check, finish_loadgen, say, start_loadgen
from mesh import ROOT, get

CHART_README = ROOT / "helm-charts" / "my-app" / "README.md"
# Split gates: 90/10 at ±3 points is 4.5 standard deviations at 2,000 requests, 50/50 is 4.0 at
# 4,500: a correct split fails either by chance in fewer than 1 in 10,000 runs.
SPLIT_TOLERANCE = 3
QUIET_FRONTEND = {"frontend.cpuWorkMs": "0"}  # the split does not depend on CPU work; 2 cores do


def documented_flow(name) -> list[tuple[dict, bool]]:
    """The `helm upgrade` steps of the README block marked `<!-- drill: name -->`: (sets, --wait)."""
    text = CHART_README.read_text()
    marker = text.index(f"<!-- drill: {name} -->")
    block = re.search(r"```bash\n(.*?)```", text[marker:], re.S).group(1)
    steps = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if words[:2] != ["helm", "upgrade"]:
            continue
        sets = dict(words[i + 1].split("=", 1) for i, word in enumerate(words) if word == "--set")
        steps.append((sets, "--wait" in words))
    check(steps, f"the README block {name} has no helm upgrade step")
    return steps


def run_flow(cluster, name):
    for sets, wait in documented_flow(name):
        cluster.upgrade(sets, wait=wait)


def zero_loss(data, what):
    failed = {code: n for code, n in data["status"].items() if int(code) >= 400}
    say(f"{what}: {data['requests']['completed']} requests, statuses {data['status']}, errors {data['errors']}, "
        f"versions { {v: i['count'] for v, i in data['versions'].get('X-App-Version', {}).items()} }")
    check(not failed and not data["errors"], f"{what} lost requests: {failed} {data['errors']}")


def split_gate(cluster, split, requests):
    status, data, out = finish_loadgen(*start_loadgen(
        cluster, "--rate", 400, "--requests", requests, "--mix", "list", "--expect-split", split,
        "--split-tolerance", SPLIT_TOLERANCE, "--max-error-rate", 0))
    shares = {v: i["percent"] for v, i in data["versions"].get("X-App-Version", {}).items()}
    say(f"split {split} expected, {shares} seen over {requests} requests")
    check(status == 0, f"the split gate {split} failed: {shares}, statuses {data['status']}")


def under_load(cluster, seconds, action, *extra):
    """Runs `action` while loadgen sends a steady load; returns loadgen's report."""
    loadgen, report = start_loadgen(cluster, "--rate", 100, "--duration", f"{seconds}s", "--mix", "list", "--timeout", "5s", *extra)
    time.sleep(1)
    action()
    status, data, out = finish_loadgen(loadgen, report, timeout=seconds + 60)
    return data


def canary_enable():
    """Two stable v1 pods under load; the README's flow adds the v2 canary at 10%."""
    with Cluster(values=dict(QUIET_FRONTEND)) as cluster:
        cluster.install()
        data = under_load(cluster, 14, lambda: run_flow(cluster, "canary-enable"))
        zero_loss(data, "enabling the canary")
        split_gate(cluster, "v1=90,v2=10", 2000)


def canary_reweight_promote():
    """A running 10% canary is shifted to 50%, then promoted by the README's flow; nothing is lost,
    and afterwards every answer is v2."""
    values = {**QUIET_FRONTEND, "frontend.canary.enabled": "true", "frontend.canary.weight": "10"}
    with Cluster(values=values) as cluster:
        cluster.install()
        data = under_load(cluster, 6, lambda: run_flow(cluster, "canary-reweight"))
        zero_loss(data, "re-weighting to 50%")
        split_gate(cluster, "v1=50,v2=50", 4500)
        data = under_load(cluster, 40, lambda: (run_flow(cluster, "canary-promote"), cluster.wait_settled()))
        zero_loss(data, "promoting the canary")
        split_gate(cluster, "v2=100", 300)


def stable_roll_during_canary():
    """While a 10% canary runs, the stable Deployment rolls v1 → v3: the stable share keeps reaching
    ready stable pods throughout."""
    values = {**QUIET_FRONTEND, "frontend.canary.enabled": "true", "frontend.canary.weight": "10"}
    with Cluster(values=values) as cluster:
        cluster.install()
        data = under_load(cluster, 40, lambda: (cluster.upgrade({"frontend.image.tag": "v3"}, wait=True), cluster.wait_settled()))
        zero_loss(data, "rolling the stable pods during the canary")
        split_gate(cluster, "v3=90,v2=10", 2000)


def canary_abort():
    """The README's abort flow: from the moment its routes apply, no request reaches the canary."""
    values = {**QUIET_FRONTEND, "frontend.canary.enabled": "true", "frontend.canary.weight": "50"}
    with Cluster(values=values) as cluster:
        cluster.install()
        loadgen, report = start_loadgen(cluster, "--rate", 100, "--duration", "14s", "--mix", "list")
        time.sleep(1)
        run_flow(cluster, "canary-abort")
        after = start_loadgen(cluster, "--rate", 200, "--duration", "6s", "--mix", "list", "--expect-split", "v1=100",
                              "--split-tolerance", 0, "--max-error-rate", 0)
        status, data, out = finish_loadgen(*after)
        throughout = finish_loadgen(loadgen, report)[1]
        say(f"after the abort's routes applied: {data['versions'].get('X-App-Version')}")
        check(status == 0, f"the canary still answered after the abort: {data['versions'].get('X-App-Version')}, {data['status']}")
        zero_loss(throughout, "aborting the canary")


class Availability:
    """GET `url` every 50 ms in the background; the outage is the span from the first failure to the
    last one."""

    def __init__(self, url):
        self.url, self.samples, self.stop = url, [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.wait(0.05):
            status, body = get(self.url, timeout=3)
            self.samples.append((time.monotonic(), status, body))

    def outage(self):
        self.stop.set()
        self.thread.join()
        failures = [moment for moment, status, _ in self.samples if status != 200]
        return failures[-1] - failures[0] + 0.05 if failures else 0.0

    def failure_bodies(self):
        return [(status, body) for _, status, body in self.samples if status != 200]


def backend_rollout(sidecar):
    """`helm upgrade --set backend.image.tag=v2` under load. The one backend pod is replaced, so
    there is an outage; it must be bounded by the app's own drain and start-up, not by the sidecar's
    drain. Every acknowledged write is kept."""
    timeline = Timeline(sidecar=sidecar)
    with Cluster(values={"frontend.cpuWorkMs": "0"}, timeline=timeline) as cluster:
        cluster.install()
        backend = cluster.routing.workloads["backend-app"].template
        drain = float(backend.env["DRAIN_SECONDS"])
        bound = (backend.pre_stop_sleep_seconds + drain + 1.0 + timeline.start_seconds + backend.startup_period_seconds
                 + backend.readiness_period_seconds + timeline.endpoint_lag_seconds + 1.0)
        probe = Availability(cluster.gateway_url + "/api/entries?limit=1")
        data = under_load(cluster, 30, lambda: (cluster.upgrade({"backend.image.tag": "v2"}, wait=True), time.sleep(2)),
                          "--mix", "list=1,post=1")
        outage = probe.outage()
        say(f"{sidecar} sidecar: backend outage {outage:.1f} s; bound {bound:.1f} s = preStop {backend.pre_stop_sleep_seconds:g} "
            f"+ drain {drain:g} + 1 (in-flight, the proxy's 1 s poll) + start {timeline.start_seconds:g} + startup probe "
            f"{backend.startup_period_seconds:g} + readiness probe {backend.readiness_period_seconds:g} + endpoints "
            f"{timeline.endpoint_lag_seconds:g} + 1 margin")
        check(outage <= bound, f"the backend's outage ({outage:.1f} s) outlasted the app's drain and start-up ({bound:.1f} s)")
        # Meanwhile the proxies answer 503 "no healthy upstream" in text/plain; the frontend must turn
        # that into its own JSON error.
        failures = probe.failure_bodies()
        check(failures and all(status in (502, 503, 504) and json.loads(body)["error"]["code"] for status, body in failures),
              f"not every failed answer was the frontend's JSON error: {failures[:3]}")
        say(f"{len(failures)} failed probes, all JSON errors: {sorted({json.loads(b)['error']['code'] for _, b in failures})}")
        failed = sum(n for code, n in data["status"].items() if int(code) >= 400) + sum(data["errors"].values())
        check(failed <= 100 * (bound + 1), f"{failed} failed requests for a {outage:.1f} s outage")
        check(not any(p.cut_by_proxy for p in cluster.pods), "a sidecar exited before its app")
        created = data["status"].get("201", 0)
        status, body = get(cluster.pods_of("backend-app")[0].url + "/metrics")
        stored = int(float(re.search(rb"\nguestbook_entries ([0-9.e+]+)", body).group(1)))
        say(f"{created} writes acknowledged, {stored} stored")
        check(stored >= created, "an acknowledged write was lost")


DRILLS = {"canary-enable": canary_enable, "canary-reweight-promote": canary_reweight_promote,
          "stable-roll-during-canary": stable_roll_during_canary, "canary-abort": canary_abort,
          "backend-rollout-classic": lambda: backend_rollout("classic"),
          "backend-rollout-native": lambda: backend_rollout("native")}
