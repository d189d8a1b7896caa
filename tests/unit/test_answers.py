"""filter_plugins/litellm_plan.py: what the role reads from an answer,
refused_models (LiteLLM's /health, tasks/verify_models.yml) and
builds_to_remove (`docker image ls`, tasks/remove_images.yml)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "filter_plugins"))
import litellm_plan as planner  # noqa: E402 - found through the path above

MODELS = [
    {"name": "claude-sonnet-4", "model": "us.anthropic.claude-sonnet-4-20250514-v1:0"},
    {"name": "sonnet", "model": "us.anthropic.claude-sonnet-4-20250514-v1:0"},
    {"name": "claude-opus-4", "model": "us.anthropic.claude-opus-4-20250514-v1:0"},
]
REFUSED = "ValidationException: The provided model identifier is invalid."


@pytest.mark.parametrize(
    ("answer", "refused"),
    [
        pytest.param({"healthy_endpoints": [{}], "unhealthy_endpoints": []}, [], id="all-accepted"),
        pytest.param({}, [], id="no-list"),
        pytest.param("not json", [], id="not-a-mapping"),
        pytest.param({"unhealthy_endpoints": "x"}, [], id="list-not-a-list"),
        pytest.param(
            {"unhealthy_endpoints": [{"model": "bedrock/us.anthropic.claude-opus-4-20250514-v1:0", "error": REFUSED}]},
            [{"aliases": "claude-opus-4", "reason": REFUSED}],
            id="one-alias-bedrock-prefix",
        ),
        pytest.param(
            {"unhealthy_endpoints": [{"model": "us.anthropic.claude-sonnet-4-20250514-v1:0", "error": REFUSED}]},
            [{"aliases": "claude-sonnet-4, sonnet", "reason": REFUSED}],
            id="two-aliases-one-profile",
        ),
        pytest.param(
            {"unhealthy_endpoints": [{"model": "bedrock/us.anthropic.other-v1:0", "error": f"{REFUSED}\nTraceback"}]},
            [{"aliases": "bedrock/us.anthropic.other-v1:0", "reason": REFUSED}],
            id="no-alias-first-line",
        ),
        pytest.param(
            {"unhealthy_endpoints": [{"error": None}, "junk"]},
            [{"aliases": "?", "reason": "no reason given"}, {"aliases": "?", "reason": "no reason given"}],
            id="no-model-no-error",
        ),
        pytest.param(
            {"unhealthy_endpoints": [{"model": "us.anthropic.claude-opus-4-20250514-v1:0", "error": {"code": 400}}]},
            [{"aliases": "claude-opus-4", "reason": "{'code': 400}"}],
            id="error-not-text",
        ),
    ],
)
def test_refused_models(answer: Any, refused: list[dict[str, str]]) -> None:
    assert planner.refused_models(answer, MODELS) == refused


REPO = "127.0.0.1:5000/berriai/litellm"
KEEP = "sha256:" + "a" * 64
OLD = "sha256:" + "b" * 64
OLDER = "sha256:" + "c" * 64


@pytest.mark.parametrize(
    ("lines", "refs"),
    [
        pytest.param([], [], id="nothing-listed"),
        pytest.param([f"{KEEP} main-stable sha256:d1"], [], id="only-the-kept-build"),
        pytest.param([f"{KEEP} main-stable sha256:d1", f"{OLD} old sha256:d2"], [f"{REPO}:old"], id="a-tagged-build"),
        pytest.param([f"{OLD} <none> sha256:d2"], [f"{REPO}@sha256:d2"], id="an-untagged-build-by-digest"),
        pytest.param(
            [f"{OLD} a sha256:d2", f"{OLD} b sha256:d2", f"{OLDER} <none> sha256:d3", f"{OLD} a sha256:d2"],
            [f"{REPO}:a", f"{REPO}:b", f"{REPO}@sha256:d3"],
            id="each-reference-once-in-order",
        ),
        pytest.param(["", "garbage", f"{OLD} a"], [], id="lines-not-three-fields"),
    ],
)
def test_builds_to_remove(lines: list[str], refs: list[str]) -> None:
    assert planner.builds_to_remove(lines, [KEEP], REPO) == refs
