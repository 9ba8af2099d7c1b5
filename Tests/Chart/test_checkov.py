"""checkov on the chart (`--framework helm`, default values) and on every rendering of the value-file
matrix (`--framework kubernetes`): nothing fails, and every skip is one of the justified ones, with its
reason written next to the object in the template (a `checkov.io/skipN: CHECK=reason` annotation)."""

import json
import os
from pathlib import Path

import pytest

import chartlib
from chartlib import CHART, VALUE_FILES, run

# The only checks the chart skips, each justified where it is skipped.
JUSTIFIED = {
    "CKV_K8S_43": "images by tag: the tutorial's interface; *.image.digest pins a digest",
    "CKV_K8S_15": "IfNotPresent: images built into minikube's or kind's own store",
    "CKV_K8S_8": "no liveness probe on run-to-completion pods (loadgen Job, helm test pods)",
    "CKV_K8S_9": "no readiness probe on run-to-completion pods",
    "CKV_K8S_21": "the namespace is the release's; the tutorial installs into default",
    "CKV_K8S_35": "PGPASSWORD: libpq's own variable, filled from the Secret by reference",
    "CKV_K8S_40": "uid 999: the official postgres image's own user, which owns the data",
}


def checkov(*args):
    env = {**os.environ, "PATH": f"{Path(chartlib.HELM3).parent}:{os.environ['PATH']}",
           "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    result = run([str(Path(chartlib.ROOT, ".venv-test", "bin", "checkov")), *args, "--compact",
                  "--skip-download", "--output", "json"], env=env)
    assert result.stdout.strip(), result.stderr[-2000:]
    reports = json.loads(result.stdout)
    return result.returncode, reports if isinstance(reports, list) else [reports]


def assert_clean(returncode, reports, framework):
    [report] = [r for r in reports if r.get("check_type") == framework]
    summary = report["summary"]
    failed = [f"{c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']})"
              for c in report["results"]["failed_checks"]]
    assert not failed, "\n".join(failed)
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 100
    for skipped in report["results"]["skipped_checks"]:
        assert skipped["check_id"] in JUSTIFIED, skipped["check_id"]
        assert len(skipped["check_result"].get("suppress_comment", "")) > 20, skipped
    assert returncode == 0


@pytest.fixture(scope="module")
def helm_report():
    return checkov("--directory", str(CHART), "--framework", "helm")


def test_checkov_helm_framework_passes(helm_report):
    assert_clean(*helm_report, "helm")


def test_checkov_on_every_rendering_passes(tmp_path):
    for values_file in VALUE_FILES:
        (tmp_path / values_file).write_text(chartlib.render_text(values_file))
    assert_clean(*checkov("--directory", str(tmp_path), "--framework", "kubernetes"), "kubernetes")


def test_checkov_would_catch_a_weakened_pod(tmp_path):
    """The scan can fail: the default rendering with one container made privileged is reported."""
    text = chartlib.render_text().replace("privileged: false", "privileged: true", 1)
    (tmp_path / "weak.yaml").write_text(text)
    returncode, reports = checkov("--directory", str(tmp_path), "--framework", "kubernetes")
    [report] = reports
    assert returncode != 0
    assert "CKV_K8S_16" in {c["check_id"] for c in report["results"]["failed_checks"]}
