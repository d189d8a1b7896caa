#!/usr/bin/env bash
# The fleet scenario's balancer: the test host image (tests/images/build.sh
# host: systemd, Docker, the registry) plus Debian's haproxy and redis-server
# (and socat, to read HAProxy's state), as an operator's balancer and Redis host
# would have them from apt.
#
#   tests/images/build-balancer.sh    prints the tag; builds it when missing
#
# The tag is a hash of this script and of the host image's tag: a changed
# recipe builds anew. Progress goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
host=$(bash "$here/build.sh" host)
tag="litellm-test/balancer:$( (cat "$0"; echo "$host") | sha256sum | cut -c1-12)"
if docker image inspect "$tag" >/dev/null 2>&1; then
  printf '[build balancer] cached: %s\n' "$tag" >&2
  echo "$tag"
  exit 0
fi
printf '[build balancer] apt-get install haproxy redis-server on %s -> %s\n' "$host" "$tag" >&2
docker build -q -t "$tag" - >&2 <<DOCKERFILE
FROM $host
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      haproxy redis-server socat >/dev/null && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb
DOCKERFILE
for old in $(docker images litellm-test/balancer --format '{{.Repository}}:{{.Tag}}'); do
  [ "$old" = "$tag" ] || docker rmi "$old" >/dev/null 2>&1 || true
done
echo "$tag"
