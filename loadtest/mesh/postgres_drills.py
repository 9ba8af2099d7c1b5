"""Drills of the backend on PostgreSQL, on Kubernetes' timeline (cluster.py): the chart with
`backend.database.engine=postgresql` runs three backend-app-deployment pods behind the proxies, all on
one throwaway PostgreSQL server on loopback (postgres_server.py). The chart's DATABASE_URL names a
host only a cluster resolves, so the pods get the local server's URL instead; everything else (the
Deployment's rollout, probes, preStop, drain, sidecars, routes) is the chart's rendering.

    python3 loadtest/mesh/drills.py postgres-backend-rollout-classic postgres-backend-rollout-native \\
        postgres-replica-kill postgres-restart postgres-slow-commit postgres-hpa-input

What is not modelled: the server's own failover (CloudNativePG), TLS to the server, and a server on
another machine (its latency)."""

import http.client
import json
import re
import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from cluster import Cluster, Timeline
from drills_support import AcknowledgedWrites, check, cpu_seconds, finish_loadgen, metric, say, start_loadgen, stored_ids
from mesh import ROOT, get, wait_for
from postgres_server import PrivateServer, psql
from slow_link import SlowLink
from timeline_drills import QUIET_FRONTEND, json_error_code, under_load, zero_loss

BACKEND = "backend-app-deployment"
REPLICAS = 3
POSTGRES_VALUES = {
    **QUIET_FRONTEND,
    "backend.database.engine": "postgresql",
    "externalDatabase.enabled": "true",
    "externalDatabase.host": "postgresql.example",
    "externalDatabase.existingSecret": "skalar-database",
    "backend.autoscaling.minReplicas": str(REPLICAS),
}


@contextmanager
def postgres_cluster(timeline=None, values=None, link=False):
    """A settled cluster of the chart on PostgreSQL (with more `values`), and its server; with `link`,
    the backends reach the server through a SlowLink, yielded third."""
    # Not under a folder only root may enter: the server runs as the `postgres` user.
    directory = Path(tempfile.mkdtemp(prefix="skalar-drill-pg-"))
    server = PrivateServer(directory)
    slow_link = SlowLink(server.port) if link else None
    url = server.url.replace(f":{server.port}/", f":{slow_link.port}/") if link else server.url
    try:
        with Cluster(values={**POSTGRES_VALUES, **(values or {})}, timeline=timeline or Timeline(), database_url=url) as cluster:
            cluster.install()
            check(len(cluster.pods_of(BACKEND)) == REPLICAS, f"the chart did not run {REPLICAS} backend pods")
            yield (cluster, server, slow_link) if link else (cluster, server)
    finally:
        if slow_link:
            slow_link.close()
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def every_acknowledged_write_stored(writes, backend_url):
    missing = set(writes.acknowledged) - stored_ids(backend_url)
    say(f"{len(writes.acknowledged)} writes acknowledged with 201, {len(missing)} missing; other answers {writes.failures}")
    check(len(writes.acknowledged) > 100, "the writers did not really write")
    check(not missing, f"acknowledged entries lost: {sorted(missing)[:10]}")


def backend_rollout(sidecar):
    """`helm upgrade --set backend.image.tag=v2` under read and write load: the Deployment replaces the
    three pods one by one (maxSurge 1, maxUnavailable 0), and not one request fails."""
    with postgres_cluster(Timeline(sidecar=sidecar)) as (cluster, server):
        writes = AcknowledgedWrites(cluster.gateway_port, threads=2)

        def roll():
            cluster.upgrade({"backend.image.tag": "v2"})
            cluster.rollout_status(BACKEND)
            cluster.wait_settled()

        data = under_load(cluster, 55, roll, "--mix", "list=1,post=1")
        writes.stop()
        zero_loss(data, f"rolling three PostgreSQL backends with {sidecar} sidecars")
        check(not writes.failures, f"writes failed during the rollout: {writes.failures}")
        versions = sorted(p.version for p in cluster.pods_of(BACKEND))
        check(versions == ["v2"] * REPLICAS, f"the backend pods after the rollout: {versions}")
        check(not any(p.cut_by_proxy for p in cluster.pods), "a sidecar exited while its app still had connections")
        check(not any(p.killed_at_grace for p in cluster.pods), "the grace period ran out before a pod had finished")
        every_acknowledged_write_stored(writes, cluster.pods_of(BACKEND)[0].url)


def replica_kill():
    """kill -9 of one of three backend pods under write load: every write acknowledged with 201 is
    stored, the others keep serving, and the kubelet's restart brings the pod back."""
    with postgres_cluster() as (cluster, server):
        writes = AcknowledgedWrites(cluster.gateway_port)
        time.sleep(2)
        victim, *survivors = cluster.pods_of(BACKEND)
        victim.popen.kill()
        killed = time.monotonic()
        cluster.event(f"{victim.name}: kill -9")
        time.sleep(4)
        writes.stop()
        after = sum(1 for moment in writes.acknowledged.values() if moment > killed + 1)
        say(f"{after} writes acknowledged in the 3 s after the kill, by the surviving pods")
        check(after > 0, "the surviving backend pods did not take the writes")
        every_acknowledged_write_stored(writes, survivors[0].url)
        check(wait_for(lambda: victim.restarts == 1 and victim.ready_since is not None, timeout=30),
              "the killed pod did not come back after the kubelet's restart")
        say(f"{victim.name} ready again after its restart")


def postgres_restart():
    """The PostgreSQL server stops for a few seconds under write load: every backend goes unready
    (and stays live), becomes ready again by itself when the server is back, with no process restart,
    and no acknowledged write is lost."""
    with postgres_cluster() as (cluster, server):
        pods = cluster.pods_of(BACKEND)
        processes = {pod.name: pod.popen.pid for pod in pods}
        writes = AcknowledgedWrites(cluster.gateway_port)
        time.sleep(2)
        server.stop()
        stopped = time.monotonic()
        cluster.event("PostgreSQL stopped")

        def readiness():
            return [get(pod.url + "/readyz", timeout=2)[0] for pod in pods]

        check(wait_for(lambda: set(readiness()) == {503}, timeout=10), f"not every backend went unready: {readiness()}")
        say(f"every backend unready {time.monotonic() - stopped:.1f} s after the server stopped")
        check({get(pod.url + "/healthz")[0] for pod in pods} == {200}, "liveness followed the database")
        time.sleep(max(0.0, 3 - (time.monotonic() - stopped)))
        server.start()
        started = time.monotonic()
        cluster.event("PostgreSQL started")
        check(wait_for(lambda: set(readiness()) == {200}, timeout=15), f"the backends did not become ready again: {readiness()}")
        say(f"every backend ready {time.monotonic() - started:.1f} s after the server was back")
        time.sleep(2)
        writes.stop()
        check({pod.name: pod.popen.pid for pod in pods} == processes and not any(pod.restarts for pod in pods),
              "a backend process was restarted")
        resumed = sum(1 for moment in writes.acknowledged.values() if moment > started)
        check(resumed > 0, "no write was acknowledged after the server came back")
        every_acknowledged_write_stored(writes, pods[0].url)
        status, data, out = finish_loadgen(*start_loadgen(cluster, "--rate", 100, "--duration", "2s", "--mix", "list=1,post=1",
                                                          "--max-error-rate", 0))
        check(status == 0, f"errors after the recovery: {data['status']} {data['errors']}")


def slow_commit():
    """A write that commits on the server but whose answer reaches the backend after its query deadline
    (a slow network to the server, a stalled proxy): the client gets an error that says the entry may
    be stored, and no one repeats the write, neither the mesh's retries (backend-virtualservice, the
    gateway's route) nor the frontend. One POST, at most one entry."""
    deadline_ms = 500
    values = {"backend.extraEnv[0].name": "POSTGRES_QUERY_TIMEOUT_MS", "backend.extraEnv[0].value": str(deadline_ms)}
    with postgres_cluster(values=values, link=True) as (cluster, server, link):
        marker = uuid.uuid4().hex
        link.delay = 3 * deadline_ms / 1000
        cluster.event(f"answers from PostgreSQL held {link.delay:g} s")
        connection = http.client.HTTPConnection("127.0.0.1", cluster.gateway_port, timeout=30)
        connection.request("POST", "/api/entries", body=json.dumps({"author": "drill", "message": marker}),
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        link.delay = 0
        time.sleep(3)  # until every held answer has arrived and any repeat has run
        copies = int(psql(server.url, f"SELECT count(*) FROM entries WHERE message = '{marker}'"))
        say(f"one POST answered {response.status} {body[:160]!r}; entries stored for it: {copies}")
        check(copies <= 1, f"one POST stored {copies} entries: a write that had committed was repeated")
        check(response.status == 201 or (response.status == 504 and json_error_code(body) == "write_outcome_unknown"),
              f"the answer does not say that the outcome is unknown: {response.status} {body[:200]!r}")
        counted = sum(metric(pod.url, 'db_write_errors_total{reason="outcome_unknown"}') for pod in cluster.pods_of(BACKEND))
        check(response.status == 201 or counted >= 1, "db_write_errors_total did not count the write of unknown outcome")


def hpa_input():
    """The backend's CPU per API call, measured on the three pods at 400 calls/s, next to the chart's
    HPA arithmetic for the backend (values.yaml), which gives the figure of a release build (the
    images') and of a debug one: fails if the build's figure is off by more than half. The band is
    wider than the frontend's 25%: b is small, so the pods' fixed work (probes, the pool's connections)
    weighs more, and 18 runs of the debug build on an idle machine spread 0.39-0.57 ms (mean 0.45,
    standard deviation 0.045); half is 5 standard deviations on either side, and still catches a
    doubled cost or arithmetic on the wrong figure."""
    values = (ROOT / "helm-charts" / "my-app" / "values.yaml").read_text()
    figures = re.search(r"Backend CPU per API call: b = ([0-9.]+) ms on the release build .*?a debug build uses ([0-9.]+) ms",
                        values, re.S)
    check(figures, "values.yaml no longer states the backend's CPU per API call for both builds")
    with postgres_cluster() as (cluster, server):
        build = cluster.bin_dir.resolve().name  # SwiftPM's bin path ends in the configuration
        check(build in ("release", "debug"), f"cannot tell the build of {cluster.bin_dir}")
        claimed = float(figures.group(1 if build == "release" else 2))
        pods = cluster.pods_of(BACKEND)
        before = sum(cpu_seconds(pod.url) for pod in pods)
        status, data, out = finish_loadgen(*start_loadgen(cluster, "--rate", 400, "--duration", "8s", "--mix", "list=1,post=1",
                                                          "--max-error-rate", 0))
        used = sum(cpu_seconds(pod.url) for pod in pods) - before
        check(status == 0, f"the load failed: {data['status']} {data['errors']}")
        per_call = used / data["requests"]["completed"] * 1000
        say(f"{build} build: measured {per_call:.3f} ms of backend CPU per API call over {data['requests']['completed']} "
            f"calls, values.yaml's HPA arithmetic assumes {claimed} ms")
        check(abs(per_call - claimed) / claimed <= 0.5, "the chart's backend HPA arithmetic is off by more than half")


DRILLS = {"postgres-backend-rollout-classic": lambda: backend_rollout("classic"),
          "postgres-backend-rollout-native": lambda: backend_rollout("native"),
          "postgres-replica-kill": replica_kill, "postgres-restart": postgres_restart, "postgres-slow-commit": slow_commit, "postgres-hpa-input": hpa_input}
