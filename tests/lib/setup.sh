# Shared set-up of the test command and the demo (sourced, not run).
# Installs Debian packages and the pinned Python tooling, and starts dockerd.

_lib_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# What the machine that runs the tests (or the demo) needs from Debian.
HOST_PACKAGES=(docker.io debootstrap python3-venv curl openssl)

setup_host() {
  local missing=()
  for pkg in "${HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "==> apt-get install ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  fi
}

setup_venv() {
  local venv="$_lib_root/.venv" stamp
  stamp=$(sha256sum "$_lib_root/requirements.txt" | cut -c1-16)
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.requirements" 2>/dev/null)" != "$stamp" ]; then
    echo "==> Python tooling into .venv (requirements.txt)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r "$_lib_root/requirements.txt" >"$venv/pip.log" 2>&1 \
      || { tail -30 "$venv/pip.log" >&2; return 1; }
    echo "$stamp" > "$venv/.requirements"
  fi
}

# One virtual environment per older ansible-core the role supports, for
# test_96_ansible_cores.py: .venv-cores/<version>, from tests/requirements/.
setup_core_venvs() {
  local req version venv stamp
  for req in "$_lib_root"/tests/requirements/ansible-core-*.txt; do
    version=$(basename "$req" .txt)
    version=${version#ansible-core-}
    venv="$_lib_root/.venv-cores/$version"
    stamp=$(sha256sum "$req" | cut -c1-16)
    if [ ! -x "$venv/bin/ansible-playbook" ] || [ "$(cat "$venv/.requirements" 2>/dev/null)" != "$stamp" ]; then
      echo "==> ansible-core $version into .venv-cores/$version ($(basename "$req"))"
      rm -rf "$venv"
      python3 -m venv "$venv"
      "$venv/bin/pip" install -q -r "$req" >"$venv/pip.log" 2>&1 || { tail -30 "$venv/pip.log" >&2; return 1; }
      echo "$stamp" >"$venv/.requirements"
    fi
  done
}

start_dockerd() {
  if docker info >/dev/null 2>&1; then
    return 0
  fi
  if [ -d /run/systemd/system ]; then
    systemctl start docker
  else
    # No systemd (containers, CI sandboxes): run the daemon directly.
    echo "==> starting dockerd (log: /var/log/dockerd-tests.log)"
    nohup dockerd >/var/log/dockerd-tests.log 2>&1 &
  fi
  local deadline=$((SECONDS + 60))
  until docker info >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { echo "dockerd did not start" >&2; tail -20 /var/log/dockerd-tests.log >&2; return 1; }
    sleep 1
  done
}
