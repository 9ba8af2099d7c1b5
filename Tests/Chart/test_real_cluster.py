"""Real-cluster correctness (issue 18): what a render cannot show by itself validating, checked on the
rendered objects: metrics scraped under the chart's own STRICT mTLS, sidecar-dependent pieces on both
install routes, one stated minimum Istio version, the backend's rollback recovery, the Gateway API
split, and smaller defects (the backend's /tmp, NOTES' kinds, the dashboard's name, the alerts'
words, outlier detection)."""

import re

import jsonschema
import pytest
import yaml

import chartlib
from chartlib import CHART, NAMESPACE, ROOT, manifests, pod_metadata, pod_spec, selects
from test_docs import notes

MONITORING = chartlib.PROMETHEUS_OPERATOR_APIS
# The istio-configs/ route: Istio installed and the namespace labelled, the chart without Istio's
# objects (they are applied by hand from istio-configs/).
ISTIO_CONFIGS_ROUTE = ("istio.enabled=false", "istio.sidecarsWithoutCRs=true")
SCRAPE_LABELS = {"namespace", "app", "version", "pod"}


def service_monitor(sets=()):
    [monitor] = manifests(sets=("serviceMonitor.enabled=true", *sets), api_versions=MONITORING).of_kind("ServiceMonitor")
    return monitor


def apply_relabelings(relabelings, labels):
    """Prometheus' relabelling (the actions the chart uses) applied to a target's labels."""
    labels = dict(labels)
    for rule in relabelings:
        action = rule.get("action", "replace").lower()
        if action == "replace":
            value = rule.get("separator", ";").join(labels.get(s, "") for s in rule.get("sourceLabels", []))
            match = re.fullmatch(rule.get("regex", "(.*)"), value)
            if match:
                labels[rule["targetLabel"]] = match.expand(rule.get("replacement", "$1").replace("$", "\\"))
        elif action == "labeldrop":
            labels = {k: v for k, v in labels.items() if not re.fullmatch(rule["regex"], k)}
        else:
            raise AssertionError(f"unexpected action {action}")
    return labels


def operator_target(monitor, pod_labels, pod_name="frontend-app-deployment-abc", pod_ip="10.1.2.3"):
    """The target labels the Prometheus Operator gives one endpoint of a ServiceMonitor: its own
    (namespace, service, pod, container, endpoint, job, the podTargetLabels), then the endpoint's
    relabelings. Labels starting with __ are Prometheus' own and dropped after relabelling."""
    [endpoint] = monitor["spec"]["endpoints"]
    host = f"[{pod_ip}]" if ":" in pod_ip else pod_ip  # Prometheus writes IPv6 addresses in brackets
    labels = {"__address__": f"{host}:8080", "__meta_kubernetes_pod_ip": pod_ip,
              "__metrics_path__": endpoint["path"], "__scheme__": endpoint.get("scheme", "http"),
              "namespace": NAMESPACE, "service": "frontend-service", "pod": pod_name, "container": "frontend",
              "endpoint": endpoint["port"], "job": "frontend-service"}
    for name in monitor["spec"].get("podTargetLabels", []):
        if name in pod_labels:
            labels[name] = pod_labels[name]
    return apply_relabelings(endpoint.get("relabelings", []), labels)


def visible(labels):
    return {k for k in labels if not k.startswith("__")} - {"job", "instance"}


# --- defect 2: metrics under STRICT mTLS -----------------------------------------------------------

def test_with_sidecars_the_service_monitor_scrapes_istios_merged_metrics():
    """Under STRICT mTLS a Prometheus without a sidecar cannot speak to port 8080; pilot-agent serves the
    app's metrics merged with Envoy's in plain HTTP on 15020 (/stats/prometheus), outside mTLS."""
    m = manifests(sets=("serviceMonitor.enabled=true",), api_versions=MONITORING)
    [pa] = m.of_kind("PeerAuthentication")
    assert pa["spec"]["mtls"]["mode"] == "STRICT"
    monitor = service_monitor()
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/stats/prometheus"
    assert endpoint.get("scheme", "http") == "http" and "tlsConfig" not in endpoint
    frontend = pod_metadata(m.get("Deployment", "frontend-app-deployment"))
    target = operator_target(monitor, frontend["labels"])
    assert target["__address__"] == "10.1.2.3:15020"
    assert operator_target(monitor, frontend["labels"], pod_ip="fd00::1")["__address__"] == "[fd00::1]:15020"
    # Merging takes the app's port and path from the pods' prometheus.io annotations.
    for workload in m.of_kind("Deployment") + m.of_kind("StatefulSet"):
        annotations = pod_metadata(workload)["annotations"]
        assert (annotations["prometheus.io/port"], annotations["prometheus.io/path"]) == ("8080", "/metrics")
    chartlib.validate_crd(monitor)


@pytest.mark.parametrize("sets", [(), ISTIO_CONFIGS_ROUTE, ("istio.enabled=false",)])
def test_every_series_carries_namespace_app_version_and_pod_from_the_pod(sets):
    m = manifests(sets=("serviceMonitor.enabled=true", *sets), api_versions=MONITORING)
    [monitor] = m.of_kind("ServiceMonitor")
    for workload in m.of_kind("Deployment") + m.of_kind("StatefulSet"):
        labels = pod_metadata(workload)["labels"]
        target = operator_target(monitor, labels)
        assert visible(target) == SCRAPE_LABELS
        assert (target["app"], target["version"]) == (labels["app"], labels["version"])
    chartlib.validate_crd(monitor)


def test_without_istio_the_service_monitor_scrapes_the_app_port():
    monitor = service_monitor(("istio.enabled=false",))
    [endpoint] = monitor["spec"]["endpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")
    target = operator_target(monitor, {"app": "frontend", "version": "v1"})
    assert target["__address__"] == "10.1.2.3:8080"


def test_the_istio_configs_route_scrapes_the_merged_metrics_too():
    [endpoint] = service_monitor(ISTIO_CONFIGS_ROUTE)["spec"]["endpoints"]
    assert endpoint["path"] == "/stats/prometheus"


def test_merged_metrics_need_the_scrape_annotations():
    with pytest.raises(chartlib.RenderError, match="scrapeAnnotations"):
        service_monitor(("scrapeAnnotations=false",))


@pytest.mark.parametrize("sets", [(), ISTIO_CONFIGS_ROUTE])
def test_network_policies_let_the_scrape_through(sets):
    """The scrape port (15020) is open to the metrics namespaces on every scraped pod. The
    AuthorizationPolicy does not see it: the sidecar does not intercept 15020 (Istio excludes its own
    ports from inbound capture), and the chart renders no DENY policy."""
    m = manifests(sets=("serviceMonitor.enabled=true", *sets), api_versions=MONITORING)
    policies = m.of_kind("NetworkPolicy")
    for workload in m.of_kind("Deployment") + m.of_kind("StatefulSet"):
        labels = pod_metadata(workload)["labels"]
        allowed = set()
        for policy in policies:
            if not selects(policy["spec"]["podSelector"]["matchLabels"], labels):
                continue
            for rule in policy["spec"]["ingress"]:
                peers = rule.get("from")
                from_metrics = peers is None or any(
                    "monitoring" in p.get("namespaceSelector", {}).get("matchExpressions", [{}])[0].get("values", [])
                    for p in peers)
                if from_metrics:
                    allowed |= {p["port"] for p in rule["ports"]}
        assert 15020 in allowed, workload["metadata"]["name"]
    for policy in m.of_kind("AuthorizationPolicy"):
        assert policy["spec"]["action"] == "ALLOW"


def test_backend_down_alert_reads_an_app_metric():
    """Merged metrics keep `up` at 1 while Envoy answers, even with the backend container dead: the
    alert looks for the app's own app_build_info instead."""
    [rule] = manifests("production.yaml").of_kind("PrometheusRule")
    [down] = [r for r in rule["spec"]["groups"][0]["rules"] if r["alert"] == "SkalarBackendDown"]
    assert "app_build_info" in down["expr"] and "up{" not in down["expr"]


# --- defect 4: sidecar-dependent pieces, minimum Istio -----------------------------------------

def clients(m):
    return m.of_kind("Job") + m.of_kind("Pod")


@pytest.mark.parametrize("sets", [("loadgen.enabled=true",), ("loadgen.enabled=true", *ISTIO_CONFIGS_ROUTE)])
def test_jobs_and_test_pods_get_a_native_sidecar_and_the_injection_label_on_both_routes(sets):
    m = manifests(sets=sets)
    assert len(clients(m)) == 3
    for workload in clients(m):
        meta = pod_metadata(workload)
        assert meta["annotations"]["sidecar.istio.io/nativeSidecar"] == "true", workload["metadata"]["name"]
        assert meta["labels"]["sidecar.istio.io/inject"] == "true", workload["metadata"]["name"]
    for workload in m.of_kind("Deployment") + m.of_kind("StatefulSet"):
        meta = pod_metadata(workload)
        assert meta["labels"]["sidecar.istio.io/inject"] == "true"
        assert "proxy.istio.io/config" in meta["annotations"]  # the drain fitted to the tier, on both routes


def test_without_a_mesh_no_sidecar_piece_is_rendered():
    m = manifests(sets=("istio.enabled=false", "loadgen.enabled=true"))
    for workload in m.workloads():
        meta = pod_metadata(workload)
        assert "sidecar.istio.io/inject" not in meta["labels"]
        assert not any(k.startswith(("sidecar.istio.io", "proxy.istio.io")) for k in meta.get("annotations") or {})
    for policy in m.of_kind("NetworkPolicy"):
        ports = {p["port"] for rule in policy["spec"]["ingress"] for p in rule.get("ports", [])}
        assert not ports & {15020, 15090}


def test_in_mesh_helper_is_the_one_switch():
    helpers = (CHART / "templates" / "_helpers.tpl").read_text()
    assert '{{- define "my-app.inMesh" -}}' in helpers
    for template in (CHART / "templates").rglob("*.yaml"):
        text = template.read_text()
        if "istio.io/v1" in text:
            continue  # Istio's own objects: rendered with istio.enabled, by design
        # Sidecar-dependent pieces ask my-app.inMesh (through the helpers), never istio.enabled.
        if re.search(r"15020|nativeSidecar|stats/prometheus", text):
            assert ".Values.istio.enabled" not in text, template.name


MINIMUM_ISTIO = re.compile(r"Istio (?:>= ?|≥ ?|v)?(1\.\d+)")


def istio_minimums(text):
    return set(MINIMUM_ISTIO.findall(text))


def test_every_doc_states_the_same_minimum_istio_version():
    docs = {name: (ROOT / name).read_text() for name in
            ("README.md", "helm-charts/my-app/README.md", "helm-charts/my-app/values.yaml", "istio-configs/README.md")}
    docs["NOTES.txt"] = notes()
    found = {name: istio_minimums(text) for name, text in docs.items()}
    for path in sorted((ROOT / "docs").rglob("*.md")):
        if istio_minimums(path.read_text()):
            found[str(path.relative_to(ROOT))] = istio_minimums(path.read_text())
    assert all(found.values()), {name: v for name, v in found.items() if not v}
    assert set().union(*found.values()) == {"1.24"}, found


# --- defect 5: a rollback after a bad backend image ----------------------------------------------

def test_notes_and_readme_give_the_backend_rollback_recovery_with_rendered_names():
    backend = manifests().get("StatefulSet", "backend-app")
    assert backend["spec"]["replicas"] == 1 and backend["spec"]["podManagementPolicy"] == "OrderedReady"
    pod = f"{backend['metadata']['name']}-0"
    text = notes()
    assert f"helm rollback {chartlib.RELEASE} -n {NAMESPACE}" in text
    assert f"kubectl delete pod {pod} -n {NAMESPACE}" in text
    readme = (CHART / "README.md").read_text()
    assert f"helm rollback {chartlib.RELEASE}\nkubectl delete pod {pod}\n" in readme


# --- defect 8: Gateway API without Istio ------------------------------------------------------------

def loadgen_args(sets):
    [job] = manifests(sets=("loadgen.enabled=true", *sets)).of_kind("Job")
    return pod_spec(job)["containers"][0]["args"]


def test_gateway_api_without_istio_splits_at_the_gateway_between_two_services():
    m = manifests("gateway-api.yaml", sets=("istio.enabled=false",))
    [route] = m.of_kind("HTTPRoute")
    refs = {r["name"]: r["weight"] for r in route["spec"]["rules"][-1]["backendRefs"]}
    assert refs == {"frontend-stable-service": 75, "frontend-canary-service": 25}
    stable = pod_metadata(m.get("Deployment", "frontend-app-deployment"))["labels"]
    canary = pod_metadata(m.get("Deployment", "frontend-app-canary-deployment"))["labels"]
    assert selects(m.get("Service", "frontend-stable-service")["spec"]["selector"], stable)
    assert not selects(m.get("Service", "frontend-stable-service")["spec"]["selector"], canary)
    assert selects(m.get("Service", "frontend-canary-service")["spec"]["selector"], canary)
    assert not selects(m.get("Service", "frontend-canary-service")["spec"]["selector"], stable)


def test_loadgen_expects_the_weighted_split_only_where_its_traffic_is_split():
    """The Job sends to frontend-service. Istio's in-mesh VirtualService splits that by weight; without
    Istio nothing does (the HTTPRoute applies at the Gateway only), so `auto` sets no split gate."""
    canary = ("frontend.canary.enabled=true", "frontend.canary.weight=25")
    assert "--expect-split" not in loadgen_args((*canary, "istio.enabled=false", "gatewayAPI.enabled=true"))
    args = loadgen_args((*canary, "gatewayAPI.enabled=true"))
    assert args[args.index("--expect-split") + 1] == "v1=75,v2=25"
    assert args[0] == "http://frontend-service"


@pytest.mark.parametrize("duration,valid", [
    ("15s", True), ("500ms", True), ("1m30s", True), ("1h", True), ("1.5s", False), ("15", False), ("100000s", False)])
def test_gateway_api_timeout_accepts_only_gateway_api_durations(duration, valid):
    schema = yaml.safe_load((CHART / "values.schema.json").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    values["gatewayAPI"]["timeout"] = duration
    if valid:
        jsonschema.validate(values, schema)
    else:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(values, schema)


GATEWAY_API_CRDS = "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.2.0/standard-install.yaml"


def test_docs_state_the_gateway_api_version_and_how_to_install_its_crds():
    readme = (CHART / "README.md").read_text()
    assert "Gateway API v1.2.0 or newer" in readme
    assert f"kubectl apply -f {GATEWAY_API_CRDS}" in readme
    assert "Gateway API v1.2.0 or newer" in (CHART / "values.yaml").read_text()


# --- defect 9: smaller defects -----------------------------------------------------------------------

def test_backend_has_a_bounded_writable_tmp():
    """SQLite writes its temporary files to /tmp when /var/tmp is not writable; the root is read-only."""
    for sets in ((), ("backend.persistence.enabled=false",)):
        backend = manifests(sets=sets).get("StatefulSet", "backend-app")
        spec = pod_spec(backend)
        [container] = spec["containers"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        tmp = volumes[mounts["/tmp"]]
        assert tmp["emptyDir"]["sizeLimit"] == "64Mi"
        assert "/data" in mounts


def test_notes_name_gateway_kinds_unambiguously():
    for sets in ((), ("gatewayAPI.enabled=true",), ("gatewayAPI.enabled=true", "istio.enabled=false")):
        text = notes(*sets)
        assert not re.search(r"kubectl get (\S+,)?gateways?\b(?!\.)", text), text
    assert "gateways.gateway.networking.k8s.io" in notes("gatewayAPI.enabled=true")


def test_grafana_dashboard_name_includes_the_release_and_its_namespace():
    names = set()
    for release, namespace in (("my-app", "a"), ("other", "a"), ("my-app", "b")):
        argv = [chartlib.HELM3, "template", release, str(CHART), "-n", namespace, "--set", "grafanaDashboard.enabled=true",
                "--set", "grafanaDashboard.namespace=monitoring"]
        result = chartlib.run(argv)
        assert result.returncode == 0, result.stderr
        [configmap] = [d for d in yaml.safe_load_all(result.stdout) if d and d["kind"] == "ConfigMap"]
        assert configmap["metadata"]["namespace"] == "monitoring"
        names.add(configmap["metadata"]["name"])
    assert len(names) == 3
    text = notes("grafanaDashboard.enabled=true")
    assert f"kubectl get configmap my-app-{NAMESPACE}-grafana-dashboard" in text


def client_error_types():
    source = (ROOT / "Shared" / "SkalarRuntime" / "HTTP" / "HTTPClientError.swift").read_text()
    kind = source.split("public var kind: String", 1)[1].split("public var description", 1)[0]
    return set(re.findall(r'return "([a-z_]+)"', kind))


def test_alert_texts_name_the_error_types_the_frontend_emits():
    assert client_error_types() == {"connect", "reset", "timeout", "invalid_response", "pool_exhausted"}
    [rule] = manifests("production.yaml").of_kind("PrometheusRule")
    [calls] = [r for r in rule["spec"]["groups"][0]["rules"] if r["alert"] == "SkalarBackendCallsFailing"]
    assert "http_client_request_errors_total" in calls["expr"]
    named = set(re.search(r"\(([a-z_, ]+)\)", calls["annotations"]["description"]).group(1).replace(" ", "").split(","))
    assert named == client_error_types()


def test_outlier_detection_counts_failures_to_reach_a_pod_not_its_answers():
    """GET /status/5xx (demos), the admin listener's fault_injected 500s and the frontend's 503 while
    the backend is away must not eject a healthy pod (the backend-rollout drills check the last on
    the local mesh); a pod that cannot be reached still is."""
    for rule in manifests().of_kind("DestinationRule"):
        outlier = rule["spec"]["trafficPolicy"]["outlierDetection"]
        assert outlier["consecutive5xxErrors"] == 0 and outlier["consecutiveGatewayErrors"] == 0
        assert outlier["splitExternalLocalOriginErrors"] is True
        assert outlier["consecutiveLocalOriginFailures"] == 5
        chartlib.validate_crd(rule)
