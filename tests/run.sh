#!/usr/bin/env bash
# The whole test suite, from a fresh Debian/Ubuntu machine (run as root):
#   yamllint, ansible-lint (production profile), ruff, the fuzz test, then
#   `molecule test`'s steps, the demo and a smoke run of the benchmark.
# It installs what it needs (Debian packages, the pinned Python tooling in
# .venv), starts dockerd when it is not running, and builds the test images
# when they are missing (tests/images/build.sh caches them by recipe).
#
#   tests/run.sh                 everything: linters, unit tests, molecule, the demo,
#                                a benchmark smoke run (the only run that writes reports/)
#   tests/run.sh lint            only the linters
#   tests/run.sh unit            only the fuzz test of the input checks (no test host)
#   tests/run.sh molecule ARGS   only molecule, e.g. `molecule converge`
#   tests/run.sh verify [FILES]  test files on their own against the converged instance
#   tests/run.sh lines [FILES]   the same for the `lines` scenario (older ansible-cores,
#                                the newest LiteLLM) after `molecule converge -s lines`
#   tests/run.sh fleet [FILES]   the fleet scenario's test files against its prepared hosts
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
step() { printf '\n==> %s\n' "$*"; }

source tests/lib/setup.sh
setup_host
setup_venv
export PATH="$root/.venv/bin:$PATH"
# The older ansible-core versions the role supports, each in its own venv
# (test_96_ansible_cores.py runs the role with them).
setup_core_venvs

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
  # One command a line: under set -e, a failure on the left of && would not stop the run.
  ruff check .
  ruff format --check .
  step "variables: README table, defaults/main.yml and meta/argument_specs.yml agree"
  python tests/lib/variables.py --check
  step "links of README.md and docs/"
  python tests/lib/links.py
  step "every command of README.md and docs/ is exercised (by a test, the demo or the benchmark)"
  python tests/lib/commands.py --check
  step "docs/performance.md's benchmark table is bench/results'"
  python bench/report.py --check
}

unit() {
  step "fuzz test of the input checks and templates (in-process, no test host)"
  pytest -q -p no:cacheprovider tests/unit
}

images() {
  step "test images (built when missing, cached by recipe)"
  LITELLM_TEST_HOST_IMAGE=$(tests/images/build.sh host)
  LITELLM_TEST_IMAGE=$(tests/images/build.sh litellm)
  LITELLM_TEST_NEWEST_IMAGE=$(tests/images/build.sh litellm-newest)
  LITELLM_TEST_BALANCER_IMAGE=$(tests/images/build-balancer.sh)
  export LITELLM_TEST_HOST_IMAGE LITELLM_TEST_IMAGE LITELLM_TEST_NEWEST_IMAGE LITELLM_TEST_BALANCER_IMAGE
}

scenario() (
  # `molecule test`'s sequence, with the converge and verify steps run by the
  # commands docs/testing.md gives for working on one file. The instance is
  # destroyed however the steps end (a subshell: its trap is its own).
  molecule destroy
  molecule syntax
  trap 'molecule destroy >/dev/null 2>&1 || true' EXIT
  molecule create
  molecule prepare
  bash tests/run.sh molecule converge
  molecule idempotence
  bash tests/run.sh verify
  trap - EXIT
  molecule destroy
)

lines_scenario() (
  # The role on the other lines it claims (molecule/lines: the older
  # ansible-cores and the newest LiteLLM release), on a test host of its own
  # made like the default scenario's; no idempotence step (the default
  # scenario has it for the same converge).
  molecule destroy -s lines
  trap 'molecule destroy -s lines >/dev/null 2>&1 || true' EXIT
  molecule create -s lines
  molecule prepare -s lines
  bash tests/run.sh molecule converge -s lines
  bash tests/run.sh lines
  trap - EXIT
  molecule destroy -s lines
)

fleet_scenario() (
  # The fleet: molecule creates and prepares a balancer and two proxy hosts;
  # the tests run examples/fleet's playbooks on them (docs/testing.md).
  molecule destroy -s fleet
  trap 'molecule destroy -s fleet >/dev/null 2>&1 || true' EXIT
  molecule create -s fleet
  molecule prepare -s fleet
  bash tests/run.sh fleet
  trap - EXIT
  molecule destroy -s fleet
)

demo() {
  # The README's first command, on this machine (port 4000), under the umask
  # given (a root shell's usual 022, or a hardened 077), then removed again
  # with the demo's inventory; the stand-in it started is stopped by its id.
  # deploy.sh fails when its curl calls get no answer.
  local mask=$1
  (umask "$mask" && demo/deploy.sh)
  (cd demo && ansible-playbook site.yml -e litellm_state=absent)
  kill "$(cat demo/.run/standin.pid)"
  ! docker inspect litellm >/dev/null 2>&1 || { echo "the demo's container is still there" >&2; return 1; }
}

first_run_demo() {
  # The README's first command as a new user meets it: under umask 077, with
  # no LiteLLM image built yet. The build's repository is one of its own, so
  # none of the suite's cached images is found and demo/deploy.sh builds its
  # image as on a fresh machine (only Debian's package cache is shared). The
  # image is removed again afterwards.
  local repository=litellm-firstrun
  LITELLM_TEST_IMAGE_REPOSITORY=$repository demo 077
  docker images "$repository/litellm" --format '{{.Repository}}:{{.Tag}}' | xargs -r docker rmi >/dev/null
}

bench_smoke() {
  # The benchmark command end to end, into a scratch directory: bench/results
  # holds only what a full benchmark run writes.
  local out
  out=$(mktemp -d)
  # No model counts and no test hosts: those phases run in the full benchmark
  # only. The memory phase measures the workers the defaults already run (2 on
  # this 2-vCPU machine: no redeploy); a switch to 1 worker and back, under the
  # load of the fleet scenario beside it, took up to three minutes here.
  bench/run.sh --repeats 1 --duration 1 --concurrency 8 --models '' --hosts '' --settings 'defaults' \
    --memory-workers 2 --out "$out"
  python - "$out/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
assert r["no_change"]["changed"] == 0
assert {"first_deploy", "downtime", "settings", "load", "memory"} <= set(r), sorted(r)
assert all(s["cpu_ms_per_request"] > 0 for s in r["settings"]), r["settings"]
# The floor's one docker_container task started LiteLLM (the poll saw it ready).
assert r["first_deploy"]["floor_s"]["n"] == 1 and r["first_deploy"]["floor_s"]["median"] > 0, r["first_deploy"]
PY
  rm -rf "$out"
  ! docker inspect litellm >/dev/null 2>&1 || { echo "the benchmark left its container" >&2; return 1; }
}

case "${1:-all}" in
  lint) lint ;;
  unit) unit ;;
  molecule) shift; start_dockerd; images; molecule "$@" ;;
  verify | lines)
    # Test files on their own, against the instance `molecule converge` (or
    # `molecule converge -s lines`) left.
    scenario=default
    [ "$1" = verify ] || scenario=lines
    shift
    # The newest instance molecule converged (a clone of the repository has its own).
    state=$(grep -l '^converged: true' "$HOME"/.ansible/tmp/molecule.*."$scenario"/state.yml 2>/dev/null \
      | xargs -r ls -t | head -1 | xargs -r dirname)
    [ -n "$state" ] || { echo "no converged $scenario instance: run tests/run.sh molecule converge -s $scenario first" >&2; exit 2; }
    export ANSIBLE_CONFIG="$state/ansible.cfg" MOLECULE_INVENTORY_FILE="$state/inventory/ansible_inventory.yml"
    export MOLECULE_PROJECT_DIRECTORY="$root" MOLECULE_SCENARIO_NAME="$scenario"
    pytest -p no:cacheprovider --connection=ansible --ansible-inventory="$MOLECULE_INVENTORY_FILE" --hosts=all -v --durations=10 \
      "${@:-molecule/$scenario/tests}"
    ;;
  fleet)
    # The fleet's test files against the hosts `molecule prepare -s fleet` left
    # (the tests reach them with docker exec; they deploy the fleet themselves).
    shift
    export MOLECULE_PROJECT_DIRECTORY="$root"
    pytest -p no:cacheprovider -v --durations=5 "${@:-molecule/fleet/tests}"
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
    # Two streams, never more: 2 cores run two of them no slower than one
    # each, and a third made the suite longer. The demos use this machine's
    # port 4000 and Docker, which the default scenario's test host does not
    # (it publishes nothing here): they run in the background while its
    # create, prepare and converge steps mostly wait. The lines and fleet
    # scenarios' hosts publish no port either: they follow the demos there,
    # and the benchmark smoke run (port 4000 again) follows the default
    # scenario here. Each is a statement of its own, so that set -e stops at
    # a failed one.
    step "in the background: the demo (umask 022 with the suite's image, then as on a fresh machine: umask 077, its image built anew), then the lines and fleet scenarios"
    background_log=$(mktemp)
    (
      took() {  # took NAME START: note how long since START
        printf '%-34s %3dm%02ds\n' "$1" $(((SECONDS - $2) / 60)) $(((SECONDS - $2) % 60)) >>"$background_log.took"
      }
      start=$SECONDS
      demo 022
      took "demo (umask 022)" "$start"
      start=$SECONDS
      first_run_demo
      took "first-run demo (umask 077, build)" "$start"
      start=$SECONDS
      lines_scenario
      took "molecule scenario lines" "$start"
      start=$SECONDS
      fleet_scenario
      took "molecule scenario fleet" "$start"
    ) >"$background_log" 2>&1 &
    background_pid=$!
    trap 'kill "$background_pid" 2>/dev/null || true' EXIT
    step "molecule: the default scenario"
    timed "molecule scenario default" scenario
    step "benchmark smoke run (--repeats 1, short; bench/results untouched)"
    timed "benchmark smoke run" bench_smoke
    step "the demos', the lines and the fleet scenarios' output"
    background_rc=0
    wait "$background_pid" || background_rc=$?
    trap - EXIT
    cat "$background_log"
    [ "$background_rc" = 0 ] || { echo "the demo, the lines or the fleet scenario failed" >&2; exit 1; }
    while read -r line; do durations+=("$line (in the background)"); done <"$background_log.took"
    rm -f "$background_log" "$background_log.took"
    step "durations"
    printf '%s\n' "${durations[@]}"
    printf '%-34s %3dm%02ds\n' "total (tooling install included)" $((SECONDS / 60)) $((SECONDS % 60))
    ;;
  *) echo "usage: tests/run.sh [lint|unit|molecule ARGS|verify [FILES]|lines [FILES]|fleet [FILES]|all]" >&2; exit 2 ;;
esac
