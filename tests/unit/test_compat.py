"""What differs between ansible-core 2.16-2.18 and 2.19 for the role: before
2.19 a templated string that looks like JSON becomes a dict before a filter
sees it, so the role reads JSON with litellm_from_json, which takes both.
Run with each older ansible-core's own ansible-playbook (.venv-cores)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from test_fuzz_inputs import checks

ROOT = Path(__file__).resolve().parents[2]
CORES = sorted(p.stem.removeprefix("ansible-core-") for p in (ROOT / "tests" / "requirements").glob("*.txt"))
PLAY = """\
- name: JSON through a variable, as observe.yml reads served.json
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    text: '{"files": {"config.yaml": "abc"}}'
    derived: "{{ text }}"
  tasks:
    - name: Read it as the role does
      ansible.builtin.debug:
        msg: "files={{ (derived | litellm_from_json).files }} type={{ derived | type_debug }}"
    - name: Read it as the role did
      ansible.builtin.debug:
        msg: "{{ (derived | from_json).files }}"
      ignore_errors: true
"""


def test_from_json_takes_text_and_data() -> None:
    assert checks.from_json('{"a": 1}') == {"a": 1}
    assert checks.from_json({"a": 1}) == {"a": 1}
    assert checks.from_json([1]) == [1]
    assert checks.from_json("") == {} and checks.from_json(None) == {}


@pytest.mark.parametrize("core", [*CORES, "main"])
def test_json_through_a_variable_on_every_core(tmp_path: Path, core: str) -> None:
    bin_dir = ROOT / ".venv-cores" / core / "bin" if core != "main" else Path(sys.executable).parent
    if not (bin_dir / "ansible-playbook").exists():
        pytest.skip(f"no venv for ansible-core {core} (tests/lib/setup.sh makes it)")
    (tmp_path / "play.yml").write_text(PLAY)
    done = subprocess.run(
        [
            str(bin_dir / "ansible-playbook"),
            "-i",
            "localhost,",
            "play.yml",
            "-e",
            f"ansible_python_interpreter={bin_dir}/python",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "ANSIBLE_FILTER_PLUGINS": str(ROOT / "filter_plugins"),
            "ANSIBLE_NOCOLOR": "1",
            "HOME": str(tmp_path),
        },
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "files={'config.yaml': 'abc'}" in done.stdout
    # The construct it replaced: fails before 2.19, works on it.
    broke = "the JSON object must be str, bytes or bytearray, not dict" in done.stdout
    assert broke is (core != "main"), done.stdout[-1500:]


# The role's modules run on the target's Python: 3.8 is the oldest that
# ansible-core 2.18 and 2.19 accept there (the README says so).
TARGET_SIDE = sorted([*(ROOT / "library").glob("*.py"), *(ROOT / "module_utils").glob("*.py")])
NEWER_THAN_3_8 = (
    "removeprefix",
    "removesuffix",
    "functools.cache(",
    "zoneinfo",
    "tomllib",
    "is_relative_to",
    "with_stem",
    "bit_count",
    "math.lcm",
)


def keywords_newer_than_3_8(tree: ast.AST) -> list[str]:
    """Calls with a keyword that 3.8 does not know: zip(..., strict=) is 3.10."""
    return [
        f"line {node.lineno}: zip(strict=)"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "zip"
        and any(keyword.arg == "strict" for keyword in node.keywords)
    ]


@pytest.mark.parametrize("module", TARGET_SIDE, ids=lambda p: p.name)
def test_the_modules_run_on_the_targets_oldest_python(module: Path) -> None:
    source = module.read_text()
    tree = ast.parse(source, feature_version=(3, 8))  # no syntax newer than 3.8
    assert "from __future__ import annotations" in source  # annotations stay strings there
    assert [name for name in NEWER_THAN_3_8 if name in source] == []
    assert keywords_newer_than_3_8(tree) == []


def test_the_check_finds_a_strict_zip() -> None:
    assert keywords_newer_than_3_8(ast.parse("zip(a, b, strict=True)\nzip(a, b)\n")) == ["line 1: zip(strict=)"]
