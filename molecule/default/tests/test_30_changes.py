"""Re-running the role: restart at most once, only when something changed."""

from __future__ import annotations

from typing import Any

from conftest import (
    api,
    chat,
    clear_standin,
    converge,
    converge_ok,
    docker_events,
    inspect,
    leaked,
    liveliness,
    now,
    run,
    standin_records,
    wait_for,
)

# Temporary STS credentials carry a token: the TEST-ONLY vault's, which the
# stand-in accepts (and no other).
SESSION_TOKEN = "{{ test_aws_session_token }}"  # noqa: S105 - a reference, rendered by Ansible
EXTRA_MODEL = {
    "name": "claude-extra-west",
    "model": "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "region": "us-west-2",
}


# An env variable and a session token (removed again by a later test), and a memory limit.
MARKED_768M = {
    "litellm_env": {"LITELLM_TEST_MARKER": "one"},
    "litellm_aws_session_token": SESSION_TOKEN,
    "litellm_memory_limit": "768m",
}


def apply(host: Any, secrets: dict[str, str], extra_vars: dict[str, Any]) -> tuple[int, int]:
    """Converge with extra_vars; return (changed count, container starts)."""
    since = now(host)
    result = converge_ok(secrets, extra_vars)
    return result.changed, docker_events(host, since, "start")


def test_models_change_restarts_the_container_once(
    host: Any, secrets: dict[str, str], models: list[dict[str, str]]
) -> None:
    before = inspect(host)
    changed, starts = apply(host, secrets, {"litellm_models": [*models, EXTRA_MODEL]})
    after = inspect(host)
    assert changed > 0
    assert starts == 1
    assert after["Id"] == before["Id"]  # restarted, not recreated: the bind mount shows the new file
    assert after["State"]["StartedAt"] != before["State"]["StartedAt"]
    ids = [m["id"] for m in api(host, "GET", "/v1/models").json()["data"]]
    assert EXTRA_MODEL["name"] in ids

    clear_standin(host)
    body = chat(EXTRA_MODEL["name"])
    assert api(host, "POST", "/v1/chat/completions", body=body).status == 200
    [record] = standin_records(host)
    assert (record["model"], record["region"], record["signature_valid"]) == (EXTRA_MODEL["model"], "us-west-2", True)


def test_unchanged_rerun_leaves_the_container_alone(
    host: Any, secrets: dict[str, str], models: list[dict[str, str]]
) -> None:
    before = inspect(host)
    changed, starts = apply(host, secrets, {"litellm_models": [*models, EXTRA_MODEL]})
    after = inspect(host)
    assert (changed, starts) == (0, 0)
    assert (after["Id"], after["State"]["StartedAt"]) == (before["Id"], before["State"]["StartedAt"])


def test_env_and_config_change_together_recreate_once(host: Any, secrets: dict[str, str]) -> None:
    # Back to the default models and a session token: config.yaml and the env
    # file change together, plus a new variable in litellm_env.
    before = inspect(host)
    env = {"LITELLM_TEST_MARKER": "one"}
    changed, starts = apply(host, secrets, {"litellm_env": env, "litellm_aws_session_token": SESSION_TOKEN})
    after = inspect(host)
    assert changed > 0
    assert starts == 1
    assert after["Id"] != before["Id"]
    assert {"LITELLM_TEST_MARKER", "AWS_SESSION_TOKEN"} <= set(after["Config"]["Env"])
    ids = [m["id"] for m in api(host, "GET", "/v1/models").json()["data"]]
    assert EXTRA_MODEL["name"] not in ids
    config = host.file("/etc/litellm/config.yaml").content_string
    assert config.count("aws_session_token: os.environ/AWS_SESSION_TOKEN") == len(ids)
    assert secrets["test_aws_session_token"] not in config

    clear_standin(host)
    body = chat("claude-sonnet-4")
    assert api(host, "POST", "/v1/chat/completions", body=body).status == 200
    [record] = standin_records(host)
    assert (record["session_token"], record["signature_valid"]) == (True, True)


def test_a_memory_limit_change_recreates_the_container(host: Any, secrets: dict[str, str]) -> None:
    # Docker applies a new limit to a running container only with `docker
    # update`, which refuses it without the swap limit: the role recreates it.
    before = inspect(host)
    assert before["HostConfig"]["Memory"] == 512 * 2**20  # auto, for one worker
    changed, starts = apply(host, secrets, MARKED_768M)
    after = inspect(host)
    assert (changed > 0, starts) == (True, 1)
    assert after["Id"] != before["Id"]
    assert after["HostConfig"]["Memory"] == 768 * 2**20
    assert api(host, "GET", "/v1/models").status == 200


def test_a_hand_docker_update_is_undone(host: Any, secrets: dict[str, str]) -> None:
    # The plan's comparison (filter_plugins/litellm_compare.py) reads what
    # `docker update` can change of what the role sets: the container is made
    # again as the role defines it.
    run(host, "docker update --memory 1g --memory-swap 2g --restart no litellm", "a hand docker update")
    assert inspect(host)["HostConfig"]["Memory"] == 2**30
    changed, starts = apply(host, secrets, MARKED_768M)  # what the test before gave: nothing else changes
    after = inspect(host)
    assert (changed > 0, starts) == (True, 1)
    assert after["HostConfig"]["Memory"] == 768 * 2**20
    assert after["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert api(host, "GET", "/v1/models").status == 200


def test_variable_removed_from_env_is_removed_from_the_container(host: Any, secrets: dict[str, str]) -> None:
    before = inspect(host)
    changed, starts = apply(host, secrets, {})
    after = inspect(host)
    assert changed > 0
    assert starts == 1
    assert after["Id"] != before["Id"]
    assert "LITELLM_TEST_MARKER" not in after["Config"]["Env"]
    assert "AWS_SESSION_TOKEN" not in after["Config"]["Env"]
    assert "LITELLM_LOCAL_MODEL_COST_MAP" in after["Config"]["Env"]


def test_a_stopped_docker_engine_is_started(host: Any, secrets: dict[str, str]) -> None:
    run(host, "systemctl stop docker.socket docker.service", "stopping Docker Engine")
    assert not host.service("docker").is_running
    apply(host, secrets, {})
    assert host.service("docker").is_running
    assert inspect(host)["State"]["Running"] is True
    assert api(host, "GET", "/v1/models").status == 200


def test_a_play_can_ask_for_a_restart_with_the_handler(host: Any, secrets: dict[str, str]) -> None:
    # A task of the play notifies "Restart LiteLLM" (molecule/resources/converge.yml):
    # the role changes nothing, the handler restarts the proxy once and waits for it.
    before = inspect(host)
    since = now(host)
    result = converge_ok(secrets, {"test_notify_restart": True})
    after = inspect(host)
    assert "RUNNING HANDLER [litellm_bedrock.litellm : Restart LiteLLM]" in result.output
    assert "nothing changed" in result.output  # the role's own run had nothing to do
    assert docker_events(host, since, "start") == 1
    assert after["Id"] == before["Id"]
    assert after["State"]["StartedAt"] != before["State"]["StartedAt"]
    assert "Wait for /health/readiness to answer 200 (the restarted proxy)" in result.output
    assert api(host, "GET", "/v1/models").status == 200


def test_a_restart_that_does_not_serve_in_time_fails_with_the_proxys_log(host: Any, secrets: dict[str, str]) -> None:
    # The handler's wait gets 1 s (converge.yml: test_restart_timeout): it
    # reports the proxy with its log tail, masked (a rescue inside a handler
    # would never run: the wait's result is a flag), and nothing rolls back,
    # since no file changed. The proxy serves again once it has booted.
    result = converge({"test_notify_restart": True, "test_restart_timeout": 1})
    assert result.failed
    assert leaked(result.output, secrets) == []
    assert "Restart LiteLLM: litellm on " in result.output
    assert "after its restart. Its files and image are those it served with before." in result.output
    assert "lines of `docker logs litellm` (secrets masked)" in result.output
    wait_for(lambda: liveliness(host), 180, "the restarted proxy to serve again")
    assert converge_ok(secrets).changed == 0  # nothing to mend: the same container, its files as they were
