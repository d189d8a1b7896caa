"""files/litellm_probe.py: what the image's Python reads of itself, on image
trees laid out in a temporary directory (the probe takes their root)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "files"))
import litellm_probe as probe  # noqa: E402 - found through the path above

SITE = "opt/litellm/lib/python3.11/site-packages"


def dist(root: Path, dirname: str, name: str, version: str, record: list[str] = ()) -> None:
    info = root / SITE / f"{dirname}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nbody\n")
    (info / "RECORD").write_text("".join(f"{path},sha256=x,1\n" for path in record))


@pytest.fixture
def image() -> Iterator[Path]:
    """Today's test image's layout: a venv in /opt/litellm, its litellm script
    on PATH, setuptools' own .pth file, and the two other litellm_* distributions."""
    # Under /tmp, not pytest's tmp_path (0700): another user must reach it.
    root = Path(tempfile.mkdtemp(prefix="probe-", dir="/tmp"))
    os.chmod(root, 0o755)  # noqa: S103 - an image's root is 0755
    bin_dir = root / "opt/litellm/bin"
    bin_dir.mkdir(parents=True)
    script = bin_dir / "litellm"
    script.write_text("#!/opt/litellm/bin/python3\nfrom litellm import run_server\n")
    script.chmod(0o755)
    dist(root, "litellm-1.108.7", "litellm", "1.108.7", ["litellm/__init__.py"])
    dist(root, "litellm_enterprise-0.1.79", "litellm-enterprise", "0.1.79")
    dist(root, "litellm_proxy_extras-0.4.110", "litellm-proxy-extras", "0.4.110")
    (root / SITE / "distutils-precedence.pth").write_text("import os; var = 'SETUPTOOLS_USE_DISTUTILS'\n")
    yield root
    shutil.rmtree(root)


def run(root: Path, path_env: str = "/usr/bin:/opt/litellm/bin") -> dict:
    return probe.probe(path_env, str(root))


def test_an_honest_build_gives_one_litellm_and_no_pth(image: Path) -> None:
    found = run(image)
    assert found["interpreter"] == "/opt/litellm/bin/python3"
    assert found["sites"] == [str(image / SITE)]
    assert [(d["name"], d["version"]) for d in found["dists"]] == [("litellm", "1.108.7")]
    assert found["pth"] == [] and found["denied"] == []


def test_a_decoy_dist_info_is_a_second_litellm(image: Path) -> None:
    # Sorted as strings, 1.100.0 came before 1.82.8: the old probe kept it.
    shutil.rmtree(image / SITE / "litellm-1.108.7.dist-info")
    dist(image, "litellm-1.82.8", "litellm", "1.82.8")
    dist(image, "LiteLLM-1.100.0", "LiteLLM", "1.100.0")
    versions = sorted(d["version"] for d in run(image)["dists"])
    assert versions == ["1.100.0", "1.82.8"]


def test_a_pth_file_of_a_litellm_distribution_is_reported_whatever_it_holds(image: Path) -> None:
    shutil.rmtree(image / SITE / "litellm-1.108.7.dist-info")
    dist(image, "litellm-1.82.8", "litellm", "1.82.8", ["litellm_init.pth", "litellm/__init__.py"])
    (image / SITE / "litellm_init.pth").write_text("/opt/elsewhere\n")  # not even an import line
    assert run(image)["pth"] == [
        {"path": str(image / SITE / "litellm_init.pth"), "why": "installed by a litellm distribution"}
    ]


def test_a_foreign_pth_file_that_imports_is_reported_a_path_line_is_not(image: Path) -> None:
    (image / SITE / "zz_payload.pth").write_text("import os; os._exit(3)\n")
    (image / SITE / "extra_path.pth").write_text("/opt/litellm/extra\n")
    assert [p["path"] for p in run(image)["pth"]] == [str(image / SITE / "zz_payload.pth")]


def test_the_interpreter_is_the_one_of_the_first_litellm_on_path(image: Path) -> None:
    # A system Python's site-packages with another litellm is not what runs.
    other = image / "usr/local/bin"
    other.mkdir(parents=True)
    (image / "usr/lib/python3.11/site-packages/litellm-1.0.0.dist-info").mkdir(parents=True)
    found = run(image, "/usr/local/bin:/opt/litellm/bin:/usr/bin")
    assert [d["version"] for d in found["dists"]] == ["1.108.7"]
    # pip's form for a long interpreter path: /bin/sh, then an exec line.
    script = image / "opt/litellm/bin/litellm"
    script.write_text("#!/bin/sh\n'''exec' \"/opt/litellm/bin/python3\" \"$0\" \"$@\"\n' '''\n")
    assert run(image)["interpreter"] == "/opt/litellm/bin/python3"
    script.write_text("#!/usr/bin/env python3.11\n")
    assert probe.interpreter(str(script)) == "python3.11"


def test_no_litellm_command_gives_no_interpreter(image: Path) -> None:
    found = run(image, "/usr/bin")
    assert (found["command"], found["interpreter"], found["dists"]) == ("", "", [])


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to act as another user")
def test_what_the_images_user_cannot_read_is_named(image: Path) -> None:
    # A build under umask 077: the venv is root's alone.
    os.chmod(image / "opt/litellm", 0o700)
    code = (
        f"import json, sys; sys.path.insert(0, {str(ROOT / 'files')!r}); import litellm_probe as p; "
        f"print(json.dumps(p.probe('/usr/bin:/opt/litellm/bin', {str(image)!r})))"
    )
    done = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-I", "-S", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    found = json.loads(done.stdout)
    assert found["dists"] == []
    assert found["denied"] == [str(image / "opt/litellm")]
    assert (found["uid"], found["gid"]) == (65534, 65534)
