"""The routing intent and the workloads of the Helm chart, read from its own rendering: the gateway
VirtualService's routes (weights, header match, timeout, retries), the backend VirtualService's route,
the DestinationRules' subsets and traffic policy, the Services' selectors, and each Deployment's and
StatefulSet's pod template. The local mesh builds its Envoy config and its pods from this, so a drill
tests the chart's values, not a hand-written copy."""

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm-charts" / "my-app"
HELM = ROOT / ".build-tools" / "helm-v3.19.0" / "helm"


@dataclass
class Destination:
    host: str
    subset: str | None
    weight: int


@dataclass
class Route:
    name: str
    destinations: list[Destination]
    header_match: dict[str, str] = field(default_factory=dict)
    timeout_seconds: float | None = None
    retry_attempts: int = 0
    retry_on: list[str] = field(default_factory=list)
    per_try_timeout_seconds: float | None = None


@dataclass
class TrafficPolicy:
    consecutive_5xx: int | None = None
    consecutive_gateway_errors: int | None = None
    consecutive_local_origin_failures: int | None = None
    split_local_origin_errors: bool = False
    interval_seconds: float | None = None
    base_ejection_seconds: float | None = None
    max_ejection_percent: int | None = None
    max_connections: int | None = None
    max_pending_requests: int | None = None
    max_requests: int | None = None
    idle_timeout_seconds: float | None = None


@dataclass
class PodTemplate:
    """What a simulated kubelet needs of a pod template."""

    labels: dict[str, str]
    annotations: dict[str, str]
    image: str
    env: dict[str, str]
    pre_stop_sleep_seconds: float
    termination_grace_seconds: float
    readiness_period_seconds: float
    readiness_failure_threshold: int
    startup_period_seconds: float
    identity: str  # changes exactly when Kubernetes would roll the pods

    @property
    def image_tag(self):
        return self.image.rsplit(":", 1)[-1]

    @property
    def sidecar_injected(self):
        return self.labels.get("sidecar.istio.io/inject") == "true"

    @property
    def proxy_config(self) -> dict:
        """The pod's `proxy.istio.io/config` annotation (JSON or YAML), {} when absent."""
        text = self.annotations.get("proxy.istio.io/config")
        return yaml.safe_load(text) if text else {}


@dataclass
class Workload:
    kind: str  # Deployment or StatefulSet
    name: str
    replicas: int
    max_surge: int
    min_ready_seconds: float
    template: PodTemplate


@dataclass
class Routing:
    routes: list[Route]
    policy: TrafficPolicy
    subsets: dict[str, dict[str, str]]
    frontend_env: dict[str, str]
    backend_policy: TrafficPolicy = field(default_factory=TrafficPolicy)
    backend_route: Route | None = None
    backend_subsets: dict[str, dict[str, str]] = field(default_factory=dict)
    service_selectors: dict[str, dict[str, str]] = field(default_factory=dict)
    workloads: dict[str, Workload] = field(default_factory=dict)


def seconds(text):
    if text is None:
        return None
    text = str(text)
    if text.endswith("ms"):
        return float(text[:-2]) / 1000
    if text.endswith("s"):
        return float(text[:-1])
    if text.endswith("m"):
        return float(text[:-1]) * 60
    return float(text)


def render(values: dict[str, str]) -> list[dict]:
    """`helm template` of the chart with `--set` values."""
    command = [str(HELM), "template", "my-app", str(CHART)]
    for key, value in values.items():
        command += ["--set", f"{key}={value}"]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return [document for document in yaml.safe_load_all(output) if document]


def parse_route(http) -> Route:
    match = {}
    for condition in http.get("match", []):
        for name, rule in condition.get("headers", {}).items():
            match[name] = rule["exact"]
    retries = http.get("retries", {})
    return Route(
        name=http.get("name", "route"),
        destinations=[Destination(r["destination"]["host"], r["destination"].get("subset"), r.get("weight", 100))
                      for r in http["route"]],
        header_match=match,
        timeout_seconds=seconds(http.get("timeout")),
        retry_attempts=retries.get("attempts", 0),
        retry_on=[item for item in retries.get("retryOn", "").split(",") if item],
        per_try_timeout_seconds=seconds(retries.get("perTryTimeout")))


def parse_policy(rule) -> TrafficPolicy:
    traffic = rule["spec"].get("trafficPolicy", {}) if rule else {}
    outlier = traffic.get("outlierDetection", {})
    pool = traffic.get("connectionPool", {})
    return TrafficPolicy(
        consecutive_5xx=outlier.get("consecutive5xxErrors"),
        consecutive_gateway_errors=outlier.get("consecutiveGatewayErrors"),
        consecutive_local_origin_failures=outlier.get("consecutiveLocalOriginFailures"),
        split_local_origin_errors=bool(outlier.get("splitExternalLocalOriginErrors")),
        interval_seconds=seconds(outlier.get("interval")),
        base_ejection_seconds=seconds(outlier.get("baseEjectionTime")), max_ejection_percent=outlier.get("maxEjectionPercent"),
        max_connections=pool.get("tcp", {}).get("maxConnections"), max_pending_requests=pool.get("http", {}).get("http1MaxPendingRequests"),
        max_requests=pool.get("http", {}).get("http2MaxRequests"), idle_timeout_seconds=seconds(pool.get("http", {}).get("idleTimeout")))


def parse_template(template) -> PodTemplate:
    spec = template["spec"]
    container = spec["containers"][0]
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    sleep = float(pre_stop[-1]) if pre_stop and pre_stop[0].endswith("sleep") else 0.0
    return PodTemplate(
        labels=dict(template["metadata"].get("labels", {})),
        annotations=dict(template["metadata"].get("annotations", {})),
        image=container["image"],
        env={item["name"]: str(item["value"]) for item in container.get("env", []) if "value" in item},
        pre_stop_sleep_seconds=sleep,
        termination_grace_seconds=float(spec.get("terminationGracePeriodSeconds", 30)),
        readiness_period_seconds=float(container["readinessProbe"].get("periodSeconds", 10)),
        readiness_failure_threshold=int(container["readinessProbe"].get("failureThreshold", 3)),
        startup_period_seconds=float(container.get("startupProbe", {}).get("periodSeconds", 1)),
        identity=json.dumps(template, sort_keys=True))


def parse_workloads(documents, hpa_replicas) -> dict[str, Workload]:
    workloads = {}
    for document in documents:
        if document["kind"] not in ("Deployment", "StatefulSet"):
            continue
        spec = document["spec"]
        surge = spec.get("strategy", {}).get("rollingUpdate", {}).get("maxSurge", 1)
        name = document["metadata"]["name"]
        workloads[name] = Workload(
            kind=document["kind"], name=name,
            replicas=int(spec["replicas"]) if "replicas" in spec else hpa_replicas.get(name, 1),
            max_surge=int(surge) if not str(surge).endswith("%") else 1,
            min_ready_seconds=float(spec.get("minReadySeconds", 0)),
            template=parse_template(spec["template"]))
    return workloads


def routing(values: dict[str, str] | None = None) -> Routing:
    return from_documents(render(values or {}))


def from_documents(documents: list[dict]) -> Routing:
    virtual_services = [d for d in documents if d["kind"] == "VirtualService"]
    gateway_services = [d for d in virtual_services if any(g != "mesh" for g in d["spec"].get("gateways", []))]
    assert len(gateway_services) == 1, "the chart renders one gateway VirtualService"
    routes = [parse_route(http) for http in gateway_services[0]["spec"]["http"]]
    backend_services = [d for d in virtual_services if d["spec"]["hosts"] == ["backend-service"]]
    rules = {d["spec"]["host"]: d for d in documents if d["kind"] == "DestinationRule"}
    frontend_rule = rules["frontend-service"]
    backend_rule = rules.get("backend-service")
    hpa_replicas = {d["spec"]["scaleTargetRef"]["name"]: int(d["spec"]["minReplicas"])
                    for d in documents if d["kind"] == "HorizontalPodAutoscaler"}
    workloads = parse_workloads(documents, hpa_replicas)
    return Routing(
        routes=routes,
        policy=parse_policy(frontend_rule),
        subsets={subset["name"]: subset["labels"] for subset in frontend_rule["spec"].get("subsets", [])},
        frontend_env=workloads["frontend-app-deployment"].template.env,
        backend_policy=parse_policy(backend_rule),
        backend_route=parse_route(backend_services[0]["spec"]["http"][0]) if backend_services else None,
        backend_subsets={subset["name"]: subset["labels"] for subset in (backend_rule or {"spec": {}})["spec"].get("subsets", [])},
        service_selectors={d["metadata"]["name"]: d["spec"]["selector"] for d in documents
                           if d["kind"] == "Service" and d["spec"].get("selector") and d["spec"].get("clusterIP") != "None"},
        workloads=workloads)
