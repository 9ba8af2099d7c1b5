"""Progressive delivery of the frontend (progressiveDelivery.*): Flagger's Canary and MetricTemplates with the
loadgen server for its webhooks, and Argo Rollouts' Rollout and AnalysisTemplate. Field by field against
the controllers' documented specs (the schemas in test_validate.py), and every name tied to an object
the chart renders: what a controller would look up and not find is a rollout that never starts."""

from __future__ import annotations

import copy
import re
import shlex
from urllib.parse import urlparse

import pytest

import chartlib
from chartlib import NAMESPACE, RELEASE, containers, env_of, manifests, pod_metadata, pod_spec, selects
from test_docs import CONTRACT_METRICS, metric_names, promtool_check
from test_validate import PROGRESSIVE_SCHEMAS, validate_progressive

FLAGGER = "flagger.yaml"
ARGO = "argo-rollouts.yaml"
MONITORING = chartlib.PROMETHEUS_OPERATOR_APIS


def flagger(*sets, **kwargs):  # kwargs: chartlib.render's
    return manifests(FLAGGER, sets=tuple(sets), **kwargs)


def argo(*sets):
    return manifests(ARGO, sets=tuple(sets))


def the(m, kind):
    [doc] = m.of_kind(kind)
    return doc


def flagger_primary_labels(pod_labels):
    """The pod labels of Flagger's frontend-app-deployment-primary: Flagger rewrites the first of its
    selector labels (app, name, app.kubernetes.io/name) found in the target's selector to <value>-primary
    and keeps every other label (makePrimaryLabels in Flagger's pkg/canary)."""
    labels = dict(pod_labels)
    labels["app"] = f"{labels['app']}-primary"
    return labels


# --- Flagger: the Canary and what it names --------------------------------------------------------

def test_flagger_canary_targets_the_rendered_deployment_and_hpa():
    m = flagger()
    canary = the(m, "Canary")
    assert canary["apiVersion"] == "flagger.app/v1beta1"
    target = canary["spec"]["targetRef"]
    assert target == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "frontend-app-deployment"}
    deployment = m.get("Deployment", target["name"])
    assert pod_metadata(deployment)["labels"]["app"] == "frontend"  # the selector label Flagger rewrites
    assert "app" in deployment["spec"]["selector"]["matchLabels"]
    autoscaler = canary["spec"]["autoscalerRef"]
    hpa = m.get("HorizontalPodAutoscaler", autoscaler["name"])
    assert autoscaler == {"apiVersion": hpa["apiVersion"], "kind": "HorizontalPodAutoscaler", "name": "frontend-app-hpa"}
    assert hpa["spec"]["scaleTargetRef"] == target
    assert "autoscalerRef" not in the(flagger("frontend.autoscaling.enabled=false"), "Canary")["spec"]


def test_flagger_canary_service_is_the_contracts_port_to_the_containers_port():
    m = flagger()
    service = the(m, "Canary")["spec"]["service"]
    [container] = pod_spec(m.get("Deployment", "frontend-app-deployment"))["containers"]
    [port] = container["ports"]
    assert (service["name"], service["port"], service["portName"]) == ("frontend-service", 80, "http")
    assert service["targetPort"] == port["containerPort"] == 8080 and port["name"] == "http"


def test_with_flagger_the_chart_leaves_the_frontends_routing_to_flagger():
    m = flagger()
    for kind, name in (("Service", "frontend-service"), ("Service", "frontend-stable-service"),
                       ("Service", "frontend-canary-service"), ("VirtualService", "frontend-virtualservice"),
                       ("VirtualService", f"{RELEASE}-virtualservice"), ("DestinationRule", "frontend-destinationrule"),
                       ("Deployment", "frontend-app-canary-deployment"), ("HTTPRoute", f"{RELEASE}-httproute")):
        assert m.find(kind, name) is None, f"{kind} {name}"
    # Nothing of the chart routes to frontend-service any more: Flagger's VirtualService owns it.
    for vs in m.of_kind("VirtualService"):
        hosts = {r["destination"]["host"] for h in vs["spec"]["http"] for r in h["route"]}
        assert "frontend-service" not in hosts
    # ...and without Flagger the same objects are there (the test above can fail).
    plain = manifests()
    assert plain.find("Service", "frontend-service") and plain.find("VirtualService", "frontend-virtualservice")


def test_flagger_canary_routes_the_gateway_and_the_mesh():
    m = flagger()
    service = the(m, "Canary")["spec"]["service"]
    gateway = m.get("Gateway", f"{RELEASE}-gateway", api_group="networking.istio.io")
    assert service["gateways"] == [gateway["metadata"]["name"], "mesh"]
    served = {h for server in gateway["spec"]["servers"] for h in server["hosts"]}
    assert set(service["hosts"]) == served
    route = manifests().get("VirtualService", f"{RELEASE}-virtualservice")["spec"]["http"][-1]
    assert service["timeout"] == route["timeout"]
    assert service["retries"] == route["retries"]
    # The DestinationRules Flagger makes get the chart's own traffic policy (mTLS, ejection).
    assert service["trafficPolicy"] == m.get("DestinationRule", "backend-destinationrule")["spec"]["trafficPolicy"]
    no_gateway = the(flagger("istio.gateway.enabled=false"), "Canary")["spec"]["service"]
    assert no_gateway["gateways"] == ["mesh"] and "hosts" not in no_gateway


def test_flaggers_services_are_scraped_by_the_service_monitor():
    m = flagger("serviceMonitor.enabled=true", api_versions=MONITORING)
    selector = the(m, "ServiceMonitor")["spec"]["selector"]["matchLabels"]
    service = the(m, "Canary")["spec"]["service"]
    assert selects(selector, service["primary"]["labels"]) and selects(selector, service["canary"]["labels"])
    assert "apex" not in service  # frontend-service selects the primary's pods again: no double scrape
    assert all(d["metadata"]["name"] != "frontend-service" for d in m.of_kind("Service"))


@pytest.mark.parametrize("sets", [(), ("networkPolicy.enabled=true",)])
def test_policies_and_the_budget_cover_flaggers_primary_pods(sets):
    """Flagger's primary pods carry app=frontend-primary: whatever means "every frontend pod" must still
    select them, or the backend's NetworkPolicy would cut the serving pods off the backend."""
    m = flagger(*sets)
    pod = pod_metadata(m.get("Deployment", "frontend-app-deployment"))["labels"]
    primary = flagger_primary_labels(pod)
    assert not selects({"app": "frontend"}, primary)  # the model of Flagger's rewrite bites
    pdb = m.get("PodDisruptionBudget", "frontend-app-pdb")["spec"]["selector"]["matchLabels"]
    frontend_np = m.get("NetworkPolicy", "frontend-networkpolicy")["spec"]["podSelector"]["matchLabels"]
    [from_frontend] = [f["podSelector"]["matchLabels"]
                       for rule in m.get("NetworkPolicy", "backend-networkpolicy")["spec"]["ingress"]
                       for f in rule.get("from", []) if "podSelector" in f]
    for selector in (pdb, frontend_np, from_frontend):
        assert selects(selector, primary) and selects(selector, pod), selector
    # The backend's AuthorizationPolicy goes by the ServiceAccount, which the primary keeps.
    assert pod_spec(m.get("Deployment", "frontend-app-deployment"))["serviceAccountName"] == "frontend"


def test_the_prometheus_rule_follows_flaggers_primary():
    rule = the(flagger("prometheusRule.enabled=true", api_versions=MONITORING), "PrometheusRule")
    exprs = [r["expr"] for r in rule["spec"]["groups"][0]["rules"] if "http_server" in r["expr"]]
    assert exprs and all('app=~"frontend|frontend-primary"' in e for e in exprs)
    plain = the(manifests("production.yaml"), "PrometheusRule")
    assert all('app="frontend"' in r["expr"] for r in plain["spec"]["groups"][0]["rules"] if "http_server" in r["expr"])


# --- Flagger: metrics -----------------------------------------------------------------------------

def flagger_query(template, interval="1m"):
    """A MetricTemplate's query as Flagger runs it for this Canary."""
    return (template["spec"]["query"].replace("{{ namespace }}", NAMESPACE)
            .replace("{{ target }}", "frontend-app-deployment").replace("{{ interval }}", interval))


def test_canary_metrics_name_metric_templates_that_exist():
    # --set passes 0.02 as text, which the schema refuses; --set-json passes a number.
    m = flagger("progressiveDelivery.flagger.analysis.interval=2m", extra=(
        "--set-json", 'progressiveDelivery.flagger.metrics={"maxErrorRate":0.02,"maxP99Seconds":0.8}'))
    analysis = the(m, "Canary")["spec"]["analysis"]
    thresholds = {}
    for metric in analysis["metrics"]:
        ref = metric["templateRef"]
        assert ref["namespace"] == NAMESPACE
        template = m.get("MetricTemplate", ref["name"])
        assert template["spec"]["provider"] == {"type": "prometheus", "address": "http://prometheus.istio-system:9090"}
        assert metric["interval"] == analysis["interval"] == "2m"
        thresholds[metric["name"]] = metric["thresholdRange"]
    assert thresholds == {"error-rate": {"max": 0.02}, "latency-p99": {"max": 0.8}}
    assert {d["metadata"]["name"] for d in m.of_kind("MetricTemplate")} == {
        m["templateRef"]["name"] for m in analysis["metrics"]}
    assert (analysis["threshold"], analysis["maxWeight"], analysis["stepWeight"]) == (5, 50, 10)


def test_metric_templates_query_the_canarys_own_metrics(tmp_path):
    m = flagger()
    queries = {t["metadata"]["name"]: t["spec"]["query"] for t in m.of_kind("MetricTemplate")}
    for query in queries.values():
        for variable in ("{{ namespace }}", "{{ target }}", "{{ interval }}"):
            assert variable in query
        assert metric_names(query) <= CONTRACT_METRICS
        # The labels the ServiceMonitor (and Istio's addon Prometheus) give every series.
        assert 'namespace="{{ namespace }}"' in query and 'pod=~"{{ target }}-' in query
    assert 'http_response_status_code=~"5.."' in queries["frontend-error-rate"]
    assert "http_server_request_duration_seconds_count" in queries["frontend-error-rate"]
    assert queries["frontend-latency-p99"].startswith("histogram_quantile(0.99,")
    assert "http_server_request_duration_seconds_bucket" in queries["frontend-latency-p99"]
    result = promtool_check(tmp_path, [flagger_query(t) for t in m.of_kind("MetricTemplate")])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_pod_pattern_selects_the_canary_and_not_the_primary():
    [template, *_] = flagger().of_kind("MetricTemplate")
    pattern = re.search(r'pod=~"([^"]+)"', flagger_query(template)).group(1)
    # PromQL anchors its regular expressions at both ends, as fullmatch does.
    assert re.fullmatch(pattern, "frontend-app-deployment-5d9c7b9f4-x2x7q")
    assert not re.fullmatch(pattern, "frontend-app-deployment-primary-5d9c7b9f4-x2x7q")
    assert not re.fullmatch(pattern, "loadgen-7c9f8d6b5-abcde")


# --- Flagger: webhooks and the loadgen server -------------------------------------------------------

def duration_seconds(cmd):
    words = shlex.split(cmd)
    return chartlib.seconds(words[words.index("--duration") + 1])


def test_webhooks_call_the_loadgen_service():
    m = flagger()
    service = m.get("Service", "loadgen")
    [port] = service["spec"]["ports"]
    assert (port["port"], port["targetPort"]) == (80, "http")
    server = m.get("Deployment", "loadgen")
    assert selects(service["spec"]["selector"], pod_metadata(server)["labels"])
    [container] = pod_spec(server)["containers"]
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    webhooks = {w["name"]: w for w in the(m, "Canary")["spec"]["analysis"]["webhooks"]}
    assert {(w["type"], w["metadata"]["type"]) for w in webhooks.values()} == {("pre-rollout", "gate"), ("rollout", "load")}
    for hook in webhooks.values():
        url = urlparse(hook["url"])
        assert hook["url"] == f"http://{service['metadata']['name']}.{NAMESPACE}/"
        assert url.port is None and port["port"] == 80
        cmd = hook["metadata"]["cmd"]
        assert set(hook["metadata"]) == {"type", "cmd"}
        assert cmd.startswith(f"loadgen http://frontend-service-canary.{NAMESPACE}/ ")
        assert not set(cmd) & set(";&|`$<>\n")  # arguments only: no shell runs them
        assert duration_seconds(cmd) <= 600  # MAX_RUN_SECONDS
    gate = webhooks["acceptance-test"]
    # The gate is synchronous: Flagger must wait for the whole run.
    assert chartlib.seconds(gate["timeout"]) > duration_seconds(gate["metadata"]["cmd"])


def test_gate_timeout_shorter_than_its_run_is_visible():
    """The check above can fail: a gate whose run outlasts Flagger's timeout."""
    m = flagger("progressiveDelivery.flagger.webhooks.acceptance.timeout=10s")
    gate = the(m, "Canary")["spec"]["analysis"]["webhooks"][0]
    assert chartlib.seconds(gate["timeout"]) < duration_seconds(gate["metadata"]["cmd"])


def test_loadgen_server_runs_the_interface():
    m = flagger("loadgen.server.maxConcurrentRuns=3")
    server = m.get("Deployment", "loadgen")
    spec = pod_spec(server)
    [container] = spec["containers"]
    assert container["image"] == "loadgen:v1" and container["args"] == ["serve"]
    assert env_of(container) == {"PORT": "8080", "ADMIN_PORT": "0", "MAX_CONCURRENT_RUNS": "3",
                                 "MAX_RUN_SECONDS": "600", "MAX_BODY_BYTES": "65536", "LOG_FORMAT": "json"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert server["spec"]["replicas"] == 1
    assert spec["serviceAccountName"] == "loadgen" and m.get("ServiceAccount", "loadgen")
    assert spec["automountServiceAccountToken"] is False
    metadata = pod_metadata(server)
    assert metadata["annotations"]["sidecar.istio.io/nativeSidecar"] == "true"
    assert "skalar.io/client" not in metadata["labels"]  # the clients' policy admits nothing
    # Exactly the loadgen Job's restrictions and resources.
    job = manifests(sets=("loadgen.enabled=true",)).get("Job", "loadgen-1")
    [job_container] = pod_spec(job)["containers"]
    assert spec["securityContext"] == pod_spec(job)["securityContext"]
    assert container["securityContext"] == job_container["securityContext"]
    assert container["resources"] == job_container["resources"]
    assert container["image"] == job_container["image"]


def test_loadgen_server_on_its_own():
    m = manifests(sets=("loadgen.server.enabled=true",))
    assert m.get("Deployment", "loadgen") and m.get("Service", "loadgen") and m.get("ServiceAccount", "loadgen")
    assert not m.of_kind("Canary") and not m.of_kind("MetricTemplate")
    assert manifests().find("Deployment", "loadgen") is None


def test_flaggers_namespace_reaches_the_loadgen_server():
    m = flagger("progressiveDelivery.flagger.namespace=flagger-system")
    pod = pod_metadata(m.get("Deployment", "loadgen"))["labels"]
    policies = [p for p in m.of_kind("NetworkPolicy") if selects(p["spec"]["podSelector"]["matchLabels"], pod)]
    assert [p["metadata"]["name"] for p in policies] == ["loadgen-server-networkpolicy"]
    [policy] = policies
    flagger_rules = [r for r in policy["spec"]["ingress"]
                     if r["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "flagger-system"}}}]]
    assert [r["ports"] for r in flagger_rules] == [[{"port": 8080, "protocol": "TCP"}]]
    # ...and its runs reach the frontend: the frontend's policy admits anyone on 8080, egress is open.
    frontend = m.get("NetworkPolicy", "frontend-networkpolicy")
    assert frontend["spec"]["policyTypes"] == ["Ingress"] and policy["spec"]["policyTypes"] == ["Ingress"]
    assert {"ports": [{"port": 8080, "protocol": "TCP"}]} in frontend["spec"]["ingress"]


def peer_authentications_of(m, labels):
    return [p for p in m.of_kind("PeerAuthentication")
            if "selector" not in p["spec"] or selects(p["spec"]["selector"]["matchLabels"], labels)]


def test_one_peer_authentication_lets_flaggers_plain_calls_in():
    m = flagger()
    pod = pod_metadata(m.get("Deployment", "loadgen"))["labels"]
    [own] = [p for p in peer_authentications_of(m, pod) if "selector" in p["spec"]]  # Istio honours one
    assert own["metadata"]["name"] == "loadgen-server-peerauthentication"
    assert own["spec"]["mtls"] == {"mode": "STRICT"} and own["spec"]["portLevelMtls"] == {"8080": {"mode": "PERMISSIVE"}}
    # The services stay STRICT.
    frontend = pod_metadata(m.get("Deployment", "frontend-app-deployment"))["labels"]
    [release] = peer_authentications_of(m, frontend)
    assert release["metadata"]["name"] == f"{RELEASE}-peerauthentication" and release["spec"]["mtls"]["mode"] == "STRICT"
    policy = m.get("AuthorizationPolicy", "loadgen-server-authorizationpolicy")
    assert selects(policy["spec"]["selector"]["matchLabels"], pod)
    operations = [o["operation"] for r in policy["spec"]["rules"] for o in r["to"]]
    assert {"methods": ["POST"], "paths": ["/"]} in operations
    assert all("from" not in r for r in policy["spec"]["rules"])  # plain text: no identity to check


def test_without_plain_text_only_flaggers_namespace_may_post():
    m = flagger("loadgen.server.acceptPlaintext=false")
    pod = pod_metadata(m.get("Deployment", "loadgen"))["labels"]
    [pa] = peer_authentications_of(m, pod)
    assert pa["metadata"]["name"] == f"{RELEASE}-peerauthentication" and pa["spec"]["mtls"]["mode"] == "STRICT"
    [post] = [r for r in m.get("AuthorizationPolicy", "loadgen-server-authorizationpolicy")["spec"]["rules"]
              if r["to"][0]["operation"]["methods"] == ["POST"]]
    assert post["from"] == [{"source": {"namespaces": ["istio-system"]}}]


# --- Argo Rollouts --------------------------------------------------------------------------------

def rollout_pods(m):
    return pod_metadata(m.get("Rollout", "frontend-app-rollout"))["labels"]


def test_rollout_replaces_the_deployment_with_the_same_pod_template():
    m = argo()
    rollout = m.get("Rollout", "frontend-app-rollout")
    assert rollout["apiVersion"] == "argoproj.io/v1alpha1"
    assert m.find("Deployment", "frontend-app-deployment") is None
    assert not [d for d in m.of_kind("Deployment") if pod_metadata(d)["labels"].get("app") == "frontend"]
    deployment = manifests(sets=("frontend.image.tag=v2",)).get("Deployment", "frontend-app-deployment")
    expected = copy.deepcopy(deployment["spec"]["template"])
    expected["metadata"]["labels"]["track"] = "rollout"  # one template for both sides: the hash tells them apart
    assert rollout["spec"]["template"] == expected
    assert selects(rollout["spec"]["selector"]["matchLabels"], rollout_pods(m))
    canary = rollout["spec"]["strategy"]["canary"]
    assert canary["maxUnavailable"] == 0 and canary["maxSurge"] == 1


def test_rollout_traffic_routing_names_the_charts_virtual_services_and_destination_rule():
    m = argo()
    istio = m.get("Rollout", "frontend-app-rollout")["spec"]["strategy"]["canary"]["trafficRouting"]["istio"]
    rule = istio["destinationRule"]
    destination_rule = m.get("DestinationRule", rule["name"])
    assert destination_rule["spec"]["host"] == "frontend-service"
    subsets = {s["name"]: s["labels"] for s in destination_rule["spec"]["subsets"]}
    assert set(subsets) == {rule["canarySubsetName"], rule["stableSubsetName"]} == {"canary", "stable"}
    for labels in subsets.values():
        # Argo adds rollouts-pod-template-hash; before it does, the subset must already select the pods.
        assert selects(labels, rollout_pods(m)) and "track" not in labels and "rollouts-pod-template-hash" not in labels
    named = {vs["name"]: vs["routes"] for vs in istio["virtualServices"]}
    routing_frontend = [vs["metadata"]["name"] for vs in m.of_kind("VirtualService")
                        if any(r["destination"]["host"] == "frontend-service" for h in vs["spec"]["http"] for r in h["route"])]
    assert sorted(named) == sorted(routing_frontend) == sorted(["frontend-virtualservice", f"{RELEASE}-virtualservice"])
    for name, routes in named.items():
        http = {h["name"]: h for h in m.get("VirtualService", name)["spec"]["http"]}
        assert routes == ["primary"] and set(http) == {"primary"}
        weights = {r["destination"]["subset"]: r["weight"] for r in http["primary"]["route"]}
        assert weights == {rule["stableSubsetName"]: 100, rule["canarySubsetName"]: 0}  # Argo owns them


def test_rollout_services_exist_and_select_its_pods():
    m = argo()
    canary = m.get("Rollout", "frontend-app-rollout")["spec"]["strategy"]["canary"]
    names = (canary["canaryService"], canary["stableService"])
    assert names == ("frontend-canary-service", "frontend-stable-service")
    for name in names:
        service = m.get("Service", name)
        assert selects(service["spec"]["selector"], rollout_pods(m))
        [port] = service["spec"]["ports"]
        assert (port["port"], port["targetPort"]) == (80, "http")
        assert "skalar.io/scrape" not in service["metadata"]["labels"]  # frontend-service is scraped already


def test_hpa_and_pdb_follow_the_rollout():
    m = argo()
    target = m.get("HorizontalPodAutoscaler", "frontend-app-hpa")["spec"]["scaleTargetRef"]
    assert target == {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "frontend-app-rollout"}
    assert "replicas" not in m.get("Rollout", "frontend-app-rollout")["spec"]
    assert selects(m.get("PodDisruptionBudget", "frontend-app-pdb")["spec"]["selector"]["matchLabels"], rollout_pods(m))
    fixed = argo("frontend.autoscaling.enabled=false", "frontend.replicaCount=3")
    assert fixed.get("Rollout", "frontend-app-rollout")["spec"]["replicas"] == 3
    assert not fixed.of_kind("HorizontalPodAutoscaler")


def test_rollout_steps_run_the_analysis_template_that_exists():
    m = argo()
    steps = m.get("Rollout", "frontend-app-rollout")["spec"]["strategy"]["canary"]["steps"]
    assert [next(iter(s)) for s in steps] == ["setWeight", "analysis", "setWeight", "pause", "setWeight"]
    assert [s["setWeight"] for s in steps if "setWeight" in s] == [10, 50, 100]
    [analysis] = [s["analysis"] for s in steps if "analysis" in s]
    [ref] = analysis["templates"]
    template = m.get("AnalysisTemplate", ref["templateName"])
    declared = [a["name"] for a in template["spec"]["args"]]
    assert [a["name"] for a in analysis["args"]] == declared
    # The versions: the Rollout's own pods' (the new tag) and the stable one's.
    assert {a["name"]: a["value"] for a in analysis["args"]} == {
        "canary-version": rollout_pods(m)["version"], "stable-version": "v1"}
    assert rollout_pods(m)["version"] == "v2"
    used = set(re.findall(r"\{\{args\.([a-z-]+)\}\}", str(template["spec"])))
    assert used and used <= set(declared)


def test_analysis_job_runs_loadgen_restricted_like_the_loadgen_job():
    m = argo("loadgen.image.digest=sha256:" + "4" * 64)
    [metric] = m.get("AnalysisTemplate", "frontend-loadgen")["spec"]["metrics"]
    job = metric["provider"]["job"]["spec"]
    assert job["backoffLimit"] == 0 and metric["failureLimit"] == 0 and metric["count"] == 1
    reference = manifests(sets=("loadgen.enabled=true", "loadgen.waitForFrontend=false",
                                "loadgen.image.digest=sha256:" + "4" * 64)).get("Job", "loadgen-1")
    ours, theirs = job["template"], reference["spec"]["template"]
    assert ours["metadata"] == theirs["metadata"]  # client label, sidecar injection, native sidecar
    for key in ("restartPolicy", "serviceAccountName", "automountServiceAccountToken", "enableServiceLinks",
                "securityContext"):
        assert ours["spec"][key] == theirs["spec"][key], key
    [container] = ours["spec"]["containers"]
    [reference_container] = theirs["spec"]["containers"]
    assert container["image"] == reference_container["image"] == "loadgen@sha256:" + "4" * 64
    for key in ("securityContext", "resources", "imagePullPolicy"):
        assert container[key] == reference_container[key], key
    args = container["args"]
    assert "--expect-split" not in args
    for gate in ("--max-error-rate", "--max-error-rate-delta", "--max-p99-ratio"):
        assert gate in args
    assert args[args.index("--max-error-rate-delta") + 1] == "{{args.canary-version}}/{{args.stable-version}}=0.01"
    services = {s["metadata"]["name"] for s in m.of_kind("Service")}
    targets = [a for a in args if a.startswith("http")]
    assert targets and {urlparse(t).hostname for t in targets} <= services


@pytest.mark.parametrize("values_file", [FLAGGER, ARGO])
def test_every_container_of_progressive_delivery_is_restricted(values_file):
    m = manifests(values_file)
    pods = [d for d in m.workloads()]
    pods += [{"kind": "Job", "spec": mt["provider"]["job"]["spec"]}
             for t in m.of_kind("AnalysisTemplate") for mt in t["spec"]["metrics"]]
    for workload in pods:
        assert pod_spec(workload)["securityContext"]["runAsNonRoot"] is True
        for container in containers(workload):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]} and context["seccompProfile"]["type"] == "RuntimeDefault"
            assert container["resources"]["limits"] and container["resources"]["requests"]


# --- the schemas of test_validate.py reject what the controllers would ---------------------------

def _one(values_file, kind):
    return copy.deepcopy(manifests(values_file).of_kind(kind)[0])


@pytest.mark.parametrize("kind,values_file,mutate", [
    ("Canary", FLAGGER, lambda s: s["analysis"].update(stepWeigth=5)),
    ("Canary", FLAGGER, lambda s: s["analysis"]["webhooks"][0].update(type="pre-rolout")),
    ("Canary", FLAGGER, lambda s: s["service"].pop("port")),
    ("Canary", FLAGGER, lambda s: s["targetRef"].update(kind="Rollout")),
    ("Canary", FLAGGER, lambda s: s["service"]["trafficPolicy"]["tls"].update(mode="MUTUALISH")),
    ("MetricTemplate", FLAGGER, lambda s: s["provider"].update(type="prom")),
    ("Rollout", ARGO, lambda s: s["strategy"]["canary"]["trafficRouting"]["istio"]["destinationRule"].pop("canarySubsetName")),
    ("Rollout", ARGO, lambda s: s["strategy"]["canary"]["steps"].append({"setWeigt": 20})),
    ("Rollout", ARGO, lambda s: s["template"]["spec"]["containers"][0].update(imagePullPolic="Always")),
    ("AnalysisTemplate", ARGO, lambda s: s["metrics"][0]["provider"]["job"]["spec"].update(backoffLimits=0)),
])
def test_progressive_schemas_reject_what_the_controllers_would(kind, values_file, mutate):
    doc = _one(values_file, kind)
    validate_progressive(doc, chartlib.KUBE_VERSIONS[-1])
    mutate(doc["spec"])
    with pytest.raises(Exception):
        validate_progressive(doc, chartlib.KUBE_VERSIONS[-1])


def test_every_progressive_kind_has_a_schema():
    kinds = {d["kind"] for f in (FLAGGER, ARGO) for d in manifests(f).docs
             if d["apiVersion"].split("/")[0] in ("flagger.app", "argoproj.io")}
    assert kinds == set(PROGRESSIVE_SCHEMAS)
