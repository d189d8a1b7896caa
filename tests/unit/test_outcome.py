"""filter_plugins/litellm_plan.py: outcome, the public litellm_plan that says
whether a run changes anything on the host and why (tasks_from: plan;
examples/fleet updates only the hosts whose plan changes something). Each case
asserts the whole answer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "filter_plugins"))
import litellm_plan as planner  # noqa: E402 - found through the path above

UP = {"answers": True, "enabled": True}
BUILD = {"id": "sha256:1", "version": "1.108.7"}
SERVING = {"container": {"id": "abc"}, "serving": True, "canary": False, "previous": False}
NONE = {"action": "none"}
NOTHING_TO_RECORD: dict[str, Any] = {"write": [], "remove": []}


def outcome(**given: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "plan": NONE,
        "observed": SERVING,
        "docker": UP,
        "changed": [],
        "removed": [],
        "build": BUILD,
        "directory_needed": False,
        "record_plan": NOTHING_TO_RECORD,
    }
    args.update(given)
    return planner.outcome(**args)


def said(action: str, reasons: list[str], files: list[str] | None = None) -> dict[str, Any]:
    summary = ("a run would change: " + "; ".join(reasons)) if reasons else "a run would change nothing"
    return {"changes": bool(reasons), "action": action, "files": files or [], "reasons": reasons, "summary": summary}


CASES = [
    ("nothing to change", {}, said("none", [])),
    (
        "Docker does not answer (plan only: nothing else is known)",
        {"plan": None, "observed": None, "docker": {"answers": False, "enabled": True}, "record_plan": {}},
        said("", ["Docker Engine does not answer (a run starts it)"]),
    ),
    (
        "Docker runs but is not enabled at boot",
        {"docker": {"answers": True, "enabled": False}},
        said("none", ["Docker Engine is not enabled at boot"]),
    ),
    (
        "a first deploy",
        {"plan": {"action": "create"}, "observed": {"container": {}, "serving": False}, "changed": ["config.yaml"]},
        said("create", ["no LiteLLM container yet", "files change: config.yaml"], ["config.yaml"]),
    ),
    (
        "a models change",
        {"plan": {"action": "restart"}, "changed": ["config.yaml"]},
        said("restart", ["the proxy restarts for the changed files", "files change: config.yaml"], ["config.yaml"]),
    ),
    (
        "a new image (or a hand docker update)",
        {"plan": {"action": "recreate"}},
        said("recreate", ["the container's image, settings or environment change"]),
    ),
    (
        "the pinned image is not on the host yet (plan only pulls nothing)",
        {"build": {}},
        said("none", ["the image is not on the host (a run pulls it)"]),
    ),
    (
        "TLS removed: its files go",
        {"plan": {"action": "recreate"}, "changed": ["config.yaml"], "removed": ["tls.crt", "tls.key"]},
        said(
            "recreate",
            [
                "the container's image, settings or environment change",
                "files change: config.yaml",
                "files no longer used are removed: tls.crt, tls.key",
            ],
            ["config.yaml"],
        ),
    ),
    (
        "the container was stopped by hand",
        {"observed": {**SERVING, "serving": False}},
        said("none", ["the proxy does not serve (a run starts it or waits for it)"]),
    ),
    (
        "a canary left by an interrupted run",
        {"observed": {**SERVING, "canary": True}},
        said("none", ["containers of an interrupted run are left"]),
    ),
    (
        "the directory's marker or mode is not the role's",
        {"directory_needed": True},
        said("none", ["the directory is not as the role makes it"]),
    ),
    (
        "the salt key's fingerprint is not recorded yet",
        {"record_plan": {"write": [{"name": "salt-key.fingerprint", "gid": 0, "mode": "0600"}], "remove": []}},
        said("none", ["the record of what serves is not up to date"]),
    ),
    (
        "a rejected copy left by a failed run",
        {"record_plan": {"write": [], "remove": ["config.yaml.rejected"]}},
        said("none", ["the record of what serves is not up to date"]),
    ),
]


@pytest.mark.parametrize(("given", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_outcome(given: dict[str, Any], expected: dict[str, Any]) -> None:
    assert outcome(**given) == expected


def test_a_file_change_alone_is_a_change_the_directory_need_does_not_repeat() -> None:
    # The directory's own reason is only given when no file changes (writing
    # the files fixes the directory too).
    answer = outcome(changed=["litellm.env"], directory_needed=True, plan={"action": "recreate"})
    assert "the directory is not as the role makes it" not in answer["reasons"]
    assert answer["changes"] is True
