"""The proxy comes back by itself: after a crash and after a reboot."""

from __future__ import annotations

import subprocess
from typing import Any

from conftest import inspect, liveliness, run, wait_for


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
    print(f"back {seconds:.1f} s after SIGKILL")


def test_reboot_of_the_host_brings_the_proxy_back(host: Any) -> None:
    before = inspect(host)
    # The test host is a container: restarting it is its reboot. No Ansible runs after it.
    subprocess.run(["docker", "restart", "-t", "30", "litellm-molecule-host"], check=True, timeout=120)
    seconds = wait_for(lambda: liveliness(host), timeout=180, what="LiteLLM on port 4000 after a reboot")
    after = inspect(host)
    assert after["Id"] == before["Id"]
    assert after["State"]["StartedAt"] > before["State"]["StartedAt"]
    assert run(host, "systemctl is-enabled docker", "systemctl is-enabled docker").strip() == "enabled"
    print(f"back {seconds:.1f} s after the reboot")
