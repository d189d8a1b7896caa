"""Check the relative links of README.md and docs/*.md: every linked file
exists, and every #anchor names a heading of its file (GitHub's anchors).

    python tests/lib/links.py     prints each broken link; exit 1 if any
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"```.*?```", re.S)
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"(?m)^#{1,6} (.+)$")


def anchors(path: Path) -> set[str]:
    text = CODE.sub("", path.read_text())
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in HEADING.findall(text)}


def broken(path: Path) -> list[str]:
    found = []
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    for link in LINK.findall(CODE.sub("", path.read_text())):
        if re.match(r"[a-z]+:", link):
            continue
        target, _, anchor = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        if not file.exists():
            found.append(f"{where}: {link} (no such file)")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            found.append(f"{where}: {link} (no such heading)")
    return found


def main() -> int:
    found = [
        problem for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))] for problem in broken(path)
    ]
    print("\n".join(found), file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
