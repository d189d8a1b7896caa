"""Hostile input and half-finished runs: no secret printed, no proxy lost.

The tests below the first two form one story on the deployed host, in order:
a port change proven by a canary; a live step Docker refuses, rolled back to
the container and every file that served; a run killed after the live files
were replaced, finished by the next run; and back to the defaults.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from conftest import (
    CONFIG_DIR,
    CONTAINER,
    IMAGE,
    MASTER_KEY_HEADER,
    RESOURCES,
    converge,
    converge_ok,
    default_models,
    inspect,
    leaked,
    liveliness,
    report,
    run,
    snapshot,
    task_status,
)

CANARY = f"{CONTAINER}-canary"
PORT = 4001
MARK = {"name": "claude-interrupted", "model": "us.anthropic.claude-haiku-4-5-20251001-v1:0"}


def ca_bundle(host: Any) -> str:
    """A real PEM bundle (the test host's own trust store) for litellm_ca_bundle."""
    return host.file("/etc/ssl/certs/ca-certificates.crt").content_string


def models_on(host: Any, port: int) -> list[str]:
    out = run(host, f"curl -sS -m 30 {MASTER_KEY_HEADER} http://127.0.0.1:{port}/v1/models", "curl /v1/models")
    return sorted(m["id"] for m in json.loads(out)["data"])


def sha1(host: Any, name: str) -> str:
    return run(host, f"sha1sum {CONFIG_DIR}/{name}", f"sha1sum {name}").split()[0]


def leftovers(host: Any) -> list[str]:
    names = run(host, f"ls -A {CONFIG_DIR}", "ls").split()
    return [n for n in names if n.endswith((".candidate", ".rejected", ".canary"))]


def test_a_secret_pasted_into_a_setting_is_refused_before_anything_is_rendered(
    host: Any, secrets: dict[str, str]
) -> None:
    before = snapshot(host)
    setting = {"alerting_args": {"header": f"Bearer {secrets['litellm_master_key']}"}}
    result = converge({"litellm_general_settings": setting}, args=["--diff", "-v"])
    assert result.failed
    assert "litellm_general_settings.alerting_args.header holds the value of litellm_master_key" in result.output
    assert leaked(result.output, secrets) == []  # --diff showed nothing: no file was rendered
    assert snapshot(host) == before
    assert leftovers(host) == []  # no candidate holds it
    report("refused", "secret pasted into litellm_general_settings, with --diff", "refused before rendering; no diff")


def test_a_failing_task_that_handles_secrets_prints_none(host: Any, secrets: dict[str, str]) -> None:
    # The candidate env file cannot be written: the directory is mounted read-only.
    before = snapshot(host)
    run(host, f"mount --bind {CONFIG_DIR} {CONFIG_DIR} && mount -o remount,bind,ro {CONFIG_DIR}", "read-only mount")
    try:
        result = converge({"litellm_env": {"LITELLM_MARK": "x"}}, args=["-vvv"])
    finally:
        run(host, f"umount {CONFIG_DIR}", "umount")
    assert result.failed
    assert f"Could not write litellm.env.candidate in {CONFIG_DIR}: Read-only file system" in result.output
    assert leaked(result.output, secrets) == []  # stdout, stderr and ANSIBLE_LOG_PATH, at -vvv
    assert snapshot(host) == before
    assert liveliness(host)
    report("protected", "writing the candidate env file fails", "fixed message, no secret; proxy untouched")


def test_a_port_change_is_proven_by_a_canary(host: Any, secrets: dict[str, str]) -> None:
    # The serving proxy is asked where it really listens (4000), not on the new port.
    result = converge_ok(secrets, {"litellm_port": PORT, "litellm_ca_bundle": ca_bundle(host)})
    assert task_status(result.output, "Run the LiteLLM container (canary)") == "changed"
    assert liveliness(host, PORT)
    assert not liveliness(host, 4000)
    assert host.file(f"{CONFIG_DIR}/ca-bundle.pem").exists
    report("protected", "port change of a serving proxy", "canary ran first; serving on the new port")


class CanaryWatch:
    """Samples the canary container while a run is going on (bounded: 10 min)."""

    def __init__(self, host: Any) -> None:
        self.host = host
        self.seen: dict[str, Any] = {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)
        self.thread.start()

    def watch(self) -> None:
        deadline = time.monotonic() + 600
        while not self.done.is_set() and time.monotonic() < deadline:
            out = self.host.run(f"docker inspect {CANARY}")
            config = self.host.run(f"docker exec {CANARY} cat /app/config.yaml")
            if out.rc == 0 and config.rc == 0:
                self.seen = {"inspect": json.loads(out.stdout)[0], "config": config.stdout}
                return
            time.sleep(0.5)

    def stop(self) -> dict[str, Any]:
        self.done.set()
        self.thread.join(timeout=30)
        return self.seen


def test_a_live_step_docker_refuses_restores_the_container_and_every_file(host: Any, secrets: dict[str, str]) -> None:
    # The change removes the CA bundle and sets a memory limit Docker refuses
    # (under 6 MB). The canary (its own 768m cap) serves; the live container
    # cannot be created: the container that served and its files come back.
    before = inspect(host)
    live = {name: sha1(host, name) for name in ("config.yaml", "litellm.env", "ca-bundle.pem")}
    watch = CanaryWatch(host)
    result = converge({"litellm_port": PORT, "litellm_memory_limit": "4m"}, args=["-vvv"])
    canary = watch.stop()
    assert result.failed
    assert leaked(result.output, secrets) == []  # stdout, stderr and ANSIBLE_LOG_PATH, at -vvv
    assert "Docker refused to create or start the live container" in result.output
    assert "So the role rolled back to the previous config.yaml, environment file" in result.output
    assert f"The restored proxy answers again on port {PORT}." in result.output
    after = inspect(host)
    assert after["Id"] == before["Id"]  # the very container that served, kept stopped meanwhile
    assert after["HostConfig"]["Memory"] == before["HostConfig"]["Memory"]
    assert "SSL_CERT_FILE" in after["Config"]["Env"]
    assert {name: sha1(host, name) for name in live} == live  # the CA bundle is still there
    assert liveliness(host, PORT)
    assert host.run(f"docker inspect {CONTAINER}-previous").rc != 0
    # The canary was isolated: one worker, 768m, no published port, no migrations.
    assert canary, "the canary was never seen"
    settings = canary["inspect"]
    assert settings["Args"][settings["Args"].index("--num_workers") + 1] == "1"
    assert settings["HostConfig"]["Memory"] == 768 * 1024 * 1024
    assert not settings["HostConfig"]["PortBindings"]
    assert "DISABLE_SCHEMA_UPDATE=true" in settings["Config"]["Env"]
    assert "disable_prisma_schema_update: true" in canary["config"]
    assert settings["HostConfig"]["RestartPolicy"]["Name"] == "no"
    report("protected", "Docker refuses the live container after the canary", "previous container and files back")


def interrupted_converge(extra_vars: dict[str, Any], task: str) -> str:
    """Run converge and kill it (and its workers) as soon as `task` has printed its result."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "extra.json").write_text(json.dumps(extra_vars))
        command = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(RESOURCES / "converge.yml")]
        proc = subprocess.Popen(
            [*command, "-e", f"@{tmp}/extra.json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        seen = []
        assert proc.stdout is not None
        deadline = time.monotonic() + 600
        started = False
        for line in proc.stdout:
            seen.append(line)
            started = started or f": {task}]" in line
            if (started and line.startswith(("changed:", "ok:"))) or time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)  # like a lost SSH session: no handler runs
                break
        proc.wait(timeout=60)
    return "".join(seen)


def test_an_interrupted_run_is_finished_by_the_next(host: Any, secrets: dict[str, str]) -> None:
    change = {"litellm_port": PORT, "litellm_ca_bundle": ca_bundle(host), "litellm_models": [*default_models(), MARK]}
    started = inspect(host)["State"]["StartedAt"]
    last_good = sha1(host, "config.yaml.last-good")
    output = interrupted_converge(change, task="Move the new files into place")
    assert "Move the new files into place" in output
    assert leaked(output, secrets) == []
    # Where the run stopped: the new config.yaml is live, the proxy still
    # serves the old one, and the file that never served is no last good copy.
    assert inspect(host)["State"]["StartedAt"] == started
    assert MARK["name"] in host.file(f"{CONFIG_DIR}/config.yaml").content_string
    assert MARK["name"] not in models_on(host, PORT)
    assert sha1(host, "config.yaml.last-good") == last_good
    # The next run, with nothing new to write, sees it and restarts the proxy.
    result = converge_ok(secrets, change)
    assert result.changed > 0
    assert MARK["name"] in models_on(host, PORT)
    assert sha1(host, "config.yaml.last-good") == sha1(host, "config.yaml")
    assert leftovers(host) == []  # the earlier rollback's rejected copies are gone after a healthy run
    assert converge_ok(secrets, change).changed == 0
    report("protected", "run killed after the live files were replaced", "next run restarted the proxy with them")


def test_back_to_the_defaults_removes_unused_files_once_healthy(host: Any, secrets: dict[str, str]) -> None:
    result = converge_ok(secrets)
    assert task_status(result.output, "Run the LiteLLM container (canary)") == "changed"
    assert liveliness(host)
    for name in ("ca-bundle.pem", "ca-bundle.pem.last-good"):
        assert not host.file(f"{CONFIG_DIR}/{name}").exists
    assert leftovers(host) == []
    # Plain HTTP on every interface: allowed, and said at the end of the run.
    assert "WARNING: the proxy publishes plain HTTP on 0.0.0.0:4000" in result.output


def test_a_canary_left_by_an_interrupted_run_is_removed(host: Any, secrets: dict[str, str]) -> None:
    # As the role leaves one: with its labels (a container of that name
    # without them is someone else's, which the role never touches).
    labels = " ".join(f"--label {shlex.quote(f'{k}={v}')}" for k, v in inspect(host)["Config"]["Labels"].items())
    run(host, f"docker create --name {CANARY} {labels} {shlex.quote(IMAGE)}", "creating a leftover canary")
    result = converge_ok(secrets)
    assert host.run(f"docker inspect {CANARY}").rc != 0
    assert result.changed == 1  # its removal, nothing else
    report("protected", "canary left by an interrupted run", "removed by the next run")
