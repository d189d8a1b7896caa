"""filter_plugins/litellm_checks.py: config_problems, image.yml's last
look at the rendered config.yaml (test_fuzz_inputs.py holds that it accepts
whatever the input checks accept)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "filter_plugins"))
import litellm_checks as checks  # noqa: E402 - found through the path above

MASTER = "sk-master-0123456789abcdef"
VARIABLES = {"litellm_master_key": MASTER, "litellm_salt_key": "sk-salt-0123456789abcdef0123"}


def entry(
    alias: str = "claude", model: Any = "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0", **over: Any
) -> dict:
    return {"model_name": alias, "litellm_params": {"model": model, "aws_region_name": "us-east-1", **over}}


def text(*entries: dict, **top: Any) -> str:
    return yaml.safe_dump({"model_list": list(entries), **top})


PROBLEMS = [
    ("a good config", text(entry(), entry("opus", "bedrock/global.anthropic.claude-opus-4-5-v1:0")), []),
    ("not YAML", "model_list: [", ["it is not valid YAML"]),
    ("not a mapping", "- a\n- b\n", ["it is not a mapping"]),
    ("no models", text(), ["model_list is empty"]),
    (
        "no litellm_params",
        yaml.safe_dump({"model_list": [{"model_name": "x"}]}),
        ["model_list[0] has no litellm_params"],
    ),
    ("not bedrock", text(entry(model="openai/gpt-4o")), ["model_list[0]: model is not bedrock/<inference profile id>"]),
    (
        "a model id, not a profile",
        text(entry(), entry("b", "bedrock/anthropic.claude-3-7-sonnet-20250219-v1:0")),
        ["model_list[1]: model is not bedrock/<inference profile id>"],
    ),
    ("no model", text(entry(model=None)), ["model_list[0]: model is not bedrock/<inference profile id>"]),
    (
        "no region",
        text({"model_name": "c", "litellm_params": {"model": "bedrock/us.anthropic.claude-opus-4-20250514-v1:0"}}),
        ["model_list[0]: aws_region_name is missing or not an AWS region"],
    ),
    (
        "a bad region",
        text(entry(aws_region_name="Virginia")),
        ["model_list[0]: aws_region_name is missing or not an AWS region"],
    ),
    ("a repeated alias", text(entry(), entry()), ["model_name aliases repeat"]),
    (
        "a secret as a value",
        text(entry(), general_settings={"master_key": MASTER}),
        ["config.general_settings.master_key (litellm_master_key) holds a secret"],
    ),
    (
        "a secret as a key",
        text(entry(), litellm_settings={MASTER: 1}),
        ["config.litellm_settings.<secret> (litellm_master_key) holds a secret"],
    ),
]


@pytest.mark.parametrize(("case", "config", "want"), PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_the_last_look_at_config_yaml(case: str, config: str, want: list[str]) -> None:
    got = checks.config_problems(config, VARIABLES)
    assert got == want
    assert MASTER not in " ".join(got)
