"""values.schema.json rejects bad values with Helm 3 and Helm 4, and accepts the good ones; it
describes every key of values.yaml."""

import json

import pytest

import chartlib
from chartlib import CHART, HELMS, run

POSTGRESQL = ["backend.database.engine=postgresql"]
EXTERNAL = ["externalDatabase.enabled=true", "externalDatabase.host=db.example.com", "externalDatabase.existingSecret=db"]
BUNDLED = ["postgresql.bundled.enabled=true", "postgresql.bundled.password=pw"]
FLAGGER = "progressiveDelivery.flagger.enabled=true"
ARGO = "progressiveDelivery.argoRollouts.enabled=true"

BAD = {
    "canary weight above 100": ["frontend.canary.weight=101"],
    "canary weight below 0": ["frontend.canary.weight=-1"],
    "canary weight not a whole number": ["frontend.canary.weight=10.5"],
    "canary weight as text": ["frontend.canary.weight=ten"],
    "negative replicas": ["frontend.replicaCount=-1"],
    "negative canary replicas": ["frontend.canary.replicaCount=-2"],
    "HPA minimum of zero": ["frontend.autoscaling.minReplicas=0"],
    "unknown top-level key": ["replicaCount=3"],
    "misspelt top-level key": ["isito.enabled=false"],
    "unknown frontend key": ["frontend.replicas=3"],
    "backend replicas (one writer)": ["backend.replicaCount=2"],
    "backend autoscaling (one writer)": ["backend.autoscaling.enabled=true"],
    "CPU_WORK_MS above its range": ["frontend.cpuWorkMs=5000"],
    "digest of the wrong form": ["frontend.image.digest=latest"],
    "unknown mTLS mode": ["istio.peerAuthentication.mode=ON"],
    "duration without a unit": ["istio.frontend.timeout=15"],
    "resources without limits": ["frontend.resources.limits=null"],
    "root user": ["podSecurityContext.runAsUser=0"],
    "HPA target above 100%": ["frontend.autoscaling.targetCPUUtilizationPercentage=150"],
    # The backend's engine and its PostgreSQL server.
    "unknown engine": ["backend.database.engine=mysql"],
    "SQLite with an external server": [*EXTERNAL],
    "SQLite with a CloudNativePG Cluster": ["postgresql.cnpg.enabled=true"],
    "SQLite with the bundled server": ["postgresql.bundled.enabled=true", "postgresql.bundled.password=pw"],
    "PostgreSQL with no server": ["backend.database.engine=postgresql"],
    "PostgreSQL with two servers": [*POSTGRESQL, *EXTERNAL, "postgresql.cnpg.enabled=true"],
    "PostgreSQL with all three servers": [*POSTGRESQL, *EXTERNAL, "postgresql.cnpg.enabled=true",
                                          "postgresql.bundled.enabled=true", "postgresql.bundled.password=pw"],
    "external server without a host": [*POSTGRESQL, "externalDatabase.enabled=true", "externalDatabase.existingSecret=db"],
    "external server without a Secret": [*POSTGRESQL, "externalDatabase.enabled=true", "externalDatabase.host=db"],
    "external host with a path": [*POSTGRESQL, *EXTERNAL, "externalDatabase.host=db/x"],
    "user that needs escaping in a URI": [*POSTGRESQL, *EXTERNAL, "externalDatabase.user=a@b"],
    "unknown sslmode": [*POSTGRESQL, *EXTERNAL, "externalDatabase.sslmode=on"],
    "bundled server without a password": [*POSTGRESQL, "postgresql.bundled.enabled=true"],
    "bundled server with a password and a Secret": [*POSTGRESQL, "postgresql.bundled.enabled=true",
                                                   "postgresql.bundled.password=pw", "postgresql.bundled.existingSecret=db"],
    "bundled server without a digest": [*POSTGRESQL, *BUNDLED, "postgresql.bundled.image.digest="],
    "bundled server as root": [*POSTGRESQL, *BUNDLED, "postgresql.bundled.podSecurityContext.runAsUser=0"],
    "CloudNativePG without instances": [*POSTGRESQL, "postgresql.cnpg.enabled=true", "postgresql.cnpg.instances=0"],
    "backend replicas zero on PostgreSQL": [*POSTGRESQL, *BUNDLED, "backend.replicaCount=0"],
    "unknown backend autoscaling key": [*POSTGRESQL, *BUNDLED, "backend.autoscaling.replicas=3"],
    # Progressive delivery: combinations that cannot work.
    "Flagger with the chart's canary": [FLAGGER, "frontend.canary.enabled=true"],
    "Flagger without Istio": [FLAGGER, "istio.enabled=false"],
    "Flagger with the Gateway API": [FLAGGER, "gatewayAPI.enabled=true"],
    "Flagger with Argo Rollouts": [FLAGGER, ARGO],
    "Argo Rollouts with the chart's canary": [ARGO, "frontend.canary.enabled=true"],
    "Argo Rollouts without Istio": [ARGO, "istio.enabled=false"],
    "Argo Rollouts with the Gateway API": [ARGO, "gatewayAPI.enabled=true"],
    "Flagger step weight above 100": [FLAGGER, "progressiveDelivery.flagger.analysis.stepWeight=101"],
    "Flagger error rate as a percentage": [FLAGGER, "progressiveDelivery.flagger.metrics.maxErrorRate=5"],
    "Flagger namespace not a DNS label": [FLAGGER, "progressiveDelivery.flagger.namespace=Istio_System"],
    "webhook arguments with a shell's metacharacter": [FLAGGER, "progressiveDelivery.flagger.webhooks.load.args=--rate 1; rm -rf /"],
    "unknown Flagger key": ["progressiveDelivery.flagger.stepWeight=5"],
    "Argo step of an unknown kind": [ARGO, 'json:progressiveDelivery.argoRollouts.steps=[{"setWeigth":10}]'],
    "Argo step with two kinds": [ARGO, 'json:progressiveDelivery.argoRollouts.steps=[{"setWeight":10,"pause":{}}]'],
    "Argo analysis other than loadgen": [ARGO, 'json:progressiveDelivery.argoRollouts.steps=[{"analysis":"smoke"}]'],
    "Argo weight above 100": [ARGO, 'json:progressiveDelivery.argoRollouts.steps=[{"setWeight":110}]'],
    "Argo without steps": [ARGO, "json:progressiveDelivery.argoRollouts.steps=[]"],
    "loadgen server without a run bound": ["loadgen.server.maxRunSeconds=0"],
}

GOOD = {
    "weight 0": ["frontend.canary.enabled=true", "frontend.canary.weight=0"],
    "weight 100": ["frontend.canary.enabled=true", "frontend.canary.weight=100"],
    "zero replicas without the HPA": ["frontend.autoscaling.enabled=false", "frontend.replicaCount=0"],
    "surge as a percentage": ["frontend.maxSurge=25%"],
    "SQLite saying no to autoscaling": ["backend.autoscaling.enabled=false", "backend.replicaCount=1"],
    "PostgreSQL on an external server": [*POSTGRESQL, *EXTERNAL],
    "PostgreSQL on CloudNativePG": [*POSTGRESQL, "postgresql.cnpg.enabled=true"],
    "PostgreSQL on the bundled server": [*POSTGRESQL, *BUNDLED],
    "PostgreSQL on the bundled server with a Secret": [*POSTGRESQL, "postgresql.bundled.enabled=true",
                                                      "postgresql.bundled.existingSecret=db"],
    "PostgreSQL with fixed replicas": [*POSTGRESQL, *BUNDLED, "backend.autoscaling.enabled=false", "backend.replicaCount=4"],
    "external server by IPv6 address": [*POSTGRESQL, *EXTERNAL, "externalDatabase.host=[fd00::5]"],
    "Flagger": [FLAGGER],
    "Flagger without autoscaling or a gateway": [FLAGGER, "frontend.autoscaling.enabled=false", "istio.gateway.enabled=false"],
    "Argo Rollouts": [ARGO],
    "Argo Rollouts pausing until promoted by hand": [
        ARGO, 'json:progressiveDelivery.argoRollouts.steps=[{"setWeight":20},{"pause":{}},{"analysis":"loadgen"}]'],
    "the loadgen server on its own": ["loadgen.server.enabled=true"],
}


def template(helm, sets):
    argv = [HELMS[helm], "template", "my-app", str(CHART)]
    for item in sets:  # "json:key=value" goes to --set-json (lists, numbers that --set would make text)
        argv += ["--set-json", item[5:]] if item.startswith("json:") else ["--set", item]
    return run(argv)


@pytest.mark.parametrize("helm", sorted(HELMS))
@pytest.mark.parametrize("case", sorted(BAD))
def test_schema_rejects(helm, case):
    result = template(helm, BAD[case])
    assert result.returncode != 0, f"{case} was accepted"
    assert "schema" in result.stderr, result.stderr


@pytest.mark.parametrize("helm", sorted(HELMS))
@pytest.mark.parametrize("case", sorted(GOOD))
def test_schema_accepts(helm, case):
    result = template(helm, GOOD[case])
    assert result.returncode == 0, result.stderr


def schema_paths(node, prefix=""):
    """Dotted paths of every property the schema declares (following local $refs)."""
    schema = json.loads((CHART / "values.schema.json").read_text())

    def resolve(n):
        while "$ref" in n:
            n = schema["definitions"][n["$ref"].rsplit("/", 1)[1]]
        return n

    paths = set()

    def walk(n, p):
        n = resolve(n)
        for key, child in n.get("properties", {}).items():
            paths.add(f"{p}{key}")
            walk(child, f"{p}{key}.")

    walk(node if node else schema, prefix)
    return paths, schema


def test_schema_describes_every_value_and_nothing_else():
    import values_doc

    declared, schema = schema_paths(None)
    keys = {k.path for k in values_doc.parse()}
    # Keys under free-form maps (labels, selectors) are examples, not schema properties.
    free_form = {"istio.gateway.selector.istio", "grafanaDashboard.labels.grafana_dashboard"}
    assert keys - free_form <= declared, sorted(keys - free_form - declared)
    assert declared - keys == {"global"}, sorted(declared - keys)


def test_schema_closes_every_object():
    """additionalProperties: false on every object with declared properties (typos are errors)."""
    _, schema = schema_paths(None)
    open_objects = []

    def walk(n, p):
        if "$ref" in n:
            return
        if n.get("properties") and n.get("additionalProperties", True) is not False:
            open_objects.append(p or "/")
        for key, child in n.get("properties", {}).items():
            walk(child, f"{p}.{key}")

    walk(schema, "")
    for name, definition in schema["definitions"].items():
        walk(definition, f"#{name}")
    assert open_objects == []
