"""filter_plugins/litellm_plan.py: the run's plan, case by case (host state
times change), each case asserting the whole plan; and which files change."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "filter_plugins"))
import litellm_plan as planner  # noqa: E402 - found through the path above

MANAGED = ["config.yaml", "litellm.env", "tls.crt", "tls.key", "ca-bundle.pem"]
LIVE = {"config.yaml": "c1", "litellm.env": "e1"}
CONTAINER = {"id": "abc", "image": "sha256:1"}

# Host states, as observe.yml's _litellm_observed has them.
STATES: dict[str, dict[str, Any]] = {
    "nothing there": {"container": {}, "serving": False, "previous": False, "served": {}, "files": {}},
    "files but no container": {"container": {}, "serving": False, "previous": False, "served": LIVE, "files": LIVE},
    "a -previous left, no container": {
        "container": {},
        "serving": False,
        "previous": True,
        "served": LIVE,
        "files": LIVE,
    },
    "serving and healthy": {"container": CONTAINER, "serving": True, "previous": False, "served": LIVE, "files": LIVE},
    "serving, never recorded": {
        "container": CONTAINER,
        "serving": True,
        "previous": False,
        "served": {},
        "files": LIVE,
    },
    "running, not healthy": {
        "container": CONTAINER,
        "serving": False,
        "previous": False,
        "served": LIVE,
        "files": LIVE,
    },
    "stopped": {"container": CONTAINER, "serving": False, "previous": False, "served": LIVE, "files": LIVE},
    "interrupted run (files differ from served.json)": {
        "container": CONTAINER,
        "serving": True,
        "previous": False,
        "served": LIVE,
        "files": {**LIVE, "config.yaml": "c2"},
    },
    "interrupted run, stopped": {
        "container": CONTAINER,
        "serving": False,
        "previous": False,
        "served": LIVE,
        "files": {**LIVE, "config.yaml": "c2"},
    },
    "serving, with a leftover -previous": {
        "container": CONTAINER,
        "serving": True,
        "previous": True,
        "served": LIVE,
        "files": LIVE,
    },
}

# Changes: (changed files, comparison of the container's definition).
# filter_plugins/litellm_compare.py's answers (comparison), None when there is
# nothing to compare (no image known: check mode before a pull).
CHANGED = {"differs": True, "fields": ["image"]}
SAME = {"differs": False, "fields": []}
HAND_UPDATE = {"differs": True, "fields": ["memory"]}
CHANGES: dict[str, tuple[list[str], dict[str, Any] | None]] = {
    "none": ([], SAME),
    "config.yaml": (["config.yaml"], SAME),
    "env or a secret": (["litellm.env"], CHANGED),
    "config.yaml and env": (["config.yaml", "litellm.env"], CHANGED),
    "image": ([], CHANGED),
    "port or bind address": ([], CHANGED),
    "workers or memory": ([], CHANGED),
    "a hand docker update": ([], HAND_UPDATE),
    "TLS added": (["config.yaml", "tls.crt", "tls.key"], CHANGED),
    "TLS removed": (["config.yaml"], CHANGED),
    "TLS certificate renewed": (["tls.crt"], SAME),
    "CA bundle": (["ca-bundle.pem"], SAME),
    "no comparison (no image known)": ([], None),
}


def expect(action: str, canary: bool, restore: str, stale: bool = False) -> dict[str, Any]:
    return {"action": action, "canary": canary, "stale": stale, "restore": restore}


# (state, change, check mode) -> the whole plan.
CASES = [
    # Nothing there: a first deploy, whatever changed; nothing to restore.
    ("nothing there", "none", False, expect("create", False, "")),
    ("nothing there", "config.yaml", False, expect("create", False, "")),
    ("nothing there", "env or a secret", False, expect("create", False, "")),
    ("nothing there", "TLS added", False, expect("create", False, "")),
    ("nothing there", "config.yaml", True, expect("create", False, "")),
    ("files but no container", "none", False, expect("create", False, "")),
    # An interrupted recreate left the old container stopped: a rollback starts it.
    ("a -previous left, no container", "none", False, expect("create", False, "previous")),
    ("a -previous left, no container", "image", False, expect("create", False, "previous")),
    # Serving and healthy: the canary proves every (re)start first.
    ("serving and healthy", "none", False, expect("none", False, "")),
    ("serving and healthy", "config.yaml", False, expect("restart", True, "restart")),
    ("serving and healthy", "env or a secret", False, expect("recreate", True, "previous")),
    ("serving and healthy", "config.yaml and env", False, expect("recreate", True, "previous")),
    ("serving and healthy", "image", False, expect("recreate", True, "previous")),
    ("serving and healthy", "port or bind address", False, expect("recreate", True, "previous")),
    ("serving and healthy", "workers or memory", False, expect("recreate", True, "previous")),
    ("serving and healthy", "a hand docker update", False, expect("recreate", True, "previous")),
    ("serving and healthy", "TLS added", False, expect("recreate", True, "previous")),
    ("serving and healthy", "TLS removed", False, expect("recreate", True, "previous")),
    ("serving and healthy", "TLS certificate renewed", False, expect("restart", True, "restart")),
    ("serving and healthy", "CA bundle", False, expect("restart", True, "restart")),
    ("serving and healthy", "no comparison (no image known)", False, expect("none", False, "")),
    # Check mode: no canary; the env file's change counts without a comparison.
    ("serving and healthy", "none", True, expect("none", False, "")),
    ("serving and healthy", "config.yaml", True, expect("restart", False, "restart")),
    ("serving and healthy", "env or a secret", True, expect("recreate", False, "previous")),
    (
        "serving and healthy",
        "env, check mode, no comparison",
        True,
        expect("recreate", False, "previous"),
    ),
    ("serving and healthy", "image", True, expect("recreate", False, "previous")),
    # Never recorded (a role upgrade, or an adopted proxy): not stale.
    ("serving, never recorded", "none", False, expect("none", False, "")),
    ("serving, never recorded", "config.yaml", False, expect("restart", True, "restart")),
    # Not serving: no canary to prove against, nothing that served to restore.
    ("running, not healthy", "none", False, expect("none", False, "")),
    ("running, not healthy", "config.yaml", False, expect("restart", False, "")),
    ("running, not healthy", "image", False, expect("recreate", False, "")),
    ("stopped", "none", False, expect("none", False, "")),
    ("stopped", "env or a secret", False, expect("recreate", False, "")),
    ("stopped", "CA bundle", False, expect("restart", False, "")),
    # An interrupted run replaced the live files: restart them, proven first.
    ("interrupted run (files differ from served.json)", "none", False, expect("restart", True, "restart", True)),
    ("interrupted run (files differ from served.json)", "image", False, expect("recreate", True, "previous", True)),
    ("interrupted run (files differ from served.json)", "none", True, expect("restart", False, "restart", True)),
    ("interrupted run, stopped", "none", False, expect("restart", False, "", True)),
    # A leftover -previous beside a serving proxy changes nothing of the plan.
    ("serving, with a leftover -previous", "none", False, expect("none", False, "")),
    ("serving, with a leftover -previous", "image", False, expect("recreate", True, "previous")),
    ("serving, with a leftover -previous", "config.yaml", False, expect("restart", True, "restart")),
]
CHANGES["env, check mode, no comparison"] = (["litellm.env"], None)


IDS = [f"{w['action']}: {s}, {c}{' (check mode)' if m else ''}" for s, c, m, w in CASES]


@pytest.mark.parametrize(("state", "change", "check_mode", "want"), CASES, ids=IDS)
def test_the_plan(state: str, change: str, check_mode: bool, want: dict[str, Any]) -> None:
    changed, comparison = CHANGES[change]
    assert planner.plan(STATES[state], changed, comparison, check_mode, MANAGED) == want


def test_the_lifecycle_table_names_cases_that_exist() -> None:
    # docs/lifecycle.md's table of changes names, for each row, the case that covers it.
    table = (ROOT / "docs" / "lifecycle.md").read_text()
    named = re.findall(r"`((?:none|create|recreate|restart): [^`]+)`", table)
    assert len(named) >= 15
    assert [case for case in named if case not in IDS] == []


def test_there_are_enough_cases_and_each_state_and_change_is_covered() -> None:
    assert len(CASES) >= 40
    assert {c[0] for c in CASES} == set(STATES)
    assert {c[1] for c in CASES} == set(CHANGES)


# --- which files change ------------------------------------------------------

ACCESS = {
    "config.yaml": {"gid": 0, "mode": "0644"},
    "litellm.env": {"gid": 0, "mode": "0600"},
    "tls.key": {"gid": 65532, "mode": "0640"},
}
RENDERED = {"config.yaml": "model_list: []\n", "litellm.env": "LITELLM_MASTER_KEY=sk-x\n", "tls.key": "KEY\n"}


def observed(**override: str) -> dict[str, Any]:
    files = {name: planner.sha1(text) for name, text in RENDERED.items()}
    access = {name: planner.access_of(spec) for name, spec in ACCESS.items()}
    return {"files": files, "access": {**access, **override}}


def test_no_file_changes_when_content_and_access_match() -> None:
    assert planner.changed_files(RENDERED, observed(), ACCESS) == []


def test_a_file_changes_with_its_content_in_the_rendered_order() -> None:
    look = observed()
    look["files"]["tls.key"] = planner.sha1("OLD KEY\n")
    look["files"]["config.yaml"] = planner.sha1("model_list: [x]\n")
    assert planner.changed_files(RENDERED, look, ACCESS) == ["config.yaml", "tls.key"]


def test_a_file_changes_with_its_group_or_mode() -> None:
    # The image's user changed (root build: the key's group is 0 again).
    assert planner.changed_files(RENDERED, observed(**{"tls.key": "0:0:0640"}), ACCESS) == ["tls.key"]
    assert planner.changed_files(RENDERED, observed(**{"litellm.env": "0:0:0644"}), ACCESS) == ["litellm.env"]


def test_a_missing_live_file_changes() -> None:
    look = observed()
    del look["files"]["litellm.env"], look["access"]["litellm.env"]
    assert planner.changed_files(RENDERED, look, ACCESS) == ["litellm.env"]


def test_the_checksum_is_ansibles_sha1() -> None:
    # hash('sha1') of "abc", as Ansible and the host look compute it.
    assert planner.sha1("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d"


def test_no_content_reaches_the_result() -> None:
    look = observed()
    look["files"] = {}
    result = repr(planner.changed_files(RENDERED, look, ACCESS))
    assert "sk-x" not in result and "KEY" not in result


# --- each file's group and mode ---------------------------------------------------


@pytest.mark.parametrize(
    ("build", "labels", "key"),
    [
        ({}, None, {"gid": 0, "mode": "0600"}),  # no image known (check mode): root's
        ({"uid": 0, "gid": 0}, None, {"gid": 0, "mode": "0600"}),  # a root image: root alone
        ({"uid": 65532, "gid": 65532}, None, {"gid": 65532, "mode": "0640"}),  # the non-root image: its group
        # A rollback to the previous container: its labels, as strings, win.
        (
            {"uid": 65532, "gid": 65532},
            {"litellm_bedrock.uid": "0", "litellm_bedrock.gid": "0"},
            {"gid": 0, "mode": "0600"},
        ),
        (
            {"uid": 0, "gid": 0},
            {"litellm_bedrock.uid": "1000", "litellm_bedrock.gid": "1000"},
            {"gid": 1000, "mode": "0640"},
        ),
    ],
)
def test_only_the_tls_key_follows_the_images_user(build: dict, labels: dict | None, key: dict) -> None:
    access = planner.file_access(build, labels)
    assert access["tls.key"] == key
    assert {name: a for name, a in access.items() if name != "tls.key"} == {
        "config.yaml": {"gid": 0, "mode": "0644"},
        "litellm.env": {"gid": 0, "mode": "0600"},
        "tls.crt": {"gid": 0, "mode": "0644"},
        "ca-bundle.pem": {"gid": 0, "mode": "0644"},
        "redis-ca.pem": {"gid": 0, "mode": "0644"},
        "logging.yaml": {"gid": 0, "mode": "0644"},
    }


def test_the_writes_carry_the_suffix_group_and_mode() -> None:
    access = planner.file_access({"uid": 65532, "gid": 65532})
    assert planner.file_writes(["litellm.env", "tls.key"], ".candidate", access) == [
        {"name": "litellm.env.candidate", "gid": 0, "mode": "0600"},
        {"name": "tls.key.candidate", "gid": 65532, "mode": "0640"},
    ]


MARKER_TEXT = "Written by the litellm Ansible role: litellm_purge may remove this directory.\n"
MARKER_SEEN = {"files": {planner.MARKER: planner.sha1(MARKER_TEXT)}, "access": {planner.MARKER: "0:0:0644"}}
RIGHT_DIRECTORY = {"isdir": True, "uid": 0, "gid": 0, "mode": "0700"}
SERVING = {"container": {"id": "c1"}}


# (case, changed, observed, directory, check_mode, diff_mode) -> (suffix, names written, marker, module, needed)
FILE_PLANS = [
    (
        "nothing to write",
        [],
        {**SERVING, **MARKER_SEEN},
        RIGHT_DIRECTORY,
        False,
        False,
        (".candidate", [], False, False, False),
    ),
    (
        "a change, as a candidate",
        ["litellm.env"],
        {**SERVING, **MARKER_SEEN},
        RIGHT_DIRECTORY,
        False,
        False,
        (".candidate", ["litellm.env"], False, True, True),
    ),
    (
        "first deploy, in place, with the marker",
        ["config.yaml", "litellm.env"],
        {},
        {"isdir": False},
        False,
        False,
        ("", ["config.yaml", "litellm.env"], True, True, True),
    ),
    (
        "check mode writes the live names",
        ["config.yaml"],
        {**SERVING, **MARKER_SEEN},
        RIGHT_DIRECTORY,
        True,
        False,
        ("", ["config.yaml"], False, True, True),
    ),
    (
        "--diff leaves config.yaml to the copy task",
        ["config.yaml"],
        {**SERVING, **MARKER_SEEN},
        RIGHT_DIRECTORY,
        False,
        True,
        (".candidate", [], False, False, True),
    ),
    (
        "a marker edited by hand",
        [],
        {**SERVING, "files": {planner.MARKER: "x"}, "access": MARKER_SEEN["access"]},
        RIGHT_DIRECTORY,
        False,
        False,
        (".candidate", [], True, True, True),
    ),
    (
        "a marker made writable by all",
        [],
        {**SERVING, "files": MARKER_SEEN["files"], "access": {planner.MARKER: "0:0:0666"}},
        RIGHT_DIRECTORY,
        False,
        False,
        (".candidate", [], True, True, True),
    ),
    (
        "a directory opened to others",
        [],
        {**SERVING, **MARKER_SEEN},
        {**RIGHT_DIRECTORY, "mode": "0755"},
        False,
        False,
        (".candidate", [], False, True, True),
    ),
    (
        "a directory given to another owner",
        [],
        {**SERVING, **MARKER_SEEN},
        {**RIGHT_DIRECTORY, "uid": 1000},
        False,
        False,
        (".candidate", [], False, True, True),
    ),
]


@pytest.mark.parametrize(
    ("case", "changed", "observed", "directory", "check_mode", "diff_mode", "want"),
    FILE_PLANS,
    ids=[p[0] for p in FILE_PLANS],
)
def test_what_is_written_where(
    case: str, changed: list[str], observed: dict, directory: dict, check_mode: bool, diff_mode: bool, want: tuple
) -> None:
    access = planner.file_access({"uid": 65532, "gid": 65532})
    got = planner.file_plan(changed, observed, directory, access, MARKER_TEXT, check_mode, diff_mode)
    suffix, names, marker, _module, _needed = want
    assert (got["suffix"], got["names"], got["marker"], got["module"], got["needed"]) == want
    assert got["write"] == ([{"name": planner.MARKER, "gid": 0, "mode": "0644"}] if marker else []) + [
        {"name": f"{name}{suffix}", **access[name]} for name in names
    ]


def test_the_marker_is_vars_main_yml_s() -> None:
    constants = yaml.safe_load((ROOT / "vars" / "main.yml").read_text())
    assert constants["_litellm_marker_path"].endswith(f"/{planner.MARKER}")
    assert constants["_litellm_marker_content"] == MARKER_TEXT


def test_every_file_the_role_renders_has_its_mode() -> None:
    constants = yaml.safe_load((ROOT / "vars" / "main.yml").read_text())
    assert set(planner.FILE_MODES) == {"config.yaml", "litellm.env", *constants["_litellm_all_extra_files"]}


# --- workers and the memory limit ---------------------------------------------------


@pytest.mark.parametrize(
    ("num_workers", "vcpus", "want"),
    [
        (3, 8, 3),  # as set
        (0, 2, 2),  # one per vCPU
        (0, 4, 4),
        (0, 0, 1),  # not counted: one
        ("2", 8, 2),  # a string from the inventory
        ("0", "6", 6),
    ],
)
def test_the_workers(num_workers: Any, vcpus: Any, want: int) -> None:
    assert planner.workers(num_workers, vcpus) == want


TMPFS = yaml.safe_load((ROOT / "vars" / "main.yml").read_text())["_litellm_read_only_tmpfs"]


@pytest.mark.parametrize(
    ("setting", "workers", "read_only", "want"),
    [
        ("auto", 1, False, "512m"),  # one process
        ("auto", 2, False, "1536m"),  # two workers and uvicorn's supervisor
        ("auto", 1, True, "704m"),  # and the read-only tmpfs mounts (3 x 64m)
        ("2g", 4, True, "2g"),  # as set
        ("", 1, False, ""),  # none (the task passes '0')
    ],
)
def test_the_memory_limit(setting: str, workers: int, read_only: bool, want: str) -> None:
    assert planner.memory_limit(setting, workers, read_only, TMPFS, 512) == want
