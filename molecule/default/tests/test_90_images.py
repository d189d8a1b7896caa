"""Images: a moving tag updates on purpose, a digest pins, old builds are pruned,
and an air-gapped host runs an image it loaded itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import (
    IMAGE,
    REPO,
    api,
    converge_ok,
    docker_events,
    inspect,
    liveliness,
    now,
    registry_stopped,
    report,
    run,
    task_status,
)

LOADED = "litellm-airgap/litellm:loaded"


def image_id(host: Any, ref: str) -> str:
    return run(host, f"docker image inspect --format '{{{{.Id}}}}' {ref}", f"inspecting {ref}").strip()


def image_exists(host: Any, ref: str) -> bool:
    return host.run(f"docker image inspect {ref}").rc == 0


def publish_new_build(host: Any, label: str) -> None:
    """Push a new build under the same tag, as upstream does with main-stable:
    the registry moves on, the host keeps its copy of the old build. BuildKit,
    because the classic builder records the old build as the new one's parent,
    which Docker then never deletes (pulled images have no parent)."""
    old = image_id(host, IMAGE)
    run(
        host,
        f"printf 'FROM {IMAGE}\\nLABEL test.build={label}\\n' "
        f"| DOCKER_BUILDKIT=1 docker build -q -t test-build:{label} - "
        f"&& docker tag test-build:{label} {IMAGE} && docker push -q {IMAGE} "
        f"&& docker tag {old} {IMAGE} && docker rmi test-build:{label}",
        f"publishing build {label}",
    )
    assert image_id(host, IMAGE) == old


def test_a_moving_tag_updates_once_and_a_digest_pins(host: Any, secrets: dict[str, str]) -> None:
    """One story, as a registry's moving tag lives it: it moves, it does not,
    it moves again (the oldest build is pruned, the previous kept for a
    rollback), and a digest pins one build."""
    first = inspect(host)["Image"]
    publish_new_build(host, "second")
    since = now(host)
    result = converge_ok(secrets)
    second = inspect(host)["Image"]
    assert second != first
    assert image_id(host, IMAGE) == second
    assert docker_events(host, since, "start") == 1
    assert result.changed > 0
    assert task_status(result.output, "Pull the LiteLLM image") == "changed"
    assert api(host, "GET", "/v1/models").status == 200
    report("update", "moving tag pointed to a new build", "pulled, container recreated once")

    before = inspect(host)
    result = converge_ok(secrets)
    after = inspect(host)
    assert result.changed == 0
    assert (after["Id"], after["State"]["StartedAt"]) == (before["Id"], before["State"]["StartedAt"])

    publish_new_build(host, "third")
    converge_ok(secrets)
    third = inspect(host)["Image"]
    assert third not in (first, second)
    assert image_exists(host, third)
    assert image_exists(host, second)  # what a rollback would return to
    assert not image_exists(host, first)
    report("update", "third build of the same tag", "oldest build pruned, previous kept for rollback")

    digests = run(host, f"docker image inspect --format '{{{{json .RepoDigests}}}}' {second}", "digests")
    digest = next(d for d in digests.strip().strip("[]").replace('"', "").split(",") if d.startswith(REPO + "@"))
    converge_ok(secrets, {"litellm_image": digest})
    assert inspect(host)["Image"] == second
    assert inspect(host)["Config"]["Image"] == digest
    assert liveliness(host)
    again = converge_ok(secrets, {"litellm_image": digest})
    assert again.changed == 0


@pytest.fixture
def registry_down(host: Any) -> Iterator[None]:
    with registry_stopped(host):
        yield


def test_pull_never_runs_an_image_the_host_loaded_itself(
    host: Any, secrets: dict[str, str], registry_down: None
) -> None:
    running = inspect(host)["Image"]
    assert host.run("curl -s -m 5 http://127.0.0.1:5000/v2/").rc != 0  # no registry in reach
    run(
        host,
        f"docker tag {running} {LOADED} && docker save -o /root/litellm.tar {LOADED} "
        f"&& docker rmi {LOADED} && docker load -i /root/litellm.tar && rm /root/litellm.tar",
        "docker save / docker load",
    )
    converge_ok(secrets, {"litellm_image": LOADED, "litellm_image_pull": "never"})
    # A loaded image has no registry digest: the container is created from its id.
    assert inspect(host)["Config"]["Image"] == running
    assert liveliness(host)
    report("update", "litellm_image_pull never, registry down, image loaded with docker load", "deployed and serving")
