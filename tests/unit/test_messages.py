"""filter_plugins/litellm_plan.py: closing_lines, what a run says at its end
(present.yml's "Say what serves")."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "filter_plugins"))
import litellm_plan as planner  # noqa: E402 - found through the path above

DIGEST = "sha256:" + "0123456789ab" + "f" * 52


def run(**over: Any) -> dict[str, Any]:
    """present.yml's input for a no-change run on 127.0.0.1."""
    return {
        "version": "1.108.7",
        "digest": DIGEST,
        "check_mode": False,
        "models": 7,
        "host": "127.0.0.1",
        "address": "127.0.0.1",
        "port": 4000,
        "action": "none",
        "changed": [],
        "tls": False,
        "rotation": False,
        "accepted": [],
        "named": [],
        "image": "ghcr.io/berriai/litellm:main-stable",
        **over,
    }


# (case, run's input) -> what the first line says after "; "
FIRST_LINES = [
    ("nothing changed", {}, "nothing changed"),
    ("files rewritten, no restart", {"changed": ["litellm.env"]}, "files rewritten: litellm.env"),
    ("a stopped container started", {"stopped": True}, "started again (it was stopped)"),
    ("first deploy", {"action": "create"}, "first deploy"),
    ("recreate", {"action": "recreate"}, "container recreated (new image or settings)"),
    (
        "recreate with files",
        {"action": "recreate", "changed": ["litellm.env", "config.yaml"]},
        "container recreated (new image or settings, litellm.env, config.yaml)",
    ),
    ("restart", {"action": "restart", "changed": ["config.yaml"]}, "restarted for config.yaml"),
    ("interrupted run", {"action": "restart"}, "restarted for the files of an interrupted run"),
    (
        "check mode",
        {"action": "restart", "changed": ["config.yaml"], "check_mode": True},
        "restarted for config.yaml (check mode: nothing done)",
    ),
]


@pytest.mark.parametrize(("case", "over", "said"), FIRST_LINES, ids=[c[0] for c in FIRST_LINES])
def test_the_first_line_says_what_serves_and_what_the_run_did(case: str, over: dict[str, Any], said: str) -> None:
    lines = planner.closing_lines(run(**over))
    verb = "would serve" if over.get("check_mode") else "serving"
    assert lines[0] == f"LiteLLM 1.108.7 (0123456789ab) {verb} 7 models on 127.0.0.1:4000; {said}"


def test_a_quiet_run_says_one_line() -> None:
    assert len(planner.closing_lines(run())) == 1


def test_check_mode_says_what_it_could_not_check_and_the_plan() -> None:
    lines = planner.closing_lines(run(check_mode=True, version="", digest="", action="create"))
    assert lines[0].startswith("LiteLLM (version unknown: image not pulled in check mode) (?) would serve 7 models")
    assert lines[1].startswith("Check mode: no image was pulled (ghcr.io/berriai/litellm:main-stable may have moved)")
    assert lines[1].endswith("Plan: create.")
    assert len(lines) == 2


@pytest.mark.parametrize(
    ("address", "host", "tls", "warned"),
    [
        ("0.0.0.0", "0.0.0.0", False, True),
        ("10.0.0.5", "10.0.0.5", False, True),
        ("::", "[::]", False, True),
        ("0.0.0.0", "0.0.0.0", True, False),  # TLS: keys are not in clear text
        ("127.0.0.1", "127.0.0.1", False, False),
        ("::1", "[::1]", False, False),
    ],
)
def test_plain_http_on_a_network_address_is_warned_of(address: str, host: str, tls: bool, warned: bool) -> None:
    lines = planner.closing_lines(run(address=address, host=host, tls=tls))
    warnings = [line for line in lines if line.startswith("WARNING: the proxy publishes plain HTTP")]
    assert warnings == (
        [
            f"WARNING: the proxy publishes plain HTTP on {address}:4000, a network address: "
            + planner.CLEAR_TEXT_WARNING.split("a network address: ", 1)[1]
        ]
        if warned
        else []
    )
    assert lines[0].endswith(f"models on {host}:4000; nothing changed")


@pytest.mark.parametrize(("check_mode", "reminded"), [(False, True), (True, False)])
def test_a_salt_key_rotation_is_reminded_of_what_it_leaves_to_do(check_mode: bool, reminded: bool) -> None:
    lines = planner.closing_lines(run(rotation=True, check_mode=check_mode))
    assert (planner.ROTATION_REMINDER in lines) is reminded


@pytest.mark.parametrize(
    ("accepted", "named", "said"),
    [
        ([], [], None),
        (
            ["GHSA-aaaa"],
            [],
            "Advisories affecting LiteLLM 1.108.7: accepted by litellm_accepted_advisories: GHSA-aaaa"
            " (vars/advisories.yml).",
        ),
        (
            ["GHSA-aaaa", "GHSA-bbbb"],
            ["GHSA-cccc"],
            "Advisories affecting LiteLLM 1.108.7: accepted by litellm_accepted_advisories: GHSA-aaaa, GHSA-bbbb;"
            " not refused (medium or low): GHSA-cccc (vars/advisories.yml).",
        ),
    ],
)
def test_advisories_a_build_was_let_through_with_are_named(accepted: list, named: list, said: str | None) -> None:
    lines = planner.closing_lines(run(accepted=accepted, named=named))
    assert [line for line in lines if line.startswith("Advisories")] == ([said] if said else [])


@pytest.mark.parametrize("flag", ["True", "true"])
def test_flags_as_text_before_ansible_core_2_19(flag: str) -> None:
    lines = planner.closing_lines(run(check_mode=flag, tls=flag, rotation="False", models="7"))
    assert "would serve 7 models" in lines[0]
    assert len(lines) == 2  # the check-mode note; no warning (TLS), no reminder


@pytest.mark.parametrize(
    ("address", "public", "warned"),
    [
        ("0.0.0.0", True, True),
        ("10.0.0.5", True, True),
        ("127.0.0.1", True, False),  # only this host reads it
        ("0.0.0.0", False, False),  # /metrics asks for the key
    ],
)
def test_public_metrics_on_a_network_address_are_warned_of(address: str, public: bool, warned: bool) -> None:
    lines = planner.closing_lines(run(address=address, host=address, tls=True, metrics_public=public))
    said = [line for line in lines if line.startswith("WARNING: litellm_metrics_public is true")]
    assert said == ([planner.METRICS_PUBLIC_WARNING.format(address=address, port=4000)] if warned else [])


LIMITED = [{"name": "a", "model": "us.anthropic.x", "rpm": 10}, {"name": "b", "model": "us.anthropic.y"}]


@pytest.mark.parametrize(
    ("workers", "redis", "models", "noted"),
    [
        (2, "", LIMITED, True),
        (4, "", [{"name": "a", "model": "us.anthropic.x", "tpm": 1000}], True),
        (1, "", LIMITED, False),  # one worker counts for the proxy
        (2, "redis.internal", LIMITED, False),  # Redis counts for every worker
        (2, "", [{"name": "b", "model": "us.anthropic.y"}], False),  # no limit to count
    ],
)
def test_limits_counted_per_worker_are_said(workers: int, redis: str, models: list[Any], noted: bool) -> None:
    lines = planner.closing_lines(run(workers=workers, redis=redis, model_list=models))
    said = [line for line in lines if line.startswith("Note: ")]
    assert said == ([planner.PER_WORKER_LIMITS.format(workers=workers)] if noted else [])
