"""tasks_from: status, through examples/status.yml as an operator runs it: one
line per host, on a healthy proxy, a stopped one, a host the role never
deployed to and a host whose Docker is down; never a secret, at -vvv too."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from conftest import (
    CONTAINER,
    PROJECT,
    Example,
    default_models,
    instance,
    leaked,
    liveliness,
    manual_commands,
    run,
    site_example,
    wait_for,
)

LTS = re.compile(r"LiteLLM (\d+\.\d+\.\d+) \(([0-9a-f]{12})\)")
# The README's command (Operations: Every host at a glance), run as written.
((COMMAND,),) = manual_commands("Every host at a glance")


@pytest.fixture(scope="module")
def example(host: Any) -> Iterator[Example]:
    """The README's example directory with examples/status.yml beside its site.yml."""
    with site_example(host) as where:
        shutil.copy(PROJECT / "examples" / "status.yml", where.path / "status.yml")
        (where.path / "roles" / "litellm_bedrock.litellm").symlink_to(PROJECT)
        where.create_vault()
        yield where


def status(example: Example, *args: str, **extra: Any) -> tuple[str, str]:
    """The README's status command (with more arguments and variables): (the host's line, everything printed)."""
    more = [arg for name, value in extra.items() for arg in ("-e", f"{name}={value}")]
    done = example.run(" ".join([COMMAND, *map(shlex.quote, [*args, *more])]))
    assert not done.failed, done.output[-3000:]
    assert done.changed == 0
    # The debug task's "msg": "<host>: ..." (a JSON string; the log repeats it).
    found = re.findall(rf'"msg": ("{re.escape(instance())}: (?:[^"\\]|\\.)*")', done.output)
    lines = [json.loads(text) for text in found]
    assert lines, done.output[-3000:]
    return lines[0], done.output


def healthy(host: Any) -> bool:
    state = yaml.safe_load(run(host, f"docker inspect -f '{{{{json .State}}}}' {CONTAINER}", "the container's state"))
    return state.get("Health", {}).get("Status") == "healthy"


def test_a_healthy_proxy(host: Any, example: Example, secrets: dict[str, str]) -> None:
    wait_for(lambda: healthy(host), 120, "Docker's health check to pass")
    line, output = status(example)
    assert leaked(output, secrets) == []
    line, output = status(example, "-vvv")
    assert line.startswith(f"{instance()}: running, healthy; LiteLLM ")
    version, digest = LTS.search(line).groups()
    labels = yaml.safe_load(run(host, f"docker inspect -f '{{{{json .Config.Labels}}}}' {CONTAINER}", "labels"))
    assert (version, digest) == (labels["litellm_bedrock.version"], labels["litellm_bedrock.digest"][7:19])
    assert re.search(r"; up (\d+m \d+s|\d+h \d+m|\d+d \d+h); \d+ restarts; not OOM-killed; ", line)
    names = sorted(m["name"] for m in default_models())
    assert line.endswith(f"; {len(names)} models: " + ", ".join(names))
    assert leaked(output, secrets) == []  # -vvv: the module's arguments and result are no_log


def test_check_mode_says_the_same(host: Any, example: Example, secrets: dict[str, str]) -> None:
    line, output = status(example, "--check")
    assert line.startswith(f"{instance()}: running, healthy; LiteLLM ")
    assert leaked(output, secrets) == []


def test_a_host_the_role_never_deployed_to(host: Any, example: Example) -> None:
    # Another container name and directory: what a host without the role has.
    line, _ = status(example, litellm_container_name="litellm-never", litellm_config_dir="/etc/litellm-never")
    assert line == f"{instance()}: no LiteLLM container (never deployed)"


def test_a_host_whose_docker_is_down(host: Any, example: Example) -> None:
    run(host, "systemctl stop docker.socket docker.service", "stopping Docker")
    try:
        line, _ = status(example)
        assert line == (
            f"{instance()}: Docker Engine does not answer (down) (the role's directory is there): no proxy can serve"
        )
    finally:
        run(host, "systemctl start docker.service", "starting Docker")
    # The restart policy brings the proxy back with Docker.
    wait_for(lambda: liveliness(host), 120, "the proxy back with Docker")


def test_a_stopped_proxy_with_its_log_masked(host: Any, example: Example, secrets: dict[str, str]) -> None:
    # The proxy printed secrets (as LiteLLM at DEBUG would): the line masks them (the master
    # key, which the module was given, Ansible itself already hides in its answer).
    printed = 'echo "$LITELLM_MASTER_KEY $AWS_SECRET_ACCESS_KEY" > /proc/1/fd/1'
    run(host, f"docker exec {CONTAINER} sh -c '{printed}'", "secrets in the log")
    run(host, f"docker stop {CONTAINER}", "docker stop")
    try:
        line, output = status(example, "-vvv")
        assert re.match(rf"{re.escape(instance())}: exited \(exit code \d+\); LiteLLM ", line), line
        assert "; not up; " in line and "; last log lines: " in line
        assert "********" in line, line[-4000:]  # the AWS secret, masked by the role
        assert leaked(output, secrets) == []
    finally:
        run(host, f"docker start {CONTAINER}", "docker start")
    wait_for(lambda: liveliness(host), 120, "the proxy started again")
