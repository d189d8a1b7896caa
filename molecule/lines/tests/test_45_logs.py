"""What `docker logs litellm` shows with the role's defaults: the server's
start, the models loaded and every error, but no line per request, which
costs CPU on every request (docs/logs.md); `litellm_access_log: true` adds
one line a request, one variable away."""

from __future__ import annotations

import json
from typing import Any

from conftest import CONTAINER, api, chat, converge_ok, default_models, liveliness, log_lines, now, run, wait_for

REQUESTS = 3


def entries(host: Any, since: str) -> list[dict[str, Any]]:
    """The JSON log lines written since `since` (the plain prints left out)."""
    return [entry for _, entry in log_lines(host, since) if entry is not None]


def serve_and_fail(host: Any) -> None:
    """REQUESTS chat completions that succeed, then one LiteLLM refuses."""
    alias = default_models()[0]["name"]
    for _ in range(REQUESTS):
        assert api(host, "POST", "/v1/chat/completions", body=chat(alias)).status == 200
    bad = {"model": alias, "messages": "not a list"}
    assert api(host, "POST", "/v1/chat/completions", body=bad).status >= 400


def test_the_defaults_log_the_start_the_models_and_errors_but_no_request(host: Any, secrets: dict[str, str]) -> None:
    converge_ok(secrets)
    since = now(host)
    run(host, f"docker restart {CONTAINER}", "docker restart")  # its start, in the lines read below
    wait_for(lambda: liveliness(host), 120, "the proxy")
    serve_and_fail(host)
    text = run(host, f"docker logs --since {since} {CONTAINER} 2>&1", "docker logs")
    assert "Uvicorn running on" in text and "Application startup complete" in text
    assert all(model["name"] in text for model in default_models())  # LiteLLM's "Set models:" list
    logged = entries(host, since)
    assert [e for e in logged if e.get("level") == "ERROR" and "Exception" in str(e.get("message"))]
    per_request = [e for e in logged if e.get("component") == "uvicorn.access" or "200 OK" in str(e.get("message"))]
    assert per_request == []
    assert {e.get("level") for e in logged} <= {"INFO", "WARNING", "ERROR"}
    assert {e.get("component") for e in logged if e.get("level") == "INFO"} == {"uvicorn.error"}


def test_the_access_log_is_one_variable_away(host: Any, secrets: dict[str, str]) -> None:
    since = now(host)
    converge_ok(secrets, {"litellm_access_log": True})
    wait_for(lambda: liveliness(host), 120, "the proxy")
    serve_and_fail(host)
    access = [e for e in entries(host, since) if e.get("component") == "uvicorn.access"]
    lines = [str(e.get("message")) for e in access if "POST /v1/chat/completions" in str(e.get("message"))]
    assert len([m for m in lines if m.rstrip().endswith("200")]) == REQUESTS, lines
    assert "sk-" not in json.dumps(access)  # the key is a header, never in the line
