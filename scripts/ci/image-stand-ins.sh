#!/usr/bin/env bash
# CI ONLY: builds local STAND-INS for the public base images that docker/Dockerfile builds FROM, on a
# machine that cannot pull from Docker Hub. Users never run this: with Docker (or podman) and a registry
# they get the real images.
#
#   docker.io/library/debian:bookworm-slim   stand-in: `debootstrap --variant=minbase bookworm` from the
#                                            Debian mirror apt's sources name, slimmed the way the
#                                            official image is (no docs, man pages or locales; the same
#                                            dpkg path excludes and apt settings), imported with podman.
#   docker.io/library/swift:<version>-bookworm
#                                            stand-in: that base, the Debian packages the official Swift
#                                            image installs, and this machine's own Swift toolchain (the
#                                            folder `swift` runs from) copied into /usr, where the
#                                            official image has it. Its version must match the tag.
#
# The stand-ins carry the label skalar.ci.stand-in=true. An image already present under a name is left
# alone (a real one from a registry included); --force rebuilds the stand-ins.
#
# Usage: scripts/ci/image-stand-ins.sh [--force]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/ci/podman-env.sh

force=false
[ "${1:-}" = "--force" ] && force=true

ensure_podman

cleanup=()
trap 'for dir in "${cleanup[@]}"; do as_root rm -rf "$dir"; done' EXIT

# The Debian mirrors apt's sources name (deb822 or one-line format); deb.debian.org otherwise.
apt_source_uri() {
    local pattern=$1 fallback=$2
    local uri
    uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ { print $2 }' | grep -E "$pattern" | head -1 || true)
    [ -n "$uri" ] || uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '/^deb / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' | grep -E "$pattern" | head -1 || true)
    echo "${uri:-$fallback}"
}

needs_build() {
    local image=$1
    if $force; then
        if podman image exists "$image" && [ "$(podman image inspect --format '{{ index .Labels "skalar.ci.stand-in" }}' "$image")" != "true" ]; then
            echo "$image exists and is no stand-in; leaving it alone" >&2
            return 1
        fi
        return 0
    fi
    if podman image exists "$image"; then
        echo "$image present; not rebuilt (--force rebuilds a stand-in)" >&2
        return 1
    fi
}

# Stand-in for debian:bookworm-slim.
build_debian_stand_in() {
    local image=$1 suite=bookworm
    local mirror security root
    mirror=$(apt_source_uri 'debian/?$' http://deb.debian.org/debian)
    security=$(apt_source_uri 'debian-security/?$' http://deb.debian.org/debian-security)
    root=$(mktemp -d "${TMPDIR:-/tmp}/skalar-minbase.XXXXXX")
    cleanup+=("$root")

    echo "Stand-in $image: debootstrap --variant=minbase $suite from $mirror" >&2
    as_root debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.log" 2>&1 ||
        { tail -20 "$root.log" >&2; rm -f "$root.log"; return 1; }
    rm -f "$root.log"

    # What the official slim image does (debuerreotype's slimify and its apt/dpkg settings for Docker).
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# The "slim" variant: documentation, man pages and locales are not installed (copyright files are).
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
    cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
    echo 'Acquire::GzipIndexes "true";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
    echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
    rm -f "$root/etc/apt/sources.list"
    cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$root"/usr/share/{man,groff,info,linda,lintian/overrides}/* "$root"/usr/share/locale/*
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old \
        "$root"/var/log/* "$root"/tmp/* "$root"/root/.bash_history
    : >"$root/etc/hostname"
    : >"$root/etc/resolv.conf"
    : >"$root/etc/machine-id"

    tar --numeric-owner -C "$root" -c . |
        podman import --quiet \
            --change 'CMD ["bash"]' \
            --change 'LABEL skalar.ci.stand-in=true' \
            --change "LABEL skalar.ci.stand-in.for=$image" \
            --message "CI stand-in for $image (debootstrap minbase)" \
            - "$image" >/dev/null
}

# Stand-in for swift:<version>-bookworm.
build_swift_stand_in() {
    local image=$1 base=$2
    local tag_version toolchain host_version context
    tag_version=$(sed -E 's/.*:([0-9]+(\.[0-9]+)*)-.*/\1/' <<<"$image")
    toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
    host_version=$(swift --version 2>&1 | sed -nE 's/.*Swift version ([0-9.]+).*/\1/p' | head -1)
    # A tag like 6.3 names the newest 6.3.x; 6.3.1 names exactly that.
    case "$host_version." in
        "$tag_version".*) ;;
        *) echo "The Dockerfile pins $image, but this machine's toolchain ($toolchain) is Swift $host_version;" \
                "update the pin or the toolchain." >&2
           return 1 ;;
    esac
    podman image exists "$base" || { echo "$base is missing" >&2; return 1; }

    echo "Stand-in $image: $base + Swift $host_version from $toolchain" >&2
    context=$(mktemp -d "${TMPDIR:-/tmp}/skalar-swift-stand-in.XXXXXX")
    cleanup+=("$context")
    # The Debian packages are those of swiftlang/swift-docker's debian/12 Dockerfile.
    cat >"$context/Containerfile" <<EOF
FROM $base
LABEL skalar.ci.stand-in=true skalar.ci.stand-in.for="$image"
RUN export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true && apt-get -q update && \\
    apt-get -q install -y binutils libicu-dev libcurl4-openssl-dev libedit-dev libsqlite3-dev \\
        libncurses-dev libpython3-dev libxml2-dev pkg-config uuid-dev tzdata git gcc libstdc++-12-dev \\
        >/dev/null && \\
    rm -rf /var/lib/apt/lists/*
RUN cp -a /toolchain/usr/. /usr/ && chmod -R o+r /usr/lib/swift && swift --version
EOF
    podman build --quiet --network host --layers=false -v "$toolchain:/toolchain:ro" \
        -t "$image" "$context" >/dev/null
}

images=$(dockerfile_base_images)
debian_image=$(grep -E '/debian:bookworm-slim$' <<<"$images" || true)
swift_image=$(grep -E '/swift:[0-9.]+-bookworm$' <<<"$images" || true)
other=$(grep -vE '/debian:bookworm-slim$|/swift:[0-9.]+-bookworm$' <<<"$images" || true)
[ -n "$debian_image" ] && [ -n "$swift_image" ] && [ -z "$other" ] || {
    echo "Unexpected base images in $SKALAR_DOCKERFILE:" $images >&2
    exit 1
}

is_stand_in() {
    [ "$(podman image inspect --format '{{ index .Labels "skalar.ci.stand-in" }}' "$1" 2>/dev/null)" = "true" ]
}

start=$SECONDS
base_rebuilt=false
if needs_build "$debian_image"; then
    build_debian_stand_in "$debian_image"
    base_rebuilt=true
fi
echo "  $debian_image ready after $((SECONDS - start)) s" >&2
# A Swift stand-in made from an older base is made again with the new one.
if needs_build "$swift_image" || { $base_rebuilt && is_stand_in "$swift_image"; }; then
    build_swift_stand_in "$swift_image" "$debian_image"
fi
echo "  $swift_image ready after $((SECONDS - start)) s" >&2
