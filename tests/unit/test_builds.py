"""filter_plugins/litellm_builds.py: which LiteLLM builds may serve, judged by
the advisory table (vars/advisories.yml); and tests/lib/advisories.py, which
turns OSV records into the table's entries."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "filter_plugins"))
sys.path.insert(0, str(ROOT / "tests" / "lib"))
import advisories as osv  # noqa: E402 - found through the path above
import litellm_builds as builds  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "osv"
TABLE = builds.parse(
    {
        "advisories": [
            {"id": "GHSA-crit", "aliases": ["CVE-1"], "severity": "critical", "summary": "Host header",
             "affected": ["<1.84.0"], "fixed": ["1.84.0"]},
            # Backported line by line, and into a release candidate.
            {"id": "GHSA-back", "severity": "high", "summary": "salt key",
             "affected": [">=1.100.0,<1.100.4", ">=1.101.0,<1.101.3", ">=1.104.0rc1,<1.104.0rc2"],
             "fixed": ["1.100.4", "1.101.3", "1.104.0rc2"]},
            {"id": "GHSA-med", "severity": "medium", "summary": "leak", "affected": ["<1.90.0"], "fixed": ["1.90.0"]},
            {"id": "MAL-1", "aliases": ["PYSEC-1"], "severity": "critical", "summary": "malware",
             "affected": ["==1.82.7", "==1.82.8"], "fixed": []},
        ]
    }
)  # fmt: skip


def verdict(version: str, **kwargs: object) -> dict:
    return builds.verdict(version, table=TABLE, **kwargs)


def test_a_build_a_critical_or_high_advisory_affects_is_refused_naming_it_and_the_nearest_fix() -> None:
    found = verdict("1.83.5")
    assert "GHSA-crit (CVE-1), critical: Host header" in found["refused"]
    assert "GHSA-med" not in found["refused"]
    assert found["refused"].endswith("The nearest fixed version is 1.84.0")
    assert found["named"] == ["GHSA-med (medium)"]


def test_fixes_backported_line_by_line_are_each_a_range() -> None:
    assert verdict("1.101.2")["refused"] and not verdict("1.101.3")["refused"]
    assert verdict("1.100.9")["refused"] == ""  # 1.100.4 fixed that line
    assert verdict("1.104.0rc1")["refused"] and not verdict("1.104.0rc2")["refused"]
    assert verdict("1.102.0")["refused"] == ""  # a line the advisory never affected
    # The nearest fix of 1.101.2 is its own line's, not a later one's.
    assert "nearest fixed version is 1.101.3" in verdict("1.101.2")["refused"]


def test_versions_are_compared_as_pep_440_not_as_strings() -> None:
    assert "MAL-1" in verdict("1.82.7.0")["refused"]
    refused = verdict("1.108.7.0", refused_versions=["1.108.7"])["refused"]
    assert refused.startswith("it is listed in litellm_refused_versions")
    assert verdict("1.9.0", min_version="1.83.7")["refused"] == "it is older than litellm_min_version 1.83.7"
    assert verdict("1.102.0", min_version="1.83.7")["refused"] == ""  # "1.102.0" < "1.83.7" as strings
    assert "not a PEP 440 version" in verdict("main-stable")["refused"]


def test_an_accepted_advisory_serves_and_is_named_with_its_reason_by_any_of_its_ids() -> None:
    found = verdict("1.83.5", accepted=[{"id": "CVE-1", "reason": "behind a Host-checking proxy"}])
    assert found["refused"] == ""
    assert found["accepted"] == ["GHSA-crit (behind a Host-checking proxy)"]
    assert found["named"] == ["GHSA-med (medium)"]
    # Accepting one advisory does not accept another.
    assert "MAL-1" in verdict("1.82.8", accepted=[{"id": "GHSA-crit", "reason": "x"}])["refused"]


def test_no_fixed_version_is_said_so() -> None:
    table = builds.parse({"advisories": [{"id": "X", "severity": "high", "summary": "s", "affected": [">=0"]}]})
    assert builds.verdict("1.0", table=table)["refused"].endswith("No fixed version is published yet")


def test_accepted_advisories_are_checked() -> None:
    assert builds.accepted_errors([], table=TABLE) == []
    assert builds.accepted_errors([{"id": "GHSA-crit", "reason": "known"}], table=TABLE) == []
    assert builds.accepted_errors("GHSA-crit", table=TABLE) == [
        "litellm_accepted_advisories must be a list of {id, reason} mappings"
    ]
    errors = builds.accepted_errors([{"id": "GHSA-typo", "reason": "x"}, {"id": "CVE-1"}, "GHSA-crit"], table=TABLE)
    assert errors == [
        "litellm_accepted_advisories[0].id is not an advisory of the role's table (vars/advisories.yml)",
        "litellm_accepted_advisories[1].reason must say why the advisory is accepted (it is shown at every run)",
        "litellm_accepted_advisories[2] must be a mapping with an id (GHSA-..., CVE-..., PYSEC-... or MAL-...)"
        " and a reason",
    ]


def test_what_no_honest_build_has_is_refused_whatever_its_version() -> None:
    one = {"version": "1.108.7", "dist_info": "/s/litellm-1.108.7.dist-info"}
    assert builds.build_problem({"dists": [one], "pth": []}) == ""
    decoy = {"version": "1.100.0", "dist_info": "/s/LiteLLM-1.100.0.dist-info"}
    assert builds.build_problem({"dists": [one, decoy]}).startswith("it holds 2 distributions named litellm")
    assert builds.probe_version({"dists": [one, decoy]}) == "1.108.7 and 1.100.0"
    pth = {"path": "/s/litellm_init.pth", "why": "installed by a litellm distribution"}
    assert "litellm_init.pth (installed by a litellm distribution)" in builds.build_problem(
        {"dists": [one], "pth": [pth]}
    )


# --- the table itself ---------------------------------------------------------


def test_the_table_parses_and_every_entry_names_its_source() -> None:
    table = builds.advisories()
    ids = [i for a in table for i in a.ids]
    assert len(ids) == len(set(ids)), "an id in two entries"
    text = builds.TABLE.read_text()
    assert re.search(r"^# snapshot: \d{4}-\d{2}-\d{2}", text, re.M), "the snapshot date"
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("  - id: "):
            start = index
            while start > 0 and lines[start - 1].strip().startswith("#"):
                start -= 1
            above = [x.strip() for x in lines[start:index]]
            # an address, or a file of a GitHub repository: owner/repository@commit path
            source = re.compile(r"# (https://\S+|[\w.-]+/[\w.-]+@[0-9a-fA-F]{7,40}) ")
            assert any(source.match(x + " ") for x in above), f"no source address above {line.strip()}"


@pytest.mark.parametrize(
    ("ident", "refused", "passes"),
    [
        ("GHSA-4xpc-pv4p-pm3w", "1.83.14", "1.84.0"),
        ("MAL-2026-2144", "1.82.8", "1.82.9"),
        ("GHSA-r75f-5x8p-qvmc", "1.83.0", "1.83.7"),
    ],
)
def test_the_named_advisories_refuse_what_they_affect(ident: str, refused: str, passes: str) -> None:
    entry = next(a for a in builds.advisories() if ident in a.ids)
    assert entry.affects(Version(refused)) and not entry.affects(Version(passes))


@pytest.mark.parametrize("line", ["lts", "newest"])
def test_the_suites_own_builds_are_not_refused(line: str) -> None:
    # The versions tests/images/build.sh installs: the LTS line and the newest release.
    wanted = (ROOT / "tests" / "images" / "files" / f"litellm-{line}.txt").read_text()
    version = re.search(r"^litellm(?:\[[a-z,-]+\])?==(\S+)$", wanted, re.M).group(1)
    assert builds.verdict(version)["refused"] == ""


# --- OSV records into entries -----------------------------------------------------


def test_osv_records_become_entries_twins_merged() -> None:
    records = [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))]
    found = {e["id"]: e for e in osv.entries(records)}
    for entry in found.values():
        assert all(SpecifierSet(s) for s in entry["affected"])
    # Keyed by the GHSA id its aliases name; severity from the CVSS vector (9.8).
    sql = found["GHSA-r75f-5x8p-qvmc"]
    assert sql["aliases"] == ["CVE-2026-42208", "PYSEC-2026-391"]
    assert sql["affected"] == [">=1.81.16,<1.83.7"] and sql["fixed"] == ["1.83.7"]
    assert (sql["severity"], sql["_note"]) == ("critical", "severity from the CVSS v3 base score 9.8")
    # No severity in the record: high until a maintainer checks it.
    mal = found["PYSEC-2026-2"]
    assert mal["affected"] == [">=1.82.7,<=1.82.8"] and mal["fixed"] == []
    assert mal["severity"] == "high"
    rendered = yaml.safe_load("advisories:\n" + osv.render(found.values()))
    assert builds.parse(rendered)  # what it writes is a table the role reads
    assert osv.render(found.values()).startswith("  # https://osv.dev/vulnerability/")
    long_note = {**sql, "_note": "severity mapped from CVSS 4.9 (CVSS:3.0); " * 4}
    assert max(len(line) for line in osv.render([long_note]).splitlines()) <= 120  # .yamllint's limit


def test_a_ghsa_and_its_pysec_twin_are_one_entry_with_githubs_rating() -> None:
    pysec = json.loads((FIXTURES / "PYSEC-2026-391.json").read_text())
    # The GitHub record's shape (id, aliases, GitHub's rating), made here.
    ghsa = {**pysec, "id": "GHSA-r75f-5x8p-qvmc", "aliases": ["CVE-2026-42208"], "severity": [],
            "database_specific": {"severity": "MODERATE"}}  # fmt: skip
    (entry,) = osv.entries([pysec, ghsa])
    assert (entry["id"], entry["aliases"]) == ("GHSA-r75f-5x8p-qvmc", ["CVE-2026-42208", "PYSEC-2026-391"])
    assert (entry["severity"], entry["_note"]) == ("medium", "")
    # Another package's record is not ours.
    other = {**pysec, "id": "PYSEC-X", "aliases": [], "affected": [{"package": {"ecosystem": "PyPI", "name": "x"}}]}
    assert osv.entries([other]) == []


def test_backported_ranges_become_one_specifier_set_each() -> None:
    affected = {
        "ranges": [
            {"type": "ECOSYSTEM", "events": [{"introduced": "1.100.0"}, {"fixed": "1.100.4"}]},
            {"type": "ECOSYSTEM", "events": [{"introduced": "1.101.0"}, {"fixed": "1.101.3"}]},
            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"last_affected": "1.27.14"}]},
            {"type": "GIT", "events": [{"introduced": "abc"}]},
        ]
    }
    assert osv.ranges(affected) == [">=1.100.0,<1.100.4", ">=1.101.0,<1.101.3", "<=1.27.14"]


@pytest.mark.parametrize(
    ("vector", "score"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2),
        ("CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3),
    ],
)
def test_cvss_base_scores(vector: str, score: float) -> None:
    assert osv.cvss3_score(vector) == score
