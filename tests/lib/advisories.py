"""Turn an OSV export of the PyPI package litellm into entries of the role's
advisory table (vars/advisories.yml), for maintainers who have the network.

    # one JSON record per file, as osv.dev serves them (or the PyPI ecosystem's
    # all.zip, unpacked, keeping the litellm records):
    curl -s https://api.osv.dev/v1/query -d '{"package": {"name": "litellm", "ecosystem": "PyPI"}}' \\
      | python -c 'import json, sys
    for v in json.load(sys.stdin)["vulns"]: open(v["id"] + ".json", "w").write(json.dumps(v))'
    python tests/lib/advisories.py osv/*.json > new-entries.yml

Records that are aliases of each other (a GHSA and its PYSEC twin) become one
entry, keyed by the GHSA id. Each OSV range becomes one PEP 440 specifier set
(a backported fix is its own range); a record that lists only versions (a
malicious release) becomes one ==version set each. The severity is GitHub's
rating when the record has it, else the CVSS v3 base score's band. Review the
output against each advisory before it goes into the table: the table is
checked by hand, this only saves the typing.
"""

from __future__ import annotations

import json
import math
import sys
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

PACKAGE = "litellm"
RATINGS = {"critical": "critical", "high": "high", "moderate": "medium", "medium": "medium", "low": "low"}
# CVSS v3.x base metrics: weights from the specification (first.org, CVSS v3.1, section 7.4).
WEIGHTS: dict[str, dict[str, float]] = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}
PRIVILEGES = {"U": {"N": 0.85, "L": 0.62, "H": 0.27}, "C": {"N": 0.85, "L": 0.68, "H": 0.5}}


def roundup(value: float) -> float:
    """CVSS v3.1's Roundup: the smallest number of one decimal at least value."""
    whole = round(value * 100000)
    return whole / 100000.0 if whole % 10000 == 0 else (math.floor(whole / 10000) + 1) / 10.0


def cvss3_score(vector: str) -> float:
    """The base score of a CVSS:3.x vector."""
    metrics = dict(part.split(":", 1) for part in vector.split("/")[1:])
    scope = metrics["S"]
    iss = 1 - (1 - WEIGHTS["C"][metrics["C"]]) * (1 - WEIGHTS["I"][metrics["I"]]) * (1 - WEIGHTS["A"][metrics["A"]])
    impact = 6.42 * iss if scope == "U" else 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15
    exploitability = (
        8.22
        * WEIGHTS["AV"][metrics["AV"]]
        * WEIGHTS["AC"][metrics["AC"]]
        * PRIVILEGES[scope][metrics["PR"]]
        * WEIGHTS["UI"][metrics["UI"]]
    )
    if impact <= 0:
        return 0.0
    total = impact + exploitability if scope == "U" else 1.08 * (impact + exploitability)
    return roundup(min(total, 10))


def band(score: float) -> str:
    return "critical" if score >= 9 else "high" if score >= 7 else "medium" if score >= 4 else "low"


def severity(record: Mapping[str, Any]) -> tuple[str, str]:
    """The severity, and a note of where it came from."""
    rating = str((record.get("database_specific") or {}).get("severity", "")).lower()
    if rating in RATINGS:
        return RATINGS[rating], ""
    for item in record.get("severity") or []:
        if str(item.get("type", "")).startswith("CVSS_V3") and str(item.get("score", "")).startswith("CVSS:3"):
            score = cvss3_score(item["score"])
            return band(score), f"severity from the CVSS v3 base score {score}"
    return "high", "no severity in the record: high until checked"


def ranges(affected: Mapping[str, Any]) -> list[str]:
    """One PEP 440 specifier set per OSV range of one affected package."""
    found = []
    for item in affected.get("ranges") or []:
        if item.get("type") not in ("ECOSYSTEM", "SEMVER"):
            continue
        low, clauses = "", []
        for event in item.get("events") or []:
            if "introduced" in event:
                low = "" if event["introduced"] in ("0", "") else f">={event['introduced']}"
            elif "fixed" in event or "last_affected" in event:
                high = f"<{event['fixed']}" if "fixed" in event else f"<={event['last_affected']}"
                clauses.append(",".join(c for c in (low, high) if c))
                low = ""
        if low:
            clauses.append(low)
        elif not clauses:
            clauses.append(">=0")
        found += clauses
    if not found:
        found = [f"=={version}" for version in affected.get("versions") or []]
    return found


def fixed(affected: Mapping[str, Any]) -> list[str]:
    return [e["fixed"] for r in affected.get("ranges") or [] for e in r.get("events") or [] if "fixed" in e]


def ours(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        a
        for a in record.get("affected") or []
        if (a.get("package") or {}).get("ecosystem") == "PyPI"
        and str((a.get("package") or {}).get("name", "")).lower() == PACKAGE
    ]


def entries(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The table's entries, twins (records that alias each other) merged."""
    groups: list[list[Mapping[str, Any]]] = []
    for record in records:
        if not ours(record) or record.get("withdrawn"):
            continue
        ids = {record["id"], *(record.get("aliases") or [])}
        twins = [g for g in groups if ids & {i for r in g for i in (r["id"], *(r.get("aliases") or []))}]
        merged = [record, *(r for g in twins for r in g)]
        groups = [g for g in groups if g not in twins] + [merged]
    found = []
    for group in groups:
        names = sorted({i for r in group for i in (r["id"], *(r.get("aliases") or []))})
        key = next((i for i in names if i.startswith("GHSA-")), None) or next(
            (i for i in names if i.startswith(("MAL-", "PYSEC-"))), names[0]
        )
        main = next((r for r in group if r["id"] == key), group[0])
        rating, note = severity(main)
        for other in group:
            other_rating, other_note = severity(other)
            if not other_note and note:
                rating, note = other_rating, ""
        affected = [a for r in [main] for a in ours(r)]
        found.append(
            {
                "id": key,
                "aliases": [i for i in names if i != key],
                "severity": rating,
                "summary": " ".join(str(main.get("summary") or main.get("details", "")).split())[:120],
                "published": str(main.get("published", ""))[:10],
                "affected": [s for a in affected for s in ranges(a)],
                "fixed": sorted({v for a in affected for v in fixed(a)}),
                "_source": f"https://osv.dev/vulnerability/{key}",
                "_note": note,
            }
        )
    return sorted(found, key=lambda e: (e["published"], e["id"]))


def render(found: Iterable[Mapping[str, Any]]) -> str:
    """The entries as the table writes them: the source address in a comment above each."""
    lines = []
    for entry in found:
        lines.append(f"  # {entry['_source']}")
        if entry.get("_note"):
            # vars/ keeps to 120 characters a line (.yamllint)
            lines += textwrap.wrap(
                entry["_note"], 116, initial_indent="  # ", subsequent_indent="  #   ", break_on_hyphens=False
            )
        body = {k: v for k, v in entry.items() if not k.startswith("_")}
        text = yaml.safe_dump([body], sort_keys=False, default_flow_style=None, width=110)
        lines += ["  " + line for line in text.rstrip("\n").splitlines()]
    return "\n".join(lines) + "\n"


def main(paths: list[str]) -> int:
    records = [json.loads(Path(p).read_text()) for p in paths]
    sys.stdout.write(render(entries(records)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
