"""Shared fixtures and helpers for the testinfra tests of the default scenario.

Secret values are read from the TEST-ONLY vault, and never end up in an
assertion message: helpers check exit codes themselves and report names, so a
failing test cannot print a secret into the CI log.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
RESOURCES = PROJECT / "molecule" / "resources"
CONTAINER = "litellm"
CONFIG_DIR = "/etc/litellm"
STANDIN = "http://127.0.0.1:8099"
WRONG_KEY = "sk-wrong-key-for-tests-0000000000000000"
# Reads the key on the test host, so that it is never part of a command line
# that a failing assertion would print.
MASTER_KEY_HEADER = f'-H "Authorization: Bearer $(sed -n "s/^LITELLM_MASTER_KEY=//p" {CONFIG_DIR}/litellm.env)"'


def load_secrets() -> dict[str, str]:
    password = (RESOURCES / "vault-password.TEST-ONLY").read_bytes().strip()
    vault = VaultLib([("default", VaultSecret(password))])
    return yaml.safe_load(vault.decrypt((RESOURCES / "vault.yml").read_bytes()))


def default_models() -> list[dict[str, str]]:
    return yaml.safe_load((PROJECT / "defaults" / "main.yml").read_text())["litellm_models"]


def leaked(text: str, secrets: dict[str, str]) -> list[str]:
    """Names (never values) of the secrets that appear in text."""
    return sorted(name for name, value in secrets.items() if value and value in text)


def run(host: Any, command: str, what: str) -> str:
    """Run a command on the test host; fail with `what`, not with its output."""
    result = host.run(command)
    if result.rc != 0:
        pytest.fail(f"{what} failed with exit code {result.rc}", pytrace=False)
    return result.stdout


def inspect(host: Any, name: str = CONTAINER) -> dict[str, Any]:
    data = json.loads(run(host, f"docker inspect {shlex.quote(name)}", f"docker inspect {name}"))[0]
    data["Config"]["Env"] = [item.split("=", 1)[0] for item in data["Config"]["Env"]]  # names only
    return data


@dataclass
class Response:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def api(host: Any, method: str, path: str, auth: str = "master", body: dict[str, Any] | None = None) -> Response:
    """Call the proxy on the test host's port 4000. auth: master, none or wrong."""
    headers = {"master": MASTER_KEY_HEADER, "none": "", "wrong": f"-H 'Authorization: Bearer {WRONG_KEY}'"}[auth]
    data = f"-H 'Content-Type: application/json' --data {shlex.quote(json.dumps(body))}" if body else ""
    out = run(
        host,
        f"curl -sS -m 60 -X {method} {headers} {data} -w '\\n%{{http_code}}' http://127.0.0.1:4000{path}",
        f"curl {method} {path}",
    )
    text, _, status = out.rpartition("\n")
    return Response(int(status), text)


def standin_records(host: Any) -> list[dict[str, Any]]:
    return json.loads(run(host, f"curl -sS -m 10 {STANDIN}/_standin/requests", "reading the stand-in's records"))


def clear_standin(host: Any) -> None:
    run(host, f"curl -sS -m 10 -X DELETE {STANDIN}/_standin/requests", "clearing the stand-in's records")


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 1.0) -> float:
    """Poll until predicate() is true; return the seconds it took."""
    start = time.monotonic()
    while True:
        try:
            if predicate():
                return time.monotonic() - start
        except Exception:  # noqa: S110 - not ready yet: keep polling until the deadline
            pass
        if time.monotonic() - start > timeout:
            pytest.fail(f"{what}: not within {timeout:.0f} s", pytrace=False)
        time.sleep(interval)


def liveliness(host: Any) -> bool:
    out = host.run("curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:4000/health/liveliness")
    return out.stdout.strip() == "200"


@dataclass
class ConvergeResult:
    output: str
    changed: int
    failed: bool


def converge(extra_vars: dict[str, Any] | None = None) -> ConvergeResult:
    """Run the scenario's converge playbook again, with extra variables."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(extra_vars or {}, handle)
    try:
        proc = subprocess.run(
            [
                "ansible-playbook",
                "-i",
                os.environ["MOLECULE_INVENTORY_FILE"],
                str(RESOURCES / "converge.yml"),
                "-e",
                f"@{handle.name}",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    finally:
        os.unlink(handle.name)
    output = proc.stdout + proc.stderr
    changed = sum(int(part.split("=")[1]) for part in output.split() if part.startswith("changed="))
    return ConvergeResult(output=output, changed=changed, failed=proc.returncode != 0)


def docker_events(host: Any, since: str, event: str) -> int:
    """How many `event` events the container had since `since` (daemon clock)."""
    out = run(
        host,
        f"docker events --since {since} --until $(date +%s.%N) --filter container={CONTAINER} "
        f"--filter event={event} --format '{{{{.Status}}}}'",
        "docker events",
    )
    return len(out.split())


@pytest.fixture(scope="session")
def secrets() -> dict[str, str]:
    return load_secrets()


@pytest.fixture(scope="session")
def models() -> list[dict[str, str]]:
    return default_models()
