"""Which LiteLLM builds may serve: the published advisories (vars/advisories.yml)
against the version the image's probe read (files/litellm_probe.py).

Pure functions: image.yml calls them, the unit tests in-process
(tests/unit/test_builds.py, test_image.py). Which image the run has and how
it learns what the image holds (image_state, build, image_problem) is read
here too, so that image.yml only pulls, probes and reports.

A build is refused when a critical or high advisory affects its version and the
operator has not accepted that advisory (litellm_accepted_advisories), when its
version is in litellm_refused_versions or below litellm_min_version (both
compared as PEP 440 versions), or when the probe found something no honest
build has: two distributions named litellm, or a .pth file that runs code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

TABLE = Path(__file__).resolve().parents[1] / "vars" / "advisories.yml"
SEVERITIES = ("critical", "high", "medium", "low")
BLOCKING = ("critical", "high")


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    severity: str
    summary: str
    affected: tuple[SpecifierSet, ...]
    fixed: tuple[Version, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id, *self.aliases)

    def affects(self, version: Version) -> bool:
        return any(spec.contains(version, prereleases=True) for spec in self.affected)

    def label(self) -> str:
        aliases = f" ({', '.join(self.aliases)})" if self.aliases else ""
        return f"{self.id}{aliases}, {self.severity}: {self.summary}"


def parse(document: Mapping[str, Any]) -> tuple[Advisory, ...]:
    """The table's entries; a malformed entry raises ValueError naming it."""
    found = []
    for entry in document.get("advisories") or []:
        ident = str(entry.get("id", "?"))
        try:
            severity = str(entry["severity"]).lower()
            if severity not in SEVERITIES:
                raise ValueError(f"severity {severity!r}")
            affected = tuple(SpecifierSet(str(s)) for s in entry["affected"])
            if not affected:
                raise ValueError("no affected range")
            found.append(
                Advisory(
                    id=ident,
                    aliases=tuple(str(a) for a in entry.get("aliases") or ()),
                    severity=severity,
                    summary=str(entry.get("summary", "")).strip(),
                    affected=affected,
                    fixed=tuple(Version(str(v)) for v in entry.get("fixed") or ()),
                )
            )
        except (KeyError, TypeError, ValueError, InvalidSpecifier, InvalidVersion) as error:
            raise ValueError(f"{TABLE.name}: entry {ident} is malformed ({error})") from error
    return tuple(found)


@cache
def advisories() -> tuple[Advisory, ...]:
    return parse(yaml.safe_load(TABLE.read_text()))


def version_of(text: Any) -> Version | None:
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def accepted_ids(accepted: Any) -> dict[str, str]:
    """litellm_accepted_advisories as id -> reason (validated by the input checks)."""
    found = {}
    for item in accepted or []:
        if isinstance(item, Mapping) and item.get("id"):
            found[str(item["id"])] = str(item.get("reason", ""))
    return found


def accepted_errors(accepted: Any, table: Iterable[Advisory] | None = None) -> list[str]:
    """What is wrong with litellm_accepted_advisories, one message per problem
    (an id that is no advisory of the table is most likely a typo)."""
    known = {i for a in (advisories() if table is None else table) for i in a.ids}
    if not isinstance(accepted, list):
        return ["litellm_accepted_advisories must be a list of {id, reason} mappings"]
    errors = []
    for index, item in enumerate(accepted):
        where = f"litellm_accepted_advisories[{index}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            errors.append(
                f"{where} must be a mapping with an id (GHSA-..., CVE-..., PYSEC-... or MAL-...) and a reason"
            )
            continue
        if item["id"] not in known:
            errors.append(f"{where}.id is not an advisory of the role's table (vars/advisories.yml)")
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            errors.append(f"{where}.reason must say why the advisory is accepted (it is shown at every run)")
    return errors


def nearest_fixed(version: Version, table: Iterable[Advisory]) -> Version | None:
    """The lowest published fixed version above version that no critical or
    high advisory affects."""
    table = tuple(table)
    candidates = sorted({v for a in table for v in a.fixed if v > version})
    for candidate in candidates:
        if not any(a.severity in BLOCKING and a.affects(candidate) for a in table):
            return candidate
    return None


def verdict(
    version: str,
    accepted: Any = (),
    refused_versions: Iterable[str] = (),
    min_version: str = "",
    table: Iterable[Advisory] | None = None,
) -> dict[str, Any]:
    """What the role does with a build of this LiteLLM version.

    refused: why it may not serve ('' when it may), in one sentence;
    accepted: the affecting advisories the operator accepted, with reasons;
    named: the medium and low advisories that affect it (shown, not refused);
    ids: every id of every affecting advisory."""
    table = advisories() if table is None else tuple(table)
    parsed = version_of(version)
    if parsed is None:
        return {
            "refused": f"its version {version!r} is not a PEP 440 version, so no advisory can be checked",
            "accepted": [],
            "named": [],
            "ids": [],
        }
    reasons = accepted_ids(accepted)
    hits = [a for a in table if a.affects(parsed)]
    taken = [a for a in hits if set(a.ids) & set(reasons)]
    blocking = [a for a in hits if a.severity in BLOCKING and a not in taken]
    refused = ""
    if any(parsed == version_of(r) for r in refused_versions):
        refused = f"it is listed in litellm_refused_versions ({', '.join(str(r) for r in refused_versions)})"
    elif min_version and version_of(min_version) is not None and parsed < Version(min_version):
        refused = f"it is older than litellm_min_version {min_version}"
    elif blocking:
        fixed = nearest_fixed(parsed, table)
        refused = (
            "published advisories affect it: "
            + "; ".join(a.label() for a in blocking)
            + (f". The nearest fixed version is {fixed}" if fixed else ". No fixed version is published yet")
        )
    return {
        "refused": refused,
        "accepted": [f"{a.id} ({reasons[next(i for i in a.ids if i in reasons)]})" for a in taken],
        "named": [f"{a.id} ({a.severity})" for a in hits if a.severity not in BLOCKING and a not in taken],
        "ids": [i for a in hits for i in a.ids],
    }


def build_problem(probe: Mapping[str, Any]) -> str:
    """What the probe found that no honest build has ('' when nothing): the
    version itself is judged by verdict()."""
    dists = probe.get("dists") or []
    if len(dists) > 1:
        where = ", ".join(f"{d.get('version')} at {d.get('dist_info')}" for d in dists[:4])
        return f"it holds {len(dists)} distributions named litellm ({where}): which one runs cannot be told"
    pth = probe.get("pth") or []
    if pth:
        return "it has .pth files that run code at every Python start: " + ", ".join(
            f"{p.get('path')} ({p.get('why')})" for p in pth[:4]
        )
    return ""


def probe_version(probe: Mapping[str, Any]) -> str:
    """The litellm version the probe found ('' when none; several joined by
    "and", which no check accepts)."""
    return " and ".join(str(d.get("version", "")) for d in probe.get("dists") or [])


# --- the image this run has, and what it holds --------------------------------

# The labels the role puts on the container (vars/main.yml's _litellm_label_names):
# litellm_bedrock.image is the image id they were written for.
LABEL_NAMES = (
    "litellm_bedrock.image",
    "litellm_bedrock.version",
    "litellm_bedrock.digest",
    "litellm_bedrock.uid",
    "litellm_bedrock.gid",
)


def container_labels(build: Mapping[str, Any]) -> dict[str, str]:
    """The labels that record what the container's image holds (LABEL_NAMES),
    from _litellm_build; empty strings for what it does not know."""
    values = [build.get(key, "") for key in ("id", "version", "digest", "uid", "gid")]
    return {name: str(value) for name, value in zip(LABEL_NAMES, values, strict=True)}


def _result(value: Any) -> Mapping[str, Any]:
    """A registered result, or {} for none (undefined, skipped)."""
    return value if isinstance(value, Mapping) else {}


def image_state(
    found: Sequence[Mapping[str, Any]],
    pull_mode: str,
    pulled: Any,
    looked_up: Any,
    container: Mapping[str, Any],
    look_probe: Any,
    reference: str = "",
) -> dict[str, Any]:
    """What image.yml needs to know, from what was asked so far: found, the
    host look's images for litellm_image's reference; pulled and looked_up,
    the pull's and docker_image_info's results (None or skipped when they
    did not run); container, _litellm_observed.container; look_probe, the
    host look's probe of an image already on the host (None when none).

    pull: litellm_image_pull asks for a pull ("missing": the look did not find
    it; "always": unless `reference`, litellm_image, names a digest the look
    found, since a digest always names the same image); look_up: neither the
    pull nor the look gave the image; image: the image ({} when it is not on
    the host); labels_current: the container runs this very image and its
    labels were written for it (labels copied onto another container say
    nothing); look_probed: the host look probed this very image;
    probe_needed: the image is here and neither says what it holds."""
    pulled_image = _result(pulled).get("image") or {}
    images = list(_result(looked_up).get("images") or [])
    image = pulled_image or (found[0] if len(found) == 1 else (images[0] if images else {}))
    image_id = image.get("Id", "")
    labels = dict(container.get("labels") or {})
    labels_current = bool(
        image
        and container.get("image", "") == image_id
        and labels.get("litellm_bedrock.image", "") == image_id
        and all(name in labels for name in LABEL_NAMES)
    )
    look = _result(look_probe)
    look_probed = bool(look) and look.get("image") == image_id
    return {
        "pull": pull_mode != "never" and (len(found) != 1 or (pull_mode == "always" and "@sha256:" not in reference)),
        "look_up": not pulled_image and len(found) != 1,
        "image": dict(image),
        "labels": labels,
        "labels_current": labels_current,
        "look_probed": look_probed,
        "look_probe": dict(look),
        "probe_needed": bool(image) and not labels_current and not look_probed,
    }


def probe_output(run: Any) -> dict[str, Any]:
    """What the probe printed (its last line, JSON), {} when it failed."""
    run = _result(run)
    if run.get("rc", 1) != 0:
        return {}
    lines = (run.get("stdout") or "").splitlines()
    try:
        data = json.loads(lines[-1]) if lines and lines[-1].strip() else {}
    except ValueError:  # not the probe's answer: the image is unreadable
        return {}
    return dict(data) if isinstance(data, Mapping) else {}


def _int(value: Any) -> int:
    """As Jinja's int filter: 0 for what is not a whole number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def build(state: Mapping[str, Any], probe: Any, repository: str) -> dict[str, Any]:
    """_litellm_build, what the image holds ({} when it is not on the host,
    in check mode only): id; ref, what the container is created from, the
    very image probed (its digest in litellm_image's repository, else its
    id), so a tag that moves later changes nothing; digest; version, uid and
    gid from the container's labels when they are current, else from the
    probe's run (the host look's, or image.yml's `probe`)."""
    image = state.get("image") or {}
    if not image:
        return {}
    digests = list(image.get("RepoDigests") or [])
    if state.get("labels_current"):
        labels = state["labels"]
        version, uid, gid = (
            labels["litellm_bedrock.version"],
            labels["litellm_bedrock.uid"],
            labels["litellm_bedrock.gid"],
        )
    else:
        found = probe_output(state["look_probe"] if state.get("look_probed") else probe)
        version, uid, gid = probe_version(found), found.get("uid", 0), found.get("gid", 0)
    return {
        "id": image["Id"],
        "ref": next((d for d in digests if d.startswith(f"{repository}@")), image["Id"]),
        "digest": (digests[0] if digests else image["Id"]).rsplit("@", 1)[-1],
        "version": version,
        "uid": _int(uid),
        "gid": _int(gid),
    }


def image_problem(state: Mapping[str, Any], probe: Any, pull_mode: str, refused: str) -> dict[str, Any]:
    """The first problem with the image, for image.yml's one check: kind is
    "" (none), "not_here" (not on the host, never pulled), "denied" (its own
    user cannot read its site-packages), "unreadable" (no version found) or
    "refused" (reason: what no honest build has, else the advisories'
    verdict, `refused`). `probe` is what the probe printed, `stderr` what it
    said (for the message; the caller masks it)."""
    run = _result(state.get("look_probe") if state.get("look_probed") else probe)
    found = probe_output(run)
    answer = {"kind": "", "reason": "", "probe": found, "stderr": (run.get("stderr") or "").strip()}
    if not state.get("image"):
        return {**answer, "kind": "not_here" if pull_mode == "never" else ""}
    current = bool(state.get("labels_current"))
    if not current and not (run.get("rc", 1) == 0 and found.get("dists")):
        return {**answer, "kind": "denied" if found.get("denied") else "unreadable"}
    reason = ("" if current else build_problem(found)) or refused
    return {**answer, "kind": "refused" if reason else "", "reason": reason}


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "litellm_build_verdict": verdict,
            "litellm_accepted_errors": accepted_errors,
            "litellm_build_problem": build_problem,
            "litellm_probe_version": probe_version,
            "litellm_image_state": image_state,
            "litellm_container_labels": container_labels,
            "litellm_build": build,
            "litellm_image_problem": image_problem,
        }
