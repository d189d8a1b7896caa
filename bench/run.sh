#!/usr/bin/env bash
# The benchmark, as root, after the README's set-up (the test suite runs it
# once, short, into a scratch directory: --repeats 1 ... --out DIR):
#   bench/run.sh [--repeats 5] [--duration 5] [--concurrency 1,8,32] [--models 7,50,200]
#                [--hosts 1,2,4] [--settings 'defaults;1 worker;...'] [--out bench/results]
#                [--phases settings_at_c8,...  (a part, into another --out)]
# It deploys the role on this machine like demo/deploy.sh (so port 4000 must be
# free), against the local Bedrock stand-in, and writes bench/results/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
run="$root/bench/.run"
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
# shellcheck source=../tests/lib/setup.sh
source "$root/tests/lib/setup.sh"
HOST_PACKAGES+=(wrk)
setup_host
setup_venv
start_dockerd
export PATH="$root/.venv/bin:$PATH"
mkdir -p "$run" "$root/demo/.run/roles"
chmod 0700 "$run"
ln -sfn "$root" "$root/demo/.run/roles/litellm_bedrock.litellm"

if docker pull -q ghcr.io/berriai/litellm:main-stable >/dev/null 2>&1; then
  image=ghcr.io/berriai/litellm:main-stable
else
  echo "[bench] the official image cannot be pulled here: using the PyPI-based test image"
  image=$("$root/tests/images/build.sh" litellm)
fi

# The stand-in, without signature checks: wrk's direct baseline requests are
# unsigned, and both paths must do the same work on the stand-in's side.
gateway=$(ip -4 -o addr show docker0 | awk '{print $4}' | cut -d/ -f1)
STANDIN_ACCESS_KEY_ID=unused STANDIN_SECRET_ACCESS_KEY=unused STANDIN_VERIFY=false STANDIN_LISTEN=0.0.0.0:8099 \
  "$root/.venv/bin/python" "$root/tests/bedrock_standin/bedrock_standin.py" 2>"$run/standin.log" &
standin=$!
# Whatever the benchmark deployed last goes too, its files (the demo's keys)
# with it: it serves only the benchmark, which starts each phase afresh anyway.
trap 'kill $standin 2>/dev/null || true; docker rm -f litellm litellm-canary litellm-previous >/dev/null 2>&1 || true; rm -rf /etc/litellm' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:8099/_standin/health >/dev/null && break; sleep 0.2; done

# Test hosts for the fleet figures: the Molecule scenario's image (systemd and Docker Engine).
host_image=$("$root/tests/images/build.sh" host)
python "$root/bench/bench.py" --image "$image" --host-image "$host_image" --standin "http://$gateway:8099" "$@"
