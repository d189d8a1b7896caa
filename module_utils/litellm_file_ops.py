"""Writing the litellm role's files whole, for its modules: litellm_files (the
writes, copies, renames and removals of a run) and litellm_wait_ready (the
record of what serves, written in the same call as the health wait once the
proxy answers). Messages name files and the kind of error, never a file's
content. Runs on the target's Python (3.8 and later)."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


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
