"""The fuzz test's report is written once, after a green session."""

from __future__ import annotations

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if exitstatus != 0:
        return
    import test_fuzz_inputs  # the module pytest has already imported

    test_fuzz_inputs.pytest_sessionfinish_report()
