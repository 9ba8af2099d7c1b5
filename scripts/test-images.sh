#!/usr/bin/env bash
# The image CI stage: builds frontend-app, backend-app and loadgen from docker/Dockerfile, unchanged,
# with podman, then runs Tests/Images (hadolint, checkov, the compose file, and the images running as
# uid 65532 on a read-only root: probes, version, frontend → backend, podman stop).
#
# On a machine that cannot pull the public base images it first builds stand-ins for them
# (scripts/ci/image-stand-ins.sh says what they stand in for). Swift packages resolve inside the build
# through the machine's git mirror, mounted read-only (scripts/ci/podman-env.sh).
#
# Usage: scripts/test-images.sh [pytest arguments]
# Environment: SKALAR_IMAGE_TAG (default ci-<commit>) is the images' tag and VERSION build arg.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ci/podman-env.sh

stage_start=$SECONDS
timings=()
timed() {
    local label=$1 start=$SECONDS
    shift
    "$@"
    timings+=("$(printf '%-36s %4d s' "$label" $((SECONDS - start)))")
}

# Two cores: a podman build beside another Swift build would starve both.
wait_for_other_swift_builds() {
    local waited=0
    while pgrep -f 'swift-build|swiftc' >/dev/null; do
        [ $waited -eq 0 ] && echo "Waiting for another Swift build to finish..." >&2
        sleep 5
        waited=$((waited + 5))
        [ $waited -lt 1800 ] || { echo "Another Swift build still runs after 30 min" >&2; return 1; }
    done
    [ $waited -eq 0 ] || timings+=("$(printf '%-36s %4d s' "(waited for another Swift build)" $waited)")
}

ensure_images_python() {
    if [ ! -x .venv-images/bin/pytest ] || [ ! -x .venv-images/bin/checkov ] || [ ! -x .venv-images/bin/hadolint ]; then
        python3 -m venv .venv-images 2>/dev/null || { ensure_apt_packages python3-venv; python3 -m venv .venv-images; }
        .venv-images/bin/pip install --quiet --disable-pip-version-check \
            -r Tests/Images/requirements.txt -c Tests/Images/constraints.txt
    fi
}

timed "podman, Python test tools" eval 'ensure_podman; ensure_images_python'
wait_for_other_swift_builds
timed "base-image stand-ins" scripts/ci/image-stand-ins.sh

revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
tag=${SKALAR_IMAGE_TAG:-ci-$(git rev-parse --short=12 HEAD 2>/dev/null || echo local)}
mapfile -t mounts < <(swift_package_mirror_mounts)

# The build context: a snapshot of the files git would commit (tracked, and untracked but not ignored),
# as a clean clone has them, so that all four builds see the same sources while others edit the tree.
# .dockerignore then applies to it as to any context. Outside a git checkout: the folder itself.
context=.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    context=$(mktemp -d "${TMPDIR:-/tmp}/skalar-image-context.XXXXXX")
    trap 'rm -rf "$context"' EXIT
    git ls-files -z --cached --others --exclude-standard |
        tar --null --files-from - --ignore-failed-read --create 2>/dev/null | tar -C "$context" --extract
fi

build_image() {
    local target=$1 name=$2
    # --format docker keeps HEALTHCHECK (the OCI image format has no field for it); Docker always does.
    podman build --format docker "${mounts[@]}" \
        --file "$context/$SKALAR_DOCKERFILE" --target "$target" --tag "localhost/$name:$tag" \
        --build-arg VERSION="$tag" --build-arg REVISION="$revision" \
        "$context" >"${TMPDIR:-/tmp}/skalar-build-$name.log" 2>&1 ||
        { tail -60 "${TMPDIR:-/tmp}/skalar-build-$name.log" >&2; return 1; }
}

# Containers a killed run left behind (the tests name theirs skalar-images-*).
podman ps --all --filter name=skalar-images- --format '{{.Names}}' | xargs -r podman rm --force --volumes --time 0 >/dev/null

# The build stage first (it compiles the three binaries), tagged so that a later run can remove it with
# its layers; the three images then take the binaries from its cached layers.
wait_for_other_swift_builds
timed "podman build --target build" build_image build skalar-build
for target in frontend-app backend-app loadgen; do
    wait_for_other_swift_builds
    timed "podman build --target $target" build_image "$target" "$target"
done

# Earlier runs' images (other tags), with the layers only they use.
podman images --format '{{.Repository}}:{{.Tag}}' |
    grep -E '^localhost/(skalar-build|frontend-app|backend-app|loadgen):ci-' | grep -v ":$tag\$" |
    xargs -r podman rmi --force >/dev/null || true

export SKALAR_IMAGE_FRONTEND="localhost/frontend-app:$tag"
export SKALAR_IMAGE_BACKEND="localhost/backend-app:$tag"
export SKALAR_IMAGE_LOADGEN="localhost/loadgen:$tag"
export SKALAR_IMAGE_VERSION="$tag" SKALAR_IMAGE_REVISION="$revision"
export SKALAR_IMAGE_BASE="docker.io/library/debian:bookworm-slim"

status=0
timed "Tests/Images" .venv-images/bin/pytest -q -p no:cacheprovider Tests/Images "$@" || status=$?

echo
echo "Image sizes (uncompressed):"
base_size=$(podman image inspect --format '{{.Size}}' "$SKALAR_IMAGE_BASE")
printf '  %-44s %6.1f MB\n' "$SKALAR_IMAGE_BASE" "$(awk "BEGIN { print $base_size / 1e6 }")"
for image in "$SKALAR_IMAGE_FRONTEND" "$SKALAR_IMAGE_BACKEND" "$SKALAR_IMAGE_LOADGEN"; do
    size=$(podman image inspect --format '{{.Size}}' "$image")
    printf '  %-44s %6.1f MB  (+%.1f MB)\n' "$image" "$(awk "BEGIN { print $size / 1e6 }")" \
        "$(awk "BEGIN { print ($size - $base_size) / 1e6 }")"
done
echo "Timings:"
printf '  %s\n' "${timings[@]}"
printf '  %-36s %4d s\n' "image stage in all" $((SECONDS - stage_start))
exit $status
