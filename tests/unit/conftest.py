"""The fuzz test's report is written once, after a green session. The role's
module_utils are importable as Ansible makes them for its modules."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import ansible.module_utils
import pytest

ROOT = Path(__file__).resolve().parents[2]

for _path in sorted((ROOT / "module_utils").glob("*.py")):
    _name = f"{ansible.module_utils.__name__}.{_path.stem}"
    _spec = importlib.util.spec_from_file_location(_name, _path)
    assert _spec is not None and _spec.loader is not None
    sys.modules[_name] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_name])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if exitstatus != 0:
        return
    import test_fuzz_inputs  # the module pytest has already imported

    test_fuzz_inputs.pytest_sessionfinish_report()
