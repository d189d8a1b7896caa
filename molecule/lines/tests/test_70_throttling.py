"""Bedrock's throttling, absorbed: the stand-in throttles one inference profile
as Bedrock does (429 ThrottlingException, 503, a throttlingException in the
middle of a stream); LiteLLM retries (litellm_num_retries), then sends the
request to the model's fallbacks (the `global.` profile of the same model),
and a model without one answers the client 429, not 500. Other models keep
serving, and the throttled one serves again once Bedrock does. What each
case gives clients is written to reports/reliability-lines.*."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import MASTER_KEY_HEADER, STANDIN, api, chat, clear_standin, converge_ok, report, run, standin_records

SONNET = {"name": "claude-sonnet-4", "model": "us.anthropic.claude-sonnet-4-20250514-v1:0"}
GLOBAL = {"name": "claude-sonnet-4-global", "model": "global.anthropic.claude-sonnet-4-20250514-v1:0"}
OPUS = {"name": "claude-opus-4", "model": "us.anthropic.claude-opus-4-20250514-v1:0"}
HAIKU = {"name": "claude-haiku-5-5", "model": "us.anthropic.claude-haiku-5-5"}
MODELS = [{**SONNET, "fallbacks": [GLOBAL["name"]]}, GLOBAL, OPUS, HAIKU]
RETRIES = 2


def throttle(host: Any, kinds: dict[str, str]) -> None:
    run(host, f"curl -sSf -m 5 -X PUT --data {shlex.quote(json.dumps(kinds))} {STANDIN}/_standin/throttled", "throttle")


def asked(host: Any, profile: str) -> list[dict[str, Any]]:
    return [record for record in standin_records(host) if record["model"] == profile]


@pytest.fixture(scope="module", autouse=True)
def deployed(host: Any, secrets: dict[str, str]) -> Iterator[None]:
    converge_ok(secrets, {"litellm_models": MODELS, "litellm_num_retries": RETRIES})
    yield
    throttle(host, {})


def test_a_throttled_model_is_served_by_its_fallback(host: Any) -> None:
    throttle(host, {SONNET["model"]: "429"})
    clear_standin(host)
    answer = api(host, "POST", "/v1/chat/completions", body=chat(SONNET["name"]))
    assert answer.status == 200
    assert GLOBAL["model"] in answer.json()["choices"][0]["message"]["content"]
    # Bedrock was asked for the throttled profile, then its fallback, each signed for the region.
    assert len(asked(host, SONNET["model"])) >= 1
    (fallback,) = asked(host, GLOBAL["model"])
    assert (fallback["region"], fallback["signature_valid"]) == ("us-east-1", True)
    report("absorbed", "Bedrock throttles a model (429) that has a fallback", "200 from the global. profile")


def answer_after_retries(host: Any, kind: str) -> int:
    """What a client of the model without a fallback gets while Bedrock answers `kind`,
    once Bedrock was asked 1 + RETRIES times."""
    throttle(host, {OPUS["model"]: kind})
    clear_standin(host)
    answer = api(host, "POST", "/v1/chat/completions", body=chat(OPUS["name"]))
    assert len(asked(host, OPUS["model"])) == 1 + RETRIES, answer.body[:300]
    return answer.status


def test_without_a_fallback_the_client_gets_429_after_the_retries(host: Any) -> None:
    assert answer_after_retries(host, "429") == 429
    report("absorbed", "Bedrock throttles a model (429) without a fallback", f"429 after {RETRIES} retries")
    # At once again: a model with one deployment is not cooled down (LiteLLM
    # does that only when every request of the minute failed, from 1000 on):
    # Bedrock is asked again, and the client gets 429 again.
    assert answer_after_retries(host, "429") == 429
    report("absorbed", "the next request to that model, at once", "429 again: Bedrock asked again, no cooldown")
    # Other models keep serving meanwhile.
    assert api(host, "POST", "/v1/chat/completions", body=chat(HAIKU["name"])).status == 200
    # Bedrock serves again: so does the model.
    throttle(host, {})
    assert api(host, "POST", "/v1/chat/completions", body=chat(OPUS["name"])).status == 200
    report("absorbed", "Bedrock stops throttling", "the model serves at the next request")


def test_a_503_from_bedrock(host: Any) -> None:
    assert answer_after_retries(host, "503") == 503
    report("absorbed", "Bedrock answers 503 for a model without a fallback", f"503 after {RETRIES} retries")


def test_a_stream_throttled_once_it_started(host: Any) -> None:
    throttle(host, {SONNET["model"]: "stream"})
    clear_standin(host)
    body = shlex.quote(json.dumps(chat(SONNET["name"], stream=True)))
    out = run(
        host,
        f"curl -sS -N -m 60 {MASTER_KEY_HEADER} -H 'Content-Type: application/json' --data {body}"
        " -w '\\n%{http_code}' http://127.0.0.1:4000/v1/chat/completions",
        "a streamed completion",
    )
    text, _, status = out.rpartition("\n")
    # Whatever LiteLLM makes of it, the client sees an answer or an error it can read, never a hang.
    assert status == "200"
    chunks = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
    assert chunks, text[:300]
    said = "completed by the fallback" if GLOBAL["model"] in text else "an error event in the stream"
    if said == "an error event in the stream":
        assert "error" in text.lower(), text[-400:]
    report("absorbed", "Bedrock throttles a stream after its first chunk", f"HTTP 200 stream, {said}")
