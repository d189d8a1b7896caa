"""The production defaults: log rotation, healthcheck, hardening, LiteLLM's own settings."""

from __future__ import annotations

from typing import Any

from conftest import CONFIG_DIR, CONTAINER, inspect, run, wait_for


def test_logs_are_rotated_by_docker(host: Any) -> None:
    log = inspect(host)["HostConfig"]["LogConfig"]
    assert log == {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}}


def test_docker_ps_shows_the_proxy_healthy(host: Any) -> None:
    check = inspect(host)["Config"]["Healthcheck"]
    assert check["Test"][:2] == ["CMD", "python"]  # the image's own Python: no curl in it
    assert "/health/liveliness" in check["Test"][-1]
    # The first check runs one interval (30 s) after the start.
    wait_for(lambda: inspect(host)["State"]["Health"]["Status"] == "healthy", 90, "healthy", interval=3)
    ps = run(host, f"docker ps --filter name=^{CONTAINER}$ --format '{{{{.Status}}}}'", "docker ps")
    assert "(healthy)" in ps


def test_a_failing_healthcheck_would_show(host: Any) -> None:
    # The same command against a port nothing listens on fails: the check can fail.
    test = inspect(host)["Config"]["Healthcheck"]["Test"]
    script = test[-1].replace(":4000/", ":4999/")
    assert host.run(f'docker exec {CONTAINER} python -c "{script}"').rc != 0
    assert host.run(f'docker exec {CONTAINER} python -c "{test[-1]}"').rc == 0


def test_the_container_is_hardened(host: Any) -> None:
    config = inspect(host)["HostConfig"]
    assert config["CapDrop"] == ["ALL"]
    assert not config["CapAdd"]
    assert "no-new-privileges" in config["SecurityOpt"]
    assert config["Privileged"] is False
    assert config["Memory"] == 512 * 2**20  # litellm_memory_limit auto: 512 MB for the tests' one worker
    status = run(host, f"docker exec {CONTAINER} grep -E '^(CapEff|NoNewPrivs)' /proc/1/status", "process status")
    assert dict(line.split(":\t") for line in status.splitlines()) == {"CapEff": "0000000000000000", "NoNewPrivs": "1"}
    directory = host.file(CONFIG_DIR)
    assert (directory.user, directory.group, directory.mode) == ("root", "root", 0o700)


def test_litellm_runs_in_production_mode(host: Any) -> None:
    def env(name: str) -> str:
        return run(host, f"docker exec {CONTAINER} printenv {name}", f"printenv {name}").strip()

    assert env("LITELLM_MODE") == "PRODUCTION"
    assert env("LITELLM_LOG") == "WARNING"  # no line a request; the server's start stays (logging.yaml)
    assert env("LITELLM_LOCAL_MODEL_COST_MAP") == "True"  # the scenario sets litellm_local_model_cost_map
    workers = run(host, f"docker inspect --format '{{{{json .Args}}}}' {CONTAINER}", "args")
    assert '"--num_workers","1"' in workers
    assert '"--log_config","/app/logging.yaml"' in workers
