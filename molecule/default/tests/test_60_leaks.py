"""Secrets never leak: not in verbose output, not in a diff, not in a readable file."""

from __future__ import annotations

from typing import Any

from conftest import CONFIG_DIR, converge, default_models, leaked, report, run, snapshot

MARK = {"name": "claude-leak-check", "model": "us.anthropic.claude-opus-4-1-20250805-v1:0"}
TOKEN = "FwoGZXIvYXdzEXAMPLE-leak-check-token-TEST-ONLY"  # noqa: S105 - made up, TEST-ONLY


def test_verbose_diff_run_prints_no_secret(host: Any, secrets: dict[str, str]) -> None:
    # A change to config.yaml and to the env file, so that both diffs are exercised.
    change = {"litellm_models": [*default_models(), MARK], "litellm_aws_session_token": TOKEN}
    result = converge(change, args=["-vvv", "--diff"])
    assert not result.failed
    assert leaked(result.output, {**secrets, "session token": TOKEN}) == []
    assert "claude-leak-check" in result.output  # the config.yaml diff really was shown
    assert "<TASK: " in result.output or "TASK [" in result.output
    report("leak check", "converge -vvv --diff with a config and env change", "no secret in the output")


def test_check_diff_run_prints_no_secret_and_changes_nothing(host: Any, secrets: dict[str, str]) -> None:
    before = snapshot(host)
    result = converge({}, args=["--check", "--diff"])
    assert not result.failed
    assert leaked(result.output, {**secrets, "session token": TOKEN}) == []
    assert "claude-leak-check" in result.output  # the diff shows what a real run would remove
    assert snapshot(host) == before
    report("leak check", "converge --check --diff on a deployed host", "no secret in the output; nothing changed")


def test_taking_the_change_back_prints_no_secret(host: Any, secrets: dict[str, str]) -> None:
    # The env file loses the session token: its removal is not shown either.
    result = converge({}, args=["--diff"])
    assert not result.failed
    assert leaked(result.output, {**secrets, "session token": TOKEN}) == []
    # The diff really was shown: the new candidate config.yaml, as a new file.
    assert f"+++ after: {CONFIG_DIR}/config.yaml.candidate" in result.output


def test_only_root_can_read_a_file_holding_a_secret(host: Any, secrets: dict[str, str]) -> None:
    paths = run(host, f"find {CONFIG_DIR} -type f", "find").split()
    assert f"{CONFIG_DIR}/litellm.env" in paths
    holding = []
    for path in paths:
        f = host.file(path)
        if leaked(f.content_string, secrets):
            holding.append(path)
            assert (path, f.user, f.group, f.mode & 0o077) == (path, "root", "root", 0)
    assert f"{CONFIG_DIR}/litellm.env" in holding
    assert f"{CONFIG_DIR}/config.yaml" not in holding
    directory = host.file(CONFIG_DIR)
    assert (directory.user, directory.mode) == ("root", 0o700)
