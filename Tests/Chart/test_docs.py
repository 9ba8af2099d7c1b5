"""The chart's words match the chart: every value is commented and in the README's table, NOTES.txt
prints the walkthrough's commands for the installed options, and the dashboard's and the alerts'
PromQL is valid and names the services' real metrics."""

import json
import re
import shutil

import pytest
import yaml

import chartlib
import values_doc
from chartlib import CHART, HELM4, NAMESPACE, run


def test_every_value_has_a_comment():
    keys = values_doc.parse()
    assert len(keys) > 150
    undocumented = [f"{k.path} (line {k.line})" for k in keys if not k.description]
    assert undocumented == []


def test_values_doc_notices_a_missing_comment():
    keys = values_doc.parse("# A map.\na:\n  # Documented.\n  b: 1\n  c: 2\n")
    assert [(k.path, bool(k.description)) for k in keys] == [("a", True), ("a.b", True), ("a.c", False)]


def test_readme_values_table_is_up_to_date():
    readme = (CHART / "README.md").read_text()
    assert readme == values_doc.readme_with_table(readme), (
        "helm-charts/my-app/README.md's values table is stale: run python3 Tests/Chart/values_doc.py --write")


def test_contract_values_exist():
    """The value keys that other parts of the project rely on (CONTRACT.md, "Chart values")."""
    keys = {k.path for k in values_doc.parse()}
    contract = [
        "frontend.replicaCount", "frontend.image.repository", "frontend.image.tag", "frontend.canary.enabled",
        "frontend.canary.image.tag", "frontend.canary.weight", "frontend.autoscaling.enabled",
        "frontend.autoscaling.minReplicas", "frontend.autoscaling.maxReplicas",
        "frontend.autoscaling.targetCPUUtilizationPercentage", "frontend.cpuWorkMs", "backend.image.repository",
        "backend.image.tag", "backend.persistence.size", "backend.persistence.storageClass", "istio.enabled",
        "gatewayAPI.enabled", "networkPolicy.enabled", "serviceMonitor.enabled", "loadgen.enabled",
        # issue 13
        "backend.database.engine", "backend.autoscaling.enabled", "backend.autoscaling.minReplicas",
        "backend.autoscaling.maxReplicas", "backend.autoscaling.targetCPUUtilizationPercentage",
        "externalDatabase.enabled", "externalDatabase.host", "externalDatabase.port", "externalDatabase.database",
        "externalDatabase.user", "externalDatabase.sslmode", "externalDatabase.existingSecret",
    ]
    assert [k for k in contract if k not in keys] == []


def notes(*sets):
    argv = [HELM4, "install", chartlib.RELEASE, str(CHART), "--dry-run=client", "--namespace", NAMESPACE]
    for item in sets:
        argv += ["--set", item]
    result = run(argv)
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\nNOTES:\n", 1)[1]


def test_notes_print_the_walkthrough():
    text = notes()
    for command in (
        "kubectl rollout status deployment/frontend-app-deployment",
        "wget -q -O- http://frontend-service",
        "while true; do wget -q -O- http://frontend-service; done",
        "kubectl get hpa frontend-app-hpa",
        f"helm test {chartlib.RELEASE}",
        "--set frontend.image.tag=v2",
        # the two-step enable: the canary's pods first, with no traffic, then its weight
        "--set frontend.canary.enabled=true --set frontend.canary.weight=0 --wait",
        "kubectl rollout status deployment/frontend-app-canary-deployment",
        "--set frontend.canary.weight=10",
        "istio-injection=enabled",
        "curl -H 'Host: my-app.example.com'",
    ):
        assert command in text, command
    assert "never runs two pods and has no HPA" in text


def test_notes_follow_the_options():
    canary = notes("frontend.canary.enabled=true", "frontend.canary.weight=20", "loadgen.enabled=true")
    assert "80% of requests go to v1, 20% to v2" in canary
    assert "--set frontend.image.tag=v2 --wait" in canary  # promote inside the stable subset first
    assert "--set frontend.canary.enabled=false --set frontend.canary.weight=0" in canary
    assert "kubectl logs -n skalar-test -f job/loadgen-1" in canary
    plain = notes("istio.enabled=false", "frontend.canary.enabled=true", "frontend.autoscaling.enabled=false")
    assert "pod count" in plain and "istio-injection" not in plain and "Host:" not in plain
    assert "The HPA is off" in plain
    monitored = notes("serviceMonitor.enabled=true", "backend.persistence.enabled=false")
    assert "does not serve monitoring.coreos.com/v1" in monitored
    assert "emptyDir" in monitored


def test_notes_follow_progressive_delivery():
    argo = notes("progressiveDelivery.argoRollouts.enabled=true")
    assert "kubectl argo rollouts get rollout frontend-app-rollout" in argo
    assert "deployment/frontend-app-deployment" not in argo.split("2. Open it")[0]
    flagger = notes("progressiveDelivery.flagger.enabled=true")
    assert "kubectl get canaries.flagger.app frontend-app-deployment" in flagger
    assert "kubectl rollout status deployment/loadgen" in flagger


def test_notes_follow_the_engine():
    bundled = notes("backend.database.engine=postgresql", "postgresql.bundled.enabled=true",
                    "postgresql.bundled.password=pw")
    assert "kubectl rollout status deployment/backend-app-deployment" in bundled
    assert "kubectl rollout status statefulset/postgresql" in bundled
    assert "statefulset/backend-app" not in bundled and "never runs two pods" not in bundled
    assert "2 to 6 pods by its HPA (kubectl get hpa backend-app-hpa" in bundled
    assert "Database: postgresql-service:5432, database skalar, user skalar, sslmode disable" in bundled
    assert "for demos: no replica, no failover" in bundled
    cnpg = notes("backend.database.engine=postgresql", "postgresql.cnpg.enabled=true",
                 "backend.autoscaling.enabled=false", "backend.replicaCount=3")
    assert "3 pod(s)" in cnpg and "backend-app-hpa" not in cnpg
    assert "kubectl get clusters.postgresql.cnpg.io postgresql-cluster" in cnpg
    assert "password from Secret postgresql-cluster-app" in cnpg


def test_notes_commands_name_rendered_objects():
    """Every `kind/name` and `svc/name` in the notes is an object the chart renders."""
    text = notes("frontend.canary.enabled=true", "loadgen.enabled=true", "grafanaDashboard.enabled=true")
    m = chartlib.manifests("canary-10.yaml", sets=("grafanaDashboard.enabled=true",))
    postgresql = ("backend.database.engine=postgresql", "postgresql.bundled.enabled=true", "postgresql.bundled.password=pw")
    text += notes(*postgresql)
    m.docs += chartlib.manifests(sets=postgresql).docs
    kinds = {"deployment": "Deployment", "statefulset": "StatefulSet", "svc": "Service", "job": "Job",
             "deploy": "Deployment", "hpa": "HorizontalPodAutoscaler", "configmap": "ConfigMap"}
    found = re.findall(r"\b(deployment|statefulset|svc|job|deploy)/([a-z0-9-]+)", text)
    found += re.findall(r"kubectl get (hpa|configmap) ([a-z0-9-]+)", text)
    assert len(found) >= 6
    for kind, name in found:
        if name == "istio-ingressgateway":
            continue  # Istio's own Service
        assert m.find(kinds[kind], name), f"{kind}/{name}"


# --- PromQL --------------------------------------------------------------------------------------

CONTRACT_METRICS = {
    "http_server_request_duration_seconds", "http_server_active_requests", "app_build_info",
    "process_cpu_seconds_total", "http_client_request_duration_seconds", "http_client_request_errors_total",
    "db_query_duration_seconds", "up",
}


def dashboard():
    return json.loads((CHART / "dashboards" / "skalar.json").read_text())


def dashboard_exprs():
    return [t["expr"] for p in dashboard()["panels"] for t in p["targets"]]


def metric_names(expr):
    names = set(re.findall(r"\b([a-z_][a-z0-9_]*)\s*\{", expr))
    return {re.sub(r"_(bucket|count|sum)$", "", n) for n in names}


def promtool_check(tmp_path, exprs):
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing (Debian package prometheus; scripts/lib/chart-tools.sh installs it)"
    rules = {"groups": [{"name": "check", "rules": [
        {"record": f"check:expr_{i}", "expr": e} for i, e in enumerate(exprs)]}]}
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(rules))
    return run([promtool, "check", "rules", str(path)])


def test_dashboard_panels():
    panels = dashboard()["panels"]
    titles = " ".join(p["title"] for p in panels).lower()
    for topic in ("requests/s per version", "error rate", "p50 / p99 per version", "pods per version"):
        assert topic in titles
    for expr in dashboard_exprs():
        assert metric_names(expr) <= CONTRACT_METRICS, expr
        assert 'namespace="$namespace"' in expr


def test_dashboard_promql_is_valid(tmp_path):
    exprs = [e.replace("$__rate_interval", "5m").replace("$namespace", "default") for e in dashboard_exprs()]
    result = promtool_check(tmp_path, exprs)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rejects_bad_promql(tmp_path):
    assert promtool_check(tmp_path, ["sum(rate(up[5m])"]).returncode != 0


def test_prometheus_rule_promql_is_valid(tmp_path):
    [rule] = chartlib.manifests("production.yaml").of_kind("PrometheusRule")
    path = tmp_path / "alerts.yaml"
    path.write_text(yaml.safe_dump(rule["spec"]))
    result = run([shutil.which("promtool") or "promtool", "check", "rules", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr
    for alert in rule["spec"]["groups"][0]["rules"]:
        assert metric_names(alert["expr"]) <= CONTRACT_METRICS, alert["expr"]
        assert f'namespace="{NAMESPACE}"' in alert["expr"]
