"""The role asks Redis for a PING from a container on the proxy's network
before it restarts anything, and says clearly what is wrong (never the
password); a run that changes nothing does not ask."""

from __future__ import annotations

import re

import pytest
from conftest import PROJECT, PROXIES, REDIS_PASSWORD, Fleet, on

# The host test_40 converged last: its first run here usually changes nothing.
HOST = PROXIES[0]
ROLE = str(PROJECT / "molecule" / "fleet" / "role.yml")
ASK = "Ask Redis for a PING from a container on the proxy's network"


def task_outcomes(output: str, task: str) -> set[str]:
    """What each host's result of one task was (ok, changed, skipping, fatal)."""
    block = output.split(f": {task}]", 1)[1].split("\nTASK [", 1)[0]
    return set(re.findall(r"^(ok|changed|skipping|fatal): \[", block, re.M))


def test_a_run_that_changes_nothing_does_not_ask_redis(deployed: Fleet) -> None:
    deployed.play(ROLE, "--limit", HOST)  # whatever earlier tests changed
    out = deployed.play(ROLE, "--limit", HOST)
    # act.yml (and redis.yml in it) is included only when the run changes
    # anything: a run that changes nothing skips it in one step.
    assert task_outcomes(out, "Act on the plan") == {"skipping"}
    assert "Check that Redis answers" not in out
    assert ASK not in out


@pytest.mark.parametrize(
    ("override", "said"),
    [
        (["-e", "litellm_redis_password=sk-wrong-redis-TEST-ONLY-4f1d"], "AUTH was refused"),
        # The host's loopback is not the container's: nothing answers there.
        (["-e", "litellm_redis_host=127.0.0.1"], "no answer: ConnectionRefusedError"),
    ],
)
def test_a_redis_that_does_not_answer_stops_the_run_before_any_change(
    deployed: Fleet, override: list[str], said: str
) -> None:
    started = on(HOST, "docker inspect -f '{{.State.StartedAt}}' litellm").stdout
    config = on(HOST, "cat /etc/litellm/config.yaml").stdout
    # A config change, so that the run has something to do.
    out = deployed.play(ROLE, "--limit", HOST, "-e", "litellm_cache_ttl=77", *override, fails=True)
    assert said in out and "does not serve the proxy on " + HOST in out
    assert "keeps serving" in out
    assert REDIS_PASSWORD not in out and "sk-wrong-redis" not in out.split("PLAY [", 1)[1]
    assert on(HOST, "docker inspect -f '{{.State.StartedAt}}' litellm").stdout == started
    assert on(HOST, "cat /etc/litellm/config.yaml").stdout == config
