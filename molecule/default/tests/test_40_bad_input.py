"""Bad input: a clear error naming the problem, no secret in the output, nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from conftest import OTHER_SALT, converge, default_models, leaked, report, run, snapshot, task_status

DUPLICATE = {"name": "claude-sonnet-4", "model": "us.anthropic.claude-sonnet-4-5-20250929-v1:0"}
BARE = {"name": "claude-bare", "model": "anthropic.claude-sonnet-4-20250514-v1:0"}
NO_PREFIX_KEY = "mk-" + "0123456789abcdef" * 3
SHORT_KEY = "sk-short-0123456789"
# community.docker's env-file parser splits lines on \r as well as \n.
CR_KEY = "sk-cr-TEST-ONLY-0123456789abcdef\rLITELLM_SALT_KEY=sk-cr-injected-TEST-ONLY"
INJECTED = "sk-injected-TEST-ONLY-0123456789abcdef0123"


@contextmanager
def nothing(host: Any) -> Iterator[None]:
    yield


@contextmanager
def port_taken(host: Any) -> Iterator[None]:
    # Another program on the port the role is told to publish (bounded life).
    run(
        host,
        "systemd-run --unit=test-port-holder --property=RuntimeMaxSec=300 python3 -m http.server 4100 --bind 127.0.0.1",
        "starting a listener on port 4100",
    )
    run(host, "for i in $(seq 50); do ss -Htln 'sport = :4100' | grep -q . && exit 0; sleep 0.2; done; exit 1", "port")
    try:
        yield
    finally:
        host.run("systemctl stop test-port-holder")


@contextmanager
def docker_not_installed(host: Any) -> Iterator[None]:
    # What the role sees on a host without Docker Engine: nothing answers on
    # Docker's socket, and there is no dockerd binary. The running daemon (and
    # so the proxy) is left alone: its socket is only moved out of the way.
    hidden = [("/usr/sbin/dockerd", "/root/dockerd.hidden"), ("/run/docker.sock", "/run/docker.sock.hidden")]
    run(host, " && ".join(f"mv {path} {away}" for path, away in hidden), "hiding Docker Engine")
    try:
        yield
    finally:
        run(host, " && ".join(f"mv {away} {path}" for path, away in hidden), "restoring Docker Engine")


# case id -> (extra vars, secret left undefined, set-up, expected text, values that must not show)
CASES: dict[str, tuple[dict[str, Any], str | None, Any, str, list[str]]] = {
    "undefined secret": ({}, "litellm_salt_key", nothing, "litellm_salt_key", []),
    "empty secret": (
        {"litellm_aws_secret_access_key": ""},
        None,
        nothing,
        "litellm_aws_secret_access_key is undefined or empty",
        [],
    ),
    "master key sk-1234": (
        {"litellm_master_key": "sk-1234"},
        None,
        nothing,
        "it is a published example key",
        ["sk-1234"],
    ),
    "master key without sk-": (
        {"litellm_master_key": NO_PREFIX_KEY},
        None,
        nothing,
        'litellm_master_key is refused: it does not start with "sk-"',
        [NO_PREFIX_KEY],
    ),
    "master key under 32 characters": (
        {"litellm_master_key": SHORT_KEY},
        None,
        nothing,
        "litellm_master_key is refused: it is shorter than 32 characters",
        [SHORT_KEY],
    ),
    "changed salt key": (
        {"litellm_salt_key": OTHER_SALT},
        None,
        nothing,
        "litellm_salt_key is not the salt key this host was deployed with",
        [OTHER_SALT],
    ),
    "duplicate aliases": (
        {"litellm_models": [*default_models(), DUPLICATE]},
        None,
        nothing,
        "duplicate aliases (name): claude-sonnet-4",
        [],
    ),
    "bare model id": (
        {"litellm_models": [BARE]},
        None,
        nothing,
        "not Bedrock inference profile ids (model): anthropic.claude-sonnet-4-20250514-v1:0",
        [],
    ),
    "malformed region": (
        {"litellm_aws_region_name": "us-east"},
        None,
        nothing,
        "Malformed AWS region name(s) in litellm_aws_region_name or a model's region: us-east",
        [],
    ),
    "port taken by another process": (
        {"litellm_port": 4100},
        None,
        port_taken,
        "litellm_port 4100 is already in use",
        [],
    ),
    "no Docker engine installed": ({}, None, docker_not_installed, "Docker Engine is not installed", []),
    "bearer_token mode without the API key": (
        {"litellm_aws_auth": "bearer_token"},
        None,
        nothing,
        "litellm_aws_bearer_token is undefined or empty",
        [],
    ),
    "secret env shadowing a managed variable": (
        {"litellm_secret_env": {"AWS_ACCESS_KEY_ID": "AKIA-TRIED-TEST-ONLY"}},
        None,
        nothing,
        "they set AWS_ACCESS_KEY_ID, which the role sets itself",
        ["AKIA-TRIED-TEST-ONLY"],
    ),
    "TLS certificate without its key": (
        {"litellm_tls_certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
        None,
        nothing,
        "TLS needs both litellm_tls_certificate",
        [],
    ),
    "unknown litellm_state": (
        {"litellm_state": "gone"},
        None,
        nothing,
        "value of litellm_state must be one of: present, absent, got: gone",
        [],
    ),
    "bind address the host does not have": (
        {"litellm_bind_address": "192.0.2.10"},
        None,
        nothing,
        "litellm_bind_address 192.0.2.10 is not an address of",
        [],
    ),
    "system directory as litellm_config_dir": (
        {"litellm_config_dir": "/etc"},
        None,
        nothing,
        "litellm_config_dir must be an absolute, normalised path of its own",
        [],
    ),
    "litellm_config_dir is a file": (
        {"litellm_config_dir": "/etc/hostname"},
        None,
        nothing,
        "litellm_config_dir (/etc/hostname) exists on the host and is not a directory",
        [],
    ),
}


# Hostile values, all in one run: the input check lists every problem in one
# message, by variable, and shows none of the values.
HOSTILE = {
    "litellm_master_key": CR_KEY,
    "litellm_env": {"FOO": "x\rLITELLM_MASTER_KEY=" + INJECTED, "BAR": {"nested": 1}},
    "litellm_https_proxy": "http://proxy.example:3128\nNO_PROXY=*",
    "litellm_no_proxy": "localhost\nAWS_REGION_NAME=x",
    "litellm_models": [{"name": "", "model": "us.anthropic.claude-sonnet-4-20250514-v1:0"}],
    "litellm_bind_address": "999.999.999.999",
}
HOSTILE_MESSAGES = [
    "litellm_master_key holds a control character or a line break",
    "litellm_env.FOO holds a control character or a line break",
    "litellm_env.BAR must be a string, a number or a boolean",
    "litellm_https_proxy must be empty or an http(s) URL",
    "litellm_no_proxy must be a comma-separated list",
    "litellm_models[0].name (the alias clients send) is missing or empty",
    "litellm_bind_address must be an IPv4 or IPv6 address",
]


def test_hostile_values_are_refused_in_one_message_naming_each(host: Any, secrets: dict[str, str]) -> None:
    before = snapshot(host)
    result = converge(HOSTILE)
    assert result.failed
    tried = {"key": CR_KEY, "key start": CR_KEY.split("\r")[0], "injected": INJECTED}
    assert leaked(result.output, {**secrets, **tried}) == []
    missing = [message for message in HOSTILE_MESSAGES if message not in result.output]
    assert missing == []
    assert snapshot(host) == before
    report("refused", "control characters, injection, bad types and addresses, all at once", "one message naming each")


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_and_changes_nothing(host: Any, secrets: dict[str, str], case: str) -> None:
    extra_vars, without, setup, expected, tried = CASES[case]
    before = snapshot(host)
    hostname_before = run(host, "sha256sum /etc/hostname", "checksum")
    with setup(host):
        result = converge(extra_vars, without=without)
    after = snapshot(host)
    assert result.failed
    watched = {**secrets, **{f"tried value {i}": value for i, value in enumerate(tried)}}
    assert leaked(result.output, watched) == []
    assert expected in result.output
    assert after == before
    assert run(host, "sha256sum /etc/hostname", "checksum") == hostname_before
    report("refused", case, "play failed naming the problem; files, container and image unchanged")


def test_the_preflight_tag_runs_the_checks_alone(host: Any, secrets: dict[str, str]) -> None:
    before = snapshot(host)
    good = converge(args=["--tags", "litellm_preflight"])
    assert not good.failed, good.output[-3000:]
    assert good.changed == 0
    for task in (
        "Check the role's input",
        "Look at litellm_config_dir, Docker's unit, the LiteLLM containers and image",
        "Check the host's directory, addresses and salt key, and the worker count",
    ):
        assert task_status(good.output, task) == "ok"
    # Docker Engine answered the role's own look: community.docker is not asked again.
    include = "Ask Docker Engine the way community.docker does, and check that it is installed"
    assert task_status(good.output, include) == "skipping"
    assert "Ask Docker Engine for the LiteLLM containers and image" not in good.output
    assert "Note what this run found" not in good.output  # no later step ran
    bad = converge({"litellm_port": 0}, args=["--tags", "litellm_preflight"])
    assert bad.failed
    assert "litellm_port must be a number within 1-65535" in bad.output
    assert leaked(good.output + bad.output, secrets) == []
    everything = converge(args=["--tags", "litellm"])
    assert not everything.failed, everything.output[-3000:]
    assert everything.changed == 0
    assert "serving" in everything.output and "; nothing changed" in everything.output
    assert snapshot(host) == before
