"""Drills that prove Skalar's side of each Kubernetes workflow on a local Envoy mesh, with zero loss.

    python3 loadtest/mesh/drills.py [rolling-update|canary|backend-restart|crash-durability|hpa-input ...]

and the drills on Kubernetes' timeline (timeline_drills.py): canary-enable, canary-reweight-promote,
stable-roll-during-canary, canary-abort, backend-rollout-classic, backend-rollout-native,
backend-rollback; and the backend on PostgreSQL with three replicas (postgres_drills.py):
postgres-backend-rollout-classic, postgres-backend-rollout-native, postgres-replica-kill,
postgres-restart, postgres-slow-commit, postgres-hpa-input.

Each drill prints what it saw and a verdict, and the script exits non-zero if any failed. Every drill
is bounded in time and sends traffic only to 127.0.0.1."""

import json
import random
import re
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from drills_support import AcknowledgedWrites, DrillFailed, check, cpu_seconds, finish_loadgen, say, start_loadgen, stored_ids  # noqa: E402
from mesh import ROOT, Mesh, Process, free_port, get, wait_for  # noqa: E402
import postgres_drills  # noqa: E402
import timeline_drills  # noqa: E402


def rolling_update():
    """Two v1 replicas are replaced one by one with v2 under constant traffic, the way a Deployment with
    maxUnavailable 0 does it: start the new one, wait until it is ready, SIGTERM an old one (it drains)."""
    with Mesh() as mesh:
        mesh.start_backend()
        old = [mesh.start_frontend("v1", f"frontend-v1-{i}") for i in range(2)]
        new_ports = [free_port(), free_port()]
        # The gateway knows every pod slot up front; health checks on /readyz decide which get traffic,
        # as Kubernetes endpoints follow readiness.
        slots = old + [Process(f"frontend-v2-{i}", port, 0, None, "v2") for i, port in enumerate(new_ports)]
        mesh.start_gateway({"stable": slots})
        check(wait_for(lambda: mesh.healthy_hosts("frontend-service|stable") == 2), "the v1 replicas never became healthy in Envoy")
        drain = int(mesh.env.get("DRAIN_SECONDS", "5"))
        loadgen, report = start_loadgen(mesh, "--rate", 100, "--duration", f"{2 * drain + 6}s", "--mix", "page=1,list=4,post=1")
        time.sleep(1.5)
        for index, port in enumerate(new_ports):
            replacement = mesh.start_frontend("v2", f"frontend-v2-{index}", port=port)
            check(wait_for(replacement.ready), "a v2 replica did not become ready")
            check(wait_for(lambda: mesh.healthy_hosts("frontend-service|stable") == 3, timeout=5), "Envoy did not pick up the new replica")
            say(f"v2 replica {index} ready; SIGTERM to v1 replica {index}, which drains for {drain} s")
            status = mesh.stop(old[index])
            check(status == 0, f"a draining v1 replica exited {status}")
        status, data, out = finish_loadgen(loadgen, report)
        say(out.splitlines()[1] if out else "no loadgen output")
        tally = data["versions"].get("X-App-Version", {})
        say(f"status {data['status']}, errors {data['errors']}, versions {json.dumps(tally)}")
        check(data["errors"] == {}, f"connection errors during the rollout: {data['errors']}")
        check(all(200 <= int(code) < 400 for code in data["status"]), f"non-2xx responses during the rollout: {data['status']}")
        check(tally.get("v1", {}).get("count", 0) > 0 and tally.get("v2", {}).get("count", 0) > 0, "the tally did not move from v1 to v2")
        after = mesh.loadgen("--rate", 100, "--duration", "2s", "--expect-split", "v2=100", "--split-tolerance", 0)
        check(after[0] == 0, "after the rollout not every answer came from v2")
        say("after the rollout: 100% v2")


def canary():
    """90/10, then 50/50, each checked with loadgen --expect-split; then v2 made unready."""
    for weight in (10, 50):
        with Mesh(chart_values={"frontend.canary.enabled": "true", "frontend.canary.weight": str(weight)}) as mesh:
            mesh.start_backend()
            # The split does not depend on the synthetic CPU work, and two cores would not carry it at 400/s.
            stable = [mesh.start_frontend("v1", f"frontend-v1-{i}", extra_env={"CPU_WORK_MS": "0"}) for i in range(2)]
            canary_replica = mesh.start_frontend("v2", "frontend-v2-0", extra_env={"CPU_WORK_MS": "0"})
            mesh.start_gateway({"stable": stable, "canary": [canary_replica]})
            check(wait_for(lambda: mesh.healthy_hosts("frontend-service|stable") == 2 and mesh.healthy_hosts("frontend-service|canary") == 1),
                  "the subsets never became healthy")
            split = f"v1={100 - weight},v2={weight}"
            # As in timeline_drills.py: sized beyond what the statistical gate needs (1,091 and 2,997
            # requests), a correct split fails only beyond 7 standard deviations.
            requests = 2000 if weight == 10 else 5500
            status, data, out = mesh.loadgen("--rate", 400, "--requests", requests, "--mix", "list", "--expect-split", split,
                                             "--split-tolerance", 3, "--max-error-rate", 0)
            shares = {version: info["percent"] for version, info in data["versions"]["X-App-Version"].items()}
            say(f"weight {weight}: expected {split}, saw {shares}")
            check(status == 0, f"--expect-split {split} failed: {shares}")
            if weight != 50:
                continue
            # With Istio's model (a cluster per subset behind weighted clusters) an unready subset's
            # share becomes 503s: it does not fail over to v1. One cluster with endpoint weights would.
            check(canary_replica.admin("POST", "/readyz/disable") == 200, "the admin toggle failed")
            check(wait_for(lambda: mesh.healthy_hosts("frontend-service|canary") == 0, timeout=5), "Envoy kept v2 healthy")
            # ±5 points around the weight is 5 standard deviations at 2,500 requests.
            status, data, out = mesh.loadgen("--rate", 400, "--requests", 2500, "--mix", "list")
            total = data["requests"]["completed"]
            unavailable = data["status"].get("503", 0) * 100 / total
            served = data["versions"]["X-App-Version"]
            say(f"v2 unready: {unavailable:.1f}% answered 503 by the gateway (predicted {weight}%), answers from {list(served)}")
            check(abs(unavailable - weight) <= 5, f"expected about {weight}% 503s, saw {unavailable:.1f}%")
            check(list(served) == ["v1"], "an unready v2 still answered")
            canary_replica.admin("POST", "/readyz/enable")
            check(wait_for(lambda: mesh.healthy_hosts("frontend-service|canary") == 1, timeout=5), "v2 did not come back")
            status, data, out = mesh.loadgen("--rate", 300, "--duration", "2s", "--mix", "list", "--max-error-rate", 0)
            check(status == 0, "errors after v2 was ready again")
            say("v2 ready again: no errors")


def backend_restart():
    """The backend restarts under load: the frontend's errors stay inside a bounded window, its page shows
    the degraded notice meanwhile, and every acknowledged write is kept."""
    with Mesh() as mesh:
        backend = mesh.start_backend()
        frontends = [mesh.start_frontend("v1", f"frontend-v1-{i}") for i in range(2)]
        mesh.start_gateway({"stable": frontends})
        check(wait_for(lambda: mesh.healthy_hosts("frontend-service|stable") == 2), "frontends never healthy")
        rate, outage = 100, 1.5
        loadgen, report = start_loadgen(mesh, "--rate", rate, "--duration", "8s", "--mix", "list=1,post=1", "--timeout", "3s")
        time.sleep(2)
        port = backend.port
        check(mesh.stop(backend) == 0, "the backend did not stop cleanly")
        stopped = time.monotonic()
        status, body = get(mesh.gateway_url + "/")
        say(f"backend down: the page answers {status}")
        check(status == 503 and b"backend is unavailable" in body, "the page did not show the degraded notice")
        check(get(frontends[0].url + "/readyz")[0] == 200, "the frontend's readiness followed the backend")
        time.sleep(max(0.0, outage - (time.monotonic() - stopped)))
        mesh.start_backend(port=port, name="backend-app-0-restarted")
        down_for = time.monotonic() - stopped
        say(f"backend back after {down_for:.1f} s")
        status, data, out = finish_loadgen(loadgen, report)
        failed = sum(count for code, count in data["status"].items() if int(code) >= 400) + sum(data["errors"].values())
        # Errors may only come from the outage itself plus the second it takes to notice the return.
        bound = rate * (down_for + 1.0)
        say(f"{failed} failed requests of {data['requests']['completed']} (bound {bound:.0f} for a {down_for:.1f} s outage)")
        check(failed <= bound, "errors outlasted the outage")
        check(mesh.loadgen("--rate", 100, "--duration", "1s", "--mix", "list", "--max-error-rate", 0)[0] == 0, "no full recovery")
        created = data["status"].get("201", 0)
        status, body = get(mesh.backend.url + "/metrics")
        stored = int(float(re.search(rb"\nguestbook_entries ([0-9.e+]+)", body).group(1)))
        say(f"{created} writes acknowledged with 201, {stored} entries stored")
        check(stored >= created, "an acknowledged write was lost")


def crash_durability(rounds=50):
    """kill -9 of the backend during POST load through the gateway, again and again: every entry that was
    acknowledged with 201 is there afterwards."""
    with Mesh() as mesh:
        backend = mesh.start_backend()
        frontend = mesh.start_frontend("v1", "frontend-v1-0", extra_env={"CPU_WORK_MS": "0", "BACKEND_TIMEOUT_MS": "1000"})
        mesh.start_gateway({"stable": [frontend]})
        check(wait_for(lambda: mesh.healthy_hosts("frontend-service|stable") == 1), "frontend never healthy")
        acknowledged = set()
        port = backend.port
        for round_number in range(rounds):
            writes = AcknowledgedWrites(mesh.gateway_port, label=f"round {round_number}")
            time.sleep(random.uniform(0.05, 0.25))
            mesh.stop(backend, signal.SIGKILL)
            acknowledged |= set(writes.stop().acknowledged)
            backend = mesh.start_backend(port=port, name=f"backend-app-0-r{round_number}")
        missing = acknowledged - stored_ids(mesh.backend.url)
        say(f"{rounds} kill -9 rounds, {len(acknowledged)} entries acknowledged with 201, {len(missing)} missing")
        check(len(acknowledged) > rounds, "the load did not really write")
        check(not missing, f"acknowledged entries lost: {sorted(missing)[:10]}")


def hpa_input():
    """The frontend's CPU per request at the chart's default CPU_WORK_MS, measured under load, next to the
    chart's HPA arithmetic (values.yaml): fails if they disagree by more than 25%."""
    values = (ROOT / "helm-charts" / "my-app" / "values.yaml").read_text()
    claimed = float(re.search(r"CPU per request at the default: c0 \+ W = ([0-9.]+) ms", values).group(1))
    with Mesh() as mesh:
        mesh.start_backend()
        frontend = mesh.start_frontend("v1", "frontend-v1-0")
        mesh.start_gateway({"stable": [frontend]})
        check(wait_for(lambda: mesh.healthy_hosts("frontend-service|stable") == 1), "frontend never healthy")

        before = cpu_seconds(frontend.url)
        status, data, out = mesh.loadgen("--connections", 2, "--duration", "4s", "--mix", "page")
        used = cpu_seconds(frontend.url) - before
        per_request = used / data["requests"]["completed"] * 1000
        say(f"CPU_WORK_MS={mesh.env['CPU_WORK_MS']}: measured {per_request:.2f} ms of CPU per page request, "
            f"values.yaml's HPA arithmetic assumes {claimed} ms")
        check(abs(per_request - claimed) / claimed <= 0.25, "the chart's HPA arithmetic is off by more than 25%")


DRILLS = {"rolling-update": rolling_update, "canary": canary, "backend-restart": backend_restart,
          "crash-durability": crash_durability, "hpa-input": hpa_input, **timeline_drills.DRILLS, **postgres_drills.DRILLS}


def main(names):
    failed = []
    for name in names or DRILLS:
        print(f"drill {name}:", flush=True)
        started = time.monotonic()
        try:
            DRILLS[name]()
            print(f"  PASS ({time.monotonic() - started:.1f} s)", flush=True)
        except DrillFailed as failure:
            print(f"  FAIL: {failure}", flush=True)
            failed.append(name)
        except Exception as error:  # a drill that breaks must not hide the others' verdicts
            print(f"  FAIL: {type(error).__name__}: {error}", flush=True)
            failed.append(name)
    print(f"{len(names or DRILLS) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
