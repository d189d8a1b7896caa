"""filter_plugins/litellm_plan.py: what the host look's container list says of
the proxy (container_summary) and the run's _litellm_observed (observed), from
Docker API summaries as the look and docker_host_info return them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "filter_plugins"))
import litellm_plan as planner  # noqa: E402 - found through the path above

LABELS = {"litellm_bedrock.version": "1.108.7"}
LOCAL = "http://127.0.0.1:4000"
EXITED = {"state": "exited", "status": "Exited (0) 1 minute ago", "Ports": []}
TLS_ON = {
    "Command": "... --ssl_certfile_path /app/tls.crt",
    "Ports": [{"IP": "10.0.0.5", "PrivatePort": 4000, "PublicPort": 4000}],
}


def summary(name: str = "litellm", state: str = "running", status: str = "Up 2 hours (healthy)", **over: Any) -> dict:
    """A container as Docker's API lists it (no environment in it)."""
    return {
        "Id": f"id-{name}",
        "Names": [f"/{name}"],
        "ImageID": "sha256:abc",
        "Command": "/app/docker-entrypoint.sh --config /app/config.yaml --port 4000",
        "State": state,
        "Status": status,
        "Labels": LABELS,
        "Ports": [{"IP": "0.0.0.0", "PrivatePort": 4000, "PublicPort": 4000, "Type": "tcp"}],
        **over,
    }


def seen(containers: list[dict[str, Any]], port: int = 4000) -> dict[str, Any]:
    return planner.container_summary(containers, "litellm", port)


# (case, containers, port) -> (found, running, healthy, owns_port, url)
SUMMARIES = [
    ("none", [], 4000, (False, False, False, False, "")),
    ("another name only", [summary("litellm-canary")], 4000, (False, False, False, False, "")),
    ("serving, healthy", [summary()], 4000, (True, True, True, True, LOCAL)),
    (
        "starting",
        [summary(status="Up 3 seconds (health: starting)")],
        4000,
        (True, True, False, True, LOCAL),
    ),
    ("unhealthy", [summary(status="Up 1 hour (unhealthy)")], 4000, (True, True, False, True, LOCAL)),
    (
        "stopped",
        [summary(**EXITED)],
        4000,
        (True, False, False, False, ""),
    ),
    (
        "TLS on a specific address",
        [summary(**TLS_ON)],
        4000,
        (True, True, True, True, "https://10.0.0.5:4000"),
    ),
    (
        "IPv6 any and another port",
        [summary(Ports=[{"IP": "::", "PrivatePort": 4000, "PublicPort": 8443}])],
        4000,
        (True, True, True, False, "http://[::1]:8443"),
    ),
    (
        "an IPv6 address",
        [summary(Ports=[{"IP": "fd00::5", "PrivatePort": 4000, "PublicPort": 4000}])],
        4000,
        (True, True, True, True, "http://[fd00::5]:4000"),
    ),
    # A proxy started by hand that publishes nothing: no URL, the port is not its.
    ("publishes nothing", [summary(Ports=[{"PrivatePort": 4000, "Type": "tcp"}])], 4000, (True, True, True, False, "")),
    ("the port moved", [summary()], 4001, (True, True, True, False, LOCAL)),
]


@pytest.mark.parametrize(("case", "containers", "port", "want"), SUMMARIES, ids=[s[0] for s in SUMMARIES])
def test_the_container_summary(case: str, containers: list[dict[str, Any]], port: int, want: tuple) -> None:
    got = seen(containers, port)
    assert (got["found"], got["running"], got["healthy"], got["owns_port"], got["url"]) == want


@pytest.mark.parametrize(
    ("status", "state", "want"),
    [
        ("Up 3 seconds (health: starting)", "running", True),
        ("Up 2 hours (healthy)", "running", False),
        ("Up 1 hour (unhealthy)", "running", False),
        ("Up 5 seconds", "running", False),  # no health check: nothing to wait for
        ("Exited (137) 1 second ago", "exited", False),
    ],
)
def test_a_container_in_its_first_health_checks_is_starting(status: str, state: str, want: bool) -> None:
    # observe.yml waits for such a proxy (Docker was just started, say) before
    # it decides whether a change needs a canary.
    assert seen([summary(status=status, state=state)])["starting"] is want
    assert seen([])["starting"] is False


def test_the_summary_keeps_what_the_plan_reads() -> None:
    got = seen([summary("litellm-previous"), summary()])
    assert {k: got[k] for k in ("id", "image", "status", "labels")} == {
        "id": "id-litellm",
        "image": "sha256:abc",
        "status": "Up 2 hours (healthy)",
        "labels": LABELS,
    }


FILES = {
    "config.yaml": {"sha1": "c1", "uid": 0, "gid": 0, "mode": "0644"},
    "litellm.env": {"sha1": "e1", "uid": 0, "gid": 0, "mode": "0600"},
}
RECORD = {"files": {"config.yaml": "c1", "litellm.env": "e1"}}


def observe(containers: list[dict[str, Any]], health: int = -1, record: Any = "", files: dict | None = None) -> dict:
    return planner.observed(
        seen(containers), health, containers, "litellm-canary", "litellm-previous", files or {}, record
    )


def test_nothing_there() -> None:
    assert observe([]) == {
        "container": {},
        "serving": False,
        "canary": False,
        "previous": False,
        "files": {},
        "access": {},
        "served": {},
    }


def test_a_serving_proxy_with_its_files_and_record() -> None:
    got = observe([summary()], record=json.dumps(RECORD), files=FILES)
    assert got == {
        "container": {
            "id": "id-litellm",
            "image": "sha256:abc",
            "running": True,
            "status": "Up 2 hours (healthy)",
            "url": "http://127.0.0.1:4000",
            "tls": False,
            "labels": LABELS,
        },
        "serving": True,
        "canary": False,
        "previous": False,
        "files": {"config.yaml": "c1", "litellm.env": "e1"},
        "access": {"config.yaml": "0:0:0644", "litellm.env": "0:0:0600"},
        "served": RECORD["files"],
    }


@pytest.mark.parametrize(
    ("status", "health", "serving"),
    [
        ("Up 1 hour (healthy)", -1, True),  # Docker's own check suffices
        ("Up 5 seconds (health: starting)", 200, True),  # the role's own ask answered
        ("Up 5 seconds (health: starting)", 503, False),
        ("Up 1 hour (unhealthy)", -1, False),
    ],
)
def test_serving_is_dockers_check_or_the_roles_ask(status: str, health: int, serving: bool) -> None:
    assert observe([summary(status=status)], health=health)["serving"] is serving


def test_leftover_canary_and_previous_are_seen_by_name() -> None:
    got = observe([summary("litellm-canary"), summary("litellm-previous", state="exited")])
    assert (got["container"], got["canary"], got["previous"]) == ({}, True, True)


@pytest.mark.parametrize(
    "record",
    [json.dumps(RECORD), RECORD],  # text (2.19), or the dict older ansible-cores make of it
    ids=["text", "data"],
)
def test_the_record_is_read_as_text_or_data(record: Any) -> None:
    assert observe([summary()], record=record)["served"] == RECORD["files"]


@pytest.mark.parametrize("record", ["", "   ", "{}", '{"files": null}', "[]"])
def test_no_record_means_nothing_served(record: str) -> None:
    assert observe([summary()], record=record)["served"] == {}


def test_tls_follows_the_url() -> None:
    tls = summary(Command="--ssl_certfile_path /app/tls.crt")
    assert observe([tls])["container"]["tls"] is True
