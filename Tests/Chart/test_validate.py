"""Every rendering of the value-file matrix validates: Kubernetes kinds with kubernetes-validate --strict
against Kubernetes 1.29 and 1.33, Istio and Prometheus Operator kinds with their pydantic models
(strictly: unknown fields fail), Gateway API and CloudNativePG kinds with schemas of the fields the chart
uses."""

import copy

import jsonschema
import pytest

import chartlib
from chartlib import HELM3, HELM4, KUBE_VERSIONS, VALUE_FILES, render

# The Gateway API v1 fields the chart renders (gateway.networking.k8s.io/v1, standard channel). No
# Python package ships these CRDs' schemas; this keeps unknown or misspelt fields out.
_META = {"type": "object", "required": ["name", "namespace"], "properties": {
    "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 253},
    "namespace": {"type": "string"}, "labels": {"type": "object"}, "annotations": {"type": "object"}},
    "additionalProperties": False}
_DURATION = {"type": "string", "pattern": r"^([0-9]{1,5}(h|m|s|ms)){1,4}$"}
GATEWAY_API_SCHEMAS = {
    "Gateway": {"type": "object", "additionalProperties": False,
                "required": ["apiVersion", "kind", "metadata", "spec"],
                "properties": {"apiVersion": {"const": "gateway.networking.k8s.io/v1"}, "kind": {"const": "Gateway"},
                               "metadata": _META,
                               "spec": {"type": "object", "additionalProperties": False,
                                        "required": ["gatewayClassName", "listeners"],
                                        "properties": {
                                            "gatewayClassName": {"type": "string", "minLength": 1},
                                            "listeners": {"type": "array", "minItems": 1, "maxItems": 64, "items": {
                                                "type": "object", "additionalProperties": False,
                                                "required": ["name", "port", "protocol"],
                                                "properties": {
                                                    "name": {"type": "string"}, "hostname": {"type": "string"},
                                                    "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                                                    "protocol": {"enum": ["HTTP", "HTTPS", "TLS", "TCP", "UDP"]},
                                                    "allowedRoutes": {"type": "object", "additionalProperties": False,
                                                                      "properties": {"namespaces": {
                                                                          "type": "object", "additionalProperties": False,
                                                                          "properties": {"from": {"enum": ["All", "Same", "Selector"]}}}}}}}}}}}},
    "HTTPRoute": {"type": "object", "additionalProperties": False,
                  "required": ["apiVersion", "kind", "metadata", "spec"],
                  "properties": {"apiVersion": {"const": "gateway.networking.k8s.io/v1"}, "kind": {"const": "HTTPRoute"},
                                 "metadata": _META,
                                 "spec": {"type": "object", "additionalProperties": False,
                                          "properties": {
                                              "parentRefs": {"type": "array", "minItems": 1, "items": {
                                                  "type": "object", "required": ["name"], "additionalProperties": False,
                                                  "properties": {"name": {"type": "string"}, "namespace": {"type": "string"},
                                                                 "sectionName": {"type": "string"}, "port": {"type": "integer"},
                                                                 "group": {"type": "string"}, "kind": {"type": "string"}}}},
                                              "hostnames": {"type": "array", "items": {"type": "string"}},
                                              "rules": {"type": "array", "minItems": 1, "maxItems": 16, "items": {
                                                  "type": "object", "additionalProperties": False,
                                                  "properties": {
                                                      "matches": {"type": "array", "items": {
                                                          "type": "object", "additionalProperties": False,
                                                          "properties": {
                                                              "path": {"type": "object", "additionalProperties": False,
                                                                       "properties": {"type": {"enum": ["Exact", "PathPrefix", "RegularExpression"]},
                                                                                      "value": {"type": "string"}}},
                                                              "headers": {"type": "array", "items": {
                                                                  "type": "object", "additionalProperties": False, "required": ["name", "value"],
                                                                  "properties": {"type": {"enum": ["Exact", "RegularExpression"]},
                                                                                 "name": {"type": "string"}, "value": {"type": "string"}}}}}}},
                                                      "backendRefs": {"type": "array", "items": {
                                                          "type": "object", "additionalProperties": False, "required": ["name", "port"],
                                                          "properties": {"name": {"type": "string"},
                                                                         "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                                                                         "weight": {"type": "integer", "minimum": 0, "maximum": 1000000}}}},
                                                      "timeouts": {"type": "object", "additionalProperties": False,
                                                                   "properties": {"request": _DURATION, "backendRequest": _DURATION}}}}}}}}},
}


# The CloudNativePG Cluster fields the chart renders (postgresql.cnpg.io/v1, ClusterSpec in CloudNativePG's
# API reference: instances, imageName, bootstrap.initdb, storage, resources, inheritedMetadata). No Python
# package ships this CRD's schema or a model of it; this keeps unknown or misspelt fields out.
_QUANTITY = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$"}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_RESOURCE_LIST = {"type": "object", "additionalProperties": False,
                  "properties": {"cpu": _QUANTITY, "memory": _QUANTITY}}
CNPG_SCHEMAS = {
    "Cluster": {"type": "object", "additionalProperties": False,
                "required": ["apiVersion", "kind", "metadata", "spec"],
                "properties": {"apiVersion": {"const": "postgresql.cnpg.io/v1"}, "kind": {"const": "Cluster"},
                               "metadata": _META,
                               "spec": {"type": "object", "additionalProperties": False,
                                        "required": ["instances", "storage"],
                                        "properties": {
                                            "instances": {"type": "integer", "minimum": 1},
                                            "imageName": {"type": "string", "minLength": 1},
                                            "bootstrap": {"type": "object", "additionalProperties": False, "properties": {
                                                "initdb": {"type": "object", "additionalProperties": False, "properties": {
                                                    "database": {"type": "string", "minLength": 1},
                                                    "owner": {"type": "string", "minLength": 1}}}}},
                                            "storage": {"type": "object", "additionalProperties": False,
                                                        "required": ["size"],
                                                        "properties": {"size": _QUANTITY, "storageClass": {"type": "string"}}},
                                            "resources": {"type": "object", "additionalProperties": False,
                                                          "properties": {"requests": _RESOURCE_LIST, "limits": _RESOURCE_LIST}},
                                            "inheritedMetadata": {"type": "object", "additionalProperties": False,
                                                                  "properties": {"labels": _STRING_MAP,
                                                                                 "annotations": _STRING_MAP}}}}}},
}


# The Flagger (flagger.app/v1beta1) and Argo Rollouts (argoproj.io/v1alpha1) fields the chart renders, from
# the controllers' documented specs: Flagger's Canary (targetRef, autoscalerRef, service with its Istio
# fields, analysis with metrics and webhooks) and MetricTemplate (provider, query); Argo Rollouts' Rollout
# (spec.strategy.canary with canaryService, stableService, trafficRouting.istio and steps) and
# AnalysisTemplate (args, metrics with the job provider). No Python package ships these CRDs' schemas or
# models (PyPI has no cloudcoil models for either, checked with `pip index versions`); this keeps unknown
# or misspelt fields out. The pod template of a Rollout and the Job spec of an AnalysisTemplate are the
# Kubernetes types and are validated as a Deployment and a Job by kubernetes-validate (validate_progressive).
def _obj(properties, required=()):
    return {"type": "object", "additionalProperties": False, "properties": properties, "required": list(required)}


_STR = {"type": "string", "minLength": 1}
_NAME = {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 253}
_INT_OR_STR = {"type": ["integer", "string"]}
_LABELS = _obj({"labels": _STRING_MAP, "annotations": _STRING_MAP})
_REF = _obj({"apiVersion": _STR, "kind": _STR, "name": _NAME}, ["apiVersion", "kind", "name"])
_ARGO_DURATION = {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": r"^[0-9]+(s|m|h)?$"}]}


def _top(api_version, kind, spec):
    return _obj({"apiVersion": {"const": api_version}, "kind": {"const": kind}, "metadata": _META, "spec": spec},
                ["apiVersion", "kind", "metadata", "spec"])


PROGRESSIVE_SCHEMAS = {
    "Canary": _top("flagger.app/v1beta1", "Canary", _obj({
        "targetRef": {**_REF, "properties": {**_REF["properties"], "kind": {"enum": ["Deployment", "DaemonSet", "Service"]}}},
        "autoscalerRef": {**_REF, "properties": {**_REF["properties"],
                                                 "kind": {"enum": ["HorizontalPodAutoscaler", "ScaledObject"]}}},
        "progressDeadlineSeconds": {"type": "integer", "minimum": 1},
        "service": _obj({
            "name": _NAME, "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "targetPort": _INT_OR_STR, "portName": _STR, "gateways": {"type": "array", "items": _STR},
            "hosts": {"type": "array", "items": _STR},
            "trafficPolicy": {"type": "object"},  # Istio's TrafficPolicy: checked with the Istio model
            "timeout": _DURATION,
            "retries": _obj({"attempts": {"type": "integer", "minimum": 0}, "perTryTimeout": _DURATION,
                             "retryOn": _STR}),
            "apex": _LABELS, "primary": _LABELS, "canary": _LABELS}, ["port"]),
        "analysis": _obj({
            "interval": _DURATION, "threshold": {"type": "integer", "minimum": 1},
            "maxWeight": {"type": "integer", "minimum": 1, "maximum": 100},
            "stepWeight": {"type": "integer", "minimum": 1, "maximum": 100},
            "metrics": {"type": "array", "items": _obj({
                "name": _STR, "interval": _DURATION,
                "templateRef": _obj({"name": _NAME, "namespace": _NAME}, ["name"]),
                "thresholdRange": _obj({"min": {"type": "number"}, "max": {"type": "number"}})}, ["name"])},
            "webhooks": {"type": "array", "items": _obj({
                "name": _STR, "url": {"type": "string", "pattern": "^https?://"}, "timeout": _DURATION,
                "type": {"enum": ["confirm-rollout", "pre-rollout", "rollout", "confirm-traffic-increase",
                                  "confirm-promotion", "post-rollout", "rollback", "event"]},
                "metadata": _STRING_MAP}, ["name", "url"])}},
            ["interval", "threshold"])}, ["targetRef", "service", "analysis"])),
    "MetricTemplate": _top("flagger.app/v1beta1", "MetricTemplate", _obj({
        "provider": _obj({"type": {"enum": ["prometheus", "datadog", "cloudwatch", "newrelic", "graphite",
                                            "stackdriver", "influxdb", "dynatrace", "keptn", "splunk"]},
                          "address": {"type": "string", "pattern": "^https?://"}}, ["type"]),
        "query": _STR}, ["provider", "query"])),
    "Rollout": _top("argoproj.io/v1alpha1", "Rollout", _obj({
        "replicas": {"type": "integer", "minimum": 0}, "revisionHistoryLimit": {"type": "integer", "minimum": 0},
        "minReadySeconds": {"type": "integer", "minimum": 0}, "progressDeadlineSeconds": {"type": "integer", "minimum": 1},
        "selector": _obj({"matchLabels": _STRING_MAP}, ["matchLabels"]),
        "template": {"type": "object"},  # a PodTemplateSpec: validated by kubernetes-validate
        "strategy": _obj({"canary": _obj({
            "canaryService": _NAME, "stableService": _NAME, "maxUnavailable": _INT_OR_STR, "maxSurge": _INT_OR_STR,
            "trafficRouting": _obj({"istio": _obj({
                "virtualServices": {"type": "array", "minItems": 1, "items": _obj(
                    {"name": _NAME, "routes": {"type": "array", "items": _STR}}, ["name"])},
                "destinationRule": _obj({"name": _NAME, "canarySubsetName": _STR, "stableSubsetName": _STR},
                                        ["name", "canarySubsetName", "stableSubsetName"])})}),
            "steps": {"type": "array", "items": {"oneOf": [
                _obj({"setWeight": {"type": "integer", "minimum": 0, "maximum": 100}}, ["setWeight"]),
                _obj({"pause": _obj({"duration": _ARGO_DURATION})}, ["pause"]),
                _obj({"analysis": _obj({
                    "templates": {"type": "array", "minItems": 1, "items": _obj({"templateName": _NAME}, ["templateName"])},
                    "args": {"type": "array", "items": _obj({"name": _STR, "value": {"type": "string"}}, ["name"])}},
                    ["templates"])}, ["analysis"])]}}})}, ["canary"])},
        ["selector", "template", "strategy"])),
    "AnalysisTemplate": _top("argoproj.io/v1alpha1", "AnalysisTemplate", _obj({
        "args": {"type": "array", "items": _obj({"name": _STR, "value": {"type": "string"}}, ["name"])},
        "metrics": {"type": "array", "minItems": 1, "items": _obj({
            "name": _STR, "count": {"type": "integer", "minimum": 0}, "failureLimit": {"type": "integer"},
            "interval": _ARGO_DURATION,
            "provider": _obj({"job": _obj({"metadata": _LABELS, "spec": {"type": "object"}}, ["spec"])})},
            ["name", "provider"])}}, ["metrics"])),
}


def validate_progressive(doc, kube_version):
    """A Flagger or Argo Rollouts object: its schema above, and the Kubernetes and Istio types it embeds."""
    jsonschema.validate(doc, PROGRESSIVE_SCHEMAS[doc["kind"]])
    meta = {"name": doc["metadata"]["name"], "namespace": doc["metadata"]["namespace"]}
    if doc["kind"] == "Rollout":
        chartlib.kubernetes_validate({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": {
            "selector": doc["spec"]["selector"], "template": doc["spec"]["template"]}}, kube_version)
    elif doc["kind"] == "AnalysisTemplate":
        for metric in doc["spec"]["metrics"]:
            chartlib.kubernetes_validate({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
                                          "spec": metric["provider"]["job"]["spec"]}, kube_version)
    elif doc["kind"] == "Canary":
        chartlib.validate_crd({"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": meta,
                               "spec": {"host": doc["spec"]["service"]["name"],
                                        "trafficPolicy": doc["spec"]["service"]["trafficPolicy"]}})


def validate_gateway_api(doc):
    jsonschema.validate(doc, GATEWAY_API_SCHEMAS[doc["kind"]])


def validate_cnpg(doc):
    jsonschema.validate(doc, CNPG_SCHEMAS[doc["kind"]])


def validate_object(doc, kube_version):
    """Validates one rendered object by the validator that knows its kind; returns the validator's name."""
    group = doc["apiVersion"].split("/")[0] if "/" in doc["apiVersion"] else ""
    if group == "gateway.networking.k8s.io":
        validate_gateway_api(doc)
        return "gateway-api"
    if group == "postgresql.cnpg.io":
        validate_cnpg(doc)
        return "cnpg"
    if group in ("flagger.app", "argoproj.io"):
        validate_progressive(doc, kube_version)
        return "progressive"
    if group.endswith("istio.io") or group == "monitoring.coreos.com":
        chartlib.validate_crd(doc)
        return "crd-model"
    chartlib.kubernetes_validate(doc, kube_version)
    return "kubernetes"


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("values_file", VALUE_FILES)
def test_rendering_validates(values_file, kube_version):
    docs = render(values_file, kube_version=kube_version)
    assert docs, "nothing rendered"
    failures = []
    for doc in docs:
        try:
            validate_object(doc, kube_version)
        except Exception as error:  # collect all, report together
            failures.append(f"{doc['kind']} {doc['metadata']['name']}: {type(error).__name__}: {error}"[:600])
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("values_file", VALUE_FILES)
def test_helm_4_renders_what_helm_3_renders(values_file):
    assert render(values_file, helm=HELM4) == render(values_file, helm=HELM3)


def test_the_matrix_covers_every_kind_the_chart_can_render():
    kinds = {(d["apiVersion"], d["kind"]) for f in VALUE_FILES for d in render(f)}
    expected = {
        ("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"), ("v1", "Service"), ("v1", "ServiceAccount"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"), ("policy/v1", "PodDisruptionBudget"),
        ("networking.k8s.io/v1", "NetworkPolicy"), ("batch/v1", "Job"), ("v1", "Pod"), ("v1", "ConfigMap"),
        ("networking.istio.io/v1", "Gateway"), ("networking.istio.io/v1", "VirtualService"),
        ("networking.istio.io/v1", "DestinationRule"), ("security.istio.io/v1", "PeerAuthentication"),
        ("security.istio.io/v1", "AuthorizationPolicy"), ("gateway.networking.k8s.io/v1", "Gateway"),
        ("gateway.networking.k8s.io/v1", "HTTPRoute"), ("monitoring.coreos.com/v1", "ServiceMonitor"),
        ("monitoring.coreos.com/v1", "PrometheusRule"), ("v1", "Secret"), ("postgresql.cnpg.io/v1", "Cluster"),
        ("flagger.app/v1beta1", "Canary"), ("flagger.app/v1beta1", "MetricTemplate"),
        ("argoproj.io/v1alpha1", "Rollout"), ("argoproj.io/v1alpha1", "AnalysisTemplate"),
    }
    assert kinds == expected


# --- the validators themselves reject what they should ------------------------------------------

def _one(kind, values_file="canary-10.yaml"):
    return copy.deepcopy(next(d for d in render(values_file) if d["kind"] == kind))


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_kubernetes_validate_rejects_an_unknown_field(kube_version):
    deployment = _one("Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(Exception, match="readinessProbes"):
        chartlib.kubernetes_validate(deployment, kube_version)


def test_kubernetes_validate_knows_no_crd():
    with pytest.raises(chartlib.schema_not_found_error()):
        chartlib.kubernetes_validate(_one("VirtualService"), "1.33.0")


def test_istio_model_rejects_an_unknown_field():
    virtual_service = _one("VirtualService")
    virtual_service["spec"]["http"][0]["retry"] = {"attempts": 3}
    with pytest.raises(ValueError, match="retry: unknown field"):
        chartlib.validate_crd(virtual_service)


def test_istio_model_rejects_a_wrong_type():
    destination_rule = _one("DestinationRule")
    destination_rule["spec"]["trafficPolicy"]["outlierDetection"]["interval"] = 10
    with pytest.raises(Exception, match="interval"):
        chartlib.validate_crd(destination_rule)


def test_istio_model_rejects_an_unknown_enum_value():
    peer_authentication = _one("PeerAuthentication")
    peer_authentication["spec"]["mtls"]["mode"] = "STRICTEST"
    with pytest.raises(Exception, match="mode"):
        chartlib.validate_crd(peer_authentication)


def test_gateway_api_schema_rejects_an_unknown_field():
    route = copy.deepcopy(next(d for d in render("gateway-api.yaml") if d["kind"] == "HTTPRoute"))
    route["spec"]["rules"][0]["backendRefs"][0]["weigth"] = 5
    with pytest.raises(jsonschema.ValidationError):
        validate_gateway_api(route)


@pytest.mark.parametrize("mutation", [
    lambda spec: spec.update(instance=3),  # misspelt
    lambda spec: spec["bootstrap"]["initdb"].update(ownr="skalar"),
    lambda spec: spec["storage"].update(size=10),  # a number, not a quantity
    lambda spec: spec.update(instances=0),
])
def test_cnpg_schema_rejects_what_the_operator_would(mutation):
    cluster = copy.deepcopy(next(d for d in render("postgresql-cnpg.yaml") if d["kind"] == "Cluster"))
    validate_cnpg(cluster)
    mutation(cluster["spec"])
    with pytest.raises(jsonschema.ValidationError):
        validate_cnpg(cluster)
