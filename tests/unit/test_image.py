"""filter_plugins/litellm_builds.py: which image the run has and how it learns
what the image holds (image_state), what it holds (build), and the first
problem with it (image_problem), from results as Docker and the probe give them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "filter_plugins"))
import litellm_builds as builds  # noqa: E402 - found through the path above

REPO = "ghcr.io/berriai/litellm"
IMAGE = {"Id": "sha256:new", "RepoDigests": [f"{REPO}@sha256:d1"]}
OLD = {"Id": "sha256:old", "RepoDigests": [f"{REPO}@sha256:d0"]}
LABELS = {
    "litellm_bedrock.image": "sha256:new",
    "litellm_bedrock.version": "1.108.7",
    "litellm_bedrock.digest": "sha256:d1",
    "litellm_bedrock.uid": "65532",
    "litellm_bedrock.gid": "65532",
}
RUNS_IT = {"image": "sha256:new", "labels": LABELS}
PROBE_OK = {"dists": [{"version": "1.110.2", "dist_info": "/x"}], "pth": [], "uid": 65532, "gid": 65532}


def probe_run(found: dict[str, Any] | None = None, rc: int = 0, stderr: str = "", image: str = "") -> dict[str, Any]:
    run = {"rc": rc, "stdout": "noise\n" + json.dumps(found or PROBE_OK), "stderr": stderr}
    return {**run, "image": image} if image else run


def state(
    found: list[dict[str, Any]] | None = None,
    pull: str = "missing",
    pulled: Any = None,
    looked_up: Any = None,
    container: dict[str, Any] | None = None,
    look: Any = None,
    reference: str = "",
) -> dict[str, Any]:
    found = found if found is not None else [IMAGE]
    return builds.image_state(found, pull, pulled, looked_up, container or {}, look, reference)


NEW, NONE = "sha256:new", ""
COPIED = {"image": NEW, "labels": {**LABELS, "litellm_bedrock.image": "sha256:old"}}
PARTIAL = {"image": NEW, "labels": {k: v for k, v in LABELS.items() if k != "litellm_bedrock.uid"}}
# (case, state) -> (pull, look_up, image id, labels_current, look_probed, probe_needed)
STATES = [
    ("the container runs it with its labels", state(container=RUNS_IT), (False, False, NEW, True, False, False)),
    ("pull always", state(pull="always", container=RUNS_IT), (True, False, NEW, True, False, False)),
    ("never pulled", state(pull="never", container=RUNS_IT), (False, False, NEW, True, False, False)),
    (
        "pull always, a digest already here: the same image, no pull",
        state(pull="always", container=RUNS_IT, reference=f"{REPO}@sha256:d1"),
        (False, False, NEW, True, False, False),
    ),
    (
        "pull always, a digest not here",
        state(found=[], pull="always", reference=f"{REPO}@sha256:d1"),
        (True, True, NONE, False, False, False),
    ),
    (
        "pull always, a tag here: it may have moved",
        state(pull="always", container=RUNS_IT, reference=f"{REPO}:main-stable"),
        (True, False, NEW, True, False, False),
    ),
    ("no container", state(), (False, False, NEW, False, False, True)),
    ("the look probed it", state(look=probe_run(image=NEW)), (False, False, NEW, False, True, False)),
    (
        "the look probed another image",
        state(look=probe_run(image="sha256:old")),
        (False, False, NEW, False, False, True),
    ),
    (
        "another image runs",
        state(container={**RUNS_IT, "image": "sha256:old"}),
        (False, False, NEW, False, False, True),
    ),
    ("labels copied onto another image's container", state(container=COPIED), (False, False, NEW, False, False, True)),
    ("a label missing", state(container=PARTIAL), (False, False, NEW, False, False, True)),
    (
        "not here, pulled",
        state(found=[], pulled={"changed": True, "image": IMAGE}),
        (True, False, NEW, False, False, True),
    ),
    ("not here, never: looked up", state(found=[], pull="never"), (False, True, NONE, False, False, False)),
    (
        "unmatched reference: looked up",
        state(found=[], looked_up={"images": [IMAGE]}),
        (True, True, NEW, False, False, True),
    ),
    (
        "a pull that moved the tag wins",
        state(found=[OLD], pull="always", pulled={"image": IMAGE}),
        (True, False, NEW, False, False, True),
    ),
    ("a skipped pull counts for nothing", state(pulled={"skipped": True}), (False, False, NEW, False, False, True)),
]


@pytest.mark.parametrize(("case", "got", "want"), STATES, ids=[s[0] for s in STATES])
def test_the_image_state(case: str, got: dict[str, Any], want: tuple) -> None:
    flags = (got["labels_current"], got["look_probed"], got["probe_needed"])
    assert (got["pull"], got["look_up"], got["image"].get("Id", NONE), *flags) == want


def test_a_build_from_current_labels_needs_no_probe() -> None:
    assert builds.build(state(container=RUNS_IT), None, REPO) == {
        "id": "sha256:new",
        "ref": f"{REPO}@sha256:d1",
        "digest": "sha256:d1",
        "version": "1.108.7",
        "uid": 65532,
        "gid": 65532,
    }


@pytest.mark.parametrize("where", ["image.yml's probe", "the host look's probe"])
def test_a_build_from_a_probe(where: str) -> None:
    if where == "image.yml's probe":
        got = builds.build(state(), probe_run(), REPO)
    else:
        got = builds.build(state(look=probe_run(image="sha256:new")), None, REPO)
    assert (got["version"], got["uid"], got["gid"]) == ("1.110.2", 65532, 65532)


def test_the_ref_is_the_digest_in_litellm_images_repository_else_the_id() -> None:
    mirrored = {"Id": "sha256:new", "RepoDigests": ["mirror.example/litellm@sha256:d9", f"{REPO}@sha256:d1"]}
    got = builds.build(state(found=[mirrored]), probe_run(), REPO)
    assert (got["ref"], got["digest"]) == (f"{REPO}@sha256:d1", "sha256:d9")
    loaded = builds.build(state(found=[{"Id": "sha256:new", "RepoDigests": None}]), probe_run(), REPO)
    assert (loaded["ref"], loaded["digest"]) == ("sha256:new", "sha256:new")


def test_no_image_no_build_and_a_failed_probe_no_version() -> None:
    assert builds.build(state(found=[], pull="never"), None, REPO) == {}
    failed = builds.build(state(), probe_run(rc=125, stderr="no such user"), REPO)
    assert (failed["version"], failed["uid"], failed["gid"]) == ("", 0, 0)


@pytest.mark.parametrize(
    ("case", "image_state", "pull", "probe", "refused", "kind"),
    [
        ("nothing wrong", state(), "missing", probe_run(), "", ""),
        ("current labels need no probe", state(container=RUNS_IT), "missing", None, "", ""),
        ("not on the host, never pulled", state(found=[], pull="never"), "never", None, "", "not_here"),
        ("not on the host in check mode", state(found=[]), "missing", None, "", ""),
        ("the probe failed", state(), "missing", probe_run(rc=1, stderr="boom"), "", "unreadable"),
        ("no litellm in it", state(), "missing", probe_run({"dists": [], "interpreter": ""}), "", "unreadable"),
        ("not JSON", state(), "missing", {"rc": 0, "stdout": "not json", "stderr": ""}, "", "unreadable"),
        ("its user cannot read it", state(), "missing", probe_run({"dists": [], "denied": ["/opt"]}), "", "denied"),
        ("an advisory refuses it", state(), "missing", probe_run(), "GHSA-x (critical)", "refused"),
        ("two litellm distributions", state(), "missing", probe_run({**PROBE_OK, "dists": [{}, {}]}), "", "refused"),
        ("current labels, refused version", state(container=RUNS_IT), "missing", None, "GHSA-x", "refused"),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v else None,
)
def test_the_first_problem(case: str, image_state: dict, pull: str, probe: Any, refused: str, kind: str) -> None:
    assert builds.image_problem(image_state, probe, pull, refused)["kind"] == kind


def test_a_refusal_names_what_no_honest_build_has_before_the_advisories() -> None:
    odd = probe_run({**PROBE_OK, "pth": [{"path": "/x/litellm_init.pth", "why": "runs code"}]})
    got = builds.image_problem(state(), odd, "missing", "GHSA-x (critical)")
    assert got["reason"].startswith("it has .pth files that run code")


def test_the_label_names_are_vars_mains() -> None:
    constants = yaml.safe_load((ROOT / "vars" / "main.yml").read_text())
    assert constants["_litellm_label_names"] == list(builds.LABEL_NAMES)


def test_the_labels_record_the_build_as_strings() -> None:
    build = builds.build(state(container=RUNS_IT), None, REPO)
    assert builds.container_labels(build) == LABELS
    assert builds.container_labels({}) == dict.fromkeys(builds.LABEL_NAMES, "")
