"""The container images, built from docker/Dockerfile with podman by scripts/test-images.sh, run the way
docker/compose.yaml and the chart run them: as uid 65532 (the image's own USER, no --user), on a
read-only root file system (with podman's automatic tmpfs mounts switched off, so only the tmpfs the
compose file names exist), without capabilities, the backend's database on a named volume.

Every HTTP request of these tests goes to 127.0.0.1 (ports published on loopback only); the frontend
container reaches the backend container on a private podman network, under the compose service name
`backend`.

Environment (set by scripts/test-images.sh): SKALAR_IMAGE_FRONTEND, SKALAR_IMAGE_BACKEND,
SKALAR_IMAGE_LOADGEN (image names), SKALAR_IMAGE_VERSION, SKALAR_IMAGE_REVISION (the build args),
SKALAR_IMAGE_BASE (the runtime base image), CONTAINERS_CONF (podman's settings on this machine).
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "loadtest" / "mesh"))
from ports import free_port  # noqa: E402  (the tests' one allocator of loopback ports)
DOCKERFILE = ROOT / "docker" / "Dockerfile"
COMPOSE = ROOT / "docker" / "compose.yaml"
VENV_BIN = ROOT / ".venv-images" / "bin"

IMAGES = {
    "frontend": os.environ.get("SKALAR_IMAGE_FRONTEND", "localhost/frontend-app:v1"),
    "backend": os.environ.get("SKALAR_IMAGE_BACKEND", "localhost/backend-app:v1"),
    "loadgen": os.environ.get("SKALAR_IMAGE_LOADGEN", "localhost/loadgen:v1"),
}
TARGETS = {"frontend": "frontend-app", "backend": "backend-app", "loadgen": "loadgen"}
VERSION = os.environ.get("SKALAR_IMAGE_VERSION", "v1")
REVISION = os.environ.get("SKALAR_IMAGE_REVISION", "unknown")
BASE_IMAGE = os.environ.get("SKALAR_IMAGE_BASE", "docker.io/library/debian:bookworm-slim")

USER = "65532:65532"
DRAIN_SECONDS = 5  # the services' defaults (CONTRACT.md); the images do not change them
SHUTDOWN_TIMEOUT_SECONDS = 10
# What an image may add to its base. The backend's is larger by libpq and the TLS, Kerberos and LDAP
# libraries it links (about 9.6 MB, docker/README.md), which PostgreSQL with `sslmode` needs.
ADDED_BYTES_GOAL = {"frontend": 25_000_000, "backend": 35_000_000, "loadgen": 25_000_000}


def podman(*args, check=True, timeout=180):
    result = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} exited {result.returncode}:\n{result.stderr[-3000:]}")
    return result


def inspect_image(image):
    return json.loads(podman("image", "inspect", image).stdout)[0]


def inspect_container(name):
    return json.loads(podman("container", "inspect", name).stdout)[0]


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


def http(port, path, method="GET", body=None, headers=None, timeout=10):
    """One request to 127.0.0.1:port; the only kind of request these tests make."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                     headers={**({"Content-Type": "application/json"} if data else {}),
                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Response(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.headers, error.read())


def wait_ready(container, timeout=30):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = http(container.port, "/readyz", timeout=2)
            if last.status == 200:
                return
        except OSError as error:
            last = error
        state = inspect_container(container.name)["State"]
        if not state["Running"]:
            raise AssertionError(f"{container.name} exited {state['ExitCode']}:\n{container.logs()}")
        time.sleep(0.2)
    raise AssertionError(f"{container.name} not ready after {timeout} s ({last}):\n{container.logs()}")


def compose_service(name):
    return yaml.safe_load(COMPOSE.read_text())["services"][name]


def seconds(duration):
    match = re.fullmatch(r"(\d+)(s|m)", str(duration))
    assert match, duration
    return int(match[1]) * (60 if match[2] == "m" else 1)


class Container:
    """A service container, started the way docker/compose.yaml starts it."""

    def __init__(self, service, network, volume=None, hosts=None):
        self.service = service
        self.name = f"skalar-images-{service}-{uuid.uuid4().hex[:8]}"
        self.port = free_port()
        spec = compose_service(service)
        self.grace = seconds(spec["stop_grace_period"])
        args = ["run", "--detach", "--name", self.name, "--network", network,
                "--read-only", "--read-only-tmpfs=false",
                "--publish", f"127.0.0.1:{self.port}:8080", "--stop-timeout", str(self.grace)]
        assert spec.get("read_only") is True
        for path in spec.get("tmpfs", []):
            args += ["--tmpfs", path]
        for capability in spec.get("cap_drop", []):
            args += ["--cap-drop", capability]
        for option in spec.get("security_opt", []):
            args += ["--security-opt", option.replace(":true", "")]
        for key, value in (spec.get("environment") or {}).items():
            args += ["--env", f"{key}={value}"]
        for host, address in (hosts or {}).items():
            args += ["--add-host", f"{host}:{address}"]
        if volume:
            args += ["--volume", f"{volume}:/data"]
        podman(*args, IMAGES[service])

    def address(self, network):
        return inspect_container(self.name)["NetworkSettings"]["Networks"][network]["IPAddress"]

    def logs(self):
        result = podman("logs", self.name, check=False)
        return (result.stdout + result.stderr)[-4000:]

    def remove(self):
        podman("rm", "--force", "--volumes", "--time", "0", self.name, check=False)


@pytest.fixture(scope="module")
def stack():
    """backend and frontend on a private network, the backend's /data on a fresh named volume."""
    run_id = uuid.uuid4().hex[:8]
    network, volume = f"skalar-images-{run_id}", f"skalar-images-data-{run_id}"
    podman("network", "create", network)
    containers = []
    try:
        backend = Container("backend", network, volume=volume)
        containers.append(backend)
        wait_ready(backend)
        frontend = Container("frontend", network, hosts={"backend": backend.address(network)})
        containers.append(frontend)
        wait_ready(frontend)
        yield {"backend": backend, "frontend": frontend, "network": network, "volume": volume,
               "containers": containers}
    finally:
        for container in containers:
            container.remove()
        podman("volume", "rm", "--force", volume, check=False)
        podman("network", "rm", "--force", network, check=False)


# --- static checks ----------------------------------------------------------------------------------

def test_hadolint_reports_nothing():
    result = subprocess.run([str(VENV_BIN / "hadolint"), "--no-color", str(DOCKERFILE)],
                            capture_output=True, text=True, cwd=ROOT)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_checkov_dockerfile_framework_passes():
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    result = subprocess.run([str(VENV_BIN / "checkov"), "--file", str(DOCKERFILE), "--framework", "dockerfile",
                             "--compact", "--skip-download", "--output", "json"],
                            capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.stdout.strip(), result.stderr[-2000:]
    report = json.loads(result.stdout)
    failed = [f"{c['check_id']} {c['check_name']} (line {c['file_line_range']})"
              for c in report["results"]["failed_checks"]]
    assert not failed, "\n".join(failed)
    for skipped in report["results"]["skipped_checks"]:  # each skip justified inline
        assert len(skipped["check_result"].get("suppress_comment", "")) > 20, skipped
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 50
    assert result.returncode == 0


def test_compose_file_matches_the_images():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert set(services) == {"frontend", "backend", "loadgen"}
    stages = set(re.findall(r"(?im)^FROM\s+\S+\s+AS\s+(\S+)", DOCKERFILE.read_text()))
    for service, spec in services.items():
        assert spec["build"]["target"] == TARGETS[service] and TARGETS[service] in stages
        assert spec["build"]["dockerfile"] == "docker/Dockerfile"
        assert (COMPOSE.parent / spec["build"]["context"] / "Package.swift").exists()
        assert spec["image"].startswith(f"{TARGETS[service]}:")
        assert spec["read_only"] is True and spec["cap_drop"] == ["ALL"]
        assert seconds(spec["stop_grace_period"]) > DRAIN_SECONDS + SHUTDOWN_TIMEOUT_SECONDS
    # The backend's database on a named volume; only the frontend published, on loopback.
    assert "backend-data:/data" in services["backend"]["volumes"]
    assert "backend-data" in compose["volumes"]
    assert "ports" not in services["backend"]
    assert all(port.startswith("127.0.0.1:") for port in services["frontend"]["ports"])
    assert services["frontend"]["environment"]["BACKEND_URL"] == "http://backend:8080"
    assert services["loadgen"]["profiles"] == ["loadgen"]
    assert "http://frontend:8080" in services["loadgen"]["command"]


def test_dockerignore_keeps_build_output_git_and_environments_out(tmp_path):
    """A context laid out like a developer's working tree, with the repository's .dockerignore."""
    context = tmp_path / "context"
    kept = ["Package.swift", "Package.resolved", "Shared/SkalarRuntime/a.swift", "Services/Frontend/a.swift",
            "loadtest/loadgen/a.swift", "Tests/SkalarRuntimeTests/a.swift", "Tests/Fuzz/a.swift"]
    left_out = [".git/HEAD", ".build/release/frontend", ".build-tools/helm", ".build-artifacts/a.png",
                ".swiftpm/config", ".venv-test/bin/python", ".venv-images/bin/python", "data/backend.sqlite",
                "helm-charts/my-app/Chart.yaml", "docker/Dockerfile", "Tests/Integration/test_a.py",
                "Tests/Images/test_images.py", "Shared/SkalarRuntime/__pycache__/a.pyc", "README.md"]
    for path in kept + left_out:
        (context / path).parent.mkdir(parents=True, exist_ok=True)
        (context / path).write_text("x\n")
    (context / ".dockerignore").write_text((ROOT / ".dockerignore").read_text())
    (tmp_path / "Containerfile").write_text(f"FROM {BASE_IMAGE}\nCOPY . /context\n")
    tag = f"localhost/skalar-images-context:{uuid.uuid4().hex[:8]}"
    podman("build", "--quiet", "--layers=false", "--file", str(tmp_path / "Containerfile"), "--tag", tag,
           str(context))
    try:
        listing = podman("run", "--rm", "--entrypoint", "/usr/bin/find", tag, "/context", "-type", "f").stdout
    finally:
        podman("rmi", "--force", tag, check=False)
    copied = {line.removeprefix("/context/") for line in listing.splitlines()}
    assert copied == set(kept)


# --- the images ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("service", ["frontend", "backend", "loadgen"])
def test_image_configuration(service):
    config = inspect_image(IMAGES[service])["Config"]
    binary = f"/usr/local/bin/{service}"
    assert config["User"] == USER
    assert config["Entrypoint"] == [binary]  # exec form: the binary is PID 1 and gets SIGTERM
    labels = config["Labels"]
    assert labels["org.opencontainers.image.title"] == TARGETS[service]
    assert labels["org.opencontainers.image.version"] == VERSION
    assert labels["org.opencontainers.image.revision"] == REVISION
    assert labels["org.opencontainers.image.description"]
    if service == "loadgen":
        assert config.get("Cmd") == ["--help"]
        return
    assert config["StopSignal"] == "SIGTERM"
    assert "8080/tcp" in config["ExposedPorts"]
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["PORT"] == "8080" and env["ADMIN_PORT"] == "9090"
    healthcheck = inspect_image(IMAGES[service])["Healthcheck"]
    assert healthcheck["Test"] == ["CMD", binary, "healthcheck"]
    if service == "backend":
        assert "/data" in config["Volumes"]
        assert env["DATABASE_PATH"] == "/data/backend.sqlite"


@pytest.mark.parametrize("service", ["frontend", "backend", "loadgen"])
def test_image_holds_its_binary_and_its_libraries_and_no_toolchain(service):
    script = ("for tool in cc gcc clang swift swiftc ld as make curl wget openssl apt-get; do "
              "command -v $tool; done; "
              f"ldd /usr/local/bin/{service}; ls /usr/local/bin; stat -c %u:%g /data 2>/dev/null || true")
    result = podman("run", "--rm", "--entrypoint", "/bin/sh", IMAGES[service], "-c", script)
    lines = result.stdout.splitlines()
    found_tools = [line for line in lines if line.startswith("/") and "=>" not in line and "(0x" not in line]
    # apt-get stays (part of the Debian base, as in every debian:bookworm-slim image); nothing that builds
    # or fetches does.
    assert found_tools == ["/usr/bin/apt-get"], found_tools
    assert "not found" not in result.stdout, result.stdout
    assert service in lines
    assert [line for line in lines if line in ("frontend", "backend", "loadgen")] == [service]
    assert ("libsqlite3" in result.stdout) == (service == "backend")
    if service == "backend":
        assert "65532:65532" in lines  # /data belongs to the service's user


def elf_section_names(data):
    """The section names of a 64-bit little-endian ELF file."""
    assert data[:6] == b"\x7fELF\x02\x01"
    section_offset = int.from_bytes(data[0x28:0x30], "little")
    entry_size, count, names_index = (int.from_bytes(data[i:i + 2], "little") for i in (0x3A, 0x3C, 0x3E))
    headers = [data[section_offset + i * entry_size:section_offset + (i + 1) * entry_size] for i in range(count)]
    names_header = headers[names_index]
    names_offset = int.from_bytes(names_header[0x18:0x20], "little")
    names = []
    for header in headers:
        start = names_offset + int.from_bytes(header[0:4], "little")
        names.append(data[start:data.index(b"\0", start)].decode())
    return names


@pytest.mark.parametrize("service", ["frontend", "backend", "loadgen"])
def test_binary_is_stripped(service, tmp_path):
    name = f"skalar-images-copy-{uuid.uuid4().hex[:8]}"
    podman("create", "--name", name, IMAGES[service])
    try:
        podman("cp", f"{name}:/usr/local/bin/{service}", str(tmp_path / service))
    finally:
        podman("rm", "--volumes", name, check=False)
    data = (tmp_path / service).read_bytes()
    sections = elf_section_names(data)
    assert ".symtab" not in sections and not any(section.startswith(".debug") for section in sections), sections
    assert len(data) < 20_000_000


def test_image_sizes_stay_within_the_goal():
    base = inspect_image(BASE_IMAGE)["Size"]
    report = [f"base {BASE_IMAGE}: {base / 1e6:.1f} MB"]
    over = []
    for service, image in IMAGES.items():
        size = inspect_image(image)["Size"]
        report.append(f"{image}: {size / 1e6:.1f} MB (+{(size - base) / 1e6:.1f} MB)")
        if size - base >= ADDED_BYTES_GOAL[service]:
            over.append(image)
    print("\n".join(report))
    assert not over, "\n".join(report)


# --- the running services -----------------------------------------------------------------------------

@pytest.mark.parametrize("service", ["frontend", "backend"])
def test_service_runs_as_65532_on_a_read_only_root(stack, service):
    container = stack[service]
    info = inspect_container(container.name)
    assert info["HostConfig"]["ReadonlyRootfs"] is True
    assert info["Config"]["User"] == USER
    processes = podman("top", container.name, "huser", "hgroup", "args").stdout.splitlines()[1:]
    assert [line.split()[:3] for line in processes] == [["65532", "65532", f"/usr/local/bin/{service}"]]
    status = podman("exec", container.name, "/bin/cat", "/proc/1/status").stdout
    assert re.search(r"^CapEff:\s+0+$", status, re.M), status  # no capabilities at all
    for path in ("/probe", "/usr/local/bin/probe", "/etc/probe"):
        assert podman("exec", container.name, "/usr/bin/touch", path, check=False).returncode != 0, path


@pytest.mark.parametrize("service", ["frontend", "backend"])
def test_probes_and_version_answer_with_the_build_version(stack, service):
    port = stack[service].port
    for path, expected in (("/healthz", 200), ("/readyz", 200), ("/version", 200), ("/no-such-path", 404)):
        response = http(port, path)
        assert response.status == expected, (path, response.body)
        assert response.headers["X-App-Version"] == VERSION, path
    version = http(port, "/version").json()
    assert version == {"service": service, "version": VERSION, "revision": REVISION,
                       "pod": version["pod"]}
    assert version["pod"]  # the container's host name
    metrics = http(port, "/metrics").body.decode()
    [build_info] = [line for line in metrics.splitlines() if line.startswith("app_build_info{")]
    for label in (f'service="{service}"', f'version="{VERSION}"', f'revision="{REVISION}"'):
        assert label in build_info, build_info


@pytest.mark.parametrize("service", ["frontend", "backend"])
def test_healthcheck_subcommand_reports_healthy(stack, service):
    name = stack[service].name
    assert podman("healthcheck", "run", name, check=False).returncode == 0, stack[service].logs()
    assert inspect_container(name)["State"]["Health"]["Status"] == "healthy"


def test_admin_listener_is_loopback_only_inside_the_container(stack):
    # Reachable inside the container (kubectl port-forward's path), not published, bound to 127.0.0.1.
    ports = inspect_container(stack["frontend"].name)["NetworkSettings"]["Ports"]
    assert set(ports) == {"8080/tcp"}
    listening = podman("exec", stack["frontend"].name, "/bin/cat", "/proc/net/tcp").stdout
    local = [line.split()[1] for line in listening.splitlines()[1:] if line.split()[3] == "0A"]
    assert "0100007F:2382" in local  # 127.0.0.1:9090
    assert "00000000:1F90" in local  # 0.0.0.0:8080


def test_entry_posted_through_the_frontend_is_stored_by_the_backend(stack):
    frontend, backend = stack["frontend"], stack["backend"]
    message = f"from the image test {uuid.uuid4()}"
    created = http(frontend.port, "/api/entries", method="POST",
                   body={"author": "Images", "message": message},
                   headers={"Idempotency-Key": str(uuid.uuid4())})
    assert created.status == 201, created.body
    assert created.headers["X-App-Version"] == VERSION
    assert created.headers["X-Backend-Version"] == VERSION
    entry = created.json()
    assert entry["message"] == message and entry["author"] == "Images"
    # The backend has it, asked directly.
    items = http(backend.port, "/api/v1/entries?limit=10").json()["items"]
    assert entry["id"] in [item["id"] for item in items]
    listed = http(frontend.port, "/api/entries?limit=10")
    assert listed.status == 200 and message in listed.body.decode()
    info = http(frontend.port, "/api/info").json()
    assert info["backend"]["reachable"] is True and info["backend"]["version"] == VERSION
    page = http(frontend.port, "/")
    assert page.status == 200 and message in page.body.decode()
    files = podman("exec", backend.name, "/bin/ls", "/data").stdout.split()
    assert "backend.sqlite" in files
    stack["entry"] = entry


def test_loadgen_image_puts_load_on_the_frontend(stack):
    frontend = stack["frontend"]
    # The host's network namespace, so the load goes to the frontend's port on 127.0.0.1.
    result = podman("run", "--rm", "--network", "host", "--read-only", "--read-only-tmpfs=false",
                    "--cap-drop", "ALL", IMAGES["loadgen"], f"http://127.0.0.1:{frontend.port}",
                    "--requests", "300", "--connections", "4", "--mix", "page=1,list=8,post=1",
                    "--max-error-rate", "0", timeout=120, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert VERSION in output  # the tally of X-App-Version


def test_stop_exits_zero_within_the_grace_period_and_the_entry_survives(stack):
    """Run last: stops the module's containers. podman stop sends SIGTERM; each service drains for
    DRAIN_SECONDS, finishes, and exits 0 before the grace period would end in SIGKILL. The entry stored
    earlier is still there for a new backend container on the same volume."""
    for service in ("frontend", "backend"):
        container = stack[service]
        started = time.monotonic()
        podman("stop", container.name, timeout=container.grace + 30)
        elapsed = time.monotonic() - started
        state = inspect_container(container.name)["State"]
        logs = container.logs()
        assert state["ExitCode"] == 0, logs
        assert DRAIN_SECONDS - 0.5 <= elapsed < container.grace, (elapsed, logs)
        assert '"message":"draining"' in logs and '"message":"stopped"' in logs, logs

    entry = stack.get("entry")
    if entry is None:
        pytest.skip("no entry was stored")
    again = Container("backend", stack["network"], volume=stack["volume"])
    stack["containers"].append(again)
    wait_ready(again)
    stored = http(again.port, f"/api/v1/entries/{entry['id']}")
    assert stored.status == 200 and stored.json()["message"] == entry["message"]
