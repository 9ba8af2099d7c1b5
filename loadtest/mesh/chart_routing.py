"""The routing intent of the Helm chart, read from its own rendering: the gateway VirtualService's routes
(weights, header match, timeout, retries) and the frontend DestinationRule's traffic policy. The local
mesh builds its Envoy config from this, so a drill tests the chart's values, not a hand-written copy."""

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
    interval_seconds: float | None = None
    base_ejection_seconds: float | None = None
    max_ejection_percent: int | None = None
    max_connections: int | None = None
    max_pending_requests: int | None = None
    max_requests: int | None = None
    idle_timeout_seconds: float | None = None


@dataclass
class Routing:
    routes: list[Route]
    policy: TrafficPolicy
    subsets: dict[str, dict[str, str]]
    frontend_env: dict[str, str]


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


def routing(values: dict[str, str] | None = None) -> Routing:
    documents = render(values or {})
    gateway_services = [d for d in documents if d["kind"] == "VirtualService"
                        and any(g != "mesh" for g in d["spec"].get("gateways", []))]
    assert len(gateway_services) == 1, "the chart renders one gateway VirtualService"
    routes = []
    for http in gateway_services[0]["spec"]["http"]:
        match = {}
        for condition in http.get("match", []):
            for name, rule in condition.get("headers", {}).items():
                match[name] = rule["exact"]
        retries = http.get("retries", {})
        routes.append(Route(
            name=http.get("name", "route"),
            destinations=[Destination(r["destination"]["host"], r["destination"].get("subset"), r.get("weight", 100))
                          for r in http["route"]],
            header_match=match,
            timeout_seconds=seconds(http.get("timeout")),
            retry_attempts=retries.get("attempts", 0),
            retry_on=[item for item in retries.get("retryOn", "").split(",") if item],
            per_try_timeout_seconds=seconds(retries.get("perTryTimeout"))))
    rule = next(d for d in documents if d["kind"] == "DestinationRule" and d["spec"]["host"] == "frontend-service")
    traffic = rule["spec"].get("trafficPolicy", {})
    outlier = traffic.get("outlierDetection", {})
    pool = traffic.get("connectionPool", {})
    policy = TrafficPolicy(
        consecutive_5xx=outlier.get("consecutive5xxErrors"), interval_seconds=seconds(outlier.get("interval")),
        base_ejection_seconds=seconds(outlier.get("baseEjectionTime")), max_ejection_percent=outlier.get("maxEjectionPercent"),
        max_connections=pool.get("tcp", {}).get("maxConnections"), max_pending_requests=pool.get("http", {}).get("http1MaxPendingRequests"),
        max_requests=pool.get("http", {}).get("http2MaxRequests"), idle_timeout_seconds=seconds(pool.get("http", {}).get("idleTimeout")))
    subsets = {subset["name"]: subset["labels"] for subset in rule["spec"].get("subsets", [])}
    deployment = next(d for d in documents if d["kind"] == "Deployment" and d["metadata"]["name"] == "frontend-app-deployment")
    env = {item["name"]: item["value"] for item in deployment["spec"]["template"]["spec"]["containers"][0].get("env", [])
           if "value" in item}
    return Routing(routes=routes, policy=policy, subsets=subsets, frontend_env=env)
