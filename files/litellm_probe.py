"""What a LiteLLM image holds, read by the image's own python3 before any of
its code runs (the role passes this file to `python3 -I -S -c`).

-I -S: no site, so no .pth file runs, no PYTHON* variable is read. Only the
standard library reads files; nothing is imported from the image's
site-packages. It prints one JSON line:

    interpreter  the Python the image's `litellm` command runs (its shebang)
    sites        that interpreter's site-packages directories
    dists        every distribution there named litellm (PEP 503): version, dist-info
    pth          .pth files that would run code at that Python's start, and why
    denied       directories or files on the way that this user cannot read
    uid, gid     the user Docker resolved for the image

The role decides what to do with it (filter_plugins/litellm_checks.py:
build_problem). It reads what an honest build says of itself: a crafted image
can lie, and this probe does not try to catch that.

Kept to the standard library of Python 3.8 and later, whatever the image has.
"""

from __future__ import annotations

import glob
import json
import os
import re
import stat
import sys

# .pth files that setuptools and virtualenv write: each runs one known line.
PTH_ALLOWED = ("distutils-precedence.pth", "_virtualenv.pth")
EXEC_LINE = re.compile(r"^'''exec' +\"?([^\"\s]+)\"?")


def _name(name: str) -> str:
    """PEP 503 normalised name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def blocked(path: str, denied: set[str]) -> None:
    """Add to denied the first directory on the way to path that exists but
    this user cannot enter or list (glob() skips such directories silently)."""
    here = ""
    for part in path.strip("/").split("/"):
        here += "/" + part
        try:
            mode = os.stat(here).st_mode
        except PermissionError:
            denied.add(os.path.dirname(here))
            return
        except OSError:
            return
        if stat.S_ISDIR(mode) and not os.access(here, os.R_OK | os.X_OK):
            denied.add(here)
            return


def command(path_env: str, root: str = "/") -> str | None:
    """The `litellm` script the image's PATH finds first."""
    for directory in path_env.split(os.pathsep):
        candidate = os.path.join(root, directory.lstrip("/"), "litellm")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def interpreter(script: str) -> str | None:
    """The Python a console script runs: its shebang, or the line that pip
    writes under `#!/bin/sh` when the interpreter's path is too long."""
    try:
        with open(script, encoding="utf-8", errors="replace") as handle:
            head = [handle.readline() for _ in range(3)]
    except OSError:
        return None
    if not head[0].startswith("#!"):
        return None
    words = head[0][2:].split()
    if words and os.path.basename(words[0]) == "env" and len(words) > 1:
        return words[1]
    if words and os.path.basename(words[0]).startswith("python"):
        return words[0]
    found = EXEC_LINE.match(head[1]) if len(head) > 1 else None
    return found.group(1) if found else None


def sites(python: str, root: str = "/") -> list[str]:
    """The site-packages directories of an interpreter, found by its prefix
    (a venv: <venv>/lib/python3.X/site-packages; a system Python: also
    Debian's dist-packages)."""
    prefix = os.path.dirname(os.path.dirname(python))
    base = os.path.join(root, prefix.lstrip("/"))
    patterns = [
        base + "/lib/python3*/site-packages",
        base + "/lib/python3*/dist-packages",
        base + "/lib/python3/dist-packages",
        base + "/local/lib/python3*/dist-packages",
        base + "/local/lib/python3*/site-packages",
    ]
    found: list[str] = []
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            if os.path.isdir(path) and path not in found:
                found.append(path)
    return found


def _metadata(path: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip():
                break
            key, _, value = line.partition(":")
            if key in ("Name", "Version") and key not in fields:
                fields[key] = value.strip()
    return fields


def read_site(site: str, denied: set[str]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The litellm distributions of one site-packages, and its .pth files that run code."""
    dists: list[dict[str, str]] = []
    owned: set[str] = set()
    for info in sorted(glob.glob(site + "/*.dist-info")):
        meta = os.path.join(info, "METADATA")
        try:
            fields = _metadata(meta)
        except PermissionError:
            denied.add(meta)
            continue
        except OSError:
            continue
        name = fields.get("Name") or os.path.basename(info).rsplit("-", 1)[0]
        if _name(name) != "litellm":
            continue
        dists.append({"name": name, "version": fields.get("Version", ""), "dist_info": info})
        try:
            with open(os.path.join(info, "RECORD"), encoding="utf-8", errors="replace") as handle:
                owned |= {line.split(",", 1)[0] for line in handle}
        except OSError:
            pass
    pth: list[dict[str, str]] = []
    for path in sorted(glob.glob(site + "/*.pth")):
        base = os.path.basename(path)
        if base in owned:
            pth.append({"path": path, "why": "installed by a litellm distribution"})
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                runs = any(line.startswith(("import ", "import\t")) for line in handle)
        except PermissionError:
            denied.add(path)
            continue
        except OSError:
            continue
        if runs and base not in PTH_ALLOWED:
            pth.append({"path": path, "why": "runs code at every Python start"})
    return dists, pth


def probe(path_env: str, root: str = "/") -> dict[str, object]:
    denied: set[str] = set()
    script = command(path_env, root)
    python = interpreter(script) if script else None
    found_sites = sites(python, root) if python else []
    if python:
        blocked(os.path.join(root, os.path.dirname(os.path.dirname(python)).lstrip("/")) + "/lib", denied)
    else:
        for directory in path_env.split(os.pathsep):
            blocked(os.path.join(root, directory.lstrip("/")), denied)
    dists: list[dict[str, str]] = []
    pth: list[dict[str, str]] = []
    for site in found_sites:
        blocked(site, denied)
        more, bad = read_site(site, denied)
        dists += more
        pth += bad
    return {
        "command": script or "",
        "interpreter": python or "",
        "sites": found_sites,
        "dists": dists,
        "pth": pth,
        "denied": sorted(denied),
        "uid": os.getuid(),
        "gid": os.getgid(),
    }


if __name__ == "__main__":
    print(json.dumps(probe(os.environ.get("PATH", os.defpath))))
    sys.stdout.flush()
