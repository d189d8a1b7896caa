#!/usr/bin/env bash
# The whole test suite, from a fresh Debian/Ubuntu machine (run as root):
#   yamllint, ansible-lint (production profile), ruff, then `molecule test`.
# It installs what it needs (Debian packages, the pinned Python tooling in
# .venv), starts dockerd when it is not running, and builds the test images
# when they are missing (tests/images/build.sh caches them by recipe).
#
#   tests/run.sh                 everything (the only run that writes reports/)
#   tests/run.sh lint            only the linters
#   tests/run.sh unit            only the fuzz test of the input checks (no test host)
#   tests/run.sh molecule ARGS   only molecule, e.g. `molecule converge`
#   tests/run.sh verify [FILES]  test files on their own against the converged instance
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
step() { printf '\n==> %s\n' "$*"; }

source tests/lib/setup.sh
setup_host
setup_venv
export PATH="$root/.venv/bin:$PATH"

# ansible-lint and molecule must not reach for Galaxy: the `ansible` package
# already bundles community.docker.
export ANSIBLE_COLLECTIONS_PATH="$root/.venv/lib/python3.11/site-packages"
export ANSIBLE_NOCOLOR=1 PY_COLORS=0 ANSIBLE_FORCE_COLOR=0

# The demo's playbook names the role by its Galaxy name: point Ansible at this
# checkout under that name (ansible-lint's own link in ~/.ansible/roles may be
# left over from a checkout elsewhere).
mkdir -p .cache/roles
ln -sfn "$root" .cache/roles/litellm_bedrock.litellm
export ANSIBLE_ROLES_PATH="$root/.cache/roles"

lint() {
  step "yamllint"
  yamllint --strict .
  step "ansible-lint (production profile, offline)"
  # Both vaults in the repository (tests, demo) are read with their public passwords.
  ANSIBLE_VAULT_IDENTITY_LIST="test@$root/molecule/resources/vault-password.TEST-ONLY,demo@$root/demo/vault-password.DEMO-ONLY" \
    ansible-lint --offline
  step "ruff"
  ruff check . && ruff format --check .
  step "variables: README table, defaults/main.yml and meta/argument_specs.yml agree"
  python tests/lib/variables.py --check
  step "links of README.md and docs/"
  python tests/lib/links.py
}

unit() {
  step "fuzz test of the input checks and templates (in-process, no test host)"
  pytest -q -p no:cacheprovider tests/unit
}

images() {
  step "test images (built when missing, cached by recipe)"
  LITELLM_TEST_HOST_IMAGE=$(tests/images/build.sh host)
  LITELLM_TEST_IMAGE=$(tests/images/build.sh litellm)
  export LITELLM_TEST_HOST_IMAGE LITELLM_TEST_IMAGE
}

case "${1:-all}" in
  lint) lint ;;
  unit) unit ;;
  molecule) shift; start_dockerd; images; molecule "$@" ;;
  verify)
    # Test files on their own, against the instance `molecule converge` left.
    shift
    state=$(ls -d "$HOME"/.ansible/tmp/molecule.*.default 2>/dev/null | head -1)
    [ -n "$state" ] || { echo "no converged instance: run tests/run.sh molecule converge first" >&2; exit 2; }
    export ANSIBLE_CONFIG="$state/ansible.cfg" MOLECULE_INVENTORY_FILE="$state/inventory/ansible_inventory.yml"
    export MOLECULE_PROJECT_DIRECTORY="$root"
    pytest -p no:cacheprovider --connection=ansible --ansible-inventory="$MOLECULE_INVENTORY_FILE" --hosts=all -v \
      "${@:-molecule/default/tests}"
    ;;
  all)
    # Only a full run rewrites the generated reports (reports/).
    export LITELLM_FULL_RUN=1
    durations=()
    timed() {  # timed NAME COMMAND...: run it, and note how long it took
      local name=$1 start=$SECONDS
      shift
      "$@"
      durations+=("$(printf '%-34s %3dm%02ds' "$name" $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)))")
    }
    timed "lint" lint
    timed "fuzz and unit tests" unit
    timed "dockerd" start_dockerd
    timed "test images (build or cache)" images
    step "molecule test (default scenario)"
    timed "molecule scenario default" molecule test --all
    step "durations"
    printf '%s\n' "${durations[@]}"
    printf '%-34s %3dm%02ds\n' "total (tooling install included)" $((SECONDS / 60)) $((SECONDS % 60))
    ;;
  *) echo "usage: tests/run.sh [lint|unit|molecule ARGS|verify [FILES]|all]" >&2; exit 2 ;;
esac
