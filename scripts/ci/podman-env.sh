# The podman environment of the image CI stage, shared by scripts/ci/image-stand-ins.sh and
# scripts/test-images.sh. Sourced, not run; expects to be sourced from the repository root.
#
# Everything machine-specific about building Skalar's images here lives in this file and in
# scripts/ci/containers.conf, never in docker/: the Dockerfiles are what users run with Docker.

source scripts/lib/setup.sh

# podman reads its engine settings from here instead of /etc/containers (see the file for why).
export CONTAINERS_CONF="$PWD/scripts/ci/containers.conf"

SKALAR_DOCKERFILE=docker/Dockerfile

# podman, buildah's engine and runc, and debootstrap for the base-image stand-in.
ensure_podman() {
    ensure_apt_packages podman runc debootstrap
}

# The public images the Dockerfile builds FROM (every FROM that does not name one of its own stages).
dockerfile_base_images() {
    awk 'toupper($1) == "FROM" {
             image = $2
             for (i = 3; i <= NF; i++) if (toupper($i) == "AS") stages[$(i + 1)] = 1
             if (!(image in stages) && image !~ /^--/) print image
         }' "$SKALAR_DOCKERFILE" | sort -u
}

# The mounts that let `swift build` inside `podman build` resolve the packages offline: the system git
# configuration's github.com rewrites, pointing at the local package mirror, and the mirror itself.
# Prints one `-v` option per line. Only the url.*.insteadOf entries are passed into the build.
swift_package_mirror_mounts() {
    local config="${TMPDIR:-/tmp}/skalar-build-gitconfig"
    git config --system --get-regexp '^url\..*\.insteadof$' | while read -r key value; do
        local base="${key#url.}"
        base="${base%.insteadof}"
        printf '[url "%s"]\n\tinsteadOf = %s\n' "$base" "$value"
    done > "$config"
    echo "-v"
    echo "$config:/etc/gitconfig:ro"
    # Every local folder the rewrites point into (github.com → /opt/swift-packages/ here).
    git config --system --get-regexp '^url\..*\.insteadof$' | awk '{ sub(/^url\./, "", $1); sub(/\.insteadof$/, "", $1); print $1 }' |
        sort -u | while read -r folder; do
            [ -d "$folder" ] || continue
            echo "-v"
            echo "${folder%/}:${folder%/}:ro"
        done
}
