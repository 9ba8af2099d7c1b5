# Shared set-up for the scripts: installs what a fresh Debian 12 machine with Swift lacks.
# Sourced, not run.

# Runs a command as root, through sudo when not root already.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the named Debian packages that are not installed yet.
ensure_apt_packages() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "Installing Debian packages: ${missing[*]}" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The C libraries the services link against.
ensure_build_dependencies() {
    ensure_apt_packages libevent-dev libpq-dev libsqlite3-dev zlib1g-dev pkg-config
}

# A virtual environment with the Python test tools, in .venv-test.
ensure_test_python() {
    if [ ! -x .venv-test/bin/python ]; then
        python3 -m venv .venv-test 2>/dev/null || { ensure_apt_packages python3-venv; python3 -m venv .venv-test; }
    fi
    # Quick when everything is there already; keeps an older venv in step with the requirements.
    .venv-test/bin/pip install --quiet --disable-pip-version-check -r Tests/Integration/requirements.txt
}
