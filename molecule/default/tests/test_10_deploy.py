"""The deployed host: service, container, files and environment."""

from __future__ import annotations

import datetime
import json
from typing import Any

import yaml
from conftest import CONFIG_DIR, CONTAINER, IMAGE, REPO, docker0, inspect, leaked, liveliness, run

SECRET_ENV = {"LITELLM_MASTER_KEY", "LITELLM_SALT_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def test_docker_engine_is_running_and_enabled_at_boot(host: Any) -> None:
    docker = host.service("docker")
    assert docker.is_running
    assert docker.is_enabled


def test_container_runs_the_configured_image_with_the_restart_policy(host: Any) -> None:
    data = inspect(host)
    assert data["Name"] == f"/{CONTAINER}"
    assert data["State"]["Running"] is True
    # Created from the very image the role probed, by its registry digest:
    # the tag (IMAGE) moving later changes nothing.
    digest = data["Config"]["Labels"]["litellm_bedrock.digest"]
    assert data["Config"]["Image"] == f"{REPO}@{digest}"
    assert data["Config"]["Labels"]["litellm_bedrock.image"] == data["Image"]
    assert data["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert data["Args"] == [
        *("--config", "/app/config.yaml", "--port", "4000", "--num_workers", "1"),
        *("--log_config", "/app/logging.yaml"),  # uvicorn's loggers (docs/logs.md)
    ]


def test_image_was_really_pulled_from_the_registry(host: Any) -> None:
    # A pulled image carries a repository digest; a loaded or built one does not.
    digests = run(host, f"docker image inspect --format '{{{{json .RepoDigests}}}}' {IMAGE}", "image inspect")
    assert "127.0.0.1:5000/berriai/litellm@sha256:" in digests


def test_port_4000_is_published_directly_and_answers(host: Any) -> None:
    data = inspect(host)
    assert data["HostConfig"]["PortBindings"] == {"4000/tcp": [{"HostIp": "0.0.0.0", "HostPort": "4000"}]}
    assert host.socket("tcp://0.0.0.0:4000").is_listening
    assert liveliness(host)


def test_config_yaml_is_a_read_only_bind_of_the_host_file(host: Any) -> None:
    # Docker lists a container's mounts in no fixed order.
    mounts = inspect(host)["Mounts"]
    assert sorted((m["Type"], m["Source"], m["Destination"], m["RW"]) for m in mounts) == [
        ("bind", f"{CONFIG_DIR}/config.yaml", "/app/config.yaml", False),
        ("bind", f"{CONFIG_DIR}/logging.yaml", "/app/logging.yaml", False),
    ]
    # The image's entrypoint is still there: no directory was mounted over /app.
    assert run(host, f"docker exec {CONTAINER} ls /app/docker", "ls /app/docker").split() == ["prod_entrypoint.sh"]


def test_files_are_root_owned_and_the_env_file_is_private(host: Any) -> None:
    expected = {
        "config.yaml": 0o644,
        "config.yaml.last-good": 0o600,
        "litellm.env": 0o600,
        "litellm.env.last-good": 0o600,
        "logging.yaml": 0o644,
        "logging.yaml.last-good": 0o600,
        "salt-key.fingerprint": 0o600,
        "served.json": 0o600,
        ".managed-by-litellm-role": 0o644,
    }
    # Exactly these: no candidate, canary config or rejected copy is left after a run.
    assert sorted(run(host, f"ls -A {CONFIG_DIR}", "ls").split()) == sorted(expected)
    directory = host.file(CONFIG_DIR)
    assert (directory.user, directory.group, directory.mode) == ("root", "root", 0o700)
    for name, mode in expected.items():
        f = host.file(f"{CONFIG_DIR}/{name}")
        assert (name, f.user, f.group, f.mode) == (name, "root", "root", mode)


def test_the_record_holds_the_checksums_of_the_files_that_serve(host: Any) -> None:
    record = json.loads(host.file(f"{CONFIG_DIR}/served.json").content_string)
    for name in ("config.yaml", "litellm.env"):
        checksum = run(host, f"sha1sum {CONFIG_DIR}/{name}", "sha1sum").split()[0]
        assert record["files"][name] == checksum
        assert run(host, f"sha1sum {CONFIG_DIR}/{name}.last-good", "sha1sum").split()[0] == checksum


def test_config_yaml_references_bedrock_profiles_and_environment_keys(host: Any, models: list[dict[str, str]]) -> None:
    config = yaml.safe_load(host.file(f"{CONFIG_DIR}/config.yaml").content_string)
    endpoint = docker0(host)
    assert [m["model_name"] for m in config["model_list"]] == [m["name"] for m in models]
    for entry, model in zip(config["model_list"], models, strict=True):
        assert entry["litellm_params"] == {
            "model": f"bedrock/{model['model']}",
            "aws_region_name": "us-east-1",
            "aws_access_key_id": "os.environ/AWS_ACCESS_KEY_ID",
            "aws_secret_access_key": "os.environ/AWS_SECRET_ACCESS_KEY",
            "aws_bedrock_runtime_endpoint": f"http://{endpoint}:8099",
        }
        assert model["model"].startswith("us.anthropic.claude-")
    # Clients reach the proxy directly: no proxy in front whose X-Forwarded-For LiteLLM should believe.
    assert config["general_settings"] == {"master_key": "os.environ/LITELLM_MASTER_KEY", "trusted_proxy_ranges": []}


def test_config_yaml_holds_no_secret(host: Any, secrets: dict[str, str]) -> None:
    assert leaked(host.file(f"{CONFIG_DIR}/config.yaml").content_string, secrets) == []


def test_env_file_carries_every_secret(host: Any, secrets: dict[str, str]) -> None:
    lines = host.file(f"{CONFIG_DIR}/litellm.env").content_string.splitlines()
    env = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    wanted = {
        "LITELLM_MASTER_KEY": secrets["litellm_master_key"],
        "LITELLM_SALT_KEY": secrets["litellm_salt_key"],
        "AWS_ACCESS_KEY_ID": secrets["litellm_aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": secrets["litellm_aws_secret_access_key"],
    }
    assert sorted(name for name, value in wanted.items() if env.get(name) != value) == []
    assert env.get("AWS_REGION_NAME") == "us-east-1"


def test_docker_exec_env_shows_the_aws_variables(host: Any, secrets: dict[str, str]) -> None:
    # What the README tells operators to run: `docker exec litellm env | grep AWS`.
    out = run(host, f"docker exec {CONTAINER} env | grep AWS", "docker exec litellm env | grep AWS")
    env = dict(line.split("=", 1) for line in out.splitlines())
    assert sorted(env) == ["AWS_ACCESS_KEY_ID", "AWS_REGION_NAME", "AWS_SECRET_ACCESS_KEY"]
    wanted = {
        "AWS_ACCESS_KEY_ID": secrets["litellm_aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": secrets["litellm_aws_secret_access_key"],
    }
    mismatched = [name for name, value in wanted.items() if env[name] != value]
    assert mismatched == []
    names = set(inspect(host)["Config"]["Env"])
    assert SECRET_ENV | {"LITELLM_LOCAL_MODEL_COST_MAP"} <= names


# The models the role was first asked for; the model map may date their retirement.
SEED = {"claude-3-7-sonnet", "claude-sonnet-4", "claude-opus-4"}
MAP_PATH = (
    "import importlib.util, os; "
    "print(os.path.join(os.path.dirname(importlib.util.find_spec('litellm').origin), "
    "'model_prices_and_context_window_backup.json'))"
)


def test_every_default_model_is_a_current_bedrock_model_of_the_bundled_map(
    host: Any, models: list[dict[str, str]]
) -> None:
    # find_spec locates the package without running any of its code.
    path = run(host, f'docker exec {CONTAINER} python -c "{MAP_PATH}"', "locating the model map").strip()
    cost_map = json.loads(run(host, f"docker exec {CONTAINER} cat {path}", "reading the model map"))
    today = datetime.date.today().isoformat()
    problems = []
    for model in models:
        entry = cost_map.get(model["model"])
        if entry is None:
            problems.append(f"{model['model']}: not in the model map")
        elif not str(entry.get("litellm_provider", "")).startswith("bedrock"):
            problems.append(f"{model['model']}: not a Bedrock model ({entry.get('litellm_provider')})")
        elif model["name"] not in SEED and str(entry.get("deprecation_date") or "9999") < today:
            problems.append(f"{model['model']}: retired on {entry['deprecation_date']}")
    assert problems == []
    aliases = {m["name"] for m in models}
    assert {"claude-sonnet-5-5", "claude-opus-5-5", "claude-haiku-5-5"} <= aliases
    assert aliases >= SEED
