"""library/litellm_files.py: the one module call that writes, renames and removes
the role's files does what ansible.builtin.file, copy and mv did, and writes
each file whole. Run as root (the role's files are root's), as CI runs."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "library"))
import litellm_files as files  # noqa: E402 - found through the path above

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the module gives files to root")


def params(
    write: tuple[tuple[str, str, int, str], ...] | list[tuple[str, str, int, str]] = (),
    rename: dict[str, str] | None = None,
    remove: tuple[str, ...] | list[str] = (),
) -> dict:
    """The module's parameters: write holds (name, content, gid, mode)."""
    return {
        "write": [{"name": name, "gid": gid, "mode": mode} for name, _, gid, mode in write],
        "contents": [content for _, content, _, _ in write],
        "rename": rename or {},
        "remove": list(remove),
    }


def access(path: Path) -> tuple[int, int, str]:
    info = path.lstat()
    return info.st_uid, info.st_gid, f"{stat.S_IMODE(info.st_mode):04o}"


def test_a_first_write_makes_the_directory_and_each_file_with_its_group_and_mode(tmp_path: Path) -> None:
    directory = tmp_path / "litellm"
    ask = params([("config.yaml", "a: 1\n", 0, "0644"), ("tls.key", "KEY\n", 65534, "0640")])
    result = files.apply(directory, ask, False)
    assert result == {
        "changed": True,
        "written": ["config.yaml", "tls.key"],
        "copied": [],
        "renamed": [],
        "removed": [],
    }
    assert access(directory) == (0, 0, "0700")
    assert (directory / "config.yaml").read_text() == "a: 1\n"
    assert access(directory / "config.yaml") == (0, 0, "0644")
    assert access(directory / "tls.key") == (0, 65534, "0640")
    assert sorted(p.name for p in directory.iterdir()) == ["config.yaml", "tls.key"]  # no temporary file left


def test_a_file_already_so_is_left_alone_and_a_change_of_mode_or_content_rewrites_it(tmp_path: Path) -> None:
    ask = params([("litellm.env", "A=1\n", 0, "0600")])
    files.apply(tmp_path, ask, False)
    inode = (tmp_path / "litellm.env").stat().st_ino
    assert files.apply(tmp_path, ask, False)["written"] == []
    assert (tmp_path / "litellm.env").stat().st_ino == inode
    os.chmod(tmp_path / "litellm.env", 0o644)
    assert files.apply(tmp_path, ask, False)["written"] == ["litellm.env"]
    assert access(tmp_path / "litellm.env")[2] == "0600"
    inode = (tmp_path / "litellm.env").stat().st_ino
    assert files.apply(tmp_path, params([("litellm.env", "A=2\n", 0, "0600")]), False)["written"] == ["litellm.env"]
    assert (tmp_path / "litellm.env").read_text() == "A=2\n"
    assert (tmp_path / "litellm.env").stat().st_ino != inode  # replaced whole, never rewritten in place


def test_a_symbolic_link_in_the_way_is_replaced_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("keep\n")
    directory = tmp_path / "litellm"
    directory.mkdir(mode=0o700)
    (directory / "litellm.env").symlink_to(elsewhere)
    files.apply(directory, params([("litellm.env", "A=1\n", 0, "0600")]), False)
    assert not (directory / "litellm.env").is_symlink()
    assert elsewhere.read_text() == "keep\n"


def test_renames_and_removals(tmp_path: Path) -> None:
    (tmp_path / "config.yaml.candidate").write_text("new\n")
    (tmp_path / "config.yaml").write_text("old\n")
    (tmp_path / "tls.crt").write_text("unused\n")
    ask = params(rename={"config.yaml.candidate": "config.yaml"}, remove=["tls.crt", "gone"])
    result = files.apply(tmp_path, ask, False)
    assert result["renamed"] == ["config.yaml"] and result["removed"] == ["tls.crt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml"]
    assert (tmp_path / "config.yaml").read_text() == "new\n"


def test_copies_keep_the_source_and_take_their_own_group_and_mode(tmp_path: Path) -> None:
    # As a rollback does: the rejected file kept, root's alone, the last good one put back.
    files.apply(
        tmp_path, params([("config.yaml", "new\n", 0, "0644"), ("config.yaml.last-good", "old\n", 0, "0644")]), False
    )
    ask = {
        **params(),
        "copy": [
            {"from": "config.yaml", "name": "config.yaml.rejected", "gid": 0, "mode": "0600"},
            {"from": "config.yaml.last-good", "name": "config.yaml", "gid": 0, "mode": "0644"},
        ],
    }
    assert files.apply(tmp_path, ask, True)["copied"] == ["config.yaml.rejected", "config.yaml"]
    assert not (tmp_path / "config.yaml.rejected").exists()  # check mode
    assert files.apply(tmp_path, ask, False)["copied"] == ["config.yaml.rejected", "config.yaml"]
    assert (tmp_path / "config.yaml.rejected").read_text() == "new\n"
    assert access(tmp_path / "config.yaml.rejected") == (0, 0, "0600")
    assert (tmp_path / "config.yaml").read_text() == "old\n"
    assert (tmp_path / "config.yaml.last-good").read_text() == "old\n"
    # The second copy now reads the restored file: the first is no longer so.
    again = files.apply(tmp_path, ask, False)
    assert again["copied"] == ["config.yaml.rejected"]


def test_a_missing_source_names_it_without_content(tmp_path: Path) -> None:
    ask = {**params(), "copy": [{"from": "tls.key.last-good", "name": "tls.key", "gid": 0, "mode": "0600"}]}
    with pytest.raises(OSError) as raised:
        files.apply(tmp_path, ask, False)
    message, name, _ = files.failure_message(tmp_path, raised.value, "The rollback goes on.")
    assert (
        message == f"Could not copy tls.key.last-good in {tmp_path}: No such file or directory. The rollback goes on."
    )
    assert name == "tls.key.last-good"


@pytest.mark.parametrize("name", ["../x", "a/b", ""])
def test_a_copy_outside_the_directory_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="not a plain file name"):
        files.apply(tmp_path, {**params(), "copy": [{"from": name, "name": "config.yaml"}]}, False)


def test_check_mode_changes_nothing_and_says_what_it_would(tmp_path: Path) -> None:
    directory = tmp_path / "litellm"
    result = files.apply(directory, params([("config.yaml", "a: 1\n", 0, "0644")], remove=["x"]), True)
    assert result == {"changed": True, "written": ["config.yaml"], "copied": [], "renamed": [], "removed": []}
    assert not directory.exists()


def test_a_directory_with_another_owner_or_mode_is_given_back_to_root(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o750)  # noqa: S103 - the wrong mode the module must mend
    os.chown(tmp_path, 0, 65534)
    assert files.apply(tmp_path, params(), False)["changed"]
    assert access(tmp_path) == (0, 0, "0700")
    assert not files.apply(tmp_path, params(), False)["changed"]


@pytest.mark.parametrize("name", ["../escape", "a/b", "", ".", ".."])
def test_a_name_outside_the_directory_is_refused_before_anything_is_written(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="not a plain file name"):
        files.apply(tmp_path, params([(name, "SECRET\n", 0, "0600")]), False)
    assert list(tmp_path.iterdir()) == []


def test_a_path_that_is_a_file_is_an_error_without_content(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError) as error:
        files.apply(tmp_path / "file", params([("litellm.env", "SECRET=1\n", 0, "0600")]), False)
    assert "SECRET" not in str(error.value)


def test_an_error_names_the_file_asked_for_not_the_temporary_one(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o700)
    (tmp_path / "litellm.env").mkdir()  # a directory in the way: the rename over it fails
    with pytest.raises(OSError) as error:
        files.apply(tmp_path, params([("litellm.env", "SECRET=1\n", 0, "0600")]), False)
    assert error.value.filename == str(tmp_path / "litellm.env")
    assert "SECRET" not in str(error.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["litellm.env"]  # the temporary file is gone


def test_the_failure_message_names_the_file_the_error_and_the_callers_words(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o700)
    (tmp_path / "litellm.env").mkdir()
    with pytest.raises(OSError) as error:
        files.apply(tmp_path, params([("litellm.env", "SECRET=1\n", 0, "0600")]), False)
    msg, name, kind = files.failure_message(tmp_path, error.value, "Nothing live was changed.")
    assert msg == f"Could not write litellm.env in {tmp_path}: {kind}. Nothing live was changed."
    assert (name, kind) == ("litellm.env", "Is a directory")
    (tmp_path / "gone").mkdir()
    (tmp_path / "gone" / "x").write_text("x")  # a directory that is not empty cannot be unlinked
    with pytest.raises(OSError) as error:
        files.apply(tmp_path, params([], remove=["gone"]), False)
    assert files.failure_message(tmp_path, error.value, "")[0].startswith(f"Could not remove gone in {tmp_path}: ")
    with pytest.raises(ValueError) as refused:
        files.apply(tmp_path, params([("../x", "SECRET=1\n", 0, "0600")]), False)
    msg = files.failure_message(tmp_path, refused.value, "")[0]
    assert msg.startswith(f"Refused to change files in {tmp_path}: not a plain file name")
    assert "SECRET" not in msg
