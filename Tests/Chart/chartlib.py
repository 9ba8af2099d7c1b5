"""Helpers of the chart tests: the tools, rendering with Helm, and validating what was rendered."""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path
from typing import Any, Iterator

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm-charts" / "my-app"
VALUES_DIR = Path(__file__).resolve().parent / "values"
TOOLS = ROOT / ".build-tools"

HELM3 = os.environ.get("SKALAR_HELM3", str(TOOLS / "helm-v3.19.0" / "helm"))
HELM4 = os.environ.get("SKALAR_HELM4", str(TOOLS / "helm-v4.1.4" / "helm"))
HELMS = {"helm3": HELM3, "helm4": HELM4}

RELEASE = "my-app"
NAMESPACE = "skalar-test"
KUBE_VERSIONS = ("1.29.0", "1.33.0")

# The value files of the matrix (Tests/Chart/values/*.yaml).
VALUE_FILES = sorted(p.name for p in VALUES_DIR.glob("*.yaml"))

# Renderings that assume a cluster with the Prometheus Operator's CRDs.
PROMETHEUS_OPERATOR_APIS = (
    "monitoring.coreos.com/v1/ServiceMonitor",
    "monitoring.coreos.com/v1/PrometheusRule",
)
API_VERSIONS = {"production.yaml": PROMETHEUS_OPERATOR_APIS}


class RenderError(Exception):
    """helm template failed; the message is Helm's stderr."""


def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, **kwargs)


def helm_template_argv(
    helm: str = HELM3,
    values_file: str | None = None,
    kube_version: str = KUBE_VERSIONS[-1],
    sets: tuple[str, ...] = (),
    api_versions: tuple[str, ...] = (),
    extra: tuple[str, ...] = (),
) -> list[str]:
    argv = [helm, "template", RELEASE, str(CHART), "--namespace", NAMESPACE, "--kube-version", kube_version]
    if values_file:
        argv += ["-f", str(VALUES_DIR / values_file)]
    for api in api_versions:
        argv += ["--api-versions", api]
    for item in sets:
        argv += ["--set", item]
    return argv + list(extra)


@functools.lru_cache(maxsize=None)
def render_text(
    values_file: str | None = None,
    kube_version: str = KUBE_VERSIONS[-1],
    helm: str = HELM3,
    sets: tuple[str, ...] = (),
    api_versions: tuple[str, ...] | None = None,
    extra: tuple[str, ...] = (),
) -> str:
    if api_versions is None:
        api_versions = API_VERSIONS.get(values_file or "", ())
    result = run(helm_template_argv(helm, values_file, kube_version, sets, api_versions, extra))
    if result.returncode != 0:
        raise RenderError(result.stderr.strip())
    return result.stdout


def render(values_file: str | None = None, kube_version: str = KUBE_VERSIONS[-1], helm: str = HELM3,
           sets: tuple[str, ...] = (), api_versions: tuple[str, ...] | None = None,
           extra: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The rendered manifests as a list of objects (fresh copies, safe to modify)."""
    text = render_text(values_file, kube_version, helm, tuple(sets), api_versions, tuple(extra))
    return [doc for doc in yaml.safe_load_all(text) if doc]


class Manifests:
    """Rendered objects with look-ups by kind and name."""

    def __init__(self, docs: list[dict[str, Any]]):
        self.docs = docs

    def of_kind(self, kind: str, api_group: str | None = None) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] == kind
                and (api_group is None or d["apiVersion"].split("/")[0] == api_group)]

    def get(self, kind: str, name: str, api_group: str | None = None) -> dict[str, Any]:
        found = [d for d in self.of_kind(kind, api_group) if d["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
        return found[0]

    def find(self, kind: str, name: str) -> dict[str, Any] | None:
        found = [d for d in self.of_kind(kind) if d["metadata"]["name"] == name]
        return found[0] if found else None

    def workloads(self) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] in ("Deployment", "StatefulSet", "Job", "Pod", "Rollout")]


def manifests(values_file: str | None = None, **kwargs: Any) -> Manifests:
    return Manifests(render(values_file, **kwargs))


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"] if obj["kind"] == "Pod" else obj["spec"]["template"]["spec"]


def pod_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["metadata"] if obj["kind"] == "Pod" else obj["spec"]["template"]["metadata"]


def containers(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = pod_spec(obj)
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    """Whether a matchLabels-style selector selects an object with these labels."""
    return all(labels.get(k) == v for k, v in selector.items())


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def seconds(duration: str) -> float:
    """'15s', '500ms', '1m' → seconds."""
    for suffix, factor in (("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)):
        if duration.endswith(suffix) and duration[: -len(suffix)].replace(".", "", 1).isdigit():
            return float(duration[: -len(suffix)]) * factor
    raise ValueError(duration)


# --- validation ---------------------------------------------------------------------------------

def _cached_kubernetes_validate():
    import kubernetes_validate.utils as utils

    if not hasattr(utils.schema_contents, "cache_info"):
        utils.schema_contents = functools.lru_cache(maxsize=None)(utils.schema_contents)
    return utils


def kubernetes_validate(doc: dict[str, Any], kube_version: str) -> None:
    """kubernetes-validate --strict: raises ValidationError, or SchemaNotFoundError for a CRD kind."""
    _cached_kubernetes_validate().validate(doc, kube_version, strict=True)


def schema_not_found_error() -> type[Exception]:
    return _cached_kubernetes_validate().SchemaNotFoundError


def _unknown_fields(given: Any, kept: Any, path: str = "") -> list[str]:
    """Paths present in `given` but dropped by the model (pydantic ignores unknown fields)."""
    problems: list[str] = []
    if isinstance(given, dict):
        if not isinstance(kept, dict):
            return [f"{path or '/'}: became {type(kept).__name__}"]
        for key, value in given.items():
            if key not in kept:
                problems.append(f"{path}/{key}: unknown field")
            else:
                problems += _unknown_fields(value, kept[key], f"{path}/{key}")
    elif isinstance(given, list):
        if not isinstance(kept, list) or len(kept) != len(given):
            return [f"{path}: list changed"]
        for i, (a, b) in enumerate(zip(given, kept)):
            problems += _unknown_fields(a, b, f"{path}/{i}")
    return problems


def crd_model(doc: dict[str, Any]):
    """The cloudcoil pydantic model of an Istio or Prometheus Operator kind, or None."""
    group, version = doc["apiVersion"].split("/")
    if group == "networking.istio.io":
        from cloudcoil.models.istio import networking as package
    elif group == "security.istio.io":
        from cloudcoil.models.istio import security as package
    elif group == "monitoring.coreos.com":
        from cloudcoil.models import prometheus_operator as package
    else:
        return None
    import importlib

    module = importlib.import_module(f"{package.__name__}.{version}")
    return getattr(module, doc["kind"])


def validate_crd(doc: dict[str, Any]) -> None:
    """Validates an Istio or Prometheus Operator object with its pydantic model, strictly: an unknown
    field (which pydantic would drop silently) is an error too."""
    model = crd_model(doc)
    if model is None:
        raise LookupError(f"no model for {doc['apiVersion']} {doc['kind']}")
    parsed = model.model_validate(doc)
    kept = parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)
    problems = _unknown_fields(doc, kept)
    if problems:
        raise ValueError(f"{doc['kind']} {doc['metadata']['name']}: " + "; ".join(problems))


def shutil_copytree(source: Path, target: Path) -> None:
    import shutil

    shutil.copytree(source, target)
