"""AWS authentication modes: static keys (test_30 covers the session token),
a Bedrock API key, and the instance profile with an assumed role."""

from __future__ import annotations

from typing import Any

import yaml
from conftest import CONFIG_DIR, CONTAINER, api, chat, clear_standin, converge_ok, run, standin_records

ROLE_ARN = "arn:aws:iam::123456789012:role/litellm-bedrock-TEST"
EXTERNAL_ID = "litellm-external-id-TEST"
AWS_SECRET_NAMES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK"}


def env_names(host: Any) -> set[str]:
    """Variable names of the env file and of the running container."""
    text = run(host, f"cut -d= -f1 {CONFIG_DIR}/litellm.env | grep -v '^#'", "env file names")
    container = run(host, f"docker exec {CONTAINER} env | cut -d= -f1", "container env names")
    return set(text.split()) | set(container.split())


def params(host: Any) -> list[dict[str, Any]]:
    doc = yaml.safe_load(host.file(f"{CONFIG_DIR}/config.yaml").content_string)
    return [model["litellm_params"] for model in doc["model_list"]]


def test_bearer_token_mode_sends_the_bedrock_api_key(host: Any, secrets: dict[str, str]) -> None:
    bearer = {"litellm_aws_auth": "bearer_token", "litellm_aws_bearer_token": "{{ test_aws_bearer_token }}"}
    converge_ok(secrets, bearer)
    names = env_names(host)
    assert "AWS_BEARER_TOKEN_BEDROCK" in names
    assert not names & {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
    for p in params(host):
        assert p["api_key"] == "os.environ/AWS_BEARER_TOKEN_BEDROCK"
        assert "aws_access_key_id" not in p
    token = run(host, f"docker exec {CONTAINER} printenv AWS_BEARER_TOKEN_BEDROCK", "printenv").strip()
    assert token == secrets["test_aws_bearer_token"]

    clear_standin(host)
    body = chat("claude-sonnet-5-5")
    assert api(host, "POST", "/v1/chat/completions", body=body).status == 200
    [record] = standin_records(host)
    assert (record["auth"], record["signature_valid"], record["access_key_id"]) == ("bearer", True, None)


def test_instance_profile_mode_keeps_no_aws_secret_on_the_host(host: Any, secrets: dict[str, str]) -> None:
    # No request is sent in this mode: credentials would come from the
    # instance metadata service, which tests must never call.
    converge_ok(
        secrets,
        {
            "litellm_aws_auth": "instance_profile",
            "litellm_aws_role_name": ROLE_ARN,
            "litellm_aws_external_id": EXTERNAL_ID,
        },
    )
    names = env_names(host)
    assert not names & AWS_SECRET_NAMES
    assert {"LITELLM_MASTER_KEY", "LITELLM_SALT_KEY", "AWS_REGION_NAME"} <= names
    aws_values = [secrets[k] for k in ("litellm_aws_access_key_id", "litellm_aws_secret_access_key")]
    host_files = run(host, f"cat {CONFIG_DIR}/litellm.env {CONFIG_DIR}/config.yaml", "reading the files")
    assert [v for v in aws_values if v in host_files] == []
    for p in params(host):
        assert (p["aws_role_name"], p["aws_session_name"], p["aws_external_id"]) == (
            ROLE_ARN,
            "litellm-proxy",
            EXTERNAL_ID,
        )
        assert not {"aws_access_key_id", "aws_secret_access_key", "api_key"} & set(p)
    assert api(host, "GET", "/v1/models").status == 200  # serves; credentials are fetched per request


def test_static_keys_with_an_assumed_role(host: Any, secrets: dict[str, str]) -> None:
    converge_ok(secrets, {"litellm_aws_role_name": ROLE_ARN})
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= env_names(host)
    for p in params(host):
        assert p["aws_access_key_id"] == "os.environ/AWS_ACCESS_KEY_ID"
        assert p["aws_role_name"] == ROLE_ARN
        assert "aws_external_id" not in p
