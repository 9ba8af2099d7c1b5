"""The backend on PostgreSQL (backend.database.engine: postgresql): a Deployment with an HPA, a PDB and the
frontend's zero-downtime rollout, reaching its server in one of three ways (externalDatabase, a
CloudNativePG Cluster, the bundled StatefulSet) with DATABASE_URL and PGPASSWORD from a Secret, and only
the backend admitted to the servers the chart runs. SQLite stays the default, with no PostgreSQL object."""

import base64
import math
import re
from urllib.parse import urlsplit

import pytest
import yaml

import chartlib
from chartlib import CHART, NAMESPACE, containers, env_of, manifests, pod_metadata, pod_spec, seconds, selects

WAYS = ["postgresql-bundled.yaml", "postgresql-cnpg.yaml", "postgresql-external.yaml"]
BUNDLED = ("backend.database.engine=postgresql", "postgresql.bundled.enabled=true", "postgresql.bundled.password=pw")
CNPG = ("backend.database.engine=postgresql", "postgresql.cnpg.enabled=true")
POSTGRES_DIGEST = "sha256:f3bd19c606e442c3d7bdfa8002e03fe260a1023351e0ea4598032022b68dd6e3"


def backend(m):
    return m.get("Deployment", "backend-app-deployment")


def backend_container(m):
    [container] = pod_spec(backend(m))["containers"]
    return container


def database_url(m):
    return urlsplit(env_of(backend_container(m))["DATABASE_URL"])


def password_ref(m):
    return env_of(backend_container(m))["PGPASSWORD"]["secretKeyRef"]


def postgresql_objects(m):
    return [d for d in m.docs if d["metadata"]["name"].startswith("postgresql")]


# --- SQLite stays as it was ---------------------------------------------------------------------

@pytest.mark.parametrize("values_file", [None, "production.yaml", "istio-off.yaml"])
def test_sqlite_renders_no_postgresql_object(values_file):
    m = manifests(values_file)
    assert m.get("StatefulSet", "backend-app")["spec"]["replicas"] == 1
    m.get("Service", "backend-headless")
    assert not m.find("Deployment", "backend-app-deployment")
    assert not m.find("HorizontalPodAutoscaler", "backend-app-hpa")
    assert not m.find("PodDisruptionBudget", "backend-app-pdb")
    assert not m.of_kind("Cluster") and not m.of_kind("Secret") and postgresql_objects(m) == []
    env = env_of(pod_spec(m.get("StatefulSet", "backend-app"))["containers"][0])
    assert env["DATABASE_PATH"] == "/data/backend.sqlite"
    assert not {"DATABASE_URL", "PGPASSWORD", "PGSSLROOTCERT"} & set(env)


# --- the backend's Deployment -------------------------------------------------------------------

@pytest.mark.parametrize("values_file", WAYS)
def test_on_postgresql_the_backend_is_a_deployment_without_a_volume(values_file):
    m = manifests(values_file)
    deployment = backend(m)
    assert not m.find("StatefulSet", "backend-app") and not m.find("Service", "backend-headless")
    assert deployment["spec"]["strategy"] == {
        "type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    assert deployment["spec"]["minReadySeconds"] == 5
    spec = pod_spec(deployment)
    assert spec["serviceAccountName"] == "backend"
    assert "fsGroup" not in spec["securityContext"]  # no volume to own
    assert [v["name"] for v in spec["volumes"] if v["name"] in ("data", "tmp")] == ["tmp"]
    container = backend_container(m)
    assert "/data" not in [mount["mountPath"] for mount in container["volumeMounts"]]
    assert "DATABASE_PATH" not in env_of(container)
    # backend-service keeps its name, port and selector, and selects the Deployment's pods.
    service = m.get("Service", "backend-service")
    assert service["spec"]["selector"] == manifests().get("Service", "backend-service")["spec"]["selector"]
    assert selects(service["spec"]["selector"], pod_metadata(deployment)["labels"])
    assert env_of(pod_spec(m.get("Deployment", "frontend-app-deployment"))["containers"][0])["BACKEND_URL"] == \
        "http://backend-service"


@pytest.mark.parametrize("values_file", WAYS)
def test_the_backend_ends_like_the_frontend(values_file):
    """Other pods serve while one stops: a preStop pause covers the endpoint lag, then the drain and the
    shutdown, all inside the grace period; a classic sidecar outlives the app (not exit-on-zero)."""
    m = manifests(values_file)
    container = backend_container(m)
    assert container["lifecycle"]["preStop"]["exec"]["command"] == ["/bin/sleep", "5"]
    env = env_of(container)
    drain, shutdown = int(env["DRAIN_SECONDS"]), int(env["SHUTDOWN_TIMEOUT_SECONDS"])
    grace = pod_spec(backend(m))["terminationGracePeriodSeconds"]
    assert 5 + drain + shutdown < grace
    annotations = pod_metadata(backend(m)).get("annotations", {})
    if values_file == "postgresql-external.yaml":  # no Istio there
        assert "proxy.istio.io/config" not in annotations
    else:
        proxy = yaml.safe_load(annotations["proxy.istio.io/config"])
        assert seconds(proxy["terminationDrainDuration"]) == 5 + drain + shutdown
    for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        assert container[probe]["httpGet"] == {"path": path, "port": "http"}


@pytest.mark.parametrize("engine,sleep", [("sqlite", 3), ("postgresql", 0), ("postgresql", 7)])
def test_an_explicit_prestop_sleep_wins_on_both_engines(engine, sleep):
    sets = (f"backend.preStopSleepSeconds={sleep}",) + (BUNDLED if engine == "postgresql" else ())
    m = manifests(sets=sets)
    workload = backend(m) if engine == "postgresql" else m.get("StatefulSet", "backend-app")
    container = pod_spec(workload)["containers"][0]
    command = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command")
    assert command == (["/bin/sleep", str(sleep)] if sleep else None)


def test_the_deployments_pods_spread_over_nodes_and_zones():
    m = manifests("postgresql-bundled.yaml")
    constraints = pod_spec(backend(m))["topologySpreadConstraints"]
    assert [c["topologyKey"] for c in constraints] == ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]
    for constraint in constraints:
        assert selects(constraint["labelSelector"]["matchLabels"], pod_metadata(backend(m))["labels"])
    assert "topologySpreadConstraints" not in pod_spec(manifests().get("StatefulSet", "backend-app"))


# --- HPA and PDB --------------------------------------------------------------------------------

@pytest.mark.parametrize("values_file", ["postgresql-bundled.yaml", "postgresql-cnpg.yaml"])
def test_the_backend_has_an_hpa_and_a_pdb_by_default(values_file):
    m = manifests(values_file)
    hpa = m.get("HorizontalPodAutoscaler", "backend-app-hpa")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "backend-app-deployment"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 6)
    [metric] = hpa["spec"]["metrics"]
    assert metric["containerResource"] == {"name": "cpu", "container": "backend",
                                           "target": {"type": "Utilization", "averageUtilization": 70}}
    assert "replicas" not in backend(m)["spec"]  # the HPA owns the count
    pdb = m.get("PodDisruptionBudget", "backend-app-pdb")
    assert pdb["spec"]["maxUnavailable"] == 1
    assert selects(pdb["spec"]["selector"]["matchLabels"], pod_metadata(backend(m))["labels"])
    frontend = m.get("Deployment", "frontend-app-deployment")
    assert not selects(pdb["spec"]["selector"]["matchLabels"], pod_metadata(frontend)["labels"])
    frontend_pdb = m.get("PodDisruptionBudget", "frontend-app-pdb")
    assert not selects(frontend_pdb["spec"]["selector"]["matchLabels"], pod_metadata(backend(m))["labels"])


def test_without_the_hpa_replicas_follow_the_value():
    m = manifests("postgresql-external.yaml")
    assert not m.find("HorizontalPodAutoscaler", "backend-app-hpa")
    assert backend(m)["spec"]["replicas"] == 3
    m.get("PodDisruptionBudget", "backend-app-pdb")
    single = manifests(sets=BUNDLED + ("backend.autoscaling.enabled=false",))
    assert backend(single)["spec"]["replicas"] == 1
    assert not single.find("PodDisruptionBudget", "backend-app-pdb")  # one pod: a PDB would block drains
    assert not manifests(sets=BUNDLED + ("backend.podDisruptionBudget.enabled=false",)).find(
        "PodDisruptionBudget", "backend-app-pdb")


def test_an_hpa_whose_minimum_exceeds_its_maximum_is_refused():
    with pytest.raises(chartlib.RenderError, match="backend.autoscaling.minReplicas"):
        manifests(sets=BUNDLED + ("backend.autoscaling.minReplicas=7",))


def test_the_backends_hpa_arithmetic_in_values_yaml():
    """The comment at backend.autoscaling: the busybox loop leaves the backend at minReplicas, 2,000 API
    requests/s reach maxReplicas, for the release build's CPU per call (the images'; the
    postgres-hpa-input drill measures it), the CPU request and the target."""
    text = (CHART / "values.yaml").read_text()
    per_call_ms = float(re.search(r"Backend CPU per API call: b = ([0-9.]+) ms on the release build", text).group(1))
    values = yaml.safe_load(text)["backend"]
    request = values["resources"]["requests"]["cpu"]
    per_pod = int(request[:-1]) / 1000 * values["autoscaling"]["targetCPUUtilizationPercentage"] / 100
    wanted = lambda calls_per_second: math.ceil(calls_per_second * per_call_ms / 1000 / per_pod)  # noqa: E731
    for busybox_rate in (200, 400):
        assert wanted(busybox_rate) <= values["autoscaling"]["minReplicas"]
    assert wanted(2000) == values["autoscaling"]["maxReplicas"]


# --- reaching the database ----------------------------------------------------------------------

@pytest.mark.parametrize("values_file", WAYS)
def test_database_url_carries_no_password(values_file):
    m = manifests(values_file)
    url = database_url(m)
    assert url.scheme == "postgres" and url.password is None and url.username
    env = backend_container(m)["env"]
    [password] = [e for e in env if e["name"] == "PGPASSWORD"]
    assert set(password) == {"name", "valueFrom"}  # from the Secret, never a literal
    for item in env:
        assert "not-a-real-password" not in str(item.get("value", ""))


def test_external_database():
    m = manifests("postgresql-external.yaml")
    url = database_url(m)
    assert (url.username, url.hostname, url.port, url.path, url.query) == (
        "skalar_app", "db.example.com", 5433, "/guestbook", "sslmode=verify-full")
    assert password_ref(m) == {"name": "skalar-database", "key": "app-password"}
    # A server the chart does not run: no object of its own, no policy for it.
    assert postgresql_objects(m) == [] and not m.of_kind("Secret") and not m.of_kind("Cluster")


def test_cloudnativepg_cluster_and_its_conventions():
    """The operator's documented names: <cluster>-rw is the primary, <cluster>-app holds the owner's
    credentials (key `password`), <cluster>-ca the server CA (key `ca.crt`)."""
    m = manifests("postgresql-cnpg.yaml")
    cluster = m.get("Cluster", "postgresql-cluster")
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    spec = cluster["spec"]
    assert spec["instances"] == 3 and spec["imageName"] == "ghcr.io/cloudnative-pg/postgresql:17.6"
    assert spec["storage"] == {"size": "20Gi", "storageClass": "fast-ssd"}
    assert spec["resources"]["requests"] and spec["resources"]["limits"]
    url = database_url(m)
    assert (url.hostname, url.port) == ("postgresql-cluster-rw", 5432)
    assert spec["bootstrap"]["initdb"] == {"database": url.path[1:], "owner": url.username}
    assert password_ref(m) == {"name": "postgresql-cluster-app", "key": "password"}
    # verify-full: the server's certificate is checked against the cluster's CA, mounted as PGSSLROOTCERT.
    assert url.query == "sslmode=verify-full"
    env = env_of(backend_container(m))
    [mount] = [v for v in backend_container(m)["volumeMounts"] if v["name"] == "postgresql-ca"]
    assert env["PGSSLROOTCERT"] == f"{mount['mountPath']}/ca.crt" and mount["readOnly"] is True
    [volume] = [v for v in pod_spec(backend(m))["volumes"] if v["name"] == "postgresql-ca"]
    assert volume["secret"] == {"secretName": "postgresql-cluster-ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]}
    # The chart renders no Secret and no Service for it: the operator creates them.
    assert not m.of_kind("Secret") and not m.find("Service", "postgresql-cluster-rw")


def test_cloudnativepg_with_require_mounts_no_ca():
    m = manifests(sets=CNPG + ("postgresql.cnpg.sslmode=require",))
    assert database_url(m).query == "sslmode=require"
    assert "PGSSLROOTCERT" not in env_of(backend_container(m))
    assert "postgresql-ca" not in [v["name"] for v in pod_spec(backend(m))["volumes"]]
    cluster = m.get("Cluster", "postgresql-cluster")
    assert "imageName" not in cluster["spec"] and "storageClass" not in cluster["spec"]["storage"]


def test_cloudnativepg_instances_stay_out_of_the_mesh():
    """The operator, outside the mesh, must reach every instance on 8000 and 5432, and its bootstrap Jobs
    must complete: the Cluster's objects get no sidecar, and the chart renders no AuthorizationPolicy that
    no sidecar would enforce."""
    m = manifests("postgresql-cnpg.yaml")
    cluster = m.get("Cluster", "postgresql-cluster")
    assert cluster["spec"]["inheritedMetadata"] == {"labels": {"sidecar.istio.io/inject": "false"}}
    assert not m.find("AuthorizationPolicy", "postgresql-authorizationpolicy")
    plain = manifests(sets=CNPG + ("istio.enabled=false",))
    assert "inheritedMetadata" not in plain.get("Cluster", "postgresql-cluster")["spec"]


def test_bundled_server():
    m = manifests("postgresql-bundled.yaml")
    url = database_url(m)
    # Inside the cluster; with Istio both ends have a sidecar and the hop is mutual TLS.
    assert (url.hostname, url.port, url.path, url.username, url.query) == (
        "postgresql-service", 5432, "/skalar", "skalar", "sslmode=disable")
    assert password_ref(m) == {"name": "postgresql-credentials", "key": "password"}
    secret = m.get("Secret", "postgresql-credentials")
    assert base64.b64decode(secret["data"]["password"]).decode() == "not-a-real-password"
    statefulset = m.get("StatefulSet", "postgresql")
    env = env_of(pod_spec(statefulset)["containers"][0])
    assert (env["POSTGRES_USER"], env["POSTGRES_DB"]) == (url.username, url.path[1:])
    assert "POSTGRES_PASSWORD" not in env  # a file, not a variable
    [credentials] = [v for v in pod_spec(statefulset)["volumes"] if v["name"] == "credentials"]
    assert credentials["secret"]["secretName"] == "postgresql-credentials"
    [mount] = [v for v in pod_spec(statefulset)["containers"][0]["volumeMounts"] if v["name"] == "credentials"]
    assert env["POSTGRES_PASSWORD_FILE"] == f"{mount['mountPath']}/{credentials['secret']['items'][0]['path']}"


def test_bundled_server_with_an_existing_secret():
    m = manifests(sets=BUNDLED[:2] + ("postgresql.bundled.existingSecret=demo-db",
                                      "postgresql.bundled.existingSecretPasswordKey=pw"))
    assert password_ref(m) == {"name": "demo-db", "key": "pw"}
    assert not m.of_kind("Secret")
    [credentials] = [v for v in pod_spec(m.get("StatefulSet", "postgresql"))["volumes"] if v["name"] == "credentials"]
    assert credentials["secret"]["secretName"] == "demo-db"
    assert credentials["secret"]["items"] == [{"key": "pw", "path": "password"}]


def test_bundled_statefulset_is_pinned_and_restricted():
    m = manifests("postgresql-bundled.yaml")
    statefulset = m.get("StatefulSet", "postgresql")
    assert statefulset["spec"]["replicas"] == 1
    spec = pod_spec(statefulset)
    [container] = spec["containers"]
    assert container["image"] == f"postgres:17.6-bookworm@{POSTGRES_DIGEST}"
    assert spec["securityContext"]["runAsUser"] == 999 and spec["securityContext"]["fsGroup"] == 999
    assert spec["serviceAccountName"] == "postgresql" and spec["automountServiceAccountToken"] is False
    security = container["securityContext"]
    assert (security["runAsNonRoot"], security["runAsUser"], security["readOnlyRootFilesystem"]) == (True, 999, True)
    assert security["capabilities"] == {"drop": ["ALL"]} and security["seccompProfile"] == {"type": "RuntimeDefault"}
    # Every path PostgreSQL writes is a volume: the data on the claim, the socket and /tmp on emptyDirs.
    mounts = {v["mountPath"]: v["name"] for v in container["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert mounts["/var/lib/postgresql/data"] == "data"
    assert env_of(container)["PGDATA"].startswith("/var/lib/postgresql/data/")
    for path in ("/var/run/postgresql", "/tmp"):
        assert "emptyDir" in volumes[mounts[path]]
    [claim] = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "data" and claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "8Gi"
    assert statefulset["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Retain"
    # Readiness over TCP (the first-start server listens on the socket only); a fast shutdown on delete.
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        command = container[probe]["exec"]["command"]
        assert command[0] == "pg_isready" and command[command.index("--host") + 1] == "127.0.0.1"
    stop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert stop[:2] == ["pg_ctl", "stop"] and stop[stop.index("--mode") + 1] == "fast"
    assert stop[stop.index("--pgdata") + 1] == env_of(container)["PGDATA"]


def test_bundled_services_select_the_server():
    m = manifests("postgresql-bundled.yaml")
    statefulset = m.get("StatefulSet", "postgresql")
    labels = pod_metadata(statefulset)["labels"]
    for name in ("postgresql-service", "postgresql-headless"):
        service = m.get("Service", name)
        assert selects(service["spec"]["selector"], labels)
        [port] = service["spec"]["ports"]
        assert (port["port"], port["targetPort"], port["appProtocol"]) == (5432, "postgresql", "tcp")
    assert m.get("Service", statefulset["spec"]["serviceName"])["spec"]["clusterIP"] == "None"
    assert not selects(m.get("Service", "backend-service")["spec"]["selector"], labels)


# --- only the backend reaches the servers the chart runs ----------------------------------------

def ingress_rules(m):
    return m.get("NetworkPolicy", "postgresql-networkpolicy")["spec"]["ingress"]


def test_network_policy_admits_only_the_backend_to_the_bundled_server():
    m = manifests("postgresql-bundled.yaml")
    policy = m.get("NetworkPolicy", "postgresql-networkpolicy")
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    assert selects(policy["spec"]["podSelector"]["matchLabels"], pod_metadata(m.get("StatefulSet", "postgresql"))["labels"])
    [rule] = ingress_rules(m)
    [peer] = rule["from"]
    assert set(peer) == {"podSelector"}  # the release's namespace only
    assert selects(peer["podSelector"]["matchLabels"], pod_metadata(backend(m))["labels"])
    for other in ("frontend-app-deployment",):
        assert not selects(peer["podSelector"]["matchLabels"], pod_metadata(m.get("Deployment", other))["labels"])
    for job in m.of_kind("Job") + m.of_kind("Pod"):
        assert not selects(peer["podSelector"]["matchLabels"], pod_metadata(job)["labels"])
    assert rule["ports"] == [{"port": 5432, "protocol": "TCP"}]
    assert not manifests(sets=BUNDLED + ("networkPolicy.enabled=false",)).find("NetworkPolicy", "postgresql-networkpolicy")


def test_network_policy_of_the_cloudnativepg_cluster():
    """The backend on 5432, and what CloudNativePG documents as needed: the operator's namespace and the
    instances among themselves on 5432 and 8000."""
    m = manifests("postgresql-cnpg.yaml")
    policy = m.get("NetworkPolicy", "postgresql-networkpolicy")
    assert policy["spec"]["podSelector"]["matchLabels"] == {"cnpg.io/cluster": "postgresql-cluster"}
    from_backend, from_cluster = ingress_rules(m)
    assert selects(from_backend["from"][0]["podSelector"]["matchLabels"], pod_metadata(backend(m))["labels"])
    assert from_backend["ports"] == [{"port": 5432, "protocol": "TCP"}]
    assert from_cluster["from"] == [
        {"podSelector": {"matchLabels": {"cnpg.io/cluster": "postgresql-cluster"}}},
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "cnpg-system"}}}]
    assert from_cluster["ports"] == [{"port": 5432, "protocol": "TCP"}, {"port": 8000, "protocol": "TCP"}]
    other = manifests(sets=CNPG + ("postgresql.cnpg.operatorNamespace=postgres-operator",))
    assert ingress_rules(other)[1]["from"][1]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "postgres-operator"}


def test_authorization_policy_admits_only_the_backends_service_account():
    m = manifests("postgresql-bundled.yaml")
    policy = m.get("AuthorizationPolicy", "postgresql-authorizationpolicy")
    server = pod_metadata(m.get("StatefulSet", "postgresql"))["labels"]
    assert selects(policy["spec"]["selector"]["matchLabels"], server)
    assert policy["spec"]["action"] == "ALLOW"
    [rule] = policy["spec"]["rules"]
    principal = f"cluster.local/ns/{NAMESPACE}/sa/backend"
    assert rule == {"from": [{"source": {"principals": [principal]}}], "to": [{"operation": {"ports": ["5432"]}}]}
    assert pod_spec(backend(m))["serviceAccountName"] == principal.rsplit("/", 1)[1]
    # The server is in the mesh, under the chart's STRICT mTLS, so the principal is known.
    assert server["sidecar.istio.io/inject"] == "true"
    [peer_authentication] = m.of_kind("PeerAuthentication")
    assert selects(peer_authentication["spec"]["selector"]["matchLabels"], server)
    plain = manifests(sets=BUNDLED + ("istio.enabled=false",))
    assert not plain.of_kind("AuthorizationPolicy")
    assert "sidecar.istio.io/inject" not in pod_metadata(plain.get("StatefulSet", "postgresql"))["labels"]


# --- every container of the PostgreSQL renderings -----------------------------------------------

@pytest.mark.parametrize("values_file", WAYS)
def test_no_postgresql_rendering_has_an_unrestricted_container(values_file):
    for workload in manifests(values_file).workloads():
        for container in containers(workload):
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False and security["readOnlyRootFilesystem"] is True
            assert security["runAsNonRoot"] is True and security["capabilities"] == {"drop": ["ALL"]}


def test_a_prestop_sleep_that_sigkill_could_cut_is_refused_on_postgresql_too():
    with pytest.raises(chartlib.RenderError, match="backend.terminationGracePeriodSeconds"):
        manifests(sets=BUNDLED + ("backend.preStopSleepSeconds=8",))


@pytest.mark.parametrize("engine", [(), BUNDLED])
def test_a_large_seed_count_from_a_values_file_stays_an_integer(engine):
    """A values file's numbers reach the templates as floats; SEED_ENTRIES=1e+06 would stop the backend."""
    m = manifests(sets=engine, extra=("--set-json", "backend.seedEntries=1000000"))
    workload = backend(m) if engine else m.get("StatefulSet", "backend-app")
    assert env_of(pod_spec(workload)["containers"][0])["SEED_ENTRIES"] == "1000000"
