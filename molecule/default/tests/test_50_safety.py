"""A failed change never takes down a proxy that was working."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

import pytest
from conftest import (
    CONFIG_DIR,
    CONTAINER,
    IMAGE,
    api,
    converge,
    default_models,
    inspect,
    leaked,
    liveliness,
    registry_stopped,
    report,
    run,
    snapshot,
)

NEW_ALIAS = {"name": "claude-rollback-check", "model": "us.anthropic.claude-haiku-4-5-20251001-v1:0"}


def models(host: Any) -> list[str]:
    return sorted(m["id"] for m in api(host, "GET", "/v1/models").json()["data"])


@pytest.fixture
def broken_image_in_registry(host: Any) -> Iterator[None]:
    """Serve a build that cannot start under the same moving tag, then put the good one back."""
    run(host, f"docker tag {IMAGE} litellm-test-good:kept", "keeping the good image")
    run(
        host,
        # It prints its whole environment (the secrets) before it fails: the
        # failure message shows the canary's log with every secret masked.
        f'printf \'FROM {IMAGE}\\nENTRYPOINT ["/bin/sh", "-c", "env; exit 1"]\\n\' | docker build -q -t {IMAGE} - '
        f"&& docker push -q {IMAGE}",
        "publishing a broken build as main-stable",
    )
    try:
        yield
    finally:
        run(
            host,
            f"docker tag litellm-test-good:kept {IMAGE} && docker push -q {IMAGE} && docker rmi litellm-test-good:kept",
            "publishing the good build again",
        )


def test_canary_refuses_a_broken_image_and_the_proxy_keeps_serving(
    host: Any, secrets: dict[str, str], broken_image_in_registry: None
) -> None:
    before = snapshot(host)
    for attempt in (1, 2):  # a later run tries the bad tag again, and is refused again
        start = time.monotonic()
        result = converge({"litellm_canary_timeout": 10})  # it exits at once: no need to wait long
        seconds = time.monotonic() - start
        assert result.failed
        assert "The new configuration was refused: a canary container" in result.output
        assert leaked(result.output, secrets) == []
        assert "LITELLM_MASTER_KEY=********" in result.output  # the env it printed, masked
        assert snapshot(host) == before
        assert liveliness(host)
        assert run(host, "docker ps -aq --filter name=litellm-canary", "docker ps").strip() == ""
        report(
            "protected",
            f"broken image under the same tag, run {attempt}",
            "canary refused it; proxy untouched",
            seconds,
        )


def test_canary_refuses_an_environment_that_breaks_litellm(host: Any, secrets: dict[str, str]) -> None:
    # LiteLLM exits at boot when it cannot use the database it is given (here:
    # no Prisma engines in the test image, which cannot fetch them offline).
    before = snapshot(host)
    env = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    start = time.monotonic()
    result = converge({"litellm_env": env, "litellm_canary_timeout": 30})
    seconds = time.monotonic() - start
    assert result.failed
    assert "The new configuration was refused: a canary container" in result.output
    assert "Application startup failed" in result.output  # the canary's own log explains why
    # The canary never migrates a database (DISABLE_SCHEMA_UPDATE): before it
    # did, and said "Database migration cannot proceed".
    assert "Database migration" not in result.output
    assert leaked(result.output, secrets) == []
    assert snapshot(host) == before
    assert "DATABASE_URL=" in host.file(f"{CONFIG_DIR}/litellm.env.rejected").content_string  # kept for reading
    assert not host.file(f"{CONFIG_DIR}/litellm.env.candidate").exists
    assert "DATABASE_URL" not in inspect(host)["Config"]["Env"]
    assert liveliness(host)
    report("protected", "environment that stops LiteLLM from booting", "canary refused it; proxy untouched", seconds)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"litellm_models": [*default_models(), NEW_ALIAS]}, id="config change (restart)"),
        pytest.param({"litellm_env": {"LITELLM_MARK": "x"}}, id="env change"),
    ],
)
def test_live_failure_after_the_canary_rolls_back(host: Any, secrets: dict[str, str], change: dict[str, Any]) -> None:
    # The canary may take its time, the live proxy gets 2 s: LiteLLM needs more
    # to boot, so the restarted live proxy is "not healthy in time".
    before = snapshot(host)
    aliases = models(host)
    start = time.monotonic()
    result = converge(
        {**change, "litellm_startup_timeout": 2, "litellm_canary_timeout": 120, "litellm_rollback_timeout": 120}
    )
    seconds = time.monotonic() - start
    assert result.failed
    assert leaked(result.output, secrets) == []
    # The rescue read the health wait's timed_out flag.
    assert "LiteLLM did not serve after this run's change: it did not answer 200 in time." in result.output
    assert "So the role rolled back to the previous config.yaml, environment file" in result.output
    assert "The restored proxy answers again on port 4000." in result.output
    assert f"{CONFIG_DIR}/{'config.yaml' if 'litellm_models' in change else 'litellm.env'}.rejected" in result.output
    after = snapshot(host)
    live = {line.split()[1]: line.split()[0] for line in after["files"].splitlines()}
    old = {line.split()[1]: line.split()[0] for line in before["files"].splitlines()}
    assert (live["./config.yaml"], live["./litellm.env"]) == (old["./config.yaml"], old["./litellm.env"])
    assert after["image"] == before["image"]
    assert liveliness(host)
    assert models(host) == aliases
    assert "LITELLM_MARK" not in inspect(host)["Config"]["Env"]
    changed = "config.yaml" if "litellm_models" in change else "litellm.env"
    rejected = host.file(f"{CONFIG_DIR}/{changed}.rejected")
    assert (rejected.user, rejected.group, rejected.mode) == ("root", "root", 0o600)
    assert host.file(f"{CONFIG_DIR}/litellm.env.last-good").mode == 0o600
    report("protected", f"live proxy unhealthy after a {next(iter(change))} change", "rolled back and serving", seconds)


@pytest.mark.parametrize("case", ["missing tag", "registry down"])
def test_failed_pull_keeps_the_running_container(host: Any, secrets: dict[str, str], case: str) -> None:
    before = snapshot(host)
    extra = {"litellm_image": "127.0.0.1:5000/berriai/litellm:no-such-tag"} if case == "missing tag" else {}
    with registry_stopped(host) if case == "registry down" else nullcontext():
        result = converge(extra)
    assert result.failed
    assert "Could not pull litellm_image" in result.output
    assert "Nothing was changed: the running litellm container keeps serving with its current image" in result.output
    assert leaked(result.output, secrets) == []
    assert snapshot(host) == before
    assert liveliness(host)
    report("protected", f"image pull fails ({case})", "run failed clearly; container kept")


def test_salt_key_rotation_is_accepted_only_when_asked(host: Any, secrets: dict[str, str]) -> None:
    fingerprint = host.file(f"{CONFIG_DIR}/salt-key.fingerprint")
    assert (fingerprint.user, fingerprint.mode) == ("root", 0o600)
    recorded = fingerprint.content_string
    assert secrets["litellm_salt_key"] not in recorded
    new_salt = "sk-rotated-salt-TEST-ONLY-0123456789abcdef"
    result = converge({"litellm_salt_key": new_salt, "litellm_salt_key_rotation": True})
    assert not result.failed
    assert "enter the stored provider credentials" in result.output
    assert leaked(result.output, {**secrets, "new": new_salt}) == []
    assert host.file(f"{CONFIG_DIR}/salt-key.fingerprint").content_string != recorded
    env = host.file(f"{CONFIG_DIR}/litellm.env").content_string
    assert f"LITELLM_SALT_KEY={new_salt}\n" in env
    # And back, which is a rotation too.
    assert not converge({"litellm_salt_key_rotation": True}).failed
    assert host.file(f"{CONFIG_DIR}/salt-key.fingerprint").content_string == recorded
    assert inspect(host, CONTAINER)["State"]["Running"] is True
    report("refused", "salt key rotation with litellm_salt_key_rotation: true", "accepted, fingerprint updated")
