"""The fleet scenario: examples/fleet as shipped, copied with the scenario's
hosts in its inventory, a vault made from the TEST-ONLY secrets, and the test
settings (registry, stand-in) in one extra group_vars file.

Every request the tests send comes from inside the balancer: to HAProxy on
its loopback, or to a proxy host of the scenario's own network.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
sys.path.insert(0, str(PROJECT / "tests" / "lib"))
import commands as manual  # noqa: E402 - found through the path above

RESOURCES = PROJECT / "molecule" / "resources"
BALANCER = "litellm-fleet-balancer"
PROXIES = ("litellm-fleet-1", "litellm-fleet-2")
# Where the balancer's registry serves the fleet's image (the balancer itself
# pushes to it on loopback).
REPO = f"{BALANCER}:5000/berriai/litellm"
LOCAL_REPO = "127.0.0.1:5000/berriai/litellm"
# TEST-ONLY.
REDIS_PASSWORD = "redis-TEST-ONLY-5f0c2a9e7d1b"  # noqa: S105
REDIS_ADMIN_PASSWORD = "redis-admin-TEST-ONLY-93be0c41"  # noqa: S105
# Where the fleet's CA certificate is on the balancer (for curl, redis-cli, load.py).
CA_FILE = "/root/fleet-ca.pem"
LIMITED = {"name": "claude-limited", "model": "us.anthropic.claude-haiku-5-5", "rpm": 6}
TEST_VARS: dict[str, Any] = {
    "litellm_image": f"{REPO}:main-stable",
    "litellm_num_workers": 1,
    "litellm_local_model_cost_map": True,
    "litellm_bedrock_runtime_endpoint": "http://{{ hostvars['" + BALANCER + "'].fleet_address }}:8099",
    "litellm_models": [{"name": "claude-sonnet-4", "model": "us.anthropic.claude-sonnet-4-20250514-v1:0"}, LIMITED],
}
KEY_FILE = "/root/master.key"


def docker(*args: str, stdin: str | None = None) -> str:
    return subprocess.run(["docker", *args], input=stdin, capture_output=True, text=True, check=True).stdout


def on(host: str, command: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """A shell command on a test host (docker exec)."""
    result = subprocess.run(
        ["docker", "exec", "-i", host, "bash", "-c", command], input=stdin or "", capture_output=True, text=True
    )
    if check:
        assert result.returncode == 0, f"{command!r} failed on {host}: {result.stderr[-400:]}"
    return result


def address(host: str) -> str:
    return docker("inspect", "-f", '{{(index .NetworkSettings.Networks "litellm-fleet").IPAddress}}', host).strip()


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(directory: Path, balancer_address: str) -> str:
    """A TEST-ONLY CA and the balancer's certificate (for its name and
    address: HAProxy and Redis present it), in the inventory's certs/ as the
    example expects them. Returns the balancer's key (PEM), for the vault."""
    directory.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-subj", "/CN=TEST-ONLY fleet CA",
            "-days", "2", "-out", "ca.crt", cwd=directory)  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "balancer.key", "-subj", f"/CN={BALANCER}",
            "-out", "balancer.csr", cwd=directory)  # fmt: skip
    (directory / "san.ext").write_text(f"subjectAltName=DNS:{BALANCER},IP:{balancer_address}\n")
    openssl("x509", "-req", "-in", "balancer.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "san.ext", "-out", "balancer.crt", cwd=directory)  # fmt: skip
    key = (directory / "balancer.key").read_text()
    for name in ("ca.key", "balancer.key", "balancer.csr", "san.ext", "ca.srl"):
        (directory / name).unlink(missing_ok=True)
    return key


def changed_count(recap: str) -> dict[str, int]:
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\S+)\s+:.*?changed=(\d+)", recap, re.M)}


@dataclass
class Fleet:
    directory: Path
    secrets: dict[str, str] = field(repr=False)  # never in a failing test's output

    def run(self, command: str, background: bool = False, fails: bool = False) -> Any:
        """A command of the manual's fleet section (docs/fleet.md), in the example's copy, with
        the vault password in ~/.vault-pass (HOME is the copy). Its output; or
        the running process (background); fails: it must fail."""
        env = {**os.environ, "HOME": str(self.directory), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_PIPELINING": "1"}
        env["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.posix.profile_tasks"
        if background:  # its output goes to a file: a pipe nobody reads would block it
            output = (self.directory / "background.out").open("w+")
            return subprocess.Popen(["bash", "-c", command], cwd=self.directory, env=env, stdout=output, stderr=output)
        result = subprocess.run(["bash", "-c", command], cwd=self.directory, env=env, capture_output=True, text=True)
        assert (result.returncode != 0) == fails, f"{command}: exit {result.returncode}: {result.stdout[-3000:]}"
        return result.stdout

    def play(self, playbook: str, *args: str, background: bool = False, fails: bool = False) -> Any:
        """ansible-playbook as the manual's fleet section (docs/fleet.md) runs it, with more arguments."""
        command = f"ansible-playbook -i inventory/hosts.yml {playbook} --vault-password-file ~/.vault-pass"
        return self.run(f"{command} {shlex.join(args)}", background=background, fails=fails)

    def settings(self, **changes: Any) -> None:
        """Change the test settings, as an operator edits group_vars."""
        path = self.directory / "inventory" / "group_vars" / "litellm" / "test.yml"
        path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), **changes}))

    def chat(self, url: str, content: str, model: str = "claude-sonnet-4") -> tuple[int, str, str]:
        """One chat completion from the balancer: (status, the host HAProxy chose, body)."""
        body = json.dumps({"model": model, "messages": [{"role": "user", "content": content}]})
        result = on(
            BALANCER,
            "curl -s -D /tmp/chat.head -o /tmp/chat.out -w '%{http_code}'"
            f' -H "Authorization: Bearer $(cat {KEY_FILE})"'
            f" -H 'Content-Type: application/json' -d '{body}' {url}/v1/chat/completions;"
            """ echo; printf '%s\\n' "$(sed -n 's/^x-served-by: *//Ip' /tmp/chat.head | tr -d '\\r')";"""
            " cat /tmp/chat.out",
        )
        status, served_by, text = result.stdout.split("\n", 2)
        return int(status), served_by, text

    def standin_asked(self, text: str) -> int:
        """How many requests holding text reached the Bedrock stand-in."""
        records = json.loads(on(BALANCER, "curl -s http://127.0.0.1:8099/_standin/requests").stdout)
        return sum(text in json.dumps(record["messages"]) for record in records)


def proxy_url(host: str) -> str:
    return f"http://{address(host)}:4000"


def backend_status() -> dict[str, str]:
    """HAProxy's view of each proxy host (UP, DOWN, MAINT, ...)."""
    ask = "import socket; s = socket.socket(socket.AF_UNIX); s.connect('/run/haproxy/admin.sock'); "
    ask += "s.sendall(b'show stat\\n'); print(s.makefile().read())"
    out = on(BALANCER, f'python3 -c "{ask}"').stdout
    rows = [line.split(",") for line in out.splitlines() if line.startswith("litellm,")]
    return {row[1]: row[17] for row in rows if row[1] not in ("FRONTEND", "BACKEND")}


def stop_by_hand(host: str) -> None:
    """`docker stop litellm` on a host (crashed, or being repaired), until HAProxy sees it DOWN."""
    on(host, "docker stop litellm")
    wait_for(lambda: backend_status().get(host, "").startswith("DOWN"), 30, f"HAProxy to see {host} down")


def started_at(host: str) -> str:
    """When the host's proxy container last started."""
    return on(host, "docker inspect -f '{{.State.StartedAt}}' litellm").stdout.strip()


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    directory = tmp_path_factory.mktemp("example") / "fleet"
    shutil.copytree(PROJECT / "examples" / "fleet", directory)
    password = (RESOURCES / "vault-password.TEST-ONLY").read_bytes().strip()
    vault = VaultLib([("default", VaultSecret(password))])
    secrets = yaml.safe_load(vault.decrypt((RESOURCES / "vault.yml").read_bytes()))
    secrets = {k: v for k, v in secrets.items() if k.startswith("litellm_")} | {
        "litellm_redis_password": REDIS_PASSWORD,
        "fleet_redis_admin_password": REDIS_ADMIN_PASSWORD,
        "fleet_tls_key": make_certificates(directory / "inventory" / "certs", address(BALANCER)),
    }
    (directory / ".vault-pass").write_bytes(password + b"\n")
    (directory / ".vault-pass").chmod(0o600)
    # As the README asks: the values under vault_ names, which group_vars refer to.
    vaulted = yaml.safe_dump({f"vault_{name}": value for name, value in secrets.items()})
    (directory / "inventory" / "group_vars" / "all" / "vault.yml").write_bytes(
        vault.encrypt(vaulted, VaultSecret(password))
    )
    hosts = {
        "all": {
            # The docker connection is root on the test hosts already: no become
            # (the inventory's ansible_become overrides the plays' become: true),
            # so pipelining works (su, the only become method they have, turns it off).
            "vars": {"ansible_connection": "community.docker.docker", "ansible_become": False},
            "children": {
                "litellm": {"hosts": {h: {"fleet_address": address(h)} for h in PROXIES}},
                "balancer": {"hosts": {BALANCER: {"fleet_address": address(BALANCER)}}},
            },
        }
    }
    (directory / "inventory" / "hosts.yml").write_text(yaml.safe_dump(hosts))
    (directory / "inventory" / "group_vars" / "litellm" / "test.yml").write_text(yaml.safe_dump(TEST_VARS))
    on(BALANCER, f"umask 077; cat > {KEY_FILE}", stdin=secrets["litellm_master_key"])
    on(BALANCER, f"cat > {CA_FILE}", stdin=(directory / "inventory" / "certs" / "ca.crt").read_text())
    return Fleet(directory, secrets)


def all_up() -> bool:
    """Whether HAProxy sends traffic to every proxy host (a check that just
    failed shows as "UP 1/2")."""
    return backend_status() == dict.fromkeys(PROXIES, "UP")


@pytest.fixture(scope="session")
def deployed(fleet: Fleet) -> Fleet:
    """The fleet as the manual's commands (docs/fleet.md: Rolling out) leave it."""
    for command in manual.commands(manual.section(PROJECT / "docs" / "fleet.md", "Rolling out")[0]):
        fleet.run(command)
    return fleet


def publish_build(label: str) -> str:
    """A new build of the image under the fleet's tag (the test image with one
    more label): the tag moves. Returns the new build's digest."""
    on(
        BALANCER,
        f"printf 'FROM {LOCAL_REPO}:main-stable\\nLABEL test.build={label}\\n'"
        f" | docker build -q -t {LOCAL_REPO}:main-stable - >/dev/null"
        f" && docker push -q {LOCAL_REPO}:main-stable >/dev/null",
    )
    return (
        on(BALANCER, f"docker inspect -f '{{{{index .RepoDigests 0}}}}' {LOCAL_REPO}:main-stable")
        .stdout.strip()
        .split("@")[1]
    )


def serving_digest(host: str) -> str:
    """The digest of the build the host's proxy runs ('' while it has none)."""
    image = on(host, "docker inspect -f '{{.Image}}' litellm", check=False).stdout.strip()
    if not image:
        return ""
    digests = on(host, f"docker inspect -f '{{{{json .RepoDigests}}}}' {image}").stdout
    return json.loads(digests)[0].split("@")[1]


def wait_for(predicate: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)
