"""Faults survived: the proxy comes back by itself, or degrades clearly."""

from __future__ import annotations

import subprocess
import time
from typing import Any

from conftest import api, chat, inspect, instance, liveliness, report, run, wait_for

CHAT = chat("claude-sonnet-4")


def test_sigkill_of_the_main_process_is_healed_by_the_restart_policy(host: Any) -> None:
    before = inspect(host)
    # Not `docker kill`: Docker counts that as a manual stop and the
    # unless-stopped policy would leave the container down.
    run(host, f"kill -9 {before['State']['Pid']}", "kill -9 of the proxy's main process")
    seconds = wait_for(
        lambda: inspect(host)["RestartCount"] > before["RestartCount"] and liveliness(host),
        timeout=120,
        what="LiteLLM back after SIGKILL",
    )
    after = inspect(host)
    assert after["Id"] == before["Id"]
    assert after["State"]["Pid"] != before["State"]["Pid"]
    report("fault", "SIGKILL of the proxy's main process", "restarted by the restart policy", seconds)


def test_docker_daemon_restart_brings_the_proxy_back(host: Any) -> None:
    before = inspect(host)
    start = time.monotonic()
    run(host, "systemctl restart docker", "systemctl restart docker")
    wait_for(lambda: liveliness(host), timeout=180, what="LiteLLM after a Docker restart")
    seconds = time.monotonic() - start
    after = inspect(host)
    assert after["Id"] == before["Id"]
    assert after["State"]["StartedAt"] > before["State"]["StartedAt"]
    report("fault", "restart of the Docker daemon", "container restarted by Docker", seconds)


def test_bedrock_down_gives_a_clear_error_and_recovers(host: Any) -> None:
    run(host, "systemctl stop bedrock-standin", "stopping the Bedrock stand-in")
    try:
        response = api(host, "POST", "/v1/chat/completions", body=CHAT)
        assert 500 <= response.status < 600
        assert "bedrock" in response.body.lower()
        assert liveliness(host)  # the proxy itself stays healthy
    finally:
        run(host, "systemctl start bedrock-standin", "starting the Bedrock stand-in")
    seconds = wait_for(
        lambda: api(host, "POST", "/v1/chat/completions", body=CHAT).status == 200,
        timeout=60,
        what="completions once Bedrock is back",
    )
    report("fault", "Bedrock unreachable", f"HTTP {response.status} naming Bedrock; proxy healthy; recovered", seconds)


def test_reboot_of_the_host_brings_the_proxy_back(host: Any) -> None:
    before = inspect(host)
    # The test host is a container: restarting it is its reboot. No Ansible runs after it.
    start = time.monotonic()
    subprocess.run(["docker", "restart", "-t", "30", instance()], check=True, timeout=120)
    wait_for(lambda: liveliness(host), timeout=180, what="LiteLLM on port 4000 after a reboot")
    seconds = time.monotonic() - start
    after = inspect(host)
    assert after["Id"] == before["Id"]
    assert after["State"]["StartedAt"] > before["State"]["StartedAt"]
    assert run(host, "systemctl is-enabled docker", "systemctl is-enabled docker").strip() == "enabled"
    report("fault", "reboot of the host", "proxy back on port 4000 with no Ansible run", seconds)
