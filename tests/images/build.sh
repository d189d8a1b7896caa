#!/usr/bin/env bash
# Build the local images the tests (and the offline demo) run on, when missing.
#
#   tests/images/build.sh host      Debian 12 test host: systemd + its own Docker Engine
#   tests/images/build.sh litellm          LiteLLM's LTS line (files/litellm-lts.txt) from PyPI,
#                                          laid out like today's official image: non-root
#                                          (65532:65532), /app/docker-entrypoint.sh, HOME=/app,
#                                          /app and /var/lib/litellm owned by 65532:0
#   tests/images/build.sh litellm-newest   the same layout with the newest release installable
#                                          here (files/litellm-newest.txt)
#
# Each LiteLLM line is two files: files/litellm-<line>.txt (what pip installs;
# its `litellm==` or `litellm[proxy]==` line is the version the check wants)
# and files/litellm-<line>-constraints.txt (every package pinned). Moving a
# line to a newer release: tests/images/README.md.
#
# No container registry is reachable from these machines, so each image is a
# debootstrap root filesystem fed to `docker import`. The tag is a hash of this
# recipe: a changed recipe builds anew, an unchanged one is reused. The tag is
# printed on stdout; progress goes to stderr. LITELLM_TEST_IMAGE_REPOSITORY
# (default litellm-test) names the repository of the tag: another one builds
# anew, as on a machine that never built these images (the suite's first-run demo).
#
# The image does not depend on the caller: the umask, locale and working
# directory are set here (a caller's umask 077 once built a venv the image's
# own user could not read). A build is tagged only after a check run as the
# image's own user: LiteLLM imports and says its version, every file it needs
# is readable (the host image: systemd and Docker are there).
set -euo pipefail
umask 022
export LC_ALL=C

SUITE=bookworm
HOST_PACKAGES=systemd,systemd-sysv,dbus,python3,python3-requests,python3-botocore,docker.io,docker-registry,ca-certificates,iproute2,procps,curl,iptables
LITELLM_PACKAGES=python3,python3-venv,ca-certificates

kind=${1:?usage: build.sh host|litellm|litellm-newest}
here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
cd /
case "$kind" in
  host) packages=$HOST_PACKAGES; inputs=("$here/files/registry-config.yml") ;;
  litellm | litellm-newest)
    line=lts
    [ "$kind" = litellm ] || line=newest
    requirements="$here/files/litellm-$line.txt"
    constraints="$here/files/litellm-$line-constraints.txt"
    packages=$LITELLM_PACKAGES
    inputs=("$here/files/prod_entrypoint.sh" "$here/files/docker-entrypoint.sh" "$requirements" "$constraints")
    # The version the check wants: the requirements' litellm pin.
    LITELLM_VERSION=$(sed -n 's/^litellm\(\[[a-z,-]*\]\)\{0,1\}==\([^ ;]*\).*/\2/p' "$requirements")
    [ -n "$LITELLM_VERSION" ] || { echo "no litellm== line in $requirements" >&2; exit 2; }
    ;;
  *) echo "unknown image kind: $kind (host|litellm|litellm-newest)" >&2; exit 2 ;;
esac
# This script and the files copied into the image make the recipe.
recipe_hash=$(cat "$self" "${inputs[@]}" | sha256sum | cut -c1-12)
repository="${LITELLM_TEST_IMAGE_REPOSITORY:-litellm-test}/$kind"
tag="$repository:$recipe_hash"

log() { printf '[build %s] %s\n' "$kind" "$*" >&2; }

if docker image inspect "$tag" >/dev/null 2>&1; then
  log "cached: $tag"
  echo "$tag"
  exit 0
fi

# The machine's own Debian mirror, so the build works wherever apt-get does.
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '/^deb / && $3 ~ /bookworm|stable/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || { echo "no Debian mirror found in the apt sources" >&2; exit 1; }

work=$(mktemp -d /var/tmp/litellm-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
cache=/var/cache/litellm-test-debootstrap
mkdir -p "$cache"

log "debootstrap $SUITE ($packages)"
# mktemp made the work directory 0700: the root of the image must be 0755.
mkdir -m 0755 "$root"
debootstrap --variant=minbase --cache-dir="$cache" --include="$packages" "$SUITE" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -30 "$work/debootstrap.log" >&2; exit 1; }

case "$kind" in
  host)
    # Units that have nothing to do in a container and slow or break its boot.
    for unit in getty.target systemd-udevd.service systemd-udev-trigger.service \
                systemd-remount-fs.service systemd-logind.service dev-hugepages.mount \
                sys-kernel-debug.mount sys-kernel-tracing.mount; do
      ln -sf /dev/null "$root/etc/systemd/system/$unit"
    done
    # A loopback-only registry without the htpasswd auth Debian ships switched on:
    # the role under test pulls its image from it as it would from ghcr.io.
    install -m 0644 "$here/files/registry-config.yml" "$root/etc/docker/registry/config.yml"
    changes=(--change 'ENV container=docker' --change 'CMD ["/sbin/init"]')
    ;;
  litellm | litellm-newest)
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    # The build may sit behind a TLS-inspecting proxy: trust what this machine
    # trusts while pip runs, then put the image's own CA bundle back.
    bundle="$root/etc/ssl/certs/ca-certificates.crt"
    mv "$bundle" "$bundle.image"
    cp /etc/ssl/certs/ca-certificates.crt "$bundle"
    log "pip install -r $(basename "$requirements"): LiteLLM $LITELLM_VERSION (several minutes)"
    chroot "$root" python3 -m venv /opt/litellm
    # Every dependency pinned too, so that two builds of this recipe match.
    install -m 0644 "$requirements" "$root/tmp/requirements.txt"
    install -m 0644 "$constraints" "$root/tmp/constraints.txt"
    chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
      PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
      /opt/litellm/bin/pip install -q -c /tmp/constraints.txt -r /tmp/requirements.txt >&2
    rm -f "$root/tmp/requirements.txt" "$root/tmp/constraints.txt"
    mv "$bundle.image" "$bundle"
    rm -f "$root/etc/resolv.conf"
    # Both entrypoints, as in the official image (its /app is the repository):
    # today's /app/docker-entrypoint.sh, and the older docker/prod_entrypoint.sh
    # that root-based builds (the older layout, still run pinned by digest) call.
    mkdir -p "$root/app/docker" "$root/var/lib/litellm"
    install -m 0755 "$here/files/docker-entrypoint.sh" "$root/app/docker-entrypoint.sh"
    install -m 0755 "$here/files/prod_entrypoint.sh" "$root/app/docker/prod_entrypoint.sh"
    # Today's official image runs as 65532:65532 (named "nonroot", as in its
    # base image), and owns what it writes to at run time: /app (HOME, with
    # .cache) and /var/lib/litellm (a non-root proxy copies its admin UI there).
    echo 'nonroot:x:65532:65532:nonroot:/app:/usr/sbin/nologin' >>"$root/etc/passwd"
    echo 'nonroot:x:65532:' >>"$root/etc/group"
    chown -R 65532:0 "$root/app" "$root/var/lib/litellm"
    # Like the official image: no curl or wget inside, and no CMD.
    changes=(--change 'ENV PATH=/opt/litellm/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
             --change 'ENV PYTHONUNBUFFERED=1'
             --change 'ENV HOME=/app'
             --change 'ENV LITELLM_NON_ROOT=true'
             --change 'WORKDIR /app'
             --change 'USER 65532:65532'
             --change 'EXPOSE 4000/tcp 4001/tcp 3000/tcp'
             --change 'ENTRYPOINT ["/app/docker-entrypoint.sh"]')
    ;;
esac

rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
candidate="$tag-unchecked"
log "docker import -> $candidate"
tar -C "$root" --numeric-owner -c . | docker import "${changes[@]}" - "$candidate" >/dev/null

# The check, as the image's own user (its USER), with no network.
check() { docker run --rm --network=none "$@"; }
case "$kind" in
  host)
    checked=$(check --entrypoint /bin/sh "$candidate" -c \
      'test -x /lib/systemd/systemd && command -v dockerd >/dev/null && python3 -c "import requests, botocore" && echo ok')
    want=ok
    ;;
  litellm | litellm-newest)
    # Nothing under the venv, /app or the system Python unreadable to the
    # user, and LiteLLM imports (its version read as the role's probe reads it).
    unreadable=$(check --entrypoint find "$candidate" /opt/litellm /app /usr/lib/python3.11 ! -readable -print 2>&1 | head -5)
    [ -z "$unreadable" ] || { docker rmi "$candidate" >/dev/null; echo "the image's user cannot read: $unreadable" >&2; exit 1; }
    checked=$(check -e LITELLM_LOCAL_MODEL_COST_MAP=True --entrypoint python3 "$candidate" -c \
      'import importlib.metadata, litellm; print(importlib.metadata.version("litellm"))' 2>&1 | tail -1)
    want=$LITELLM_VERSION
    ;;
esac
if [ "$checked" != "$want" ]; then
  docker rmi "$candidate" >/dev/null
  echo "the $kind image failed its check as its own user (wanted '$want'): $checked" >&2
  exit 1
fi
log "checked as the image's user ($checked): tagging $tag"
docker tag "$candidate" "$tag"
docker rmi "$candidate" >/dev/null
# Older recipes' images are of no further use; one still in use stays.
for old in $(docker images "$repository" --format '{{.Repository}}:{{.Tag}}'); do
  [ "$old" = "$tag" ] || docker rmi "$old" >/dev/null 2>&1 || true
done
echo "$tag"
