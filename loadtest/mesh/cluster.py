"""A simulated Kubernetes cluster with an Istio mesh, on loopback, that keeps Kubernetes' and Istio's
clock: what a drill sees during `helm upgrade` is what a proxy sees on a real cluster.

- `install` and `upgrade` render the chart (`helm template`, as `--reuse-values` would merge the sets)
  and hand the new routes to Envoy at once, the way istiod pushes a changed VirtualService or
  DestinationRule.
- Pods follow their workload's controller: a Deployment rolls with maxSurge and maxUnavailable 0 and
  waits minReadySeconds (the backend is one on PostgreSQL); the backend's StatefulSet (SQLite) deletes its one pod and creates the next only when
  the old one is gone. A new pod's process starts `Timeline.start_seconds` after the pod is created
  (scheduling and image pull), the kubelet probes it at the template's own periods, and it reaches the
  proxies' endpoints `Timeline.endpoint_lag_seconds` after it is ready. A deleted pod leaves the
  endpoints after the same lag, while its preStop sleep, SIGTERM and drain run.
- Each pod with an injected sidecar terminates per `Timeline.sidecar`, from the pod's own
  `proxy.istio.io/config` annotation (Istio's pilot-agent, pkg/envoy/agent.go):
  - classic: istio-proxy is a regular container without a preStop, so it gets SIGTERM when the pod is
    deleted, drains its inbound listeners and is killed `terminationDrainDuration` (default 5 s) later;
    with `EXIT_ON_ZERO_ACTIVE_CONNECTIONS` it waits `MINIMUM_DRAIN_DURATION` (default 5 s) and then
    until the pod has no open connection, polled every second. If the proxy goes first, the app loses
    its network: the model kills the app then, which is what its clients would see.
  - native (Istio >= 1.27 on kubelet >= 1.33, or the nativeSidecar annotation): the proxy is an init
    container with restartPolicy Always; its preStop drains at once, and the kubelet sends it SIGTERM
    only after the app has exited, upon which it exits at once.
  - none: no sidecar.
  terminationGracePeriodSeconds bounds all of it with a SIGKILL.

Istio's ingress gateway and every frontend's outbound sidecar are one Envoy here, with a listener for
each (`gateway` and `backend`), its listeners, routes, clusters and endpoints delivered through files
Envoy watches. What is not modelled: the proxies' own start-up, the CNI, node failures, and load
balancing across several gateway replicas."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import chart_routing
import envoy_config
from chart_routing import PodTemplate, Routing, Workload, seconds
from mesh import ROOT, envoy_binary, free_port, get, wait_for

ISTIO_TERMINATION_DRAIN_SECONDS = 5.0  # ProxyConfig terminationDrainDuration default
ISTIO_MINIMUM_DRAIN_SECONDS = 5.0  # pilot-agent MINIMUM_DRAIN_DURATION default
ACTIVE_CONNECTION_POLL_SECONDS = 1.0  # pilot-agent's check with EXIT_ON_ZERO_ACTIVE_CONNECTIONS
CRASH_LOOP_BACKOFF_SECONDS = (10.0, 300.0)  # the kubelet's first and longest restart delay, doubling


@dataclass
class Timeline:
    """When the simulated cluster does what, in seconds."""

    start_seconds: float = 1.5  # pod created → process started: scheduling, image pull, container start
    endpoint_lag_seconds: float = 1.0  # readiness or deletion → every proxy's endpoints (EndpointSlice, istiod push)
    sidecar: str = "classic"  # "classic", "native" or "none"


def open_connections(pid) -> int:
    """Established TCP connections of a process, inbound and outbound: what its sidecar would count as
    active downstream connections, since all of a meshed pod's traffic passes the sidecar."""
    try:
        inodes = {os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] for fd in os.listdir(f"/proc/{pid}/fd")
                  if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:[")}
    except OSError:
        return 0
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            next(rows)
            for row in rows:
                columns = row.split()
                if columns[3] == "01" and columns[9] in inodes:
                    count += 1
    return count


class Pod:
    """One pod: its process (once started), readiness as the kubelet sees it, and its termination."""

    def __init__(self, cluster, workload: str, name: str, template: PodTemplate):
        self.cluster, self.workload, self.name, self.template = cluster, workload, name, template
        self.labels = template.labels
        self.port, self.admin_port = free_port(), free_port()
        self.popen = None
        self.ready_since = None
        self.deleted = False
        self.gone = threading.Event()
        self.cut_by_proxy = False
        self.killed_at_grace = False
        self.restarts = 0
        threading.Thread(target=self._run, name=f"pod {name}", daemon=True).start()

    @property
    def version(self):
        return self.template.image_tag

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def available(self, min_ready_seconds):
        return self.ready_since is not None and time.monotonic() - self.ready_since >= min_ready_seconds

    def _run(self):
        """The kubelet's view: start the container, probe it, and restart it with CrashLoopBackOff's
        doubling delay whenever it exits."""
        if self._sleep(self.cluster.timeline.start_seconds):
            return
        restarts = 0
        while True:
            if self._start_container():
                self._probe_readiness()
            if self.deleted:
                return
            if self.ready_since is not None:
                self.ready_since = None
                self.cluster.endpoint_later(self, False)
            first, longest = CRASH_LOOP_BACKOFF_SECONDS
            backoff = min(longest, first * 2 ** restarts)
            restarts += 1
            self.restarts = restarts
            self.cluster.event(f"{self.name}: container exited with {self.popen.poll()}; restart {restarts} in {backoff:g} s "
                               f"(CrashLoopBackOff); its log ends: {self.cluster.last_log_line(self)}")
            if self._sleep(backoff):
                return

    def _start_container(self):
        """Starts the process unless the pod was deleted meanwhile (under the cluster's lock, so that a
        deleted StatefulSet pod never opens the database beside its successor); runs the startup probe."""
        with self.cluster.lock:
            if self.deleted:
                return False
            self.popen = self.cluster.start_process(self)
        self.cluster.event(f"{self.name}: container started")
        while get(self.url + "/healthz", timeout=1)[0] != 200:
            if self._sleep(self.template.startup_period_seconds) or self.popen.poll() is not None:
                return False
        return True

    def _probe_readiness(self):
        failures = 0
        while not self.deleted and self.popen.poll() is None:
            ready = get(self.url + "/readyz", timeout=1)[0] == 200
            failures = 0 if ready else failures + 1
            if ready and self.ready_since is None:
                self.ready_since = time.monotonic()
                self.cluster.event(f"{self.name}: ready")
                self.cluster.endpoint_later(self, True)
            elif failures >= self.template.readiness_failure_threshold and self.ready_since is not None:
                self.ready_since = None
                self.cluster.event(f"{self.name}: not ready")
                self.cluster.endpoint_later(self, False)
            self._sleep(self.template.readiness_period_seconds)

    def _sleep(self, duration):
        """Sleeps unless the pod is deleted meanwhile; True when it was."""
        deadline = time.monotonic() + duration
        while time.monotonic() < deadline:
            if self.deleted:
                return True
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        return self.deleted

    def delete(self):
        """`kubectl delete pod`: the endpoints controller and the kubelet start at once."""
        if self.deleted:
            return
        self.deleted = True
        self.ready_since = None
        self.cluster.event(f"{self.name}: deleted")
        self.cluster.endpoint_later(self, False)
        threading.Thread(target=self._terminate, name=f"terminate {self.name}", daemon=True).start()

    def _terminate(self):
        started = time.monotonic()
        grace_deadline = started + self.template.termination_grace_seconds
        sidecar = self.cluster.timeline.sidecar if self.template.sidecar_injected else "none"
        if self.popen is None:
            self._finish(started)
            return
        app_exited = threading.Event()

        def app():
            self._wait_until(min(started + self.template.pre_stop_sleep_seconds, grace_deadline))
            if self.popen.poll() is None:
                self.popen.send_signal(signal.SIGTERM)
                self.cluster.event(f"{self.name}: SIGTERM to the app")
            try:
                self.popen.wait(max(0.0, grace_deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.killed_at_grace = True
                self.popen.kill()
                self.popen.wait()
                self.cluster.event(f"{self.name}: SIGKILL at the end of the grace period")
            app_exited.set()

        runner = threading.Thread(target=app, daemon=True)
        runner.start()
        if sidecar == "classic":
            self._classic_proxy(started, grace_deadline, app_exited)
        runner.join()
        self._finish(started)

    def _classic_proxy(self, started, grace_deadline, app_exited):
        config = self.template.proxy_config
        metadata = config.get("proxyMetadata", {}) or {}
        if str(metadata.get("EXIT_ON_ZERO_ACTIVE_CONNECTIONS", "")).lower() == "true":
            # pilot-agent counts Envoy's active downstream connections: the peers' connections to this
            # pod, which here are the app's own. Peers close their idle pooled ones when the endpoint
            # leaves their EDS, as Envoy drains the pools of a removed host.
            minimum = seconds(metadata.get("MINIMUM_DRAIN_DURATION")) or ISTIO_MINIMUM_DRAIN_SECONDS
            self._wait_until(min(started + minimum, grace_deadline))
            while time.monotonic() < grace_deadline and open_connections(self.popen.pid) > 0:
                time.sleep(ACTIVE_CONNECTION_POLL_SECONDS)
        else:
            drain = seconds(config.get("terminationDrainDuration")) or ISTIO_TERMINATION_DRAIN_SECONDS
            self._wait_until(min(started + drain, grace_deadline))
        if app_exited.is_set():
            self.cluster.event(f"{self.name}: istio-proxy exited")
            return
        # The app has lost its network: what it still had open is cut, and it can serve nothing more.
        connections = open_connections(self.popen.pid)
        self.cut_by_proxy = self.cut_by_proxy or connections > 0
        self.cluster.event(f"{self.name}: istio-proxy exited before the app, cutting {connections} connections")
        self.popen.kill()

    @staticmethod
    def _wait_until(moment):
        time.sleep(max(0.0, moment - time.monotonic()))

    def _finish(self, started):
        self.cluster.event(f"{self.name}: gone, {time.monotonic() - started:.1f} s after deletion")
        self.gone.set()


@dataclass
class Cluster:
    """The simulated cluster. `values` are `--set` values; `upgrade` merges more, like --reuse-values."""

    values: dict = field(default_factory=dict)
    timeline: Timeline = field(default_factory=Timeline)
    bin_dir: Path = field(default_factory=lambda: Path(os.environ.get("SKALAR_BIN_DIR", ROOT / ".build" / "debug")))
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="skalar-cluster-")))
    verbose: bool = True
    # The backend's PostgreSQL server (a libpq URL), when the chart runs it on PostgreSQL: it replaces
    # the URL the chart builds, whose host is a name only a cluster resolves. None: SQLite on one file.
    database_url: str | None = None

    def __post_init__(self):
        self.gateway_port, self.backend_port, self.envoy_admin_port = free_port(), free_port(), free_port()
        self.pods: list[Pod] = []
        self.lock = threading.RLock()
        self.endpoints: set[Pod] = set()
        self.versions = 0
        self.published: dict[str, str] = {}
        self.routing: Routing | None = None
        self.controllers: dict[str, threading.Thread] = {}
        self.stopping = threading.Event()
        self.started = time.monotonic()
        self.envoy = None
        self.events: list[tuple[float, str]] = []
        self.logs = []
        self.revisions: list[dict] = []

    # --- what a drill calls ---

    @property
    def gateway_url(self):
        return f"http://127.0.0.1:{self.gateway_port}"

    def install(self, timeout=60):
        """`helm install`, then wait until every pod serves through the proxies: the settled cluster
        that a drill starts from."""
        self.revisions.append(dict(self.values))
        self.event(f"helm install {self._describe(self.values)}")
        self._apply(chart_routing.render(self.values))
        self._wait(lambda: all(self._rolled_out(name, settled=True) for name in self.routing.workloads), timeout, "install")

    def rollback(self):
        """`helm rollback RELEASE` (no --wait): the previous revision's values, applied like an upgrade."""
        if len(self.revisions) < 2:
            raise RuntimeError("nothing to roll back to")
        self.revisions.pop()
        self.values = dict(self.revisions[-1])
        self.event("helm rollback")
        self._apply(chart_routing.render(self.values))

    def upgrade(self, sets: dict, wait=False, timeout=90):
        """`helm upgrade --reuse-values --set ...`: the routes change at once; the pods follow. `wait`
        is Helm 3's `--wait`: it returns once the new pods are Ready, not waiting for minReadySeconds
        nor for the proxies' endpoints."""
        self.values = {**self.values, **sets}
        self.revisions.append(dict(self.values))
        self.event(f"helm upgrade {self._describe(sets)}{' --wait' if wait else ''}")
        self._apply(chart_routing.render(self.values))
        if wait:
            self._wait(lambda: all(self._rolled_out(name) for name in self.routing.workloads), timeout, "helm --wait")

    def rollout_status(self, workload, timeout=90):
        """`kubectl rollout status`: the workload's pods of the current template are available (ready
        for minReadySeconds) and no old pod is left running."""
        self._wait(lambda: self._rolled_out(workload, available=True), timeout, f"rollout status {workload}")

    def _rolled_out(self, name, available=False, settled=False):
        with self.lock:
            workload = self.routing.workloads[name]
            live = self._live(name)
            current = [p for p in live if p.template.identity == workload.template.identity]
            minimum = workload.min_ready_seconds if available else 0
            if len(current) < workload.replicas or not all(p.available(minimum) for p in current):
                return False
            if settled and not all(p in self.endpoints for p in current):
                return False
            return not (available or settled) or len(live) == len(current)

    def _wait(self, condition, timeout, what):
        if not wait_for(condition, timeout=timeout, interval=0.1):
            raise TimeoutError(f"{what} did not finish within {timeout} s; see {self.workdir}")
        self.event(f"{what}: done")

    def wait_settled(self, timeout=60):
        """Until every deleted pod is gone."""
        if not wait_for(lambda: all(p.gone.is_set() for p in self.pods if p.deleted), timeout=timeout, interval=0.1):
            raise TimeoutError("deleted pods did not go")

    def pods_of(self, workload):
        return self._live(workload)

    def ejected_hosts(self, host):
        """Endpoints of `host` that the proxies' outlier detection has ejected right now."""
        status, body = get(f"http://127.0.0.1:{self.envoy_admin_port}/stats?filter=outlier_detection.ejections_active")
        return sum(int(line.rsplit(": ", 1)[1]) for line in body.decode().splitlines() if line.startswith(f"cluster.{host}|"))

    def event(self, text):
        moment = time.monotonic() - self.started
        self.events.append((moment, text))
        if self.verbose:
            print(f"    t={moment:6.2f}s  {text}", flush=True)

    def close(self, keep_workdir=False):
        self.stopping.set()
        for controller in self.controllers.values():
            controller.join(10)
        with self.lock:
            for pod in self.pods:
                pod.deleted = True
        for pod in self.pods:
            if pod.popen and pod.popen.poll() is None:
                pod.popen.kill()
                pod.popen.wait(10)
        if self.envoy and self.envoy.poll() is None:
            self.envoy.terminate()
            self.envoy.wait(10)
        for log in self.logs:
            log.close()
        if keep_workdir:
            print(f"    logs and xDS files kept in {self.workdir}", flush=True)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, failure, *exc):
        self.close(keep_workdir=failure is not None)

    # --- the control plane ---

    @staticmethod
    def _describe(sets):
        return " ".join(f"--set {key}={value}" for key, value in sets.items()) or "(defaults)"

    def _apply(self, documents):
        routing = chart_routing.from_documents(documents)
        with self.lock:
            self.routing = routing
            self._write_clusters()
            self._write_endpoints()
        if self.envoy is None:
            self._write_routes()
            self._start_envoy()
        self._await_clusters()
        self._write_routes()
        for name in routing.workloads:
            if name not in self.controllers or not self.controllers[name].is_alive():
                self.controllers[name] = threading.Thread(target=self._control, args=(name,), daemon=True)
                self.controllers[name].start()

    def _clusters(self) -> dict[str, dict[str, str]]:
        """Every Envoy cluster with the pod labels it selects: a whole Service, or a DestinationRule
        subset of it (Istio builds a cluster for every subset, referenced or not)."""
        selectors = self.routing.service_selectors
        result = {envoy_config.cluster_name("frontend-service", None): selectors["frontend-service"],
                  envoy_config.cluster_name("backend-service", None): selectors["backend-service"]}
        for host, subsets in (("frontend-service", self.routing.subsets), ("backend-service", self.routing.backend_subsets)):
            for subset, labels in subsets.items():
                result[envoy_config.cluster_name(host, subset)] = {**selectors[host], **labels}
        return result

    def _path(self, name):
        return self.workdir / name

    def _publish(self, name, resources):
        """Replaces one watched xDS file atomically (Envoy picks the rename up through inotify); returns
        the new version, or None when nothing changed (Envoy ignores an identical resource)."""
        content = json.dumps(resources, sort_keys=True)
        if self.published.get(name) == content:
            return None
        self.published[name] = content
        self.versions += 1
        temporary = self._path(f".{name}.tmp")
        temporary.write_text(json.dumps(envoy_config.discovery_response(self.versions, resources)))
        os.replace(temporary, self._path(name))
        return str(self.versions)

    def _eds_file(self, cluster):
        return "eds-" + cluster.replace("|", "_") + ".json"

    def _write_clusters(self):
        policies = {"frontend-service": self.routing.policy, "backend-service": self.routing.backend_policy}
        self._publish("cds.json", [envoy_config.cluster_resource(name, policies[name.split("|")[0]], self._path(self._eds_file(name)))
                                   for name in self._clusters()])

    def _write_endpoints(self):
        with self.lock:
            for name, selector in self._clusters().items():
                ports = sorted(p.port for p in self.endpoints if all(p.labels.get(k) == v for k, v in selector.items()))
                self._publish(self._eds_file(name), [envoy_config.endpoint_resource(name, ports)])

    def _write_routes(self):
        backend = self.routing.backend_route or chart_routing.Route(
            "backend", [chart_routing.Destination("backend-service", None, 100)])
        versions = {self._publish(f"rds-{name}.json", [envoy_config.route_resource(name, routes)])
                    for name, routes in (("gateway", self.routing.routes), ("backend", [backend]))} - {None}
        if self.envoy is None or not versions:
            return
        if not wait_for(lambda: versions <= self._route_versions(), timeout=10, interval=0.02):
            raise RuntimeError(f"Envoy did not take route versions {versions}; see {self.workdir}/envoy.log")
        self.event("routes applied by the proxies")

    def _route_versions(self):
        status, body = get(f"http://127.0.0.1:{self.envoy_admin_port}/config_dump?resource=dynamic_route_configs")
        if status != 200:
            return set()
        return {config.get("version_info") for config in json.loads(body).get("configs", [])}

    def _await_clusters(self):
        """Istio pushes clusters before the routes that use them, and Envoy warms a new cluster before
        it serves; so wait until none is warming before the routes change."""
        def warm():
            status, body = get(f"http://127.0.0.1:{self.envoy_admin_port}/stats?filter=cluster_manager.warming_clusters")
            return status == 200 and body.strip().endswith(b": 0")
        wait_for(warm, timeout=10, interval=0.02)

    def _start_envoy(self):
        lds, cds = self._path("lds.json"), self._path("cds.json")
        self._publish("lds.json", envoy_config.listener_resources(
            {"gateway": self.gateway_port, "backend": self.backend_port}, lambda name: self._path(f"rds-{name}.json")))
        self._path("envoy.json").write_text(json.dumps(envoy_config.xds_bootstrap(self.envoy_admin_port, lds, cds)))
        log = open(self._path("envoy.log"), "ab")
        self.logs.append(log)
        self.envoy = subprocess.Popen([envoy_binary(), "-c", str(self._path("envoy.json")), "--log-level", "warning",
                                       "--base-id", str(self.gateway_port), "--concurrency", "1"], stdout=log, stderr=log)
        if not wait_for(lambda: get(f"http://127.0.0.1:{self.envoy_admin_port}/ready")[0] == 200, timeout=15):
            raise RuntimeError(f"Envoy did not start; see {self._path('envoy.log')}")

    def endpoint_later(self, pod, present):
        """The endpoints controller and istiod, `endpoint_lag_seconds` behind the kubelet."""
        def apply():
            if self.stopping.wait(self.timeline.endpoint_lag_seconds):
                return
            with self.lock:
                if present and not pod.deleted and pod.ready_since is not None:
                    self.endpoints.add(pod)
                elif not present:
                    self.endpoints.discard(pod)
                else:
                    return
                self._write_endpoints()
            self.event(f"{pod.name}: {'in' if present else 'out of'} the proxies' endpoints")
        threading.Thread(target=apply, daemon=True).start()

    def last_log_line(self, pod) -> str:
        """What `kubectl logs --previous` would end with, so that a crash loop explains itself in the
        drill's output."""
        lines = self._path(f"{pod.name}.log").read_bytes().decode(errors="replace").strip().splitlines()
        return lines[-1][:300] if lines else "(nothing)"

    def start_process(self, pod) -> subprocess.Popen:
        binary = pod.labels.get("app")
        env = {"PATH": os.environ.get("PATH", ""), **pod.template.env, "PORT": str(pod.port), "ADMIN_PORT": str(pod.admin_port),
               "BIND_ADDRESS": "127.0.0.1", "APP_VERSION": pod.version, "POD_NAME": pod.name, "LOG_LEVEL": "warning",
               "ACCESS_LOG": "false"}
        if binary == "frontend":
            env["BACKEND_URL"] = f"http://127.0.0.1:{self.backend_port}"  # through "its sidecar"
        elif self.database_url:
            env["DATABASE_URL"] = self.database_url
        else:
            env["DATABASE_PATH"] = str(self._path("backend.sqlite"))  # the same claim for every backend pod
        log = open(self._path(f"{pod.name}.log"), "ab")
        self.logs.append(log)
        return subprocess.Popen([str(self.bin_dir / binary)], env=env, stdout=log, stderr=log)

    # --- the workload controllers ---

    def _live(self, workload):
        return [p for p in self.pods if p.workload == workload and not p.deleted]

    def _create(self, workload: Workload, name):
        pod = Pod(self, workload.name, name, workload.template)
        self.pods.append(pod)
        self.event(f"{pod.name}: created ({pod.version}, {' '.join(f'{k}={v}' for k, v in sorted(pod.labels.items()) if k in ('track', 'version'))})")
        return pod

    def _control(self, name):
        serial = 0
        while not self.stopping.wait(0.05):
            with self.lock:
                workload = self.routing.workloads.get(name)
                live = self._live(name)
                if workload is None:  # removed from the chart: Helm deletes it, and its pods go
                    for pod in live:
                        pod.delete()
                    return
                if workload.kind == "StatefulSet":
                    self._control_stateful_set(workload, name)
                    continue
                current = [p for p in live if p.template.identity == workload.template.identity]
                old = [p for p in live if p.template.identity != workload.template.identity]
                if len(current) < workload.replicas and len(live) < workload.replicas + workload.max_surge:
                    serial += 1
                    self._create(workload, f"{name}-{serial}")
                    continue
                available = [p for p in live if p.available(workload.min_ready_seconds)]
                # maxUnavailable 0: an old pod goes only while the available ones exceed the replicas
                if old and len(available) > workload.replicas:
                    victim = next((p for p in old if p not in available), old[0])
                    victim.delete()
                elif not old and len(current) > workload.replicas:
                    current[-1].delete()

    def _control_stateful_set(self, workload, name):
        """One replica, OrderedReady, RollingUpdate: delete the pod, wait until it is gone, create the
        next. Like the real controller, it replaces only a Ready pod: a pod that never gets Ready (a
        broken release) holds the rollout, and a rollback too, until someone deletes it (Kubernetes'
        "forced rollback")."""
        every = [p for p in self.pods if p.workload == name and not p.gone.is_set()]
        if any(p.deleted for p in every):
            return
        if not every:
            self._create(workload, f"{name}-0")
        elif every[0].template.identity != workload.template.identity and every[0].ready_since is not None:
            every[0].delete()

    def delete_pod(self, name):
        """`kubectl delete pod NAME`."""
        with self.lock:
            next(p for p in self.pods if p.name == name and not p.deleted).delete()
