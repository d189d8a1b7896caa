"""The README's variable table, defaults/main.yml and meta/argument_specs.yml
must agree: tests/lib/variables.py --check (the lint step) says when not."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import variables  # found through the path above


def test_the_repository_agrees() -> None:
    specs, defaults = variables.load()
    assert variables.problems(specs, defaults) == []
    text = variables.README.read_text()
    assert variables.table(specs, defaults) in text


def test_a_default_in_argument_specs_is_refused() -> None:
    specs, defaults = variables.load()
    specs = copy.deepcopy(specs)
    specs["litellm_port"]["default"] = 4000
    assert variables.problems(specs, defaults) == [
        "litellm_port has a default in meta/argument_specs.yml: values belong in defaults/main.yml"
    ]


def test_a_variable_missing_from_argument_specs_is_refused() -> None:
    specs, defaults = variables.load()
    assert variables.problems(specs, {**defaults, "litellm_new": 1}) == [
        "litellm_new is in defaults/main.yml, not in meta/argument_specs.yml"
    ]


def test_a_variable_without_a_value_must_come_from_vault() -> None:
    specs, defaults = variables.load()
    defaults = {k: v for k, v in defaults.items() if k != "litellm_port"}
    assert variables.problems(specs, defaults) == [
        "litellm_port has no value in defaults/main.yml and is not described as From Vault"
    ]


def test_a_changed_default_changes_the_table() -> None:
    specs, defaults = variables.load()
    row = "| `litellm_port` | `4001` |"
    assert row not in variables.table(specs, defaults)
    assert row in variables.table(specs, {**defaults, "litellm_port": 4001})


def test_defaults_are_shown_as_an_operator_writes_them() -> None:
    assert variables.shown("{{ litellm_startup_timeout }}") == "`litellm_startup_timeout`"
    assert variables.shown("") == '`""`'
    assert variables.shown(False) == "`false`"
    assert variables.shown(["1.82.7", "1.82.8"]) == '`["1.82.7", "1.82.8"]`'
    assert variables.shown([{"name": "a"}, {"name": "b"}]) == "2 entries (`defaults/main.yml`)"
