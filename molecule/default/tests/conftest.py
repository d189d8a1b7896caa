"""Shared fixtures and helpers for the testinfra tests of the default scenario
and of the `lines` scenario (whose tests/conftest.py is a symlink to this file).

Secret values are read from the TEST-ONLY vault, and never end up in an
assertion message: helpers check exit codes themselves and report names, so a
failing test cannot print a secret into the CI log.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import shlex
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
# The image the role pulls in the tests: prepare pushes the test image to the
# test host's loopback registry under the official image's tag.
REPO = "127.0.0.1:5000/berriai/litellm"
IMAGE = f"{REPO}:main-stable"
# A salt key other than the vault's (TEST-ONLY).
OTHER_SALT = "sk-another-salt-TEST-ONLY-0123456789abcdef"
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


def log_lines(host: Any, since: str = "") -> list[tuple[str, dict[str, Any] | None]]:
    """Each line of `docker logs` (since `since`), with its JSON entry, or None
    for a plain line (LiteLLM's banner and model list are plain prints)."""
    option = f"--since {since} " if since else ""
    found: list[tuple[str, dict[str, Any] | None]] = []
    for line in run(host, f"docker logs {option}{CONTAINER} 2>&1", "docker logs").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        found.append((line, entry if isinstance(entry, dict) else None))
    return found


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


def chat(alias: str, content: str = "hi", stream: bool = False) -> dict[str, Any]:
    """The body of a chat completion request."""
    return {"model": alias, "stream": stream, "messages": [{"role": "user", "content": content}]}


@contextmanager
def registry_stopped(host: Any) -> Iterator[None]:
    """The test host's registry down for a while (ghcr.io unreachable)."""
    run(host, "systemctl stop docker-registry", "stopping the registry")
    try:
        yield
    finally:
        run(host, "systemctl start docker-registry", "starting the registry")


def now(host: Any) -> str:
    """The test host's clock (Docker's, for `docker events --since`)."""
    return run(host, "date +%s.%N", "date").strip()


def docker0(host: Any) -> str:
    """The test host's address on Docker's bridge, where the stand-in listens."""
    return run(host, "ip -4 -o addr show docker0 | awk '{print $4}' | cut -d/ -f1", "docker0 address").strip()


def liveliness(host: Any, port: int = 4000) -> bool:
    out = host.run(f"curl -s -m 5 -o /dev/null -w '%{{http_code}}' http://127.0.0.1:{port}/health/liveliness")
    return out.stdout.strip() == "200"


# Whether the test host is known to run the role's defaults: converge() keeps
# it, so that each test file can leave the host as it found it (see
# defaults_after_each_file).
HOST_STATE = {"at_defaults": True}


@pytest.fixture(scope="module", autouse=True)
def defaults_after_each_file(host: Any) -> Iterator[None]:
    """Every test file starts from the role deployed with its defaults (as after
    `molecule converge`) and leaves the host so: a file whose last converge
    used other variables, or failed, or that left the proxy down, ends with one
    converge with the defaults. So each file also runs on its own."""
    yield
    if not HOST_STATE["at_defaults"] or not liveliness(host):
        result = converge()
        if result.failed:
            pytest.fail("converging back to the defaults failed:\n" + result.output[-3000:], pytrace=False)


@dataclass
class ConvergeResult:
    output: str
    changed: int
    failed: bool


def changed_count(recap: str) -> int:
    """The changed= counts of a play recap, summed over its hosts."""
    return sum(int(part.split("=")[1]) for part in recap.split() if part.startswith("changed="))


def converge(
    extra_vars: dict[str, Any] | None = None,
    args: list[str] | None = None,
    without: str | None = None,
    playbook: str = "ansible-playbook",
) -> ConvergeResult:
    """Run the scenario's converge playbook again, with extra variables and
    ansible-playbook arguments; `without` leaves that secret undefined; `playbook`
    is another ansible-playbook (an older ansible-core's). The output is
    everything Ansible printed and wrote to its log (ANSIBLE_LOG_PATH), so that
    every check for a leaked secret covers the log too."""
    with tempfile.TemporaryDirectory() as tmp:
        variables = dict(extra_vars or {})
        if without:
            vault = {k: v for k, v in load_secrets().items() if k != without}
            (Path(tmp) / "vault.yml").write_text(yaml.safe_dump(vault))
            variables["test_vault_file"] = str(Path(tmp) / "vault.yml")
        (Path(tmp) / "extra.json").write_text(json.dumps(variables))
        proc = subprocess.run(
            [
                playbook,
                "-i",
                os.environ["MOLECULE_INVENTORY_FILE"],
                str(RESOURCES / "converge.yml"),
                "-e",
                f"@{tmp}/extra.json",
                *(args or []),
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            env={**os.environ, "ANSIBLE_LOG_PATH": f"{tmp}/ansible.log"},
        )
        log = Path(f"{tmp}/ansible.log")
        output = proc.stdout + proc.stderr + (log.read_text(errors="replace") if log.exists() else "")
    changed = changed_count(proc.stdout)
    if variables or proc.returncode != 0:
        HOST_STATE["at_defaults"] = False
    elif not {"--check", "--tags"} & set(args or []):
        HOST_STATE["at_defaults"] = True
    return ConvergeResult(output=output, changed=changed, failed=proc.returncode != 0)


def converge_ok(
    secrets: dict[str, str],
    extra_vars: dict[str, Any] | None = None,
    args: list[str] | None = None,
    also: dict[str, str] | None = None,
) -> ConvergeResult:
    """converge() that must succeed and print no secret, of the vault's or the
    `also` given (names only on failure)."""
    result = converge(extra_vars, args)
    assert leaked(result.output, {**secrets, **(also or {})}) == []
    if result.failed:
        pytest.fail("converge failed:\n" + result.output[-4000:], pytrace=False)
    return result


def task_status(output: str, task: str) -> str:
    """The status (ok, changed, skipping, fatal...) the role's task got in a run's output (a
    task of the handler, which carries out the planned switch, shows as RUNNING HANDLER)."""
    match = re.search(
        rf"(?:TASK|RUNNING HANDLER) \[litellm_bedrock\.litellm : {re.escape(task)}\][^\n]*\n(?:[^\n]*\n)??(\w+):",
        output,
    )
    if not match:
        pytest.fail(f"task {task!r} not found in the output", pytrace=False)
    return match.group(1)


def docker_events(host: Any, since: str, event: str) -> int:
    """How many `event` events the container had since `since` (daemon clock)."""
    # Docker's container filter also matches names that merely start with it
    # (litellm-canary): count the exact name.
    out = run(
        host,
        f"docker events --since {since} --until $(date +%s.%N) --filter container={CONTAINER} "
        f"--filter event={event} --format '{{{{.Actor.Attributes.name}}}}'",
        "docker events",
    )
    return out.split().count(CONTAINER)


@pytest.fixture(scope="session")
def secrets() -> dict[str, str]:
    return load_secrets()


@pytest.fixture(scope="session")
def models() -> list[dict[str, str]]:
    return default_models()


def snapshot(host: Any) -> dict[str, Any]:
    """What must not change when a run is refused: every file in the
    configuration directory but the rejected copies a refused run keeps for
    the operator to read, the container and its image."""
    files = run(
        host,
        f"cd {CONFIG_DIR} 2>/dev/null && find . -type f ! -name '*.rejected' | sort | xargs -r sha256sum",
        "checksums",
    )
    data = inspect(host)
    return {"files": files, "id": data["Id"], "started": data["State"]["StartedAt"], "image": data["Image"]}


# --- The manual's own commands ------------------------------------------------
# Tests that run what README.md shows read it from README.md, through the same
# parser that tests/lib/commands.py (lint) uses to check that every command of
# the manual is exercised somewhere.

sys.path.insert(0, str(PROJECT / "tests" / "lib"))
import commands as manual  # noqa: E402 - the path is set just above

README = PROJECT / "README.md"
EXAMPLE = "Example: site playbook, inventory and vault"


def manual_commands(heading: str) -> list[list[str]]:
    """The commands of each shell block under a heading of the README, as written."""
    return [manual.commands(block) for block in manual.section(README, heading)]


@dataclass
class Example:
    """The README's example deployment as files, pointed at the test host."""

    path: Path
    env: dict[str, str]

    def run(self, command: str, typed: str | None = None, playbook: bool = True) -> ConvergeResult:
        """Run a command of the manual in the example's directory, as an operator
        would, in a terminal of its own (ansible-vault's editor and --ask-vault-pass
        want one); `typed` is typed at the first password prompt."""
        log = self.path / "ansible.log"
        log.unlink(missing_ok=True)
        primary, secondary = os.openpty()
        proc = subprocess.Popen(
            ["bash", "-c", command],
            cwd=self.path,
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            env={**self.env, "ANSIBLE_LOG_PATH": str(log)},
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # the terminal becomes /dev/tty
        )
        os.close(secondary)
        printed, deadline = b"", time.monotonic() + 900
        while time.monotonic() < deadline:
            if select.select([primary], [], [], 1)[0]:
                try:
                    chunk = os.read(primary, 65536)
                except OSError:  # the command closed the terminal: it has ended
                    break
                if not chunk:
                    break
                printed += chunk
                if typed is not None and b"password:" in printed.lower():
                    os.write(primary, typed.encode())
                    typed = None
        os.close(primary)
        returncode = proc.wait(timeout=60)
        screen = printed.decode(errors="replace").replace("\r\n", "\n")
        output = screen + (log.read_text(errors="replace") if log.exists() else "")
        changed = changed_count(screen)
        if playbook and (changed or returncode != 0):
            HOST_STATE["at_defaults"] = False
        return ConvergeResult(output=output, changed=changed, failed=returncode != 0)

    def create_vault(self) -> Path:
        """The README's `ansible-vault create`, its editor a copy of the test's secrets."""
        ((create,),) = (block for block in manual_commands(EXAMPLE) if block[0].startswith("ansible-vault create"))
        editor = {"EDITOR": f"cp {self.path / 'vault-plain.yml'}", "ANSIBLE_VAULT_PASSWORD_FILE": "~/.vault-pass"}
        created = Example(self.path, {**self.env, **editor}).run(create, playbook=False)
        if created.failed:
            pytest.fail("ansible-vault create failed:\n" + created.output[-2000:], pytrace=False)
        return self.path / create.split()[-1]


def instance() -> str:
    """The test host's name: the scenario's inventory's one host, the
    container molecule created for it."""
    inventory = yaml.safe_load(Path(os.environ["MOLECULE_INVENTORY_FILE"]).read_text())
    return next(iter(inventory["all"]["hosts"]))


@contextmanager
def site_example(host: Any) -> Iterator[Example]:
    """The README's example (inventory, group_vars, site.yml; the vault is left to
    the README's `ansible-vault create`) with the test host in place of the
    example's hosts, and group_vars/litellm/test.yml with what converge.yml
    sets for every test (image, one worker, the stand-in). Its vault password
    file is ~/.vault-pass, HOME being the example's directory."""
    hosts, site, vault, main = (block.text for block in manual.section(README, EXAMPLE, "yaml"))
    molecule_inventory = yaml.safe_load(Path(os.environ["MOLECULE_INVENTORY_FILE"]).read_text())
    name, connection = next(iter(molecule_inventory["all"]["hosts"].items()))
    converge_vars = yaml.safe_load((RESOURCES / "converge.yml").read_text())[0]["vars"]
    secrets = load_secrets()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp)
        group_vars = path / "inventory" / "group_vars" / "litellm"
        group_vars.mkdir(parents=True)
        inventory = yaml.safe_load(hosts)
        for group in inventory.values():  # the example's hosts out, the test host in
            group["hosts"] = {name: {**connection, "ansible_become_method": "su"}}  # no sudo on the test host
        (path / "inventory" / "hosts.yml").write_text(yaml.safe_dump(inventory))
        (path / "site.yml").write_text(site)
        (group_vars / "main.yml").write_text(main)
        endpoint = {"litellm_bedrock_runtime_endpoint": f"http://{docker0(host)}:8099"}
        (group_vars / "test.yml").write_text(yaml.safe_dump({**converge_vars, **endpoint}))
        # Written as the README writes it: each value !unsafe, double-quoted.
        keys = re.findall(r"^(\w+):", vault, re.M)
        plain = "".join(f"{key}: !unsafe {json.dumps(secrets[key.removeprefix('vault_')])}\n" for key in keys)
        (path / "vault-plain.yml").write_text(plain)
        (path / ".vault-pass").write_bytes((RESOURCES / "vault-password.TEST-ONLY").read_bytes())
        (path / ".vault-pass").chmod(0o600)
        (path / "roles").mkdir()
        (path / "roles" / "litellm").symlink_to(PROJECT)
        env = {
            "PATH": os.environ["PATH"],
            "HOME": tmp,
            "LANG": "C.UTF-8",
            "ANSIBLE_COLLECTIONS_PATH": os.environ.get("ANSIBLE_COLLECTIONS_PATH", ""),
            "ANSIBLE_ROLES_PATH": str(path / "roles"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_PYTHON_INTERPRETER": "auto_silent",
        }
        yield Example(path, env)


# --- Reliability report -------------------------------------------------------
# Tests add one row per case tried or fault injected; at the end of the session
# the rows are written to reports/reliability.{json,md}, which the README links to.

REPORT: list[dict[str, Any]] = []
REPORT_DIR = PROJECT / "reports"
# tests/run.sh names the scenario: the default one's rows go to
# reports/reliability.*, another's to reports/reliability-<scenario>.*.
SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME", "default")
REPORT_NAME = "reliability" if SCENARIO == "default" else f"reliability-{SCENARIO}"


def report(kind: str, case: str, outcome: str, seconds: float | None = None) -> None:
    REPORT.append({"kind": kind, "case": case, "outcome": outcome, "seconds": seconds})


def _markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| kind | case | outcome | seconds |", "|---|---|---|---|"]
    for row in rows:
        seconds = f"{row['seconds']:.1f}" if row["seconds"] is not None else ""
        lines.append(f"| {row['kind']} | {row['case']} | {row['outcome']} | {seconds} |")
    kinds = sorted({row["kind"] for row in rows})
    counts = ", ".join(f"{sum(r['kind'] == k for r in rows)} {k}" for k in kinds)
    return "\n".join([f"{len(rows)} cases: {counts}.", "", *lines])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Only the full run (tests/run.sh) writes them: a partial run would
    # replace the committed table with its few rows. The README links to them.
    if not REPORT or exitstatus != 0 or os.environ.get("LITELLM_FULL_RUN") != "1":
        return
    REPORT_DIR.mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (REPORT_DIR / f"{REPORT_NAME}.json").write_text(json.dumps({"generated": stamp, "rows": REPORT}, indent=2) + "\n")
    table = _markdown(REPORT)
    (REPORT_DIR / f"{REPORT_NAME}.md").write_text(f"Generated by the {SCENARIO} scenario on {stamp}.\n\n{table}\n")
