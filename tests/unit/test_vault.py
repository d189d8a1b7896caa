"""The README's vault layout keeps a secret intact whatever characters it holds:
ansible-playbook itself (its loader, vault and templating) reads a whole-file
vault and the group_vars file that refers to it, as the README shows them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ansible.parsing.vault import VaultLib, VaultSecret

# TEST-ONLY: the characters Jinja reads as the start of a template, a
# statement and a comment, and YAML's own.
SECRET = "sk-{{ lookup('env','HOME') }}{% raw %}{#x#}-'\"\\: #-TEST-ONLY-0123456789"  # noqa: S105
PASSWORD = b"vault-password-TEST-ONLY"
PLAY = """\
- name: Read the secret as the role would
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Write it where the test reads it
      ansible.builtin.copy:
        content: "{{ litellm_master_key }}"
        dest: "{{ out }}"
        mode: "0600"
"""


def run_play(tmp_path: Path, vault_text: str) -> subprocess.CompletedProcess[str]:
    group_vars = tmp_path / "inventory" / "group_vars" / "all"
    group_vars.mkdir(parents=True)
    (tmp_path / "inventory" / "hosts.yml").write_text(
        f"all:\n  hosts:\n    localhost:\n      ansible_python_interpreter: {sys.executable}\n"
    )
    (group_vars / "main.yml").write_text('litellm_master_key: "{{ vault_litellm_master_key }}"\n')
    vault = VaultLib([("default", VaultSecret(PASSWORD))])
    (group_vars / "vault.yml").write_bytes(vault.encrypt(vault_text.encode()))
    (tmp_path / "pass").write_bytes(PASSWORD)
    (tmp_path / "site.yml").write_text(PLAY)
    playbook = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env |= {"ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run(
        [
            playbook,
            "-i",
            "inventory/hosts.yml",
            "site.yml",
            "--vault-password-file",
            "pass",
            "-e",
            f"out={tmp_path}/secret.out",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_a_secret_with_jinja_and_yaml_characters_arrives_exactly_with_unsafe(tmp_path: Path) -> None:
    # As the README writes it: !unsafe on each value of the vault.
    escaped = SECRET.replace("\\", "\\\\").replace('"', '\\"')
    done = run_play(tmp_path, f'vault_litellm_master_key: !unsafe "{escaped}"\n')
    assert done.returncode == 0, done.stdout[-2000:].replace(SECRET, "<secret>")
    assert (tmp_path / "secret.out").read_text() == SECRET
    assert SECRET not in done.stdout + done.stderr


def test_without_unsafe_ansible_templates_the_secret(tmp_path: Path) -> None:
    # Why the README says !unsafe: without it the value is a template.
    escaped = SECRET.replace("\\", "\\\\").replace('"', '\\"')
    done = run_play(tmp_path, f'vault_litellm_master_key: "{escaped}"\n')
    out = tmp_path / "secret.out"
    assert done.returncode != 0 or out.read_text() != SECRET
