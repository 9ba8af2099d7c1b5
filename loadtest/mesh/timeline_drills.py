"""Drills that run a chart transition the way a cluster does (cluster.py): the routes change at once,
pods arrive and leave on Kubernetes' clock, and sidecars drain on Istio's. Each runs under load with
loadgen's gates and fails if a request is lost.

The canary flows are the ones the chart README documents: each drill reads the `helm upgrade` lines of
the README block marked `<!-- drill: NAME -->`, so the README cannot promise a flow that loses
requests.

    python3 loadtest/mesh/drills.py canary-enable canary-reweight-promote stable-roll-during-canary \\
        canary-abort frontend-rollout-classic frontend-rollout-native backend-rollout-classic \\
        backend-rollout-native"""

import json
import re
import shlex
import threading
import time

from cluster import Cluster, Timeline
from drills_support import DrillFailed, check, finish_loadgen, say, start_loadgen
from mesh import ROOT, get, wait_for

CHART_README = ROOT / "helm-charts" / "my-app" / "README.md"
# Split gates (loadgen's statistical gate at its 99.9% default): 2,000 requests judge 90/10 and 5,500
# judge 50/50 to ±3 points (1,091 and 2,997 would do), so no run is inconclusive; a correct split fails
# only if a share lands beyond ±3 points plus its interval, 7 standard deviations or more away.
SPLIT_TOLERANCE = 3
QUIET_FRONTEND = {"frontend.cpuWorkMs": "0"}  # the split does not depend on CPU work; 2 cores do


def documented_flow(name) -> list[list[str]]:
    """The commands of the README block marked `<!-- drill: name -->`, each split into words."""
    text = CHART_README.read_text()
    marker = text.index(f"<!-- drill: {name} -->")
    block = re.search(r"```bash\n(.*?)```", text[marker:], re.S).group(1)
    steps = [words for words in map(lambda line: shlex.split(line, comments=True), block.splitlines()) if words]
    check(steps, f"the README block {name} has no command")
    return steps


def run_step(cluster, words):
    """One documented command, as the simulated cluster carries it out."""
    if words[:2] == ["helm", "upgrade"]:
        sets = dict(words[i + 1].split("=", 1) for i, word in enumerate(words) if word == "--set")
        cluster.upgrade(sets, wait="--wait" in words)
    elif words[:2] == ["helm", "rollback"]:
        cluster.rollback()
    elif words[:3] == ["kubectl", "delete", "pod"]:
        cluster.delete_pod(words[3])
    elif words[:3] == ["kubectl", "rollout", "status"]:
        cluster.rollout_status(words[3].split("/", 1)[1])
    else:
        raise DrillFailed(f"the drill cannot run the documented command {' '.join(words)!r}")


def run_flow(cluster, name):
    for words in documented_flow(name):
        run_step(cluster, words)


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
    """Two stable v1 pods under load; the README's flow adds the v2 canary at 10%. First the control:
    the same change in one step must lose requests in the model, as it does on a cluster, or the drill
    could not tell the flows apart."""
    with Cluster(values=dict(QUIET_FRONTEND), verbose=False) as cluster:
        cluster.install()
        data = under_load(cluster, 6, lambda: cluster.upgrade({"frontend.canary.enabled": "true", "frontend.canary.weight": "10"}))
        unavailable = data["status"].get("503", 0)
        say(f"control, in one step: {unavailable} of {data['requests']['completed']} answered 503 before the canary was ready")
        check(unavailable > 0, "the model did not show the one-step enable's 503s: it no longer models pod start-up")
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
        split_gate(cluster, "v1=50,v2=50", 5500)
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


def frontend_rollout(sidecar):
    """`helm upgrade --set frontend.image.tag=v2` under load, with one request in a hundred a GET
    /delay/8000, so that requests are in flight on every old pod when its termination starts. In both
    sidecar models nothing is lost: the preStop covers the endpoint lag, the proxy outlives the app,
    and terminationGracePeriodSeconds covers preStop + drain + shutdown."""
    with Cluster(values=dict(QUIET_FRONTEND), timeline=Timeline(sidecar=sidecar)) as cluster:
        cluster.install()
        mix = cluster.workdir / "mix.json"
        mix.write_text(json.dumps({"scenarios": [
            {"name": "list", "method": "GET", "path": "/api/entries", "weight": 99},
            {"name": "slow", "method": "GET", "path": "/delay/8000", "weight": 1}]}))
        data = under_load(cluster, 45, lambda: (cluster.upgrade({"frontend.image.tag": "v2"}, wait=True), cluster.wait_settled()),
                          "--mix-file", mix, "--timeout", "15s", "--connections", 32)
        zero_loss(data, f"rolling the frontend with {sidecar} sidecars")
        template = cluster.routing.workloads["frontend-app-deployment"].template
        gone = [moment for moment, text in cluster.events if "gone," in text and "frontend" in text]
        say(f"grace {template.termination_grace_seconds:g} s; old pods gone "
            f"{', '.join(text.split('gone, ')[1].split(' ')[0] + ' s' for _, text in cluster.events if 'gone,' in text)} after deletion")
        check(gone, "no old frontend pod went")
        check(not any(p.cut_by_proxy for p in cluster.pods), "a sidecar exited while its app still had connections")
        check(not any(p.killed_at_grace for p in cluster.pods), "the grace period ran out before a pod had finished")
        split_gate(cluster, "v2=100", 300)


def json_error_code(body):
    """The `error.code` of a JSON error body, None for anything else."""
    try:
        return json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


class Availability:
    """GET `url` every 50 ms in the background; the outage is the span from the first failure to the
    last one."""

    def __init__(self, url):
        self.url, self.samples, self.stop = url, [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.wait(0.05):
            sent = time.monotonic()  # when the request left, so a slow failure does not shorten the outage
            status, body = get(self.url, timeout=3)
            self.samples.append((sent, status, body))

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
    # With a canary, so that a frontend pod ejected for answering the outage's 503s would show: the
    # canary subset's one pod gone for baseEjectionTime is an outage long after the backend's.
    values = {**QUIET_FRONTEND, "frontend.canary.enabled": "true", "frontend.canary.weight": "10"}
    with Cluster(values=values, timeline=timeline) as cluster:
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
        codes = {json_error_code(body) for _, body in failures}
        check(failures and None not in codes and {status for status, _ in failures} <= {502, 503, 504},
              f"not every failed answer was the frontend's JSON error: {failures[:3]}")
        say(f"{len(failures)} failed probes, all JSON errors: {sorted(codes)}")
        failed = sum(n for code, n in data["status"].items() if int(code) >= 400) + sum(data["errors"].values())
        check(failed <= 100 * (bound + 1), f"{failed} failed requests for a {outage:.1f} s outage")
        check(not any(p.cut_by_proxy for p in cluster.pods), "a sidecar exited before its app")
        ejected = cluster.ejected_hosts("frontend-service")
        say(f"frontend pods ejected by outlier detection after the outage: {ejected}")
        check(ejected == 0, f"{ejected} healthy frontend pods were ejected for passing on the backend's outage")
        created = data["status"].get("201", 0)
        status, body = get(cluster.pods_of("backend-app")[0].url + "/metrics")
        stored = int(float(re.search(rb"\nguestbook_entries ([0-9.e+]+)", body).group(1)))
        say(f"{created} writes acknowledged, {stored} stored")
        check(stored >= created, "an acknowledged write was lost")


def backend_rollback():
    """A backend release whose pod never gets ready, then the chart README's recovery: `helm
    rollback` alone leaves the StatefulSet waiting (the control), the documented pod deletion ends
    it, and the guestbook's entries are still there."""
    with Cluster(values=dict(QUIET_FRONTEND)) as cluster:
        cluster.install()
        status, body = post_entry(cluster)
        check(status == 201, f"writing an entry failed: {status} {body[:200]}")
        # A configuration error the backend refuses at start-up (exit status 2), like a bad image.
        cluster.upgrade({"backend.extraEnv[0].name": "MAX_BODY_BYTES", "backend.extraEnv[0].value": "-1"})
        check(wait_for_status(cluster, 503, 30), "the broken release did not take the backend down")
        # Roll back once the broken pod is in CrashLoopBackOff, as a user would notice it.
        check(wait_for(lambda: any(p.restarts for p in cluster.pods_of("backend-app")), timeout=30),
              "the broken backend pod never crashed")
        steps = documented_flow("backend-rollback")
        check(steps[0][:2] == ["helm", "rollback"], f"the recovery does not start with helm rollback: {steps[0]}")
        run_step(cluster, steps[0])
        stuck = not wait_for_status(cluster, 200, 15)
        say(f"control: {'still down' if stuck else 'back'} 15 s after helm rollback alone")
        check(stuck, "the StatefulSet replaced a pod that never got ready: the model lost OrderedReady")
        for words in steps[1:]:
            run_step(cluster, words)
        check(wait_for_status(cluster, 200, 15), "the backend did not come back after the documented recovery")
        status, body = get(cluster.gateway_url + "/api/entries")
        check(b"drill-rollback" in body, f"the entry written before the broken release is gone: {body[:200]}")
        say("after the documented recovery: the backend serves, the entry is there")


def post_entry(cluster):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", cluster.gateway_port, timeout=5)
    connection.request("POST", "/api/entries", body=json.dumps({"author": "drill-rollback", "message": "before"}),
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def wait_for_status(cluster, status, timeout):
    """Until GET /api/entries through the gateway answers `status`; False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if get(cluster.gateway_url + "/api/entries?limit=1", timeout=3)[0] == status:
            return True
        time.sleep(0.2)
    return False


DRILLS = {"canary-enable": canary_enable, "canary-reweight-promote": canary_reweight_promote,
          "stable-roll-during-canary": stable_roll_during_canary, "canary-abort": canary_abort,
          "frontend-rollout-classic": lambda: frontend_rollout("classic"),
          "frontend-rollout-native": lambda: frontend_rollout("native"),
          "backend-rollout-classic": lambda: backend_rollout("classic"),
          "backend-rollout-native": lambda: backend_rollout("native"),
          "backend-rollback": backend_rollback}
