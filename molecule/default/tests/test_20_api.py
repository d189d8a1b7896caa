"""The proxy's API, end to end through the Bedrock stand-in."""

from __future__ import annotations

import json
import shlex
from typing import Any
from urllib.parse import quote

import pytest
from conftest import api, chat, clear_standin, report, run, standin_records

SEED_MODELS = {
    "claude-3-7-sonnet": "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    "claude-sonnet-4": "us.anthropic.claude-sonnet-4-20250514-v1:0",
    "claude-opus-4": "us.anthropic.claude-opus-4-20250514-v1:0",
}
PROMPT = "Say hello to the operators."


def expected_text(profile: str, region: str = "us-east-1") -> str:
    return f"Hello from the Bedrock stand-in: {profile} in {region} read {len(PROMPT)} characters."


def test_models_lists_every_alias_with_the_master_key(host: Any, models: list[dict[str, str]]) -> None:
    response = api(host, "GET", "/v1/models")
    assert response.status == 200
    assert sorted(m["id"] for m in response.json()["data"]) == sorted(m["name"] for m in models)


@pytest.mark.parametrize("method,path", [("GET", "/v1/models"), ("POST", "/v1/chat/completions")])
def test_requests_without_a_key_get_401(host: Any, method: str, path: str) -> None:
    body = chat("claude-sonnet-4", PROMPT) if method == "POST" else None
    assert api(host, method, path, auth="none", body=body).status == 401


@pytest.mark.parametrize("method,path", [("GET", "/v1/models"), ("POST", "/v1/chat/completions")])
def test_requests_with_a_wrong_key_are_refused(host: Any, method: str, path: str) -> None:
    clear_standin(host)
    body = chat("claude-sonnet-4", PROMPT) if method == "POST" else None
    response = api(host, method, path, auth="wrong", body=body)
    # Without a database LiteLLM answers 400 "No connected db." for an unknown sk- key.
    assert response.status in (400, 401, 403)
    assert standin_records(host) == []
    report("access", f"no key / wrong key on {method} {path}", "401 / refused, Bedrock never called")


@pytest.mark.parametrize("alias,profile", sorted(SEED_MODELS.items()))
def test_chat_completion_reaches_bedrock_signed_for_the_profile(
    host: Any, secrets: dict[str, str], alias: str, profile: str
) -> None:
    clear_standin(host)
    response = api(host, "POST", "/v1/chat/completions", body=chat(alias, PROMPT))
    assert response.status == 200
    assert response.json()["choices"][0]["message"]["content"] == expected_text(profile)
    records = standin_records(host)
    assert len(records) == 1
    record = records[0]
    assert record["path"] == f"/model/{quote(profile, safe='')}/converse"
    assert "%3A" in record["path"]  # the profile id's ':' is URL-encoded
    assert record["region"] == "us-east-1"
    assert record["signature_valid"] is True
    assert record["access_key_id"] == secrets["litellm_aws_access_key_id"]
    assert record["messages"][-1]["content"][0]["text"] == PROMPT


def test_streamed_completion_arrives_whole(host: Any) -> None:
    clear_standin(host)
    response = api(host, "POST", "/v1/chat/completions", body=chat("claude-sonnet-4", PROMPT, stream=True))
    assert response.status == 200
    events = [line[len("data: ") :] for line in response.body.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == expected_text(SEED_MODELS["claude-sonnet-4"])
    assert len(chunks) > 3  # really streamed, not one block
    [record] = standin_records(host)
    assert record["stream"] is True
    assert record["path"].endswith("/converse-stream")
    assert record["signature_valid"] is True


@pytest.mark.parametrize("secret_suffix,region", [("-wrong", "us-east-1"), ("", "ap-south-1")])
def test_standin_rejects_a_bad_signature(host: Any, secret_suffix: str, region: str) -> None:
    # The stand-in's check must be able to fail, or the tests above prove nothing:
    # sign with botocore on the test host, with a wrong secret or region.
    script = f"""
import os, urllib.request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
env = dict(line.strip().split("=", 1) for line in open("/opt/bedrock-standin/standin.env") if "=" in line)
url = "http://127.0.0.1:8099/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse"
req = AWSRequest(method="POST", url=url, data=b"{{}}", headers={{"Content-Type": "application/json"}})
creds = Credentials(env["STANDIN_ACCESS_KEY_ID"], env["STANDIN_SECRET_ACCESS_KEY"] + "{secret_suffix}")
SigV4Auth(creds, "bedrock", "{region}").add_auth(req)
try:
    urllib.request.urlopen(urllib.request.Request(url, data=b"{{}}", headers=dict(req.headers), method="POST"))
    print(200)
except urllib.error.HTTPError as exc:
    print(exc.code)
"""
    status = run(host, f"python3 -c {shlex.quote(script)}", "signing a request on the test host").strip()
    assert status == "403"
