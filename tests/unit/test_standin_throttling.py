"""The Bedrock stand-in throttles a chosen inference profile as Bedrock does
(tests/bedrock_standin: PUT /_standin/throttled), on loopback, in-process."""

from __future__ import annotations

import http.client
import json
import sys
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "bedrock_standin"))
import bedrock_standin as standin  # noqa: E402 - found through the path above

PROFILE = "us.anthropic.claude-sonnet-4-20250514-v1:0"
OTHER = "us.anthropic.claude-opus-4-20250514-v1:0"
BODY = json.dumps({"messages": [{"role": "user", "content": [{"text": "hi"}]}]})


@pytest.fixture
def port() -> Iterator[int]:
    standin.Handler.settings = standin.Settings("AKIDTEST", "secret", frozenset({"us-east-1"}), verify=False)
    standin.Handler.recorder = standin.Recorder()
    server = ThreadingHTTPServer(("127.0.0.1", 0), standin.Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def ask(port: int, method: str, path: str, body: str = BODY) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, body=body)
    answer = connection.getresponse()
    return answer.status, dict(answer.getheaders()), answer.read()


def converse(port: int, profile: str, stream: bool = False) -> tuple[int, dict[str, str], bytes]:
    return ask(port, "POST", f"/model/{profile}/converse" + ("-stream" if stream else ""))


def test_a_throttled_profile_gets_bedrock_s_429_and_the_others_serve(port: int) -> None:
    assert ask(port, "PUT", "/_standin/throttled", json.dumps({PROFILE: "429"}))[0] == 200
    status, headers, body = converse(port, PROFILE)
    assert (status, headers["x-amzn-ErrorType"]) == (429, "ThrottlingException")
    assert json.loads(body)["message"] == "Too many requests, please wait before trying again."
    assert converse(port, OTHER)[0] == 200
    assert ask(port, "PUT", "/_standin/throttled", "{}")[0] == 200
    assert converse(port, PROFILE)[0] == 200


def test_a_503(port: int) -> None:
    ask(port, "PUT", "/_standin/throttled", json.dumps({PROFILE: "503"}))
    status, headers, _ = converse(port, PROFILE, stream=True)
    assert (status, headers["x-amzn-ErrorType"]) == (503, "ServiceUnavailableException")


def test_a_stream_that_is_throttled_once_it_started(port: int) -> None:
    ask(port, "PUT", "/_standin/throttled", json.dumps({PROFILE: "stream"}))
    status, _, body = converse(port, PROFILE, stream=True)
    assert status == 200
    assert b":event-type\x07\x00\x0cmessageStart" in body
    assert body.count(b"contentBlockDelta") == 1
    assert b":exception-type\x07\x00\x13throttlingException" in body and b":message-type\x07\x00\texception" in body
    assert b"messageStop" not in body
    assert converse(port, PROFILE)[0] == 429  # a plain request to it gets the 429


@pytest.mark.parametrize("given", ['{"x": "418"}', "[]", "not json"])
def test_what_it_does_not_understand_is_refused(port: int, given: str) -> None:
    assert ask(port, "PUT", "/_standin/throttled", given)[0] == 400
