"""Every command the manual shows is exercised somewhere: this lists where.

The commands are the lines of the ```sh blocks of README.md and docs/*.md
(continuation lines joined, comments and a leading `sudo` dropped: the suite
runs as root). Each must match one entry of WHERE, which names what runs it;
an entry that names a test file must find the heading of the block in that
file or its conftest.py, which read the block from the manual: the test runs
it as written.

    python tests/lib/commands.py          print each command and where it runs
    python tests/lib/commands.py --check  exit 1 if a command is unclaimed or an entry stale
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MANUAL = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TESTS = ROOT / "molecule" / "default" / "tests"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
HEADING = re.compile(r"^#{1,6} (.+)$", re.M)

# (pattern of the command, what runs it). Test files are relative to TESTS,
# or to the repository when they name a directory.
WHERE: list[tuple[str, str]] = [
    (r"^tests/run\.sh$", "the suite itself (.ci/run)"),
    (r"^tests/run\.sh molecule converge$", "the suite: its converge step runs this command"),
    (r"^tests/run\.sh verify molecule/default/tests/\S+\.py$", "the suite: its verify step runs `tests/run.sh verify`"),
    (r"^demo/deploy\.sh$", "the suite: its demo step"),
    (r"^ansible-playbook -i inventory/hosts\.yml site\.yml .* -e litellm_state=absent$", "test_95_lifecycle.py"),
    (r"^bench/run\.sh$", "the suite: its benchmark smoke step (--repeats 1 --out into a scratch directory)"),
    (r"^docker (ps|logs|exec) ", "test_97_manual.py"),
    (r"^cat /etc/litellm/config\.yaml$", "test_97_manual.py"),
    (r"^(KEY=|curl )", "test_97_manual.py"),
    (r"^ansible-vault create ", "test_97_manual.py"),
    (
        r"^ansible-playbook -i inventory/hosts\.yml (balancer|site)\.yml --vault-password-file ~/\.vault-pass$",
        "molecule/fleet/tests/conftest.py",
    ),
    (r"^ansible-playbook -i \S+ site\.yml --(ask-vault-pass|vault-password-file \S+)$", "test_97_manual.py"),
    (
        r"^ansible-playbook -i inventory/hosts\.yml status\.yml --vault-password-file ~/\.vault-pass$",
        "molecule/lines/tests/test_60_status.py",
    ),
    (r"^docker (save|load) ", "test_97_manual.py"),
    (r"^aws ec2 ", "not here: it changes an EC2 instance, and AWS is unreachable from these machines"),
]


@dataclass(frozen=True)
class Block:
    path: Path
    heading: str
    lang: str
    text: str


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file, each with the heading above it."""
    text = path.read_text()
    found = []
    for match in FENCE.finditer(text):
        headings = HEADING.findall(text[: match.start()])
        found.append(Block(path, headings[-1] if headings else "", match.group(1), match.group(2)))
    return found


def section(path: Path, heading: str, lang: str = "sh") -> list[Block]:
    """The blocks of one language under one heading (for the tests that run them)."""
    return [b for b in blocks(path) if b.heading == heading and b.lang == lang]


def commands(block: Block) -> list[str]:
    """The commands of a shell block: continuations joined, comments dropped."""
    lines = re.sub(r"\\\n\s*", "", block.text).splitlines()
    found = []
    for line in lines:
        line = re.sub(r"\s+#(?![^']*'\s*$).*$", "", line).strip()  # a trailing comment, not a # inside quotes
        if line and not line.startswith("#"):
            found.append(line.removeprefix("sudo "))
    return found


def readers(what: str) -> list[Path]:
    """The test file an entry names and its conftest.py ([] for what is not a test file)."""
    test = ROOT / what if "/" in what else TESTS / what
    return [test, test.parent / "conftest.py"] if what.endswith(".py") else []


def reads(what: str, heading: str) -> bool:
    return not readers(what) or heading in "".join(p.read_text() for p in readers(what))


def where(command: str, heading: str = "") -> tuple[str, str] | None:
    """The entry that runs command: of those that match, the first whose test
    reads the block's section (the same command can stand in two sections)."""
    found = [entry for entry in WHERE if re.search(entry[0], command)]
    return next((entry for entry in found if reads(entry[1], heading)), found[0] if found else None)


def main() -> int:
    problems: list[str] = []
    used: set[str] = set()
    for path in MANUAL:
        for block in (b for b in blocks(path) if b.lang == "sh"):
            for command in commands(block):
                entry = where(command, block.heading)
                name = f"{path.relative_to(ROOT)} ({block.heading}): {command}"
                if entry is None:
                    problems.append(f"{name}: not exercised anywhere (add it to a test, or to WHERE)")
                    continue
                used.add(entry[0])
                what = entry[1]
                if not reads(what, block.heading):
                    problems.append(f"{name}: {what} does not read the section {block.heading!r}")
                if "--check" not in sys.argv:
                    print(f"{name}\n    -> {what}")
    problems += [f"WHERE entry {p!r} -> {w!r} matches no command" for p, w in WHERE if p not in used]
    print("\n".join(problems), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
