"""The role on LiteLLM's newest release installable here, beside the LTS line
the rest of the suite runs on (tests/images/files/litellm-newest.txt; prepare
pushes its image as REPO:newest).

`main-stable` moves every week: a release that renamed a health endpoint, a
CLI flag or the dist-info the probe reads would break every user of it. The
tests build on each other, in order: the newest replaces the serving LTS proxy
(through the canary), then a models change goes through the canary again; the
file ends back at the defaults (the LTS image)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from conftest import (
    PROJECT,
    REPO,
    api,
    chat,
    converge_ok,
    docker_events,
    inspect,
    now,
    report,
    run,
    task_status,
    wait_for,
)

NEWEST = f"{REPO}:newest"
CANARY = "Run the LiteLLM container (canary)"


def newest_version() -> str:
    """The version tests/images/build.sh installs for the newest line."""
    text = (PROJECT / "tests" / "images" / "files" / "litellm-newest.txt").read_text()
    return re.search(r"^litellm==(\S+)$", text, re.M).group(1)


def health(host: Any) -> str:
    return inspect(host)["State"].get("Health", {}).get("Status", "")


def test_the_newest_release_replaces_the_lts_proxy_through_the_canary(
    host: Any, secrets: dict[str, str], models: list[dict[str, str]]
) -> None:
    before = inspect(host)["Config"]["Labels"]["litellm_bedrock.version"]
    assert before != newest_version(), "the suite's own image is the LTS line"
    start = time.monotonic()
    result = converge_ok(secrets, {"litellm_image": NEWEST})
    seconds = time.monotonic() - start
    # A serving proxy is replaced only after a canary of the new build served.
    assert task_status(result.output, CANARY) == "changed"
    # The probe read the new build's version and user, and the labels say so.
    labels = inspect(host)["Config"]["Labels"]
    openapi = api(host, "GET", "/openapi.json").json()
    assert labels["litellm_bedrock.version"] == openapi["info"]["version"] == newest_version()
    image = json.loads(run(host, f"docker image inspect {NEWEST}", "image inspect"))[0]
    assert labels["litellm_bedrock.digest"] == image["RepoDigests"][0].split("@")[1]
    assert labels["litellm_bedrock.image"] == image["Id"] == inspect(host)["Image"]
    assert [labels["litellm_bedrock.uid"], labels["litellm_bedrock.gid"]] == ["65532", "65532"]
    assert f"LiteLLM {newest_version()} (" in result.output  # the closing line
    # The health wait ran on it, and Docker's own health check passes too.
    assert task_status(result.output, "Wait for /health/readiness to answer 200 (the proxy)") == "ok"
    wait_for(lambda: health(host) == "healthy", 90, "Docker's health check on the newest release")
    # It serves a completion through Bedrock (the stand-in).
    response = api(host, "POST", "/v1/chat/completions", body=chat(models[0]["name"]))
    assert response.status == 200
    report("update", f"LTS {before} to the newest release {newest_version()}", "canary, then serving", seconds)


def test_a_models_change_on_the_newest_goes_through_the_canary(
    host: Any, secrets: dict[str, str], models: list[dict[str, str]]
) -> None:
    extra = {**models[0], "name": "newest-extra"}
    since = now(host)
    before = inspect(host)["Id"]
    result = converge_ok(secrets, {"litellm_image": NEWEST, "litellm_models": [*models, extra]})
    assert task_status(result.output, CANARY) == "changed"
    assert inspect(host)["Id"] == before  # restarted, not recreated
    assert docker_events(host, since, "start") == 1
    served = [m["id"] for m in api(host, "GET", "/v1/models").json()["data"]]
    assert "newest-extra" in served
    assert inspect(host)["Config"]["Labels"]["litellm_bedrock.version"] == newest_version()
    assert api(host, "POST", "/v1/chat/completions", body=chat("newest-extra")).status == 200
    report("models", f"models change on {newest_version()}", "canary, one restart, new alias served")
