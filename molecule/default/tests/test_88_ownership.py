"""Only what the role made: a directory that resolves to a system directory, a
directory of someone else's, and containers of the role's names that it did
not create are refused before anything changes, and never touched; a proxy
started by hand is taken over only when asked (litellm_adopt_container)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import (
    CONTAINER,
    IMAGE,
    api,
    converge,
    converge_ok,
    inspect,
    leaked,
    liveliness,
    report,
    run,
    snapshot,
)


def test_a_directory_that_resolves_to_a_system_directory_is_refused(host: Any) -> None:
    before = snapshot(host)
    result = converge({"litellm_config_dir": "//etc"})
    assert result.failed and "litellm_config_dir must be an absolute, normalised path of its own" in result.output
    run(host, "ln -sfn /etc /srv/etc-link", "a symlink to /etc")
    try:
        result = converge({"litellm_config_dir": "/srv/etc-link/"})
        assert result.failed
        # The link itself is not a directory of its own; through it, /etc.
        assert "litellm_config_dir (/srv/etc-link/) exists on the host and is not a directory" in result.output
        assert "resolves to /etc, a system directory" in result.output
        # A symlink on the way: the path is a directory, and the kernel finds /etc/ssl.
        run(host, "mkdir -p /srv/through && ln -sfn /etc /srv/through/link", "a symlink on the way")
        result = converge({"litellm_config_dir": "/srv/through/link/ssl"})
        assert result.failed
        assert "litellm_config_dir (/srv/through/link/ssl) resolves to /etc/ssl, a system directory" in result.output
    finally:
        run(host, "rm -rf /srv/etc-link /srv/through", "removing the links")
    assert snapshot(host) == before
    report("refused", "litellm_config_dir //etc, and a symlink to /etc", "refused before anything changed")


@pytest.fixture
def foreign_directory(host: Any) -> Iterator[str]:
    path = "/srv/someone-else"
    run(host, f"mkdir -p {path} && echo keep > {path}/data && chown -R 65534:65534 {path} && chmod 0755 {path}", "dir")
    yield path
    run(host, f"rm -rf {path}", "removing the directory")


def test_a_directory_the_role_did_not_make_is_never_taken_over(host: Any, foreign_directory: str) -> None:
    before = snapshot(host)
    listing = run(host, f"stat -c '%u:%g:%a' {foreign_directory}; ls -A {foreign_directory}", "listing")
    for state in ({}, {"litellm_state": "absent"}, {"litellm_state": "absent", "litellm_purge": True}):
        result = converge({"litellm_config_dir": foreign_directory, **state})
        assert result.failed, state
        assert f"litellm_config_dir ({foreign_directory}) exists and is not empty, but the role did not make it" in (
            result.output
        )
        assert run(host, f"stat -c '%u:%g:%a' {foreign_directory}; ls -A {foreign_directory}", "listing") == listing
    assert snapshot(host) == before
    assert liveliness(host)
    report("refused", "litellm_config_dir holds someone else's files", "refused (deploy, absent, purge); untouched")


@pytest.fixture
def stray_canary(host: Any) -> Iterator[str]:
    name = f"{CONTAINER}-canary"
    run(host, f"docker create --name {name} --entrypoint true {IMAGE}", "a container of the canary's name")
    yield name
    run(host, f"docker rm -f {name}", "removing it")


def test_a_container_of_the_roles_names_without_its_label_is_never_touched(
    host: Any, secrets: dict[str, str], stray_canary: str
) -> None:
    before = snapshot(host)
    created = inspect(host, stray_canary)["Id"]
    for state in ({"litellm_models": [{"name": "x", "model": "us.anthropic.claude-sonnet-4-20250514-v1:0"}]},
                  {"litellm_state": "absent"}):  # fmt: skip
        result = converge(state)
        assert result.failed, state
        assert f"A container named {stray_canary} exists that the role did not create" in result.output
        assert f"docker rm -f {stray_canary}" in result.output
        assert leaked(result.output, secrets) == []
        assert inspect(host, stray_canary)["Id"] == created
    assert snapshot(host) == before
    assert api(host, "GET", "/v1/models").status == 200
    report("refused", "a container named litellm-canary that the role did not create", "refused; never touched")


@pytest.fixture
def hand_started(host: Any) -> Iterator[str]:
    """A container named as the proxy, started by hand (no port, no labels);
    if a test fails before the role took it over, it is removed again."""
    run(host, f"docker rm -f {CONTAINER}", "removing the role's proxy")
    run(host, f"docker run -d --name {CONTAINER} --entrypoint sleep {IMAGE} 600", "a proxy started by hand")
    hand = inspect(host)["Id"]
    yield hand
    if inspect(host)["Id"] == hand:
        run(host, f"docker rm -f {CONTAINER}", "removing the hand-started container")


def test_a_proxy_started_by_hand_is_taken_over_only_when_asked(
    host: Any, secrets: dict[str, str], hand_started: str
) -> None:
    result = converge()
    assert result.failed
    assert f"A container named {CONTAINER} exists that the role did not create" in result.output
    assert "litellm_adopt_container: true" in result.output
    assert inspect(host)["Id"] == hand_started
    converge_ok(secrets, {"litellm_adopt_container": True})
    data = inspect(host)
    assert data["Id"] != hand_started and "litellm_bedrock.version" in data["Config"]["Labels"]
    assert liveliness(host)
    report("update", "a proxy started by hand, litellm_adopt_container true", "taken over: replaced, labelled")
