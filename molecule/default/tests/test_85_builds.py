"""Which LiteLLM build serves: on record on the container, known-bad builds
refused before any of their code runs, the older root-based layout still
served, and models Bedrock refuses found at deploy time.

The tests build on each other, in order (each starts from where the one
before left the host, to save converges); the file as a whole starts from and
ends at the role's defaults."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import (
    CONTAINER,
    IMAGE,
    PROJECT,
    REPO,
    STANDIN,
    api,
    chat,
    clear_standin,
    converge,
    converge_ok,
    inspect,
    leaked,
    report,
    run,
    snapshot,
    standin_records,
    task_status,
)
from packaging.version import Version

SUMMARY = re.compile(r"LiteLLM (\S+) \(([0-9a-f]{12})\) serving (\d+) models on (\S+); ([^\"\n]+)")


def summary(output: str) -> tuple[str, ...]:
    # The output holds Ansible's log too: the same line twice.
    found = set(SUMMARY.findall(output))
    assert len(found) == 1, "one summary line per host"
    return found.pop()


def derive(host: Any, tag: str, shell: str, changes: list[str]) -> str:
    """A build derived from the test image: `shell` runs in it as root, then
    it is committed with `changes` (Dockerfile instructions) and pushed."""
    run(host, f"docker pull -q {IMAGE}", "pulling the test image")
    run(host, "docker rm -f test-derive", "removing a leftover build container")
    run(host, f"docker run --name test-derive --user 0 --entrypoint sh {IMAGE} -c '{shell}'", "changing the image")
    # docker commit keeps the build container's own entrypoint, command and
    # user (sh, -c, 0): give the image's back first.
    restored = ['ENTRYPOINT ["/app/docker-entrypoint.sh"]', "CMD []", "USER 65532:65532"]
    flags = " ".join(f"--change '{change}'" for change in [*restored, *changes])
    run(host, f"docker commit {flags} test-derive {tag} && docker rm test-derive", "committing the build")
    run(host, f"docker push -q {tag} && docker rmi {tag}", "pushing the build")
    return tag


def metadata_dir(host: Any) -> str:
    out = run(
        host,
        f"docker run --rm --entrypoint sh {IMAGE} -c "
        "'ls -d /opt/litellm/lib/python3*/site-packages/litellm-*.dist-info'",
        "finding the dist-info",
    )
    return out.strip()


@pytest.fixture(scope="module")
def bad_build(host: Any) -> str:
    """The test image claiming to be the backdoored 1.82.8, with a .pth file
    that ends Python at once: a probe that ran it would learn no version."""
    dist = metadata_dir(host)
    site = dist.rsplit("/", 1)[0]
    shell = (
        f'sed -i "s/^Version: .*/Version: 1.82.8/" {dist}/METADATA && '
        f'echo "import os; os._exit(3)" > {site}/zz_payload.pth'
    )
    return derive(host, f"{REPO}:bad", shell, ["USER 65532:65532"])


@pytest.fixture(scope="module")
def old_build(host: Any) -> str:
    """The test image claiming to be 1.83.5: before the Host-header fix
    (GHSA-4xpc-pv4p-pm3w), with nothing else odd about it."""
    dist = metadata_dir(host)
    return derive(host, f"{REPO}:old", f'sed -i "s/^Version: .*/Version: 1.83.5/" {dist}/METADATA', [])


@pytest.fixture(scope="module")
def decoy_build(host: Any) -> str:
    """1.82.8 beside a decoy dist-info claiming 1.100.0, which sorts first as a
    string: the old probe checked the decoy."""
    dist = metadata_dir(host)
    site = dist.rsplit("/", 1)[0]
    shell = (
        f'sed -i "s/^Version: .*/Version: 1.82.8/" {dist}/METADATA && '
        f"cp -r {dist} {site}/litellm-1.100.0.dist-info && "
        f'sed -i "s/^Version: .*/Version: 1.100.0/" {site}/litellm-1.100.0.dist-info/METADATA'
    )
    return derive(host, f"{REPO}:decoy", shell, [])


def affecting(version: str) -> list[str]:
    """The ids of the table's critical and high advisories that affect version."""
    sys.path.insert(0, str(PROJECT / "filter_plugins"))
    import litellm_builds

    found = Version(version)
    return [a.id for a in litellm_builds.advisories() if a.severity in ("critical", "high") and a.affects(found)]


@pytest.fixture(scope="module")
def root_build(host: Any) -> str:
    """The older official layout: root, /app/docker/prod_entrypoint.sh, a CMD."""
    return derive(
        host,
        f"{REPO}:root-layout",
        "chown -R 0:0 /app /var/lib/litellm",
        [
            "USER root",
            "ENV LITELLM_NON_ROOT=",
            'ENTRYPOINT ["/app/docker/prod_entrypoint.sh"]',
            'CMD ["--port", "4000"]',
        ],
    )


def test_the_container_records_its_build(host: Any, secrets: dict[str, str], models: list[dict[str, str]]) -> None:
    result = converge_ok(secrets)
    labels = inspect(host)["Config"]["Labels"]
    openapi = api(host, "GET", "/openapi.json").json()
    assert labels["litellm_bedrock.version"] == openapi["info"]["version"]
    image = json.loads(run(host, f"docker image inspect {IMAGE}", "image inspect"))[0]
    assert labels["litellm_bedrock.digest"] == image["RepoDigests"][0].split("@")[1]
    ids = run(host, f"docker exec {CONTAINER} sh -c 'id -u; id -g'", "id").split()
    assert [labels["litellm_bedrock.uid"], labels["litellm_bedrock.gid"]] == ids == ["65532", "65532"]
    version, digest, count, address, changed = summary(result.output)
    assert (version, digest) == (openapi["info"]["version"], labels["litellm_bedrock.digest"][7:19])
    assert (int(count), address) == (len(models), "0.0.0.0:4000")
    assert changed == "nothing changed"
    # Same image as the running container: its labels are read, the image is not probed again.
    assert task_status(
        result.output, "Read the LiteLLM version and user out of the image, without running LiteLLM"
    ) == ("skipping")


def test_an_image_already_on_the_host_is_read_by_the_host_look(host: Any, secrets: dict[str, str]) -> None:
    # No container, the image on the host: a first deploy of a loaded image
    # (the default pull, litellm_image_pull always, finds the same image).
    run(host, f"docker rm -f {CONTAINER}", "removing the container")
    since = run(host, "date +%s.%N", "the clock").strip()
    result = converge_ok(secrets)
    assert summary(result.output)[4] == "first deploy"
    # Preflight's look probed it and the pull kept it: image.yml's own probe did not run.
    assert task_status(
        result.output, "Read the LiteLLM version and user out of the image, without running LiteLLM"
    ) == ("skipping")
    created = run(
        host,
        f"docker events --since {since} --until $(date +%s.%N) --filter type=container --filter event=create "
        "--format '{{.Actor.Attributes.name}}'",
        "docker events",
    ).split()
    assert len(created) == 2 and created[-1] == CONTAINER, created  # the probe (thrown away), then the proxy
    labels = inspect(host)["Config"]["Labels"]
    assert labels["litellm_bedrock.version"] == api(host, "GET", "/openapi.json").json()["info"]["version"]
    assert [labels["litellm_bedrock.uid"], labels["litellm_bedrock.gid"]] == ["65532", "65532"]


def refused(host: Any, extra: dict[str, Any]) -> str:
    """The output of a converge that must fail and change nothing on the host."""
    before = snapshot(host)
    result = converge(extra)
    assert result.failed
    assert snapshot(host) == before
    return result.output


def test_a_backdoored_build_is_refused_and_the_proxy_keeps_serving(host: Any, bad_build: str) -> None:
    output = refused(host, {"litellm_image": bad_build})
    assert "holds LiteLLM 1.82.8, which the role refuses: it has .pth files that run code at every Python start" in (
        output
    )
    assert "zz_payload.pth (runs code at every Python start)" in output
    assert api(host, "GET", "/v1/models").status == 200
    report("build", "image holds a backdoored LiteLLM (1.82.8, .pth payload)", "refused before any of its code ran")


def test_a_decoy_dist_info_beside_the_real_one_is_refused(host: Any, decoy_build: str) -> None:
    output = refused(host, {"litellm_image": decoy_build})
    assert "which the role refuses: it holds 2 distributions named litellm (" in output
    report("build", "1.82.8 beside a decoy dist-info claiming 1.100.0", "refused: two distributions named litellm")


def test_a_build_an_advisory_affects_is_refused_naming_it_and_the_nearest_fix(host: Any, old_build: str) -> None:
    output = refused(host, {"litellm_image": old_build})
    assert "holds LiteLLM 1.83.5, which the role refuses: published advisories affect it: " in output
    assert "GHSA-4xpc-pv4p-pm3w (CVE-2026-49468, PYSEC-2026-388), critical" in output
    assert re.search(r"The nearest fixed version is \d+\.\d+\.\d+", output)
    assert api(host, "GET", "/v1/models").status == 200
    report("build", "a build critical advisories affect (1.83.5)", "refused, naming them and the nearest fix")


def test_refused_versions_are_compared_as_pep_440_versions(host: Any, secrets: dict[str, str]) -> None:
    # The serving build (its labels say 1.108.7) written as 1.108.7.0.
    version = inspect(host)["Config"]["Labels"]["litellm_bedrock.version"]
    output = refused(host, {"litellm_refused_versions": [f"{version}.0"]})
    assert f"holds LiteLLM {version}, which the role refuses: it is listed in litellm_refused_versions" in output
    assert "keeps serving with its current image" in output


def test_an_accepted_advisory_serves_and_every_run_names_it(host: Any, secrets: dict[str, str], old_build: str) -> None:
    accepted = [{"id": ident, "reason": "TEST-ONLY: the stand-in is the only client"} for ident in affecting("1.83.5")]
    assert "GHSA-4xpc-pv4p-pm3w" in [a["id"] for a in accepted]
    result = converge_ok(secrets, {"litellm_image": old_build, "litellm_accepted_advisories": accepted})
    assert inspect(host)["Config"]["Labels"]["litellm_bedrock.version"] == "1.83.5"
    assert api(host, "GET", "/v1/models").status == 200
    assert "Advisories affecting LiteLLM 1.83.5: accepted by litellm_accepted_advisories: " in result.output
    assert "GHSA-4xpc-pv4p-pm3w (TEST-ONLY: the stand-in is the only client)" in result.output
    # A later run on the same build: nothing changes, the line is said again.
    again = converge_ok(secrets, {"litellm_image": old_build, "litellm_accepted_advisories": accepted})
    assert again.changed == 0
    assert "GHSA-4xpc-pv4p-pm3w (TEST-ONLY: the stand-in is the only client)" in again.output
    report("build", "an affected build with its advisories accepted", "serves; every run names them")


def test_a_build_its_own_user_cannot_read_is_named_so(host: Any) -> None:
    # A build made under umask 077: its venv is root's alone, so the image's
    # user finds no LiteLLM. The message says why, not "no dist-info".
    unreadable = derive(host, f"{REPO}:umask-077", "chmod 0700 /opt/litellm", [])
    output = refused(host, {"litellm_image": unreadable})
    assert "cannot be read by its own user (uid 65532, gid 65532): permission denied on /opt/litellm." in output
    assert "no litellm distribution in" not in output
    assert api(host, "GET", "/v1/models").status == 200
    report("build", "image its own user cannot read (built under umask 077)", "refused, naming the user and path")


def test_a_first_deploy_of_a_refused_build_starts_nothing(host: Any, bad_build: str) -> None:
    run(host, f"docker rm -f {CONTAINER}", "removing the proxy")
    result = converge({"litellm_image": bad_build})
    assert result.failed
    assert "no proxy was started" in result.output
    names = run(host, "docker ps -a --format '{{.Names}}'", "docker ps").split()
    assert [n for n in names if n.startswith(CONTAINER)] == []


def test_the_older_root_layout_serves(host: Any, secrets: dict[str, str], root_build: str) -> None:
    result = converge_ok(secrets, {"litellm_image": root_build})
    data = inspect(host)
    assert data["Config"]["User"] == "root"
    assert data["Config"]["Labels"]["litellm_bedrock.uid"] == "0"
    assert run(host, f"docker exec {CONTAINER} id -u", "id").strip() == "0"
    body = chat("claude-sonnet-4", "root layout")
    response = api(host, "POST", "/v1/chat/completions", body=body)
    assert response.status == 200
    assert "Hello from the Bedrock stand-in" in response.json()["choices"][0]["message"]["content"]
    assert summary(result.output)[4] == "first deploy"  # the test before removed the proxy
    report("build", "older root-based layout (prod_entrypoint.sh, CMD)", "deployed, chat completion 200")


def test_a_named_user_is_resolved_through_the_image(host: Any, secrets: dict[str, str]) -> None:
    named = derive(host, f"{REPO}:named-user", "true", ["USER nonroot"])
    converge_ok(secrets, {"litellm_image": named})
    data = inspect(host)
    assert data["Config"]["User"] == "nonroot"
    # The uid and gid of "nonroot" in the image's own /etc/passwd.
    assert (data["Config"]["Labels"]["litellm_bedrock.uid"], data["Config"]["Labels"]["litellm_bedrock.gid"]) == (
        "65532",
        "65532",
    )
    assert api(host, "GET", "/v1/models").status == 200


def refuse(host: Any, models: list[str]) -> None:
    run(host, f"curl -sSf -m 5 -X PUT --data '{json.dumps(models)}' {STANDIN}/_standin/refused", "refusing models")


@pytest.fixture
def retired(host: Any) -> Iterator[str]:
    """Bedrock refuses one of the default profiles, as it does a retired one."""
    model = "us.anthropic.claude-sonnet-4-20250514-v1:0"
    refuse(host, [model])
    yield model
    refuse(host, [])


def test_a_model_bedrock_refuses_stops_the_canary(
    host: Any, secrets: dict[str, str], models: list[dict[str, str]], retired: str
) -> None:
    before = snapshot(host)
    # A config change, so that a canary runs.
    result = converge({"litellm_verify_models": True, "litellm_router_settings": {"num_retries": 1}})
    assert result.failed
    assert leaked(result.output, secrets) == []
    aliases = [m["name"] for m in models if m["model"] == retired]
    assert f"Bedrock refused {', '.join(aliases)} in LiteLLM's /health" in result.output
    assert "The provided model identifier is invalid." in result.output
    assert snapshot(host) == before
    report("models", "Bedrock refuses one profile (ValidationException), canary", "refused, live proxy untouched")


def test_a_first_deploy_whose_model_bedrock_refuses_is_stopped(
    host: Any, secrets: dict[str, str], retired: str
) -> None:
    run(host, f"docker rm -f {CONTAINER}", "removing the proxy")
    result = converge({"litellm_verify_models": True})
    assert result.failed
    assert "The provided model identifier is invalid." in result.output
    assert "The new proxy was stopped." in result.output
    assert inspect(host)["State"]["Running"] is False


def test_every_model_is_asked_once_when_bedrock_accepts_them(
    host: Any, secrets: dict[str, str], models: list[dict[str, str]]
) -> None:
    # The proxy the test before stopped is started again, and asked first.
    assert not inspect(host)["State"]["Running"]
    clear_standin(host)
    converge_ok(secrets, {"litellm_verify_models": True})
    records = standin_records(host)
    assert sorted(r["model"] for r in records) == sorted(m["model"] for m in models)
    assert inspect(host)["State"]["Running"]
