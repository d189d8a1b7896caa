"""filter_plugins/litellm_plan.py: what record.yml writes once the proxy serves
(record), the salt key's fingerprint (preflight's refusal, record's rewrite),
and what a rollback restores (restorable)."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "filter_plugins"))
import litellm_plan as planner  # noqa: E402 - found through the path above

KEY = "sk-salt-TEST-ONLY-0123456789abcdef0123"
SALT = "0123456789abcdef0123456789abcdef"
FINGERPRINT = f"sha256:{SALT}:{hashlib.sha256(f'{SALT}:{KEY}'.encode()).hexdigest()}\n"
RENDERED = {"config.yaml": "model_list: []\n", "litellm.env": "LITELLM_MASTER_KEY=sk-x\n"}
ACTIVE = ["config.yaml", "litellm.env"]
SERVING = {name: planner.sha1(text) for name, text in RENDERED.items()}


def look(**files: str) -> dict[str, Any]:
    """_litellm_observed with these files (name -> sha1), all root:root 0600."""
    return {"files": files, "access": {name: "0:0:0600" for name in files}, "served": {}}


def recorded() -> dict[str, Any]:
    """A host where the same files served and were recorded, with this key's fingerprint."""
    observed = look(**{f"{n}.last-good": s for n, s in SERVING.items()}, **SERVING, **{"salt-key.fingerprint": "f"})
    observed["served"] = dict(SERVING)
    return observed


def record(observed: dict[str, Any], removed: list[str] | None = None, fingerprint: str | None = FINGERPRINT,
           check_mode: bool = False, key: str = KEY) -> dict[str, Any]:  # fmt: skip
    return planner.record(RENDERED, ACTIVE, observed, removed or [], fingerprint, key, check_mode, salt=SALT)


def names(got: dict[str, Any]) -> list[str]:
    return [entry["name"] for entry in got["write"]]


def test_a_first_deploy_writes_every_copy_the_record_and_a_fingerprint() -> None:
    got = record(look(**SERVING), fingerprint=None)
    assert got["remove"] == []
    assert names(got) == ["config.yaml.last-good", "litellm.env.last-good", "served.json", "salt-key.fingerprint"]
    # Every file of the record is root:root 0600 (record.yml and the health wait write them as they are).
    assert all(entry == {"name": entry["name"], "gid": 0, "mode": "0600"} for entry in got["write"])
    assert got["contents"] == [*RENDERED.values(), planner.record_json(SERVING), FINGERPRINT]


def test_a_run_that_changed_nothing_writes_nothing() -> None:
    assert record(recorded()) == {"remove": [], "write": [], "contents": []}


def test_a_config_change_rewrites_its_copy_and_the_record_only() -> None:
    observed = recorded()
    observed["files"]["config.yaml.last-good"] = planner.sha1("model_list: [old]\n")
    observed["served"]["config.yaml"] = planner.sha1("model_list: [old]\n")
    got = record(observed)
    assert names(got) == ["config.yaml.last-good", "served.json"]
    assert json.loads(got["contents"][1]) == {"files": SERVING}


def test_files_no_longer_used_and_leftovers_are_removed_once() -> None:
    observed = recorded()
    observed["files"].update({"tls.crt": "t", "tls.crt.last-good": "t", "config.yaml.rejected": "r",
                              "litellm.env.candidate": "c", "config.yaml.canary": "k"})  # fmt: skip
    got = record(observed, removed=["tls.crt", "tls.key"])
    assert got["remove"] == ["tls.crt", "tls.crt.last-good", "config.yaml.rejected", "litellm.env.candidate",
                             "config.yaml.canary"]  # fmt: skip


def test_check_mode_writes_and_removes_nothing_but_tells_of_a_new_fingerprint() -> None:
    observed = look(**SERVING, **{"config.yaml.rejected": "r", "salt-key.fingerprint": "f"})
    assert record(observed, check_mode=True) == {"remove": [], "write": [], "contents": []}
    got = record(observed, check_mode=True, fingerprint=None)
    assert (got["remove"], names(got)) == ([], ["salt-key.fingerprint"])


@pytest.mark.parametrize(
    ("fingerprint", "access", "rewritten"),
    [
        (FINGERPRINT, "0:0:0600", False),  # this key's, as the role writes it
        (FINGERPRINT, "0:0:0644", True),  # readable by others: written again, 0600
        (FINGERPRINT.replace("sha256:", "sha256:x"), "0:0:0600", True),  # another salt: not this key's
        ("", "0:0:0600", True),  # an empty file
    ],
)
def test_the_fingerprint_is_written_unless_it_is_already_this_keys(
    fingerprint: str, access: str, rewritten: bool
) -> None:
    observed = recorded()
    observed["access"]["salt-key.fingerprint"] = access
    assert ("salt-key.fingerprint" in names(record(observed, fingerprint=fingerprint))) is rewritten


def test_a_kept_fingerprint_keeps_its_salt_and_a_first_one_is_random() -> None:
    assert planner.fingerprint_line(FINGERPRINT, KEY) == FINGERPRINT
    first, second = planner.fingerprint_line(None, KEY), planner.fingerprint_line(None, KEY)
    assert first != second and planner.fingerprint_matches(first, KEY) and planner.fingerprint_matches(second, KEY)
    assert KEY not in first


@pytest.mark.parametrize(
    ("text", "key", "differs"),
    [
        (None, KEY, False),  # nothing recorded: a first deploy
        (FINGERPRINT, KEY, False),
        (FINGERPRINT.strip() + "  \n", KEY, False),
        (FINGERPRINT, KEY + "x", True),
        ("", KEY, True),  # a recorded but empty fingerprint proves no key
        ("sha256:only-two", KEY, True),
    ],
)
def test_preflight_refuses_a_salt_key_that_differs_from_the_recorded_one(
    text: str | None, key: str, differs: bool
) -> None:
    assert planner.salt_key_differs(text, key) is differs


def test_served_json_is_written_as_ansibles_to_nice_json() -> None:
    # Byte for byte what earlier releases of the role wrote: no rewrite on upgrade.
    text = planner.record_json({"litellm.env": "b", "config.yaml": "a"})
    assert text == '{\n  "files": {\n    "config.yaml": "a",\n    "litellm.env": "b"\n  }\n}\n'


@pytest.mark.parametrize(
    ("served", "changed", "want"),
    [
        ({"config.yaml": "a", "litellm.env": "b"}, ["config.yaml"], ["config.yaml", "litellm.env"]),
        ({}, ["config.yaml"], ["config.yaml"]),  # never recorded: what this run changed
        ({"config.yaml": "a", "tls.crt": "t"}, [], ["config.yaml"]),  # only files with a last good copy
    ],
)
def test_a_rollback_restores_the_set_that_last_served(
    served: dict[str, str], changed: list[str], want: list[str]
) -> None:
    observed = {"files": {"config.yaml.last-good": "a", "litellm.env.last-good": "b"}, "served": served}
    assert planner.restorable(observed, changed) == want


def test_the_planners_names_are_vars_mains() -> None:
    # One source each: the planner's suffix and file names are vars/main.yml's.
    constants = yaml.safe_load((ROOT / "vars" / "main.yml").read_text())
    assert constants["_litellm_last_good"] == planner.LAST_GOOD
    assert constants["_litellm_record_path"].endswith("/" + planner.RECORD)
    assert constants["_litellm_fingerprint_path"].endswith("/" + planner.FINGERPRINT)
    assert constants["_litellm_container_port"] == planner.CONTAINER_PORT
    assert constants["_litellm_rejected"] == planner.REJECTED
    assert constants["_litellm_canary_config"].endswith("/" + planner.CANARY_CONFIG)


def test_a_rollback_keeps_the_rejected_files_and_restores_the_last_good_ones() -> None:
    observed = {"files": {"config.yaml.last-good": "a", "litellm.env.last-good": "b"}, "served": {}}
    access = planner.file_access({"uid": 65532, "gid": 65532})
    got = planner.rollback_copies(observed, ["litellm.env", "tls.key"], access)
    assert got == {
        "rejected": [
            {"from": "litellm.env", "name": "litellm.env.rejected", "gid": 0, "mode": "0600"},
            {"from": "tls.key", "name": "tls.key.rejected", "gid": 0, "mode": "0600"},  # root's alone
        ],
        # tls.key has no last good copy: nothing to restore it from.
        "restore": [{"from": "litellm.env.last-good", "name": "litellm.env", "gid": 0, "mode": "0600"}],
    }


def test_renames_and_the_names_messages_show() -> None:
    names = ["config.yaml", "litellm.env"]
    assert planner.renames(names, ".candidate", "") == {
        "config.yaml.candidate": "config.yaml",
        "litellm.env.candidate": "litellm.env",
    }
    assert planner.renames(names, ".candidate", ".rejected") == {
        "config.yaml.candidate": "config.yaml.rejected",
        "litellm.env.candidate": "litellm.env.rejected",
    }
    assert planner.suffixed(names, ".rejected", "/etc/litellm") == [
        "/etc/litellm/config.yaml.rejected",
        "/etc/litellm/litellm.env.rejected",
    ]


def test_absent_removes_what_the_role_wrote_and_keeps_the_fingerprint_and_the_rest() -> None:
    present = [
        "config.yaml", "config.yaml.last-good", "litellm.env.candidate", "tls.key.rejected", "served.json",
        "config.yaml.canary", "salt-key.fingerprint", ".managed-by-litellm-role", "notes.txt", "config.yaml.bak",
    ]  # fmt: skip
    managed = ["config.yaml", "litellm.env", "tls.crt", "tls.key", "ca-bundle.pem"]
    assert planner.absent_files(present, managed) == [
        "config.yaml",
        "config.yaml.canary",
        "config.yaml.last-good",
        "litellm.env.candidate",
        "served.json",
        "tls.key.rejected",
    ]
    assert planner.absent_files([], managed) == []
