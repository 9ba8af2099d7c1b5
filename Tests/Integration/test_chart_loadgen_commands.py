"""Every loadgen command line the chart renders is one the real loadgen accepts: the Job's arguments,
Argo Rollouts' analysis Job, and Flagger's webhook commands, which `loadgen serve` must take as they
are. A flag the chart spells differently from loadgen would otherwise only fail on a cluster."""

import json
import shlex
import sys

import pytest

from conftest import ROOT, free_port

sys.path.insert(0, str(ROOT / "Tests" / "Chart"))
import chartlib  # noqa: E402

DEAD = f"http://127.0.0.1:{free_port()}"  # nothing listens: every request is a connect error


def with_dead_targets(args):
    """The rendered arguments with their cluster URLs pointed at a closed loopback port, bounded."""
    return [DEAD + "/" if arg.startswith("http://") else arg for arg in args] + ["--requests", "3", "--timeout", "1s"]


def rendered(values_file):
    return chartlib.manifests(values_file)


@pytest.mark.parametrize("values_file, kind", [("canary-10.yaml", "Job"), ("argo-rollouts.yaml", "AnalysisTemplate")])
def test_the_charts_loadgen_arguments_parse(values_file, kind, tmp_path):
    import subprocess

    from conftest import BIN_DIR

    documents = rendered(values_file).of_kind(kind)
    assert documents, f"{values_file} renders no {kind}"
    for document in documents:
        if kind == "Job":
            containers = document["spec"]["template"]["spec"]["containers"]
        else:
            containers = [c for metric in document["spec"]["metrics"]
                          for c in metric["provider"]["job"]["spec"]["template"]["spec"]["containers"]]
        for container in containers:
            args = with_dead_targets(container.get("args", []))
            result = subprocess.run([str(BIN_DIR / "loadgen"), *args, "--quiet"], capture_output=True, text=True,
                                    timeout=60)
            # 1: the gates failed on the dead target; 2 would be a usage error.
            assert result.returncode == 1, (container.get("args"), result.stderr)


def test_flaggers_webhook_commands_are_accepted_by_loadgen_serve(start_service):
    [canary] = rendered("flagger.yaml").of_kind("Canary")
    webhooks = canary["spec"]["analysis"]["webhooks"]
    assert webhooks
    service = start_service("loadgen", args=["serve"], ADMIN_PORT="0")
    for hook in webhooks:
        words = shlex.split(hook["metadata"]["cmd"])
        assert words[0] == "loadgen"
        command = shlex.join(with_dead_targets(words[1:]))
        body = {"name": canary["metadata"]["name"], "namespace": "demo", "phase": "Progressing",
                "metadata": {**hook["metadata"], "type": "gate", "cmd": command}}
        response, data = service.request("POST", "/", body=json.dumps(body), timeout=60)
        answer = json.loads(data)
        assert response.status == 412 and answer["outcome"] == "fail", (hook["name"], answer)
