"""filter_plugins/litellm_compare.py: the plan's comparison of the container
with its definition (filter_plugins/litellm_plan.py: container), on what the
host look (library/litellm_host_state.py: inspected) makes of what Docker
Engine 20.10 answered for a container the role made (tests/unit/fixtures/docker:
the test host's `docker inspect`, its secrets replaced by test values)."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.community.docker.plugins.module_utils._api.utils.utils import parse_env_file
from test_container import settings

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "library"))
sys.path.insert(0, str(ROOT / "filter_plugins"))
import litellm_compare as compare  # noqa: E402 - found through the path above
import litellm_host_state as state  # noqa: E402
import litellm_plan as planner  # noqa: E402

FIXTURES = ROOT / "tests" / "unit" / "fixtures" / "docker"
CONTAINER = json.loads((FIXTURES / "container.json").read_text())
IMAGE = json.loads((FIXTURES / "image.json").read_text())
IMAGE_ENV = {entry.split("=", 1)[0] for entry in IMAGE["Config"]["Env"]}
# The env file the container was made from: the role's header, then its own variables.
ENV_FILE = "# Ansible managed\n# The LiteLLM container's whole environment.\n" + "".join(
    f"{entry}\n" for entry in CONTAINER["Config"]["Env"] if entry.split("=", 1)[0] not in IMAGE_ENV
)
CA = [{"name": "ca-bundle.pem", "target": "/app/ca-bundle.pem"}]


def definition(**over: Any) -> dict[str, Any]:
    """The planner's definition of the container the fixture shows."""
    given = {
        "image": CONTAINER["Image"],
        "port": 4001,
        "workers": 1,
        "memory": "512m",
        "files": ["config.yaml", "litellm.env", "ca-bundle.pem"],
        "extra": CA,
        "labels": CONTAINER["Config"]["Labels"],
        **over,
    }
    return planner.container(settings(**given), "plan")


def container(**host: Any) -> dict[str, Any]:
    found = copy.deepcopy(CONTAINER)
    found["HostConfig"].update(host)
    return found


def look(found: dict[str, Any] | None = None, image: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the host look returns of the container and its image."""
    return state.inspected(found or CONTAINER, image or IMAGE)


def differences(wanted: dict[str, Any], found: dict[str, Any] | None = None, env: str = ENV_FILE) -> list[str]:
    return compare.differences(wanted, CONTAINER["Image"], look(found), env)


def test_the_look_holds_no_value_of_the_environment() -> None:
    text = json.dumps(look())
    secrets = ("LITELLM_MASTER_KEY", "LITELLM_SALT_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    for key, value in (entry.split("=", 1) for entry in CONTAINER["Config"]["Env"]):
        assert key not in secrets or value not in text, key
    assert "Env" not in look()["Config"]
    assert len(look()["Config"]["EnvDigests"]) == len(CONTAINER["Config"]["Env"])


def test_the_digests_are_keyed_with_the_container_id() -> None:
    other = {**CONTAINER, "Id": "0" * 64}
    assert look(other)["Config"]["EnvDigests"] != look()["Config"]["EnvDigests"]
    # ... as the controller computes them for the environment it wants
    wanted = dict(entry.split("=", 1) for entry in CONTAINER["Config"]["Env"])
    assert compare.env_digests(CONTAINER["Id"], wanted) == look()["Config"]["EnvDigests"]


def test_the_container_the_role_made_is_its_definition() -> None:
    assert differences(definition()) == []


# (case, the definition's settings) -> what differs
CHANGES = [
    ("another worker count", {"workers": 2}, ["command"]),
    ("another port", {"port": 4000}, ["published_ports"]),
    ("another bind address", {"bind_host": "127.0.0.1"}, ["published_ports"]),
    ("an IPv6 bind address", {"bind_host": "[::1]"}, ["published_ports"]),
    ("no CA bundle", {"files": ["config.yaml", "litellm.env"], "extra": []}, ["mounts"]),
    ("another memory limit", {"memory": "1g"}, ["memory"]),
    ("another restart policy", {"restart_policy": "always"}, ["restart_policy"]),
    ("another stop timeout", {"stop_timeout": 60}, ["stop_timeout"]),
    ("another health check interval", {"healthcheck_interval": "1m"}, ["healthcheck"]),
    ("more log files", {"log_max_file": 5}, ["log_options"]),
    ("another security option", {"security_opts": ["apparmor=unconfined"]}, ["security_opts"]),
    ("read-only", {"read_only": True}, ["read_only", "tmpfs"]),
    ("a new build's labels", {"labels": {**CONTAINER["Config"]["Labels"], "litellm_bedrock.version": "1.110.2"}},
     ["labels"]),
    (
        "TLS",
        {"files": ["config.yaml", "litellm.env", "tls.crt", "tls.key"],
         "extra": [{"name": "tls.crt", "target": "/app/tls/tls.crt"},
                   {"name": "tls.key", "target": "/app/tls/tls.key"}]},
        ["command", "mounts", "healthcheck"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("case", "over", "want"), CHANGES, ids=[c[0] for c in CHANGES])
def test_each_change_of_the_definition_differs(case: str, over: dict[str, Any], want: list[str]) -> None:
    assert differences(definition(**over)) == want


@pytest.mark.parametrize(
    ("case", "host", "want"),
    [
        ("memory", {"Memory": 1024**3}, ["memory"]),
        ("restart policy", {"RestartPolicy": {"Name": "no", "MaximumRetryCount": 0}}, ["restart_policy"]),
        # What the role does not set is not compared (as docker_container does).
        ("CPU shares", {"CpuShares": 512}, []),
    ],
)
def test_a_hand_docker_update_is_noticed(case: str, host: dict[str, Any], want: list[str]) -> None:
    assert differences(definition(), container(**host)) == want


@pytest.mark.parametrize(
    ("case", "env", "differs"),
    [
        ("a value changed", ENV_FILE.replace("LITELLM_LOG=INFO", "LITELLM_LOG=DEBUG"), True),
        ("a variable removed", ENV_FILE.replace("JSON_LOGS=True\n", ""), True),
        ("a variable added", ENV_FILE + "NEW=1\n", True),
        ("only comments differ", ENV_FILE.replace("# Ansible managed", "# Another header"), False),
        ("the image's value given again", ENV_FILE + "HOME=/app\n", False),
        ("the image's value overridden", ENV_FILE + "HOME=/tmp\n", True),
    ],
)
def test_the_environment_is_compared_strictly_over_the_images(case: str, env: str, differs: bool) -> None:
    assert "LITELLM_LOG=INFO" in ENV_FILE and "JSON_LOGS=True\n" in ENV_FILE
    assert differences(definition(), env=env) == (["env"] if differs else [])


def test_another_image_differs() -> None:
    # The image the plan's build is (its id), not the reference the container was made from.
    other = "sha256:" + "0" * 64
    assert compare.differences(definition(), other, look(), ENV_FILE) == ["image"]


def test_a_canary_definition_differs_from_the_live_container() -> None:
    canary = planner.container(settings(image=CONTAINER["Image"], port=4001, workers=1, extra=CA,
                                        files=["config.yaml", "litellm.env", "ca-bundle.pem"],
                                        labels=CONTAINER["Config"]["Labels"]), "canary")  # fmt: skip
    assert differences(canary) == ["env", "published_ports", "memory", "restart_policy"]


def test_image_labels_are_expected_on_the_container() -> None:
    image = {**IMAGE, "Config": {**IMAGE["Config"], "Labels": {"org.opencontainers.image.version": "1"}}}
    found = copy.deepcopy(CONTAINER)
    found["Config"]["Labels"]["org.opencontainers.image.version"] = "1"
    assert compare.differences(definition(), CONTAINER["Image"], look(found, image), ENV_FILE) == []
    assert compare.differences(definition(), CONTAINER["Image"], look(CONTAINER, image), ENV_FILE) == ["labels"]


SUMMARY = {"id": CONTAINER["Id"], "running": True}


def test_the_plans_comparison() -> None:
    docker = {"can_talk_to_docker": True, "inspect": look()}
    image = CONTAINER["Image"]
    assert compare.comparison(definition(), image, SUMMARY, docker, ENV_FILE) == {"differs": False, "fields": []}
    assert compare.comparison(definition(workers=2), image, SUMMARY, docker, ENV_FILE) == {
        "differs": True,
        "fields": ["command"],
    }
    # Nothing to compare: no container, or no image known (check mode before a pull).
    assert compare.comparison(definition(), image, {}, docker, ENV_FILE) is None
    assert compare.comparison(definition(), "", SUMMARY, docker, ENV_FILE) is None
    # The container went between the list and the inspection.
    gone = {"can_talk_to_docker": True, "inspect": None}
    assert compare.comparison(definition(), image, SUMMARY, gone, ENV_FILE) == {
        "differs": True,
        "fields": ["container"],
    }


def test_a_comparison_that_cannot_be_made_fails_without_a_value() -> None:
    # Docker Engine answered community.docker, not the look's local socket (DOCKER_HOST).
    with pytest.raises(AnsibleFilterError, match="not on a local socket"):
        compare.comparison(definition(), CONTAINER["Image"], SUMMARY, {"can_talk_to_docker": True}, ENV_FILE)
    with pytest.raises(AnsibleFilterError) as raised:  # a line without "=": the env file is refused
        compare.comparison(definition(), CONTAINER["Image"], SUMMARY, {"inspect": look()}, "A=1\nsk-never-shown\n")
    assert str(raised.value) == "Could not compare the container with its definition (ValueError)."


@pytest.mark.parametrize(
    "text",
    [ENV_FILE, "A=1\n\n#c\nB==2\n  C=3  \n", "A=\nB=x=y\n", "# only a comment\n"],
)
def test_the_env_file_is_read_as_community_docker_reads_it(tmp_path: Path, text: str) -> None:
    (tmp_path / "env").write_text(text)
    assert compare.parse_env_file(text) == parse_env_file(str(tmp_path / "env"))


def test_a_line_without_a_value_is_refused() -> None:
    with pytest.raises(ValueError, match="env file"):
        compare.parse_env_file("A=1\nB\n")


@pytest.mark.parametrize(
    ("text", "want"),
    [("30s", 30 * 10**9), ("1m30s", 90 * 10**9), ("500ms", 5 * 10**8), ("2h", 7200 * 10**9), ("1.5s", 15 * 10**8)],
)
def test_durations(text: str, want: int) -> None:
    assert compare.nanoseconds(text) == want


@pytest.mark.parametrize(("text", "want"), [("512m", 512 * 1024**2), ("1g", 1024**3), ("0", 0), ("2048k", 2 * 1024**2)])
def test_memory_limits(text: str, want: int) -> None:
    assert compare.memory_bytes(text) == want


@pytest.mark.parametrize("text", ["30", "s", "thirty seconds", "1m30"])
def test_a_duration_docker_would_refuse_is_an_error(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        compare.nanoseconds(text)
