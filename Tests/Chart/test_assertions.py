"""Assertions on the rendered objects: the contract's names, selectors against pod labels, the Istio
split, the termination arithmetic, the HPAs, the backend's single writer on SQLite, and the security
context. The backend on PostgreSQL and its servers: test_postgresql.py."""

import math
import re

import pytest
import yaml

import chartlib
from chartlib import (NAMESPACE, VALUE_FILES, containers, env_of, manifests, pod_metadata, pod_spec,
                      seconds, selects)

ALL = [None, *VALUE_FILES]


def pod_templates(m):
    """(owner, pod labels) of every Deployment, StatefulSet and Argo Rollout: the services' and the bundled PostgreSQL's."""
    return [(w, pod_metadata(w)["labels"]) for w in m.docs if w["kind"] in ("Deployment", "StatefulSet", "Rollout")]


def service_templates(m):
    """(owner, pod labels) of the workloads that run Skalar's own services (frontend, backend)."""
    return [(w, labels) for w, labels in pod_templates(m) if labels["app"] in ("frontend", "backend")]


def on_postgresql(values_file):
    return values_file is not None and values_file.startswith("postgresql-")


# --- contract names ------------------------------------------------------------------------------

def test_contract_names(default):
    default.get("Deployment", "frontend-app-deployment")
    backend = default.get("StatefulSet", "backend-app")
    assert backend["spec"]["replicas"] == 1
    for name in ("frontend-service", "backend-service"):
        service = default.get("Service", name)
        [port] = service["spec"]["ports"]
        assert (port["port"], port["targetPort"]) == (80, "http")
    for name in ("frontend", "backend"):
        default.get("ServiceAccount", name)
    frontend = default.get("Deployment", "frontend-app-deployment")
    [container] = frontend["spec"]["template"]["spec"]["containers"]
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert pod_metadata(frontend)["labels"]["app"] == "frontend"
    assert pod_metadata(frontend)["labels"]["version"] == "v1"
    assert pod_metadata(backend)["labels"]["app"] == "backend"
    assert pod_metadata(backend)["labels"]["version"] == "v1"
    assert pod_spec(frontend)["serviceAccountName"] == "frontend"
    assert pod_spec(backend)["serviceAccountName"] == "backend"
    assert container["image"] == "frontend-app:v1"
    assert pod_spec(backend)["containers"][0]["image"] == "backend-app:v1"


@pytest.mark.parametrize("values_file", ALL)
def test_every_namespaced_object_is_in_the_release_namespace(values_file):
    for doc in manifests(values_file).docs:
        if doc["kind"] == "ConfigMap" and values_file == "production.yaml":
            assert doc["metadata"]["namespace"] == "monitoring"  # grafanaDashboard.namespace
            continue
        assert doc["metadata"].get("namespace") == NAMESPACE, doc["metadata"]["name"]


@pytest.mark.parametrize("values_file", ALL)
def test_every_object_has_the_standard_labels(values_file):
    for doc in manifests(values_file).docs:
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/instance"] == chartlib.RELEASE
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["app.kubernetes.io/part-of"] == "skalar"
        assert labels["helm.sh/chart"].startswith("my-app-")
    for owner, labels in pod_templates(manifests(values_file)):
        assert {"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version"} <= set(labels)


def test_environment_of_the_services(default):
    frontend = env_of(pod_spec(default.get("Deployment", "frontend-app-deployment"))["containers"][0])
    backend = env_of(pod_spec(default.get("StatefulSet", "backend-app"))["containers"][0])
    for env in (frontend, backend):
        assert env["PORT"] == "8080" and env["ADMIN_PORT"] == "9090" and env["LOG_FORMAT"] == "json"
        assert env["POD_NAME"] == {"fieldRef": {"fieldPath": "metadata.name"}}
        assert "APP_VERSION" not in env  # the image's compiled-in version is the truth
        assert "ADMIN_BIND_ADDRESS" not in env  # stays 127.0.0.1: never reachable from outside the pod
    assert frontend["BACKEND_URL"] == "http://backend-service"
    assert frontend["CPU_WORK_MS"] == "5"
    assert backend["DATABASE_PATH"] == "/data/backend.sqlite"
    mounts = pod_spec(default.get("StatefulSet", "backend-app"))["containers"][0]["volumeMounts"]
    assert [m["mountPath"] for m in mounts] == ["/data", "/tmp"]


def test_no_service_exposes_the_admin_port():
    for values_file in ALL:
        for service in manifests(values_file).of_kind("Service"):
            expected = "postgresql" if service["metadata"]["name"].startswith("postgresql-") else "http"
            assert all(p["targetPort"] == expected for p in service["spec"]["ports"]), service["metadata"]["name"]


# --- selectors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("values_file", ALL)
def test_workload_selectors_match_their_pod_labels(values_file):
    for workload, labels in pod_templates(manifests(values_file)):
        assert selects(workload["spec"]["selector"]["matchLabels"], labels), workload["metadata"]["name"]


@pytest.mark.parametrize("values_file", ALL)
def test_no_two_workloads_select_the_same_pods(values_file):
    templates = pod_templates(manifests(values_file))
    for owner, _ in templates:
        selected = [other["metadata"]["name"] for other, labels in templates
                    if selects(owner["spec"]["selector"]["matchLabels"], labels)]
        assert selected == [owner["metadata"]["name"]]


@pytest.mark.parametrize("values_file", ALL)
def test_every_selector_selects_pods(values_file):
    m = manifests(values_file)
    templates = pod_templates(m)

    def selected(selector):
        return [o["metadata"]["name"] for o, labels in templates if selects(selector, labels)]

    for service in m.of_kind("Service"):
        assert selected(service["spec"]["selector"]), service["metadata"]["name"]
    for kind in ("PodDisruptionBudget",):
        for obj in m.of_kind(kind):
            assert selected(obj["spec"]["selector"]["matchLabels"])
    for policy in m.of_kind("NetworkPolicy"):
        selector = policy["spec"]["podSelector"]["matchLabels"]
        if "cnpg.io/cluster" in selector:
            # The CloudNativePG operator creates these pods and labels them with their Cluster's name.
            m.get("Cluster", selector["cnpg.io/cluster"])
        elif policy["metadata"]["name"] != "clients-networkpolicy":
            assert selected(selector)
    for obj in m.of_kind("AuthorizationPolicy") + m.of_kind("PeerAuthentication"):
        assert selected(obj["spec"]["selector"]["matchLabels"])


def test_statefulset_governing_service_exists(default):
    backend = default.get("StatefulSet", "backend-app")
    headless = default.get("Service", backend["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    assert selects(headless["spec"]["selector"], pod_metadata(backend)["labels"])


def test_frontend_service_selects_stable_and_canary_pods():
    m = manifests("canary-10.yaml")
    selector = m.get("Service", "frontend-service")["spec"]["selector"]
    stable = m.get("Deployment", "frontend-app-deployment")
    canary = m.get("Deployment", "frontend-app-canary-deployment")
    assert selects(selector, pod_metadata(stable)["labels"])
    assert selects(selector, pod_metadata(canary)["labels"])
    assert pod_metadata(stable)["labels"]["version"] == "v1"
    assert pod_metadata(canary)["labels"]["version"] == "v2"
    assert pod_spec(canary)["containers"][0]["image"] == "frontend-app:v2"
    assert canary["spec"]["replicas"] == 1
    backend = m.get("StatefulSet", "backend-app")
    assert not selects(selector, pod_metadata(backend)["labels"])


def test_the_version_label_is_not_in_any_selector():
    """Selectors are immutable: a `version` in one would make `helm upgrade` to v2 fail."""
    for values_file in ALL:
        for workload, _ in pod_templates(manifests(values_file)):
            assert "version" not in workload["spec"]["selector"]["matchLabels"]


# --- Istio ---------------------------------------------------------------------------------------

ISTIO_FILES = ["canary-10.yaml", "production.yaml", None, "gateway-api.yaml", "hpa-off.yaml"]


def destination_rules(m):
    return {dr["spec"]["host"]: dr for dr in m.of_kind("DestinationRule")}


def service_pods(m, host):
    """Pod labels of the pods that the Service named `host` selects."""
    service = m.get("Service", host)
    return [labels for _, labels in pod_templates(m) if selects(service["spec"]["selector"], labels)]


@pytest.mark.parametrize("values_file", ISTIO_FILES)
def test_destination_rule_subsets_match_pod_labels(values_file):
    m = manifests(values_file)
    rules = destination_rules(m)
    assert set(rules) == {"frontend-service", "backend-service"}
    for host, rule in rules.items():
        assert rule["spec"]["trafficPolicy"]["tls"]["mode"] == "ISTIO_MUTUAL"
        assert rule["spec"]["trafficPolicy"]["outlierDetection"]
        assert rule["spec"]["trafficPolicy"]["connectionPool"]
        pods = service_pods(m, host)
        for subset in rule["spec"]["subsets"]:
            matching = [labels for labels in pods if selects(subset["labels"], labels)]
            no_canary = not m.find("Deployment", "frontend-app-canary-deployment")
            if host == "frontend-service" and subset["name"] in ("canary", "v2") and no_canary:
                continue  # the canary's subsets are kept for hand-applied VirtualServices and the next canary
            assert matching, f"subset {subset['name']} of {host} selects no pod"
            if subset["name"] in ("stable", "canary"):
                assert subset["labels"] == {"track": subset["name"]}
            else:
                assert subset["labels"] == {"version": subset["name"]}


def test_default_destination_rule_has_the_track_and_the_tutorials_subsets(default):
    rule = destination_rules(default)["frontend-service"]
    assert [s["name"] for s in rule["spec"]["subsets"]] == ["stable", "canary", "v1", "v2"]


@pytest.mark.parametrize("values_file", ISTIO_FILES)
def test_virtual_service_destinations_exist(values_file):
    m = manifests(values_file)
    rules = destination_rules(m)
    services = {s["metadata"]["name"] for s in m.of_kind("Service")}
    for vs in m.of_kind("VirtualService"):
        for route in vs["spec"]["http"]:
            for destination in route["route"]:
                host = destination["destination"]["host"]
                assert host in services
                if "subset" in destination["destination"]:
                    names = [s["name"] for s in rules[host]["spec"]["subsets"]]
                    assert destination["destination"]["subset"] in names


def route_weights(vs):
    return [[d.get("weight", 100) for d in route["route"]] for route in vs["spec"]["http"]]


@pytest.mark.parametrize("values_file", ALL)
def test_weights_sum_to_100(values_file):
    m = manifests(values_file)
    for vs in m.of_kind("VirtualService"):
        for weights in route_weights(vs):
            assert sum(weights) == 100, vs["metadata"]["name"]
    for route in m.of_kind("HTTPRoute"):
        for rule in route["spec"]["rules"]:
            refs = rule["backendRefs"]
            if len(refs) > 1:
                assert sum(r["weight"] for r in refs) == 100


@pytest.mark.parametrize("weight", [0, 1, 10, 50, 90, 100])
def test_canary_weight_reaches_every_route(weight):
    sets = ("frontend.canary.enabled=true", f"frontend.canary.weight={weight}", "gatewayAPI.enabled=false")
    m = manifests(sets=sets)
    ingress = m.get("VirtualService", "my-app-virtualservice")
    mesh = m.get("VirtualService", "frontend-virtualservice")
    for vs in (ingress, mesh):
        primary = next(r for r in vs["spec"]["http"] if r["name"] == "primary")
        split = {d["destination"]["subset"]: d["weight"] for d in primary["route"]}
        assert split == {"stable": 100 - weight, "canary": weight}
    m = manifests(sets=sets[:2] + ("gatewayAPI.enabled=true",))
    [route] = m.of_kind("HTTPRoute")
    refs = {r["name"]: r["weight"] for r in route["spec"]["rules"][-1]["backendRefs"]}
    assert refs == {"frontend-stable-service": 100 - weight, "frontend-canary-service": weight}


def test_header_routing_sends_x_canary_to_the_canary():
    m = manifests("canary-10.yaml")
    for name in ("my-app-virtualservice", "frontend-virtualservice"):
        first = m.get("VirtualService", name)["spec"]["http"][0]
        assert first["match"] == [{"headers": {"x-canary": {"exact": "true"}}}]
        assert first["route"] == [{"destination": {"host": "frontend-service", "subset": "canary"}}]


@pytest.mark.parametrize("sets", [(), ("frontend.image.tag=v2",), ("frontend.canary.enabled=true", "frontend.image.tag=v3")])
def test_routes_name_subsets_that_no_upgrade_empties(sets):
    """A rolling update relabels the pods' `version` (it follows the tag), so a route by version would
    meet an empty subset while the new pods start. The routes select by `track`, which a pod keeps for
    life; the same subset names survive every upgrade."""
    upgraded = manifests(sets=sets)
    for name in ("my-app-virtualservice", "frontend-virtualservice"):
        subsets = {d["destination"]["subset"] for r in upgraded.get("VirtualService", name)["spec"]["http"] for d in r["route"]}
        assert subsets <= {"stable", "canary"}
    labels = pod_metadata(upgraded.get("Deployment", "frontend-app-deployment"))["labels"]
    assert labels["track"] == "stable" and labels["version"] == (sets[-1].split("=")[1] if sets else "v1")


@pytest.mark.parametrize("values_file", ISTIO_FILES)
def test_timeouts_and_retries(values_file):
    m = manifests(values_file)
    for vs in m.of_kind("VirtualService"):
        for route in vs["spec"]["http"]:
            assert seconds(route["timeout"]) > 0
            assert route["retries"]["attempts"] >= 1
            retry_on = route["retries"]["retryOn"].split(",")
            # Never retry what may have reached the app (duplicate POSTs): no 5xx, reset, gateway-error.
            assert not {"5xx", "reset", "gateway-error"} & set(retry_on)
    backend = m.get("VirtualService", "backend-virtualservice")["spec"]["http"][0]
    frontend_timeout_ms = int(env_of(pod_spec(m.get("Deployment", "frontend-app-deployment"))["containers"][0])["BACKEND_TIMEOUT_MS"])
    assert seconds(backend["timeout"]) * 1000 > frontend_timeout_ms
    frontend = m.get("VirtualService", "frontend-virtualservice")["spec"]["http"][-1]
    assert seconds(frontend["timeout"]) > 10  # GET /delay/{ms} runs up to 10 s


def test_ingress_gateway_and_virtual_service_agree(default):
    gateway = default.get("Gateway", "my-app-gateway", "networking.istio.io")
    vs = default.get("VirtualService", "my-app-virtualservice")
    assert vs["spec"]["gateways"] == ["my-app-gateway"]
    hosts = [h for server in gateway["spec"]["servers"] for h in server["hosts"]]
    assert set(vs["spec"]["hosts"]) <= set(hosts)
    assert vs["spec"]["hosts"] == ["my-app.example.com"]  # the tutorial's canary-release.yaml host
    assert default.get("VirtualService", "frontend-virtualservice")["spec"]["gateways"] == ["mesh"]


def test_peer_authentication_is_strict(default):
    [pa] = default.of_kind("PeerAuthentication")
    assert pa["spec"]["mtls"]["mode"] == "STRICT"
    for _, labels in pod_templates(default):
        assert selects(pa["spec"]["selector"]["matchLabels"], labels)


def test_authorization_policy_allows_only_the_frontend_and_the_backend_api(default):
    policy = default.get("AuthorizationPolicy", "backend-authorizationpolicy")
    assert policy["spec"]["action"] == "ALLOW"
    assert selects(policy["spec"]["selector"]["matchLabels"], pod_metadata(default.get("StatefulSet", "backend-app"))["labels"])
    frontend_rule, metrics_rule = policy["spec"]["rules"]
    principal = f"cluster.local/ns/{NAMESPACE}/sa/frontend"
    assert frontend_rule["from"] == [{"source": {"principals": [principal]}}]
    # The principal is the ServiceAccount that the frontend pods run as.
    sa_name = principal.rsplit("/", 1)[1]
    default.get("ServiceAccount", sa_name)
    for name in ("frontend-app-deployment",):
        assert pod_spec(default.get("Deployment", name))["serviceAccountName"] == sa_name
    allowed = {(method, path) for op in frontend_rule["to"] for method in op["operation"]["methods"]
               for path in op["operation"]["paths"]}
    assert allowed == {
        ("GET", "/api/v1/entries"), ("POST", "/api/v1/entries"),
        ("GET", "/api/v1/entries/*"), ("DELETE", "/api/v1/entries/*"),
        ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/version"),
    }
    assert metrics_rule["from"] == [{"source": {"namespaces": ["istio-system", "monitoring"]}}]
    assert metrics_rule["to"] == [{"operation": {"methods": ["GET"], "paths": ["/metrics"]}}]


def test_istio_off_renders_no_mesh_objects():
    m = manifests("istio-off.yaml")
    assert not [d for d in m.docs if "istio.io" in d["apiVersion"]]
    for _, labels in pod_templates(m):
        assert "sidecar.istio.io/inject" not in labels
    for workload in m.workloads():
        assert not any(k.startswith(("sidecar.istio.io", "proxy.istio.io"))
                       for k in (pod_metadata(workload).get("annotations") or {}))


def test_gateway_api_replaces_the_istio_gateway():
    m = manifests("gateway-api.yaml")
    assert not m.of_kind("Gateway", "networking.istio.io")
    assert not m.find("VirtualService", "my-app-virtualservice")
    m.get("VirtualService", "frontend-virtualservice")  # the in-mesh split stays
    gateway = m.get("Gateway", "my-app-http-gateway", "gateway.networking.k8s.io")
    [route] = m.of_kind("HTTPRoute")
    assert route["spec"]["parentRefs"] == [{"name": gateway["metadata"]["name"]}]
    stable = m.get("Deployment", "frontend-app-deployment")
    canary = m.get("Deployment", "frontend-app-canary-deployment")
    for rule in route["spec"]["rules"]:
        for ref in rule["backendRefs"]:
            service = m.get("Service", ref["name"])
            assert ref["port"] == service["spec"]["ports"][0]["port"]
            wanted = canary if ref["name"] == "frontend-canary-service" else stable
            others = stable if wanted is canary else canary
            assert selects(service["spec"]["selector"], pod_metadata(wanted)["labels"])
            assert not selects(service["spec"]["selector"], pod_metadata(others)["labels"])
    assert route["spec"]["rules"][0]["matches"][0]["headers"][0]["name"] == "x-canary"


# --- termination arithmetic, rollout, probes -----------------------------------------------------

def termination(workload):
    spec = pod_spec(workload)
    [container] = spec["containers"]
    env = env_of(container)
    prestop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command")
    sleep = 0
    if prestop:
        assert prestop[0] == "/bin/sleep"
        sleep = int(prestop[1])
    return sleep, int(env["DRAIN_SECONDS"]), int(env["SHUTDOWN_TIMEOUT_SECONDS"]), spec["terminationGracePeriodSeconds"]


@pytest.mark.parametrize("values_file", ALL)
def test_prestop_drain_and_shutdown_fit_in_the_grace_period(values_file):
    m = manifests(values_file)
    for workload, _ in service_templates(m):
        sleep, drain, shutdown, grace = termination(workload)
        assert sleep + drain + shutdown < grace, workload["metadata"]["name"]
        annotations = pod_metadata(workload).get("annotations") or {}
        if "proxy.istio.io/config" in annotations:
            proxy = yaml.safe_load(annotations["proxy.istio.io/config"])
            if workload["kind"] == "StatefulSet":
                # The backend's classic sidecar leaves once the app's drain is over and no connection is
                # open (polled every second), so it neither cuts a write nor stretches the outage.
                metadata = proxy["proxyMetadata"]
                assert metadata["EXIT_ON_ZERO_ACTIVE_CONNECTIONS"] == "true" and "terminationDrainDuration" not in proxy
                assert seconds(metadata["MINIMUM_DRAIN_DURATION"]) == sleep + drain
                assert sleep + drain + shutdown + 1 < grace
            else:
                drain_duration = seconds(proxy["terminationDrainDuration"])
                assert sleep + drain + shutdown <= drain_duration < grace


def test_frontend_termination_defaults(default):
    sleep, drain, shutdown, grace = termination(default.get("Deployment", "frontend-app-deployment"))
    # The preStop sleep plus the drain cover endpoint propagation; the shutdown covers /delay/10000.
    assert (sleep, drain, shutdown, grace) == (5, 5, 10, 30)
    assert sleep + drain >= 10


@pytest.mark.parametrize("sets", [
    ("frontend.terminationGracePeriodSeconds=20",),
    ("frontend.shutdownTimeoutSeconds=30",),
    ("backend.terminationGracePeriodSeconds=12",),
])
def test_a_grace_period_that_sigkill_could_cut_is_refused(sets):
    with pytest.raises(chartlib.RenderError, match="terminationGracePeriodSeconds"):
        manifests(sets=sets)


def test_no_prestop_hook_when_the_sleep_is_zero(default):
    assert "lifecycle" not in pod_spec(default.get("StatefulSet", "backend-app"))["containers"][0]


@pytest.mark.parametrize("values_file", ALL)
def test_frontend_rolls_out_without_losing_capacity(values_file):
    m = manifests(values_file)
    for deployment in m.of_kind("Deployment"):
        strategy = deployment["spec"]["strategy"]
        assert strategy["type"] == "RollingUpdate"
        assert strategy["rollingUpdate"]["maxUnavailable"] == 0
        assert strategy["rollingUpdate"]["maxSurge"] not in (0, "0%")
        assert deployment["spec"]["minReadySeconds"] > 0
        assert deployment["spec"]["progressDeadlineSeconds"] > deployment["spec"]["minReadySeconds"]


@pytest.mark.parametrize("values_file", ALL)
def test_probes(values_file):
    for workload, _ in service_templates(manifests(values_file)):
        [container] = pod_spec(workload)["containers"]
        port_names = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert port_names == {"http": 8080}
        expected = {"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"}
        for probe, path in expected.items():
            assert container[probe]["httpGet"] == {"path": path, "port": "http"}
        startup = container["startupProbe"]
        assert startup["periodSeconds"] <= 2  # ready within a couple of seconds of a 7 ms start-up
        assert startup["periodSeconds"] * startup["failureThreshold"] >= 30


# --- HPA, PDB, topology ---------------------------------------------------------------------------

@pytest.mark.parametrize("values_file", ALL)
def test_hpas_target_the_services_deployments(values_file):
    m = manifests(values_file)
    for hpa in m.of_kind("HorizontalPodAutoscaler"):
        assert hpa["apiVersion"] == "autoscaling/v2"
        target = hpa["spec"]["scaleTargetRef"]
        service = {"frontend-app-hpa": "frontend", "backend-app-hpa": "backend"}[hpa["metadata"]["name"]]
        if service == "frontend" and m.of_kind("Rollout"):  # progressiveDelivery.argoRollouts
            assert target == {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "frontend-app-rollout"}
            assert not m.find("Deployment", "frontend-app-deployment")
        else:
            assert target == {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"{service}-app-deployment"}
        deployment = m.get(target["kind"], target["name"])
        assert "replicas" not in deployment["spec"]  # the HPA owns the count; upgrades never reset it
        names = {c["name"] for c in pod_spec(deployment)["containers"]}
        for metric in hpa["spec"]["metrics"]:
            if metric["type"] == "ContainerResource":
                assert metric["containerResource"]["container"] in names
        assert hpa["spec"]["behavior"]["scaleUp"] and hpa["spec"]["behavior"]["scaleDown"]


def test_default_hpa_is_cpu_at_half_the_request(default):
    [hpa] = default.of_kind("HorizontalPodAutoscaler")
    [metric] = hpa["spec"]["metrics"]
    assert metric["containerResource"]["name"] == "cpu"
    assert metric["containerResource"]["target"] == {"type": "Utilization", "averageUtilization": 50}


def test_hpa_off_sets_replicas_and_renders_no_hpa():
    m = manifests("hpa-off.yaml")
    assert not m.of_kind("HorizontalPodAutoscaler")
    assert m.get("Deployment", "frontend-app-deployment")["spec"]["replicas"] == 3


def test_memory_metric_is_optional():
    m = manifests("production.yaml")
    [hpa] = m.of_kind("HorizontalPodAutoscaler")
    assert [x["containerResource"]["name"] for x in hpa["spec"]["metrics"]] == ["cpu", "memory"]
    m = manifests(sets=("frontend.autoscaling.containerMetrics=false",))
    [hpa] = m.of_kind("HorizontalPodAutoscaler")
    assert hpa["spec"]["metrics"][0]["type"] == "Resource"


@pytest.mark.parametrize("values_file", [f for f in ALL if not on_postgresql(f)])
def test_no_backend_hpa_on_sqlite(values_file):
    m = manifests(values_file)
    for hpa in m.of_kind("HorizontalPodAutoscaler"):
        assert hpa["spec"]["scaleTargetRef"]["name"] in ("frontend-app-deployment", "frontend-app-rollout")
    backend = m.get("StatefulSet", "backend-app")
    assert backend["spec"]["replicas"] == 1
    assert not [w for w in m.docs if w["kind"] in ("Deployment", "StatefulSet")
                and pod_metadata(w)["labels"].get("app") == "backend" and w is not backend]


def test_backend_has_one_read_write_once_volume(default):
    backend = default.get("StatefulSet", "backend-app")
    assert backend["spec"]["updateStrategy"]["type"] == "RollingUpdate"  # deletes the pod before replacing it
    assert backend["spec"]["podManagementPolicy"] == "OrderedReady"
    [claim] = backend["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert "storageClassName" not in claim["spec"]
    assert pod_spec(backend)["securityContext"]["fsGroup"] == 65532
    assert backend["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    m = manifests("production.yaml")
    [claim] = m.get("StatefulSet", "backend-app")["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["storageClassName"] == "fast-ssd" and claim["spec"]["resources"]["requests"]["storage"] == "20Gi"
    m = manifests(sets=("backend.persistence.enabled=false",))
    backend = m.get("StatefulSet", "backend-app")
    assert "volumeClaimTemplates" not in backend["spec"]
    assert pod_spec(backend)["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                                            {"name": "data", "emptyDir": {}}]


@pytest.mark.parametrize("values_file,expected", [
    (None, True), ("hpa-off.yaml", True), ("production.yaml", True), ("canary-10.yaml", True)])
def test_pdb_when_more_than_one_pod(values_file, expected):
    m = manifests(values_file)
    pdbs = m.of_kind("PodDisruptionBudget")
    assert bool(pdbs) == expected
    [pdb] = pdbs
    for deployment in m.of_kind("Deployment"):
        assert selects(pdb["spec"]["selector"]["matchLabels"], pod_metadata(deployment)["labels"])
    assert not selects(pdb["spec"]["selector"]["matchLabels"], pod_metadata(m.get("StatefulSet", "backend-app"))["labels"])


def test_no_pdb_for_a_single_pod():
    assert not manifests(sets=("frontend.autoscaling.enabled=false", "frontend.replicaCount=1")).of_kind("PodDisruptionBudget")
    assert not manifests(sets=("frontend.autoscaling.minReplicas=1",)).of_kind("PodDisruptionBudget")
    # One stable pod plus a canary pod are two pods: a PDB again.
    assert manifests(sets=("frontend.autoscaling.minReplicas=1", "frontend.canary.enabled=true")).of_kind("PodDisruptionBudget")


def test_topology_spread(default):
    deployment = default.get("Deployment", "frontend-app-deployment")
    constraints = pod_spec(deployment)["topologySpreadConstraints"]
    assert [c["topologyKey"] for c in constraints] == ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]
    for c in constraints:
        assert selects(c["labelSelector"]["matchLabels"], pod_metadata(deployment)["labels"])
        assert c["whenUnsatisfiable"] == "ScheduleAnyway"  # never blocks a one-node minikube


# --- the HPA arithmetic of values.yaml -----------------------------------------------------------

def cpu_cores(quantity):
    quantity = str(quantity)
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


@pytest.mark.parametrize("overhead_ms", [3, 5, 10])
def test_busybox_loop_scales_the_frontend_with_the_defaults(overhead_ms):
    """The arithmetic in values.yaml (frontend.cpuWorkMs): a serial wget loop keeps one request in
    flight; it must make the HPA want more than minReplicas, and the defaults must not throttle."""
    values = yaml.safe_load((chartlib.CHART / "values.yaml").read_text())["frontend"]
    base_ms = 0.2  # CPU per request with CPU_WORK_MS=0: 170-215 µs measured for the page (loadtest/bench/frontend.sh)
    cpu_ms = base_ms + values["cpuWorkMs"]
    usage = cpu_ms / (cpu_ms + overhead_ms)  # cores, summed over the pods
    per_pod_target = cpu_cores(values["resources"]["requests"]["cpu"]) * values["autoscaling"]["targetCPUUtilizationPercentage"] / 100
    desired = math.ceil(usage / per_pod_target)
    minimum, maximum = values["autoscaling"]["minReplicas"], values["autoscaling"]["maxReplicas"]
    assert desired >= minimum + 3, f"the loop would only reach {desired} pods"
    assert maximum >= minimum + 3, "maxReplicas leaves no room to see the scale-up"
    assert usage / minimum < cpu_cores(values["resources"]["limits"]["cpu"])  # no throttling at the start
    # Without the knob the same loop would not scale: the reason it exists.
    idle = base_ms / (base_ms + overhead_ms)
    assert math.ceil(idle / per_pod_target) <= minimum


# --- security ------------------------------------------------------------------------------------

RESTRICTED = {
    "runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532, "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True, "privileged": False, "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


@pytest.mark.parametrize("values_file", ALL)
def test_every_container_has_the_restricted_security_context(values_file):
    m = manifests(values_file)
    workloads = m.workloads()
    assert workloads
    for workload in workloads:
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC")
        for container in containers(workload):
            # The official postgres image runs as its own user, uid 999; everything else as 65532.
            ids = {"runAsUser": 999, "runAsGroup": 999} if container["name"] == "postgresql" else {}
            assert container["securityContext"] == {**RESTRICTED, **ids}, f"{workload['metadata']['name']}/{container['name']}"
            resources = container["resources"]
            assert set(resources["requests"]) == {"cpu", "memory"}, container["name"]
            assert set(resources["limits"]) == {"cpu", "memory"}, container["name"]


def test_test_pods_and_jobs_are_covered():
    m = manifests("canary-10.yaml")
    kinds = {w["kind"] for w in m.workloads()}
    assert kinds == {"Deployment", "StatefulSet", "Job", "Pod"}
    assert [c["name"] for c in containers(m.of_kind("Job")[0])] == ["wait-for-frontend", "loadgen"]


@pytest.mark.parametrize("values_file", ALL)
def test_service_accounts_mount_no_token(values_file):
    for sa in manifests(values_file).of_kind("ServiceAccount"):
        assert sa["automountServiceAccountToken"] is False


def test_network_policies(default):
    backend = default.get("NetworkPolicy", "backend-networkpolicy")
    frontend_pods = pod_metadata(default.get("Deployment", "frontend-app-deployment"))["labels"]
    backend_pods = pod_metadata(default.get("StatefulSet", "backend-app"))["labels"]
    assert selects(backend["spec"]["podSelector"]["matchLabels"], backend_pods)
    assert backend["spec"]["policyTypes"] == ["Ingress"]
    from_frontend, from_metrics = backend["spec"]["ingress"]
    [peer] = from_frontend["from"]
    assert set(peer) == {"podSelector"}  # same namespace only
    assert selects(peer["podSelector"]["matchLabels"], frontend_pods)
    assert not selects(peer["podSelector"]["matchLabels"], backend_pods)
    assert from_frontend["ports"] == [{"port": 8080, "protocol": "TCP"}]
    [peer] = from_metrics["from"]
    assert peer["namespaceSelector"]["matchExpressions"][0]["values"] == ["istio-system", "monitoring"]
    frontend = default.get("NetworkPolicy", "frontend-networkpolicy")
    assert frontend["spec"]["ingress"][0] == {"ports": [{"port": 8080, "protocol": "TCP"}]}
    clients = default.get("NetworkPolicy", "clients-networkpolicy")
    assert clients["spec"]["ingress"] == []
    m = manifests("canary-10.yaml")
    for workload in m.of_kind("Job") + m.of_kind("Pod"):
        assert selects(clients["spec"]["podSelector"]["matchLabels"], pod_metadata(workload)["labels"])
    assert not manifests(sets=("networkPolicy.enabled=false",)).of_kind("NetworkPolicy")


# --- observability, loadgen, tests --------------------------------------------------------------

def test_scrape_annotations(default):
    for workload, _ in pod_templates(default):
        annotations = pod_metadata(workload)["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == "8080"
        assert annotations["prometheus.io/path"] == "/metrics"


def test_service_monitor_only_when_the_api_exists():
    without = manifests("production.yaml", api_versions=())
    assert not without.of_kind("ServiceMonitor") and not without.of_kind("PrometheusRule")
    m = manifests("production.yaml")
    [monitor] = m.of_kind("ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    selected = [s["metadata"]["name"] for s in m.of_kind("Service")
                if selects(monitor["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])]
    assert sorted(selected) == ["backend-service", "frontend-service"]
    assert monitor["spec"]["endpoints"][0]["port"] == "http"
    # With Istio (production.yaml), Istio's merged metrics on 15020 (Tests/Chart/test_real_cluster.py).
    assert monitor["spec"]["endpoints"][0]["path"] == "/stats/prometheus"
    [rule] = m.of_kind("PrometheusRule")
    assert {r["alert"] for r in rule["spec"]["groups"][0]["rules"]} >= {"SkalarFrontendErrorRatioHigh", "SkalarBackendDown"}


def test_grafana_dashboard_configmap():
    m = manifests("production.yaml")
    [configmap] = m.of_kind("ConfigMap")
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    import json

    dashboard = json.loads(configmap["data"]["skalar.json"])
    assert dashboard["uid"] == "skalar-overview"
    assert not manifests().of_kind("ConfigMap")


def test_loadgen_job_takes_its_arguments_from_values():
    m = manifests("canary-10.yaml")
    [job] = m.of_kind("Job")
    assert job["metadata"]["name"] == "loadgen-1"
    assert job["spec"]["backoffLimit"] == 0 and job["spec"]["activeDeadlineSeconds"] == 600
    spec = pod_spec(job)
    assert spec["restartPolicy"] == "Never" and spec["serviceAccountName"] == "loadgen"
    [wait] = spec["initContainers"]
    assert "http://frontend-service:80/readyz" in wait["command"][-1]
    [container] = spec["containers"]
    assert container["args"] == [
        "http://frontend-service", "--connections", "4", "--rate", "50", "--duration", "90s",
        "--max-error-rate", "0.01", "--expect-split", "v1=90,v2=10", "--split-tolerance", "3", "--confidence", "99.9"]
    assert pod_metadata(job)["annotations"]["sidecar.istio.io/nativeSidecar"] == "true"
    m = manifests("production.yaml")
    args = m.of_kind("Job")[0]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--expect-split") + 1] == "v1=95,v2=5"
    assert args[args.index("--max-p99") + 1] == "500ms" and args[args.index("--duration") + 1] == "5m"
    # Without a weighted split (no Istio, no Gateway API) there is nothing to check the split against.
    args = manifests("istio-off.yaml").of_kind("Job")[0]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--expect-split" not in args
    sets = ("loadgen.enabled=true", "loadgen.rate=null", "loadgen.requests=1000", "loadgen.shape=ramp",
            "loadgen.expectSplit=v1=50\\,v2=50", "loadgen.waitForFrontend=false", "loadgen.extraArgs={--json,/dev/stdout}")
    job = manifests(sets=sets, extra=("--set", "loadgen.targets={http://a,http://b}")).of_kind("Job")[0]
    spec = pod_spec(job)
    assert "initContainers" not in spec
    assert spec["containers"][0]["args"] == [
        "http://a", "http://b", "--connections", "4", "--duration", "90s", "--requests", "1000",
        "--shape", "ramp", "--max-error-rate", "0.01", "--expect-split", "v1=50,v2=50",
        "--split-tolerance", "3", "--confidence", "99.9", "--json", "/dev/stdout"]
    assert not manifests().of_kind("Job")


def test_helm_test_pods(default):
    pods = default.of_kind("Pod")
    assert sorted(p["metadata"]["name"] for p in pods) == ["backend-through-frontend-test", "frontend-version-test"]
    for pod in pods:
        assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
        assert pod["spec"]["restartPolicy"] == "Never"
        script = pod["spec"]["containers"][0]["command"][-1]
        assert "http://frontend-service:80" in script


DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


@pytest.mark.parametrize("tag", ["1.4.0", "v2_rc", "V2", "stable", "canary"])
def test_every_subset_name_is_one_istio_accepts(tag):
    """Istio rejects the whole DestinationRule when one subset name is not a DNS-1123 label, and two
    subsets of one name are ambiguous; a version subset only serves the hand-applied file, so a tag
    that cannot name one gets none, while the track subsets stay."""
    m = manifests(sets=(f"frontend.image.tag={tag}", "frontend.canary.enabled=true"))
    names = [s["name"] for s in destination_rules(m)["frontend-service"]["spec"]["subsets"]]
    assert all(DNS_1123_LABEL.match(name) for name in names), names
    assert len(names) == len(set(names)) and names[:2] == ["stable", "canary"], names
