"""Every command quoted in the READMEs that names something of the chart uses a name the chart really
renders: kubectl's objects (`deployment/...`, `svc/...`, `kubectl get hpa NAME`, `-l` selectors, `-c`
containers, namespaces), helm's release, chart path and `--set` keys (and the chart must render with
them), the Service hosts in URLs, the gateway host in `--host` / `Host:`, image names and Dockerfile
targets, and the istio-configs/ files passed to `kubectl apply -f`."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

import chartlib
import values_doc
from chartlib import CHART, ROOT, pod_metadata, pod_spec, selects

READMES = ["README.md", "istio-configs/README.md", "helm-charts/my-app/README.md"]
TUTORIAL_HEADING = "## Tutorial: Skalar on Kubernetes with Helm and Istio"

TOOLS = ("kubectl", "helm", "docker", "podman", "kind", "minikube", "istioctl", "loadgen", "curl", "wget",
         ".build/release/loadgen", ".build/debug/loadgen")
SHELL_BLOCKS = {"", "bash", "sh", "shell", "console"}

KINDS = {
    "Deployment": ("deployment", "deployments", "deploy"),
    "StatefulSet": ("statefulset", "statefulsets", "sts"),
    "Service": ("service", "services", "svc"),
    "Pod": ("pod", "pods", "po"),
    "Job": ("job", "jobs"),
    "HorizontalPodAutoscaler": ("hpa", "horizontalpodautoscaler", "horizontalpodautoscalers"),
    "ConfigMap": ("configmap", "configmaps", "cm"),
    "PersistentVolumeClaim": ("pvc", "pvcs", "persistentvolumeclaim", "persistentvolumeclaims"),
    "ServiceAccount": ("sa", "serviceaccount", "serviceaccounts"),
    "PodDisruptionBudget": ("pdb", "poddisruptionbudget", "poddisruptionbudgets"),
    "NetworkPolicy": ("netpol", "networkpolicy", "networkpolicies"),
    "VirtualService": ("vs", "virtualservice", "virtualservices"),
    "DestinationRule": ("dr", "destinationrule", "destinationrules"),
    "Gateway": ("gw", "gateway", "gateways"),
    "PeerAuthentication": ("pa", "peerauthentication", "peerauthentications"),
    "AuthorizationPolicy": ("authorizationpolicy", "authorizationpolicies"),
    "HTTPRoute": ("httproute", "httproutes"),
    "Cluster": ("clusters.postgresql.cnpg.io", "cluster.postgresql.cnpg.io"),
    "Canary": ("canary", "canaries", "canaries.flagger.app", "canary.flagger.app"),
    "MetricTemplate": ("metrictemplate", "metrictemplates", "metrictemplates.flagger.app"),
    "Rollout": ("rollout", "rollouts", "rollouts.argoproj.io", "ro"),
    "AnalysisTemplate": ("analysistemplate", "analysistemplates", "analysistemplates.argoproj.io"),
}
KIND_OF = {alias: kind for kind, aliases in KINDS.items() for alias in aliases}
# Kinds whose objects are not the chart's (a command may name them without a check).
OTHER_KINDS = {"namespace", "namespaces", "ns", "node", "nodes", "no", "events", "event", "crd", "crds",
               "replicaset", "replicasets", "rs", "endpoints", "ep", "endpointslices"}

# Objects of Istio, its addons and the cluster that the tutorial names: (kind, name) → namespace.
EXTERNAL = {
    ("Service", "istio-ingressgateway"): "istio-system",
    ("Deployment", "istio-ingressgateway"): "istio-system",
    ("Deployment", "istiod"): "istio-system",
    ("Deployment", "prometheus"): "istio-system",
    ("Service", "prometheus"): "istio-system",
    ("Deployment", "grafana"): "istio-system",
    ("Service", "grafana"): "istio-system",
    ("Deployment", "kiali"): "istio-system",
    ("Service", "kiali"): "istio-system",
    ("Deployment", "metrics-server"): "kube-system",
}
SYSTEM_NAMESPACES = {"istio-system", "kube-system"}

# kubectl flags that take a value (the next word unless written with `=`).
KUBECTL_VALUE_FLAGS = {"-n", "--namespace", "-l", "--selector", "-c", "--container", "-o", "--output", "-f",
                       "--filename", "-p", "--patch", "--type", "--image", "--for", "--timeout", "--since",
                       "--tail", "-L", "--label-columns", "--annotations", "--restart", "--overrides",
                       "--image-pull-policy", "--max-log-requests", "--field-selector", "--context", "--replicas",
                       "--env", "--labels", "--port", "--address"}
HELM_VALUE_FLAGS = {"-n", "--namespace", "--set", "--set-string", "--set-json", "--set-file", "-f", "--values",
                    "--version", "--timeout", "-o", "--output", "--kube-version", "--api-versions", "--revision"}


# --- reading the markdown ---------------------------------------------------------------------------

def commands(markdown: str) -> list[tuple[int, str]]:
    """(line, command) of every shell line in fenced shell blocks and of every inline code span that
    starts with a tool; continuation lines joined, `$ ` prompts dropped."""
    found = []
    lines = markdown.splitlines()
    fence = None
    pending, start = "", 0
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("```"):
            if fence is None:
                fence = stripped[3:].strip().lower()
            else:
                fence = None
            continue
        if fence is not None:
            if fence not in SHELL_BLOCKS:
                continue
            text = stripped[2:] if stripped.startswith("$ ") else stripped
            if not pending:
                start = number
            if text.endswith("\\"):
                pending += text[:-1] + " "
                continue
            text, pending = pending + text, ""
            if text and not text.startswith("#"):
                found.append((start, text))
            continue
        for span in re.findall(r"`([^`]+)`", line):
            # A command, not a mention such as `helm template`: a tool and at least two more words.
            if span.split(" ", 1)[0] in TOOLS and len(span.split()) >= 3:
                found.append((number, span))
    return found


def words(command: str) -> list[list[str]]:
    """The simple commands of a shell line, as word lists (split at pipes, `&&`, `;`, parentheses)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError as error:
        raise AssertionError(f"cannot parse {command!r}: {error}") from None
    parts, current = [], []
    for token in tokens:
        if token and set(token) <= set("|&;()<>"):
            if current:
                parts.append(current)
            current = []
        else:
            current.append(token)
    if current:
        parts.append(current)
    return parts


def options(argv: list[str], value_flags: set[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """(positional words, [(flag, value)]) of a command line; everything after `--` is positional."""
    positional, flags = [], []
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            positional.append("--")
            positional += argv[i + 1:]
            break
        if word.startswith("-") and len(word) > 1:
            if "=" in word:
                flag, value = word.split("=", 1)
                flags.append((flag, value))
            elif word in value_flags and i + 1 < len(argv):
                flags.append((word, argv[i + 1]))
                i += 1
            else:
                flags.append((word, ""))
        else:
            positional.append(word)
        i += 1
    return positional, flags


# --- what the chart renders -------------------------------------------------------------------------

class Chart:
    """Names the chart renders, in the tutorial's namespace `default`, over the options the READMEs use."""

    def __init__(self):
        variants = [(), ("frontend.canary.enabled=true", "loadgen.enabled=true", "grafanaDashboard.enabled=true"),
                    ("gatewayAPI.enabled=true", "frontend.canary.enabled=true"),
                    ("backend.database.engine=postgresql", "postgresql.bundled.enabled=true",
                     "postgresql.bundled.password=pw"),
                    ("backend.database.engine=postgresql", "postgresql.cnpg.enabled=true"),
                    ("progressiveDelivery.flagger.enabled=true",), ("progressiveDelivery.argoRollouts.enabled=true",)]
        docs = [d for sets in variants for d in chartlib.render(sets=sets, extra=("--namespace", "default"))]
        self.objects = {(d["kind"], d["metadata"]["name"]) for d in docs}
        self.workloads = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet", "Job", "Pod", "Rollout")]
        for sts in (d for d in docs if d["kind"] == "StatefulSet"):
            name = sts["metadata"]["name"]
            for i in range(sts["spec"]["replicas"]):
                self.objects.add(("Pod", f"{name}-{i}"))
                for claim in sts["spec"].get("volumeClaimTemplates", []):
                    self.objects.add(("PersistentVolumeClaim", f"{claim['metadata']['name']}-{name}-{i}"))
        self.jobs = [re.sub(r"-1$", r"-[0-9]+", name) for kind, name in self.objects if kind == "Job"]
        self.containers = {c["name"] for w in self.workloads for c in pod_spec(w)["containers"]} | {"istio-proxy"}
        self.hosts = {h for d in docs if d["kind"] == "Gateway" and d["apiVersion"].startswith("networking.istio.io")
                      for server in d["spec"]["servers"] for h in server["hosts"]}
        self.images = {c["image"].split("@")[0].rsplit(":", 1)[0] for w in self.workloads
                       for c in pod_spec(w).get("initContainers", []) + pod_spec(w)["containers"]}
        self.value_keys = {k.path for k in values_doc.parse()}
        dockerfile = (ROOT / "docker" / "Dockerfile")
        self.targets = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile.read_text(), re.M | re.I)) \
            if dockerfile.exists() else set()

    def has(self, kind, name):
        if (kind, name) in self.objects:
            return True
        return kind == "Job" and any(re.fullmatch(pattern, name) for pattern in self.jobs)


def check(markdown: str, chart: Chart) -> tuple[list[str], int]:
    """(problems, number of commands checked) of one markdown text."""
    problems: list[str] = []
    checked = 0
    created = {("Pod", name) for _, command in commands(markdown) for argv in words(command)
               if argv[:2] == ["kubectl", "run"] for name in options(argv[2:], KUBECTL_VALUE_FLAGS)[0][:1]}
    kind_clusters = {value for _, command in commands(markdown) for argv in words(command)
                     if argv[:3] == ["kind", "create", "cluster"]
                     for flag, value in options(argv[3:], {"--name"})[1] if flag == "--name"}
    for line, command in commands(markdown):
        for argv in words(command):
            where = f"line {line}: {' '.join(argv)}"
            tool = argv[0]
            if tool == "kubectl":
                _kubectl(argv[1:], chart, created, problems, where)
            elif tool == "helm":
                _helm(argv[1:], chart, problems, where)
            elif tool in ("docker", "podman"):
                _docker(argv[1:], chart, problems, where)
            elif tool == "kind":
                _kind(argv[1:], chart, kind_clusters, problems, where)
            elif tool.endswith("loadgen") or tool in ("curl", "wget"):
                pass
            else:
                continue
            _urls_and_hosts(argv, chart, problems, where)
            checked += 1
    return problems, checked


def _object(kind_word, name, namespace, chart, created, problems, where):
    kind = KIND_OF.get(kind_word.lower())
    if kind is None:
        if kind_word.lower() not in OTHER_KINDS:
            problems.append(f"{where}: unknown kind {kind_word}")
        return
    if (kind, name) in EXTERNAL:
        if namespace != EXTERNAL[(kind, name)]:
            problems.append(f"{where}: {kind} {name} lives in {EXTERNAL[(kind, name)]}, not {namespace}")
        return
    if (kind, name) in created:
        return
    if not chart.has(kind, name):
        problems.append(f"{where}: the chart renders no {kind} {name}")
    elif namespace in SYSTEM_NAMESPACES:
        problems.append(f"{where}: {kind} {name} is in the release's namespace, not {namespace}")


def _kubectl(argv, chart, created, problems, where):
    # `kubectl logs -f` follows and `-p` shows the previous container; elsewhere they take a file, a patch.
    first = options(argv, {"-n", "--namespace", "--context"})[0]
    value_flags = KUBECTL_VALUE_FLAGS - {"-f", "-p"} if first[:1] == ["logs"] else KUBECTL_VALUE_FLAGS
    positional, flags = options(argv, value_flags)
    flag = dict(flags)
    namespace = flag.get("-n", flag.get("--namespace", "default"))
    if "-A" in flag or "--all-namespaces" in flag:
        namespace = None
    if "--" in positional:
        positional = positional[:positional.index("--")]
    if not positional:
        return
    verb, rest = positional[0], positional[1:]
    if verb == "rollout" and rest:
        rest = rest[1:]
    if verb == "argo" and rest[:1] == ["rollouts"]:
        # The Argo Rollouts plugin: `kubectl argo rollouts get rollout NAME`, `... promote NAME`.
        words = rest[2:]
        rest = ["rollout", *(words[1:] if words[:1] == ["rollout"] else words)]
        verb = "get"
    if verb in ("run", "create", "apply", "config", "version", "cluster-info", "top", "api-resources"):
        rest = []
    for selector in (v for f, v in flags if f in ("-l", "--selector")):
        wanted = dict(item.split("=", 1) for item in selector.split(",") if "=" in item)
        if not any(selects(wanted, pod_metadata(w)["labels"]) for w in chart.workloads):
            problems.append(f"{where}: the selector {selector} selects none of the chart's pods")
    for container in (v for f, v in flags if f in ("-c", "--container")):
        if container not in chart.containers:
            problems.append(f"{where}: no container {container} in the chart's pods")
    for path in (v for f, v in flags if f in ("-f", "--filename")):
        if path == "-" or path.startswith(("http://", "https://", "$")):
            continue
        if not (ROOT / path).exists():
            problems.append(f"{where}: {path} does not exist")
    for image in (v for f, v in flags if f == "--image"):
        if image.rsplit(":", 1)[0] not in chart.images:
            problems.append(f"{where}: image {image} is none of the chart's images {sorted(chart.images)}")
    if namespace is None:
        return
    names = [w for w in rest if not re.fullmatch(r"[0-9]+(:[0-9]+)?|[a-z0-9.-]+=[^/]*|[a-z0-9.-]+-", w)]
    if verb in ("label", "annotate"):
        names = names[:2]
    kind_words = None
    for word in names:
        if "/" in word:
            kind_word, name = word.split("/", 1)
            _object(kind_word, name, namespace, chart, created, problems, where)
        elif kind_words is None and verb not in ("logs", "exec", "attach", "port-forward", "cp"):
            kind_words = word.split(",")
        elif verb in ("logs", "exec", "attach", "port-forward"):
            _object("pod", word, namespace, chart, created, problems, where)
        elif kind_words and len(kind_words) == 1:
            _object(kind_words[0], word, namespace, chart, created, problems, where)
    for kind_word in kind_words or []:
        if kind_word.lower() not in KIND_OF and kind_word.lower() not in OTHER_KINDS and kind_word != "all":
            problems.append(f"{where}: unknown kind {kind_word}")


def _helm(argv, chart, problems, where):
    positional, flags = options(argv, HELM_VALUE_FLAGS)
    if not positional:
        return
    verb = positional[0]
    namespace = dict(flags).get("-n", dict(flags).get("--namespace", "default"))
    if namespace != "default":
        problems.append(f"{where}: the tutorial's release is in namespace default")
    if verb in ("install", "upgrade", "test", "uninstall", "status", "history", "rollback", "get"):
        release_at = 2 if verb == "get" else 1
        if len(positional) > release_at and positional[release_at] != chartlib.RELEASE:
            problems.append(f"{where}: the release is {chartlib.RELEASE}, not {positional[release_at]}")
    if verb not in ("install", "upgrade", "template"):
        return
    if len(positional) < 3 or positional[2].rstrip("/") not in ("./helm-charts/my-app", "helm-charts/my-app"):
        problems.append(f"{where}: the chart is ./helm-charts/my-app")
        return
    sets = []
    for flag, value in flags:
        if flag in ("--set", "--set-string", "--set-json"):
            for item in (value.split(",") if flag != "--set-json" else [value]):
                key = re.sub(r"\[[0-9]+\]", "", item.split("=", 1)[0])
                if key not in chart.value_keys:
                    problems.append(f"{where}: values.yaml has no key {key}")
            sets += [flag, value]
        elif flag in ("-f", "--values"):
            if not (ROOT / value).exists():
                problems.append(f"{where}: {value} does not exist")
            sets += [flag, str(ROOT / value)]
    try:
        chartlib.render(extra=("--namespace", "default", *sets))
    except chartlib.RenderError as error:
        problems.append(f"{where}: the chart does not render with these values: {error}"[:400])


def _docker(argv, chart, problems, where):
    positional, flags = options(argv, {"-t", "--tag", "-f", "--file", "--target", "--build-arg", "--platform",
                                       "--network", "-p", "-e", "--name"})
    if not positional or positional[0] != "build":
        return
    for context in positional[1:]:
        if not (ROOT / context).is_dir():
            problems.append(f"{where}: the build context {context} does not exist")
    for flag, value in flags:
        if flag in ("-t", "--tag") and value.rsplit(":", 1)[0] not in chart.images:
            problems.append(f"{where}: image {value} is none of the chart's images")
        if flag == "--target" and value not in chart.targets:
            problems.append(f"{where}: docker/Dockerfile has no target {value} ({sorted(chart.targets)})")
        if flag in ("-f", "--file") and not (ROOT / value).exists():
            problems.append(f"{where}: {value} does not exist")


def _kind(argv, chart, clusters, problems, where):
    positional, flags = options(argv, {"--name", "--image", "--config"})
    if positional[:2] != ["load", "docker-image"]:
        return
    for image in positional[2:]:
        if image.rsplit(":", 1)[0] not in chart.images:
            problems.append(f"{where}: image {image} is none of the chart's images")
    for flag, value in flags:
        if flag == "--name" and clusters and value not in clusters:
            problems.append(f"{where}: no kind cluster {value} was created ({sorted(clusters)})")


def _urls_and_hosts(argv, chart, problems, where):
    for i, word in enumerate(argv):
        url = re.match(r"https?://([^/:]+)", word)
        if url:
            host = url[1]
            parts = host.split(".")
            if host in ("localhost", "127.0.0.1") or re.fullmatch(r"[0-9.]+", host):
                pass
            elif len(parts) == 1:
                if not chart.has("Service", host):
                    problems.append(f"{where}: the chart renders no Service {host}")
            elif len(parts) == 2 and parts[1] in SYSTEM_NAMESPACES | {"default"}:
                _object("svc", parts[0], parts[1], chart, set(), problems, where)
        host = None
        if word == "--host" and i + 1 < len(argv):
            host = argv[i + 1]
        elif word.startswith("--host="):
            host = word.split("=", 1)[1]
        elif re.match(r"(?i)host:\s*", word):
            host = re.sub(r"(?i)host:\s*", "", word)
        if host and host not in chart.hosts:
            problems.append(f"{where}: {host} is not a host of the chart's Gateway {sorted(chart.hosts)}")


# --- the tests --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chart():
    return Chart()


@pytest.mark.parametrize("readme", READMES)
def test_readme_commands_name_what_the_chart_renders(readme, chart):
    problems, checked = check((ROOT / readme).read_text(), chart)
    assert problems == []
    assert checked >= (60 if readme == "README.md" else 5)


def test_the_tutorial_follows_the_status_section():
    text = (ROOT / "README.md").read_text()
    headings = re.findall(r"^## .*$", text, re.M)
    assert TUTORIAL_HEADING in headings
    assert headings[headings.index(TUTORIAL_HEADING) - 1] == "## Status"


def test_the_tutorial_has_every_step(chart):
    text = (ROOT / "README.md").read_text()
    tutorial = text.split(TUTORIAL_HEADING, 1)[1].split("\n## ", 1)[0]
    quoted = {command for _, command in commands(tutorial)}
    for expected in (
        "helm install my-app ./helm-charts/my-app",
        "istioctl install --set profile=demo -y",
        "kubectl label namespace default istio-injection=enabled",
        "kubectl get hpa frontend-app-hpa -w",
        "while true; do wget -q -O- http://frontend-service > /dev/null; done",
        "helm upgrade my-app ./helm-charts/my-app --reuse-values --set frontend.image.tag=v2",
        "kubectl rollout status deployment/frontend-app-deployment",
        "kubectl apply -f istio-configs/canary-release.yaml",
        "kubectl -n istio-system port-forward svc/istio-ingressgateway 8080:80",
        "istioctl dashboard grafana",
    ):
        assert expected in quoted, expected
    joined = "\n".join(quoted)
    for fragment in ("--expect-split v1=90,v2=10", "--expect-split v1=50,v2=50", "frontend.canary.weight=50",
                     "istio.backend.fault.delay.enabled=true", "istio.backend.fault.abort.enabled=true",
                     "/status/503", "/delay/3000", "/faults", "samples/addons/prometheus.yaml",
                     "samples/addons/grafana.yaml", "grafanaDashboard.enabled=true", "kind load docker-image",
                     "eval $(minikube docker-env)", "--image=loadgen:v1", "loadgen.enabled=true"):
        assert fragment in joined, fragment


BAD = {
    "deployment/frontend-deployment": "kubectl rollout status deployment/frontend-deployment",
    "an HPA by another name": "kubectl get hpa frontend-hpa -w",
    "a chart Service in istio-system": "kubectl -n istio-system port-forward svc/frontend-service 8080:80",
    "the ingress gateway outside istio-system": "kubectl port-forward svc/istio-ingressgateway 8080:80",
    "a misspelt value": "helm upgrade my-app ./helm-charts/my-app --reuse-values --set frontend.canary.weigth=10",
    "a value the schema refuses": "helm upgrade my-app ./helm-charts/my-app --set frontend.canary.weight=110",
    "a Rollout the chart does not render": "kubectl argo rollouts promote frontend-app-deployment",
    "a combination the schema refuses": "helm upgrade my-app ./helm-charts/my-app --set progressiveDelivery.flagger.enabled=true "
                                        "--set frontend.canary.enabled=true",
    "another release name": "helm install myapp ./helm-charts/my-app",
    "another chart path": "helm install my-app ./charts/my-app",
    "a Service that does not exist": "kubectl run t --rm -i --image=busybox:1.36 -- wget -q -O- http://frontend-svc",
    "another gateway host": "loadgen http://127.0.0.1:8080 --host shop.example.com --rate 10",
    "another Host header": "curl -H 'Host: shop.example.com' http://127.0.0.1:8080/",
    "a selector of no pod": "kubectl logs -l app=frontnd --tail=-1",
    "a container of no pod": "kubectl logs deploy/frontend-app-deployment -c app",
    "a missing istio-configs file": "kubectl apply -f istio-configs/canary.yaml",
    "a missing Dockerfile target": "docker build -f docker/Dockerfile --target frontend -t frontend-app:v1 .",
    "another image": "docker build -f docker/Dockerfile --target frontend-app -t skalar-frontend:v1 .",
    "the walkthrough's build directory": "docker build -t frontend-app:v1 ./frontend",
    "a VirtualService by another name": "kubectl get virtualservice my-virtualservice -o yaml",
    "an unknown kind": "kubectl describe widget/frontend",
    "a pod of no StatefulSet": "kubectl port-forward pod/backend-0 9091:9090",
    "a ConfigMap by another name": "kubectl get configmap grafana-dashboard -o yaml",
    "a job of no revision pattern": "kubectl logs -f job/load-generator-2",
    "an image of no workload": "kubectl run lg --rm -i --image=skalar/loadgen:v1 -- http://frontend-service",
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_the_check_catches(case, chart):
    problems, checked = check(f"```bash\n{BAD[case]}\n```\n", chart)
    assert checked == 1
    assert problems, f"{case}: not noticed"


def test_the_check_accepts_the_right_names(chart):
    good = "\n".join([
        "kubectl rollout status deployment/frontend-app-deployment",
        "kubectl get hpa frontend-app-hpa -w",
        "kubectl -n istio-system port-forward svc/istio-ingressgateway 8080:80",
        "kubectl port-forward pod/backend-app-0 9091:9090",
        "kubectl logs -f job/loadgen-7",
        "kubectl logs -l app=frontend,version=v2 -c frontend --tail=-1",
        "kubectl delete pvc data-backend-app-0",
        "kubectl get virtualservice my-app-virtualservice frontend-virtualservice -o yaml",
        "helm upgrade my-app ./helm-charts/my-app --reuse-values --set frontend.canary.enabled=true "
        "--set frontend.canary.weight=50",
        "kubectl run loadgen --rm -i --image=loadgen:v1 -- http://istio-ingressgateway.istio-system "
        "--host my-app.example.com",
        "kubectl argo rollouts get rollout frontend-app-rollout --watch",
        "kubectl get canaries.flagger.app frontend-app-deployment",
    ])
    problems, checked = check(f"```bash\n{good}\n```\n", chart)
    assert (problems, checked) == ([], 12)


def test_inline_commands_are_checked_too(chart):
    problems, checked = check("Watch it with `kubectl get hpa frontend-hpa -w` while it runs.\n", chart)
    assert checked == 1 and problems
