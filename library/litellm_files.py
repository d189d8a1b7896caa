#!/usr/bin/python
"""Write, copy, rename and remove the litellm role's files in litellm_config_dir, in one module call.

A first deploy wrote its files with ansible.builtin.file, copy (two module
runs each: a stat, then the copy) and a loop of mv commands: a dozen module
runs at about a third of a second each, while operators wait. This module
does the same work in one run: it makes sure the directory is root's and
0700, removes files, writes each file whole (a temporary file in the same
directory, synced, then renamed over the old one) and renames files. A file already
written as asked is left alone. Its messages name files and the kind of
error, never a file's content (content is secret: the env file, the TLS key).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: litellm_files
short_description: Write, copy, rename and remove files in one directory, atomically, in one call
description:
  - Makes O(path) a directory owned by root:root with mode 0700 (created when missing).
  - Removes each name of O(remove) that exists.
  - Copies each file of O(copy), in order, the same way as a write (a copy already so is left alone).
  - Writes each file of O(write), in order, owned by root with the given group and mode, through a temporary
    file in O(path) renamed over the old one; a file with that content, group and mode already is
    left alone.
  - Then renames each file of O(rename).
  - Names are plain file names inside O(path), all checked before anything changes. Messages
    never quote a file's content.
options:
  path:
    description: The directory.
    type: path
    required: true
  write:
    description: Files to write, each with name, gid (default 0) and mode (default 0600).
    type: list
    elements: dict
    default: []
  copy:
    description:
      - Files to copy, each with from (the file copied), name (the copy), gid (default 0) and mode
        (default 0600). Done before the writes.
    type: list
    elements: dict
    default: []
  contents:
    description: The content of each file of O(write), in the same order (hidden from logs).
    type: list
    elements: str
    default: []
  rename:
    description: Names to rename, old name to new name (the old file replaces the new one).
    type: dict
    default: {}
  remove:
    description: Names to remove.
    type: list
    elements: str
    default: []
  failure:
    description:
      - What a failure means for the caller, said after the file and the error. The module then fails
        with C(Could not write NAME in PATH: ERROR. FAILURE) (C(remove) for a removal): a message
        that names no content, so a task that hides its arguments with C(no_log) may show it.
    type: str
    default: ""
"""

RETURN = r"""
written:
  description: Names written (in check mode, that would be written).
  type: list
copied:
  description: Names written as copies (in check mode, that would be).
  type: list
renamed:
  description: Destination names renamed into place.
  type: list
removed:
  description: Names removed.
  type: list
name:
  description: On failure, the name of the file that could not be changed (or of the directory).
  type: str
error:
  description: On failure, the kind of error (the system's message, or which name is refused).
  type: str
"""


def safe_name(name: str) -> str:
    if not name or name in {".", ".."} or "/" in name or "\0" in name:
        raise ValueError(f"not a plain file name: {name!r}")
    return name


def ensure_directory(path: Path, check: bool) -> bool:
    """Create path as root:root 0700, or set them; whether anything changed."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        if not check:
            path.mkdir(mode=0o700)
            os.chown(path, 0, 0)
            os.chmod(path, 0o700)
        return True
    if not stat.S_ISDIR(info.st_mode):
        raise NotADirectoryError(20, "not a directory", str(path))
    if (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (0, 0, 0o700):
        return False
    if not check:
        os.chown(path, 0, 0)
        os.chmod(path, 0o700)
    return True


def is_written(target: Path, data: bytes, gid: int, mode: int) -> bool:
    """Whether target is already a regular file with this content, root as owner, gid and mode."""
    try:
        info = target.lstat()
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(info.st_mode) or (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) != (0, gid, mode):
        return False
    return info.st_size == len(data) and target.read_bytes() == data


def write_whole(target: Path, data: bytes, gid: int, mode: int) -> None:
    """Write through a temporary file beside target: readers see the old file or the new one."""
    # The .candidate ending: a healthy run removes what an interrupted one left.
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".candidate")
    try:
        os.fchown(handle, 0, gid)
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class FileError(OSError):
    """An error that names the file asked for and what was done to it."""

    def __init__(self, verb: str, error: OSError, target: Path) -> None:
        super().__init__(error.errno, error.strerror, str(target))
        self.verb = verb


def at(target: Path, verb: str, action: Callable[..., object], *args: object) -> None:
    """Run action; an error names target (the file asked for), not a temporary file."""
    try:
        action(*args)
    except OSError as error:
        raise FileError(verb, error, target) from error


def failure_message(path: Path, error: OSError | ValueError, failure: str) -> tuple[str, str, str]:
    """The message, the file's name and the error's kind: names and the system's words only."""
    what = Path(getattr(error, "filename", None) or path)
    kind = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    if isinstance(error, ValueError):
        text = f"Refused to change files in {path}: {kind}."
    elif what == path:
        text = f"Could not make {path} a directory of root's, mode 0700: {kind}."
    else:
        text = f"Could not {getattr(error, 'verb', 'write')} {what.name} in {what.parent}: {kind}."
    return f"{text} {failure}".strip(), what.name, kind


def apply(path: Path, params: dict[str, Any], check: bool) -> dict[str, Any]:
    """Removals, copies, writes, then renames; every name is checked before anything changes."""
    copies = params.get("copy") or []
    names = [str(item.get("name", "")) for item in [*params["write"], *copies]] + list(params["remove"])
    names += [str(item.get("from", "")) for item in copies]
    for name in [*names, *map(str, params["rename"].keys()), *map(str, params["rename"].values())]:
        safe_name(name)
    if len(params["contents"]) != len(params["write"]):
        raise ValueError("write and contents differ in length")
    changed = ensure_directory(path, check)
    removed: list[str] = []
    for name in params["remove"]:
        target = path / name
        if target.is_symlink() or target.exists():
            if not check:
                at(target, "remove", target.unlink)
            removed.append(target.name)
    copied: list[str] = []
    for item in copies:
        source, target = path / str(item["from"]), path / str(item["name"])
        gid, mode = int(item.get("gid", 0)), int(str(item.get("mode", "0600")), 8)
        try:
            data = source.read_bytes()
        except OSError as error:
            raise FileError("copy", error, source) from error
        if not is_written(target, data, gid, mode):
            if not check:
                at(target, "write", write_whole, target, data, gid, mode)
            copied.append(target.name)
    written: list[str] = []
    # No strict=: the target's Python may be 3.8; the lengths were checked above.
    for item, content in zip(params["write"], params["contents"]):  # noqa: B905
        target = path / str(item["name"])
        data = content.encode()
        gid, mode = int(item.get("gid", 0)), int(str(item.get("mode", "0600")), 8)
        if not is_written(target, data, gid, mode):
            if not check:
                at(target, "write", write_whole, target, data, gid, mode)
            written.append(target.name)
    renamed: list[str] = []
    for old, new in params["rename"].items():
        source, target = path / str(old), path / str(new)
        if not check:
            at(target, "write", os.replace, source, target)
        renamed.append(target.name)
    if not check and (written or copied or renamed or removed):
        directory = os.open(path, os.O_RDONLY)
        try:
            os.fsync(directory)  # the renames themselves survive a crash
        finally:
            os.close(directory)
    changed = changed or bool(written or copied or renamed or removed)
    return {"changed": changed, "written": written, "copied": copied, "renamed": renamed, "removed": removed}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "write": {"type": "list", "elements": "dict", "default": []},
            "copy": {"type": "list", "elements": "dict", "default": []},
            "contents": {"type": "list", "elements": "str", "default": [], "no_log": True},
            "rename": {"type": "dict", "default": {}},
            "remove": {"type": "list", "elements": "str", "default": []},
            "failure": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    path = Path(module.params["path"])
    try:
        result = apply(path, module.params, module.check_mode)
    except (OSError, ValueError) as error:
        # The names and the error's kind only: never a file's content.
        msg, name, kind = failure_message(path, error, module.params["failure"])
        module.fail_json(msg=msg, name=name, error=kind)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
