"""The role on every older ansible-core it claims (meta/main.yml: 2.16), each
from its own virtual environment (tests/requirements/ansible-core-*.txt, made
by tests/lib/setup.sh) with the ansible package's community.docker 4.8: a first
deploy, a run that changes nothing, a models change that restarts once and
serves the new alias (through the handler Restart LiteLLM, flushed in
place), a switch that fails and is rolled back, the handler notified by a
play, and failing with the proxy's log, --check --diff with no secret
printed, and a removal.

Before 2.19, Ansible turns a templated string that looks like JSON into a
dict: the record of what served reached from_json as a dict, and every run
after the first failed (litellm_from_json takes both)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    CONTAINER,
    PROJECT,
    api,
    converge,
    converge_ok,
    default_models,
    docker_events,
    leaked,
    liveliness,
    now,
    report,
    run,
    wait_for,
)

CORES = sorted(p.stem.removeprefix("ansible-core-") for p in (PROJECT / "tests" / "requirements").glob("*.txt"))
NEW_ALIAS = {"name": "claude-older-ansible", "model": "us.anthropic.claude-sonnet-4-20250514-v1:0"}


def test_every_older_core_the_role_claims_is_tested() -> None:
    # meta/main.yml's min_ansible_version, and each minor version up to the main venv's 2.19.
    meta = (PROJECT / "meta" / "main.yml").read_text()
    assert 'min_ansible_version: "2.16"' in meta
    assert CORES == ["2.16", "2.17", "2.18"]


@pytest.mark.parametrize("core", CORES)
def test_the_short_sequence_on_an_older_ansible_core(host: Any, secrets: dict[str, str], core: str) -> None:
    playbook = str(PROJECT / ".venv-cores" / core / "bin" / "ansible-playbook")
    assert Path(playbook).exists(), f"no venv for ansible-core {core}: tests/lib/setup.sh makes it"
    done = subprocess.run([playbook, "--version"], capture_output=True, text=True, check=False)
    assert done.stdout.startswith(f"ansible-playbook [core {core}.")
    # From no proxy: removed with the main ansible-core (after the first
    # core's sequence, its own removal has done it).
    if host.run(f"docker inspect {CONTAINER}").rc == 0:
        converge_ok(secrets, {"litellm_state": "absent"})

    def step(extra: dict[str, Any] | None = None, args: list[str] | None = None) -> Any:
        result = converge(extra, args, playbook=playbook)
        assert leaked(result.output, secrets) == [], f"ansible-core {core} printed a secret"
        if result.failed:
            pytest.fail(f"ansible-core {core}:\n" + result.output[-3000:], pytrace=False)
        return result

    assert "first deploy" in step().output
    assert step().changed == 0
    since = now(host)
    models = {"litellm_models": [*default_models(), NEW_ALIAS]}
    changed = step(models)
    assert "restarted for config.yaml" in changed.output
    assert docker_events(host, since, "start") == 1
    served = [m["id"] for m in api(host, "GET", "/v1/models").json()["data"]]
    assert NEW_ALIAS["name"] in served
    # The switch is the handler Restart LiteLLM, flushed inside live.yml's
    # block. When the new proxy does not come up in time (2 s; the canary may
    # take its time), the handler fails and the block's rescue rolls back: on
    # every core, although before 2.19 the recap counts the host failed, not
    # rescued, and the rescue gets no ansible_failed_result.
    rolled_back(host, secrets, core, playbook)
    # A play's task notifies the handler: the role changes nothing, the
    # handler restarts once in place.
    since = now(host)
    notified = step({**models, "test_notify_restart": True})
    assert "RUNNING HANDLER [litellm_bedrock.litellm : Restart LiteLLM]" in notified.output
    assert "nothing changed" in notified.output
    assert docker_events(host, since, "start") == 1
    # ... and a restart that does not serve in time (1 s) is reported with the
    # proxy's log: no rescue runs inside a handler, on any core.
    slow = converge({**models, "test_notify_restart": True, "test_restart_timeout": 1}, playbook=playbook)
    assert slow.failed and leaked(slow.output, secrets) == []
    assert "after its restart. Its files and image are those it served with before." in slow.output
    wait_for(lambda: liveliness(host), 180, "the restarted proxy to serve again")
    # Back to the defaults, in check mode: the diff shows the alias going, nothing changes.
    check = step(None, ["--check", "--diff"])
    assert NEW_ALIAS["name"] in check.output
    assert NEW_ALIAS["name"] in [m["id"] for m in api(host, "GET", "/v1/models").json()["data"]]
    assert step({"litellm_state": "absent"}).changed > 0
    assert run(host, f"docker ps -a --format '{{{{.Names}}}}' --filter name=^{CONTAINER}$", "docker ps").strip() == ""
    sequence = "deploy, no change, models change, failed switch rolled back, handler, slow restart, check diff, absent"
    report("ansible", f"ansible-core {core}: {sequence}", "all as on 2.19")


def rolled_back(host: Any, secrets: dict[str, str], core: str, playbook: str) -> None:
    """A switch whose new proxy does not answer in time is rolled back, and the
    previous proxy (with the new alias) serves again."""
    failed = converge(
        {"litellm_startup_timeout": 2, "litellm_canary_timeout": 120, "litellm_rollback_timeout": 120},
        playbook=playbook,
    )
    assert failed.failed, f"ansible-core {core}: the switch did not fail"
    assert leaked(failed.output, secrets) == []
    assert "So the role rolled back to the previous config.yaml" in failed.output, failed.output[-3000:]
    assert "The restored proxy answers again on port 4000." in failed.output
    assert NEW_ALIAS["name"] in [m["id"] for m in api(host, "GET", "/v1/models").json()["data"]]
