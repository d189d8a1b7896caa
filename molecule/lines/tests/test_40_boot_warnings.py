"""LiteLLM's own warnings at start, with the role's defaults (one worker per
vCPU, no Redis): each is explained in the README (Operations: Warnings at
start), or gone because the role sets what it asks for (trusted_proxy_ranges)."""

from __future__ import annotations

import re
from typing import Any

from conftest import PROJECT, converge_ok, liveliness, log_lines, run, wait_for

README = PROJECT / "README.md"


def explained() -> list[re.Pattern[str]]:
    """The README's explained warnings: the quoted start of each item, its numbers any number."""
    text = README.read_text().split("### Warnings at start", 1)[1].split("\n#", 1)[0]
    quoted = re.findall(r"^- `([^`]+)`", text, re.M)
    assert quoted, "the README explains no warning"
    return [re.compile(re.sub(r"\\d+", r"\\d+", re.escape(q))) for q in quoted]


def warnings_at_start(host: Any) -> list[str]:
    found = []
    for line, entry in log_lines(host):
        if entry is not None:
            if str(entry.get("level", "")).upper() == "WARNING":
                found.append(str(entry.get("message", "")))
        elif re.search(r"\bWARNING\b", line):
            found.append(line)
    return found


def test_every_warning_at_start_is_explained(host: Any, secrets: dict[str, str]) -> None:
    converge_ok(secrets, {"litellm_num_workers": 0})  # the role's default: one worker per vCPU
    wait_for(lambda: liveliness(host), 120, "the proxy")
    found = warnings_at_start(host)
    unexplained = [w for w in found if not any(p.search(w) for p in explained())]
    assert unexplained == [], unexplained
    # The role sets trusted_proxy_ranges: LiteLLM no longer says it is missing.
    assert not [w for w in found if "trusted_proxy_ranges" in w]
    # On several vCPUs (several workers) the one the README explains is there.
    if int(run(host, "nproc", "nproc").strip()) > 1:
        assert [w for w in found if "workers but Redis is not configured" in w], found
