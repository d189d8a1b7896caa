"""The link check of the lint step finds a missing file and a missing heading."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import links  # found through the path above


def test_the_repository_has_no_broken_link() -> None:
    assert links.main() == 0


def test_a_missing_file_and_a_missing_heading_are_found(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Title\n\n## A section (with `code`)\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#a-section-with-code) [top](#here) [gone](missing.md) [bad](other.md#nowhere)\n"
        "```\n[in code](ignored.md)\n```\n# Here\n[web](https://example.org/x)\n"
    )
    assert links.broken(page) == [
        f"{page}: missing.md (no such file)",
        f"{page}: other.md#nowhere (no such heading)",
    ]
