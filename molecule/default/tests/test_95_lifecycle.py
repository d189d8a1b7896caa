"""--check --diff on a deployed and on a fresh host; litellm_state: absent; deploying again."""

from __future__ import annotations

from typing import Any

from conftest import (
    CONFIG_DIR,
    CONTAINER,
    OTHER_SALT,
    REPO,
    api,
    converge,
    converge_ok,
    default_models,
    leaked,
    manual_commands,
    now,
    report,
    run,
    site_example,
    snapshot,
    task_status,
)

CHECK_ALIAS = {"name": "claude-check-mode", "model": "us.anthropic.claude-haiku-4-5-20251001-v1:0"}
SKIPPED_NOTE = "Check mode: no image was pulled"
MARKER = ".managed-by-litellm-role"
REMOVAL = "Removing LiteLLM"


def builds(host: Any) -> list[str]:
    return run(host, f"docker image ls -q {REPO}", "docker image ls").split()


def test_check_diff_on_a_deployed_host_shows_the_change_only(host: Any, secrets: dict[str, str]) -> None:
    before = snapshot(host)
    since = now(host)
    extra = {
        "litellm_models": [*default_models(), CHECK_ALIAS],
        "litellm_log_level": "INFO",  # the env file changes too: reported, never shown
        "litellm_image": f"{REPO}:not-pulled-in-check-mode",  # not on the host, not even in the registry
    }
    result = converge_ok(secrets, extra, args=["--check", "--diff"])
    assert '+  - model_name: "claude-check-mode"' in result.output  # the diff against the live config.yaml
    assert task_status(result.output, "Write the changed files and the directory's marker") == "changed"
    assert SKIPPED_NOTE in result.output
    assert snapshot(host) == before
    canaries = run(host, f"docker events --since {since} --until $(date +%s.%N) --filter event=create", "events")
    assert canaries.strip() == ""  # no canary, no container created
    assert not host.file(f"{CONFIG_DIR}/config.yaml.candidate").exists


def test_absent_removes_the_service_but_keeps_the_fingerprint(host: Any, secrets: dict[str, str]) -> None:
    image = builds(host)
    ((removal,),) = manual_commands(REMOVAL)  # the README's command, as written
    with site_example(host) as example:
        example.create_vault()
        removed = example.run(removal)
    assert leaked(removed.output, secrets) == []
    assert not removed.failed, removed.output[-3000:]
    assert removed.changed > 0
    assert host.run(f"docker inspect {CONTAINER}").rc != 0
    assert host.run(f"docker inspect {CONTAINER}-canary").rc != 0
    left = run(host, f"ls -A {CONFIG_DIR}", "ls").split()
    assert left == [MARKER, "salt-key.fingerprint"]
    assert not host.socket("tcp://0.0.0.0:4000").is_listening
    assert builds(host) == image  # the image stays unless litellm_remove_image
    again = converge_ok(secrets, {"litellm_state": "absent"})
    assert again.changed == 0
    report("lifecycle", "litellm_state absent, twice", "container, files gone; fingerprint kept; rerun changed=0")


def test_a_later_deploy_with_another_salt_key_is_still_refused(host: Any, secrets: dict[str, str]) -> None:
    result = converge({"litellm_salt_key": OTHER_SALT})
    assert result.failed
    assert "litellm_salt_key is not the salt key this host was deployed with" in result.output
    assert leaked(result.output, {**secrets, "other": OTHER_SALT}) == []
    assert run(host, f"ls -A {CONFIG_DIR}", "ls").split() == [MARKER, "salt-key.fingerprint"]


def test_purge_refuses_a_directory_without_the_marker_and_a_system_directory(
    host: Any, secrets: dict[str, str]
) -> None:
    run(host, "mkdir -p /srv/not-litellm && echo keep > /srv/not-litellm/data", "making a directory")
    try:
        result = converge({"litellm_state": "absent", "litellm_purge": True, "litellm_config_dir": "/srv/not-litellm"})
        assert result.failed
        assert "does not hold the role's marker (.managed-by-litellm-role)" in result.output
        assert host.file("/srv/not-litellm/data").content_string == "keep\n"
    finally:
        run(host, "rm -rf /srv/not-litellm", "removing the directory")
    result = converge({"litellm_state": "absent", "litellm_purge": True, "litellm_config_dir": "/etc/"})
    assert result.failed
    assert "not a system directory" in result.output
    assert host.file("/etc/hostname").exists
    report("refused", "litellm_purge of a directory without the role's marker, and of /etc", "refused; nothing removed")


def test_purge_removes_the_directory_and_the_image(host: Any, secrets: dict[str, str]) -> None:
    converge_ok(secrets, {"litellm_state": "absent", "litellm_purge": True, "litellm_remove_image": True})
    assert not host.file(CONFIG_DIR).exists
    assert builds(host) == []


def test_check_diff_on_a_fresh_host_changes_nothing(host: Any, secrets: dict[str, str]) -> None:
    result = converge_ok(secrets, args=["--check", "--diff"])
    assert "+model_list:" in result.output  # the whole config.yaml a real run would write
    assert SKIPPED_NOTE in result.output
    assert not host.file(CONFIG_DIR).exists
    assert host.run(f"docker inspect {CONTAINER}").rc != 0
    assert builds(host) == []  # nothing pulled
    report("lifecycle", "--check --diff on a host without the proxy", "no failure, nothing written or pulled")


def test_present_deploys_again(host: Any, secrets: dict[str, str]) -> None:
    converge_ok(secrets)
    assert api(host, "GET", "/v1/models").status == 200
    assert host.file(f"{CONFIG_DIR}/salt-key.fingerprint").exists
    assert len(builds(host)) == 1
