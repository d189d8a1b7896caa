#!/usr/bin/env bash
# Deploy LiteLLM on this machine with the role, as root, from a fresh
# Debian/Ubuntu machine: installs Docker Engine (Debian's docker.io) and the
# pinned Ansible tooling, then runs demo/site.yml against localhost.
#
# With AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment the
# proxy talks to the real AWS Bedrock; without them it talks to the local
# Bedrock stand-in (tests/bedrock_standin), so the curl examples answer anyway.
# The secrets come from demo/inventory/group_vars/litellm/vault.yml, encrypted
# with the public DEMO-ONLY password: never reuse them.
set -euo pipefail
demo=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$demo/.." && pwd)
run="$demo/.run"
say() { printf '\n==> %s\n' "$*"; }

[ "$(id -u)" = 0 ] || { echo "run as root (as root: $0, or sudo $0)" >&2; exit 1; }
# shellcheck source=../tests/lib/setup.sh
source "$root/tests/lib/setup.sh"
say "Docker Engine and the Ansible tooling"
setup_host
setup_venv
start_dockerd
export PATH="$root/.venv/bin:$PATH" ANSIBLE_CONFIG="$demo/ansible.cfg"

mkdir -p "$run/roles"
chmod 0700 "$run"
ln -sfn "$root" "$run/roles/litellm_bedrock.litellm"
extra="$run/extra-vars.json"
# It can hold AWS keys: created 0600 before anything is written to it (in a
# subshell, so that the umask reaches nothing else: not the image build), and
# removed however the script ends, a failed play included.
trap 'rm -f "$extra"' EXIT
private() { (umask 077 && rm -f "$1" && : >"$1"); }
private "$extra"

image=ghcr.io/berriai/litellm:main-stable
say "LiteLLM image"
if timeout 300 docker pull -q "$image" >/dev/null 2>&1; then
  echo "pulled the official image $image"
  pull=always
else
  echo "The official image $image cannot be pulled from this machine:"
  echo "building the same PyPI-based LiteLLM image the tests use (tests/images/build.sh litellm) instead."
  image=$("$root/tests/images/build.sh" litellm)
  pull=never
fi

if [ -n "${AWS_ACCESS_KEY_ID:-}" ] && [ -n "${AWS_SECRET_ACCESS_KEY:-}" ]; then
  say "AWS credentials found in the environment: the proxy will call AWS Bedrock"
  python3 - "$extra" "$image" "$pull" <<'PY'
import json, os, sys
path, image, pull = sys.argv[1:4]
extra = {
    "litellm_image": image,
    "litellm_image_pull": pull,
    "litellm_aws_access_key_id": os.environ["AWS_ACCESS_KEY_ID"],
    "litellm_aws_secret_access_key": os.environ["AWS_SECRET_ACCESS_KEY"],
    "litellm_aws_session_token": os.environ.get("AWS_SESSION_TOKEN", ""),
}
with open(path, "w") as handle:
    json.dump(extra, handle)
PY
else
  say "No AWS credentials given: starting the local Bedrock stand-in"
  gateway=$(ip -4 -o addr show docker0 | awk '{print $4}' | cut -d/ -f1)
  private "$run/standin.env"
  ansible-vault view "$demo/inventory/group_vars/litellm/vault.yml" | python3 -c '
import sys, yaml
v = yaml.safe_load(sys.stdin)
print("STANDIN_ACCESS_KEY_ID=" + v["vault_litellm_aws_access_key_id"])
print("STANDIN_SECRET_ACCESS_KEY=" + v["vault_litellm_aws_secret_access_key"])
' > "$run/standin.env"
  echo "STANDIN_LISTEN=$gateway:8099" >> "$run/standin.env"
  if [ -f "$run/standin.pid" ] && kill -0 "$(cat "$run/standin.pid")" 2>/dev/null; then
    kill "$(cat "$run/standin.pid")"
    sleep 1
  fi
  # Another process on the port would answer in the stand-in's place.
  if [ -n "$(ss -Htln 'sport = :8099')" ]; then
    echo "port 8099 is already in use on this machine (ss -tlnp 'sport = :8099'): the demo's stand-in needs it" >&2
    exit 1
  fi
  (
    set -a
    # shellcheck disable=SC1091
    source "$run/standin.env"
    set +a
    exec nohup "$root/.venv/bin/python" "$root/tests/bedrock_standin/bedrock_standin.py" >"$run/standin.log" 2>&1
  ) &
  echo $! > "$run/standin.pid"
  for _ in $(seq 50); do
    if ! kill -0 "$(cat "$run/standin.pid")" 2>/dev/null; then
      echo "the stand-in stopped at its start (log $run/standin.log):" >&2
      tail -3 "$run/standin.log" >&2
      exit 1
    fi
    curl -sf "http://$gateway:8099/_standin/health" >/dev/null && break
    sleep 0.2
  done
  curl -sf "http://$gateway:8099/_standin/health" >/dev/null \
    || { echo "the stand-in does not answer on $gateway:8099 (log $run/standin.log)" >&2; exit 1; }
  echo "stand-in listening on $gateway:8099 (pid $(cat "$run/standin.pid"), log $run/standin.log)"
  printf '{"litellm_image": "%s", "litellm_image_pull": "%s", "litellm_bedrock_runtime_endpoint": "http://%s:8099"}\n' \
    "$image" "$pull" "$gateway" > "$extra"
fi

say "ansible-playbook demo/site.yml"
cd "$demo"
ansible-playbook site.yml -e "@$extra"
rm -f "$extra"  # the trap does it too; gone before the curl examples

say "LiteLLM answers on port 4000"
# The key is read on the host, as an operator would: it is never printed.
KEY=$(sed -n 's/^LITELLM_MASTER_KEY=//p' /etc/litellm/litellm.env)
echo '$ curl -sS --fail-with-body http://127.0.0.1:4000/v1/models -H "Authorization: Bearer $KEY"'
curl -sS --fail-with-body http://127.0.0.1:4000/v1/models -H "Authorization: Bearer $KEY"
echo
body='{"model": "claude-sonnet-5-5", "messages": [{"role": "user", "content": "Hello from the demo"}]}'
echo "\$ curl -sS --fail-with-body http://127.0.0.1:4000/v1/chat/completions -H \"Authorization: Bearer \$KEY\" -H 'Content-Type: application/json' -d '$body'"
curl -sS --fail-with-body http://127.0.0.1:4000/v1/chat/completions -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' -d "$body"
echo
