"""tasks_from: status: library/litellm_status.py's pure parts (where the proxy
is reached, the container's summary without its environment, Docker's log
stream) and filter_plugins/litellm_plan.py's status_line, case by case."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "library"))
sys.path.insert(0, str(ROOT / "filter_plugins"))
import litellm_plan as planner  # noqa: E402 - found through the path above
import litellm_status as module  # noqa: E402 - found through the path above (tests/unit/conftest.py: module_utils)

NOW = datetime.datetime(2026, 12, 6, 12, 0, 0, tzinfo=datetime.timezone.utc)  # noqa: UP017 - as the module
INSPECT: dict[str, Any] = {
    "Args": ["--config", "/app/config.yaml", "--port", "4000", "--num_workers", "2"],
    "RestartCount": 2,
    "Image": "sha256:abc",
    "State": {
        "Status": "running",
        "Running": True,
        "OOMKilled": False,
        "ExitCode": 0,
        "StartedAt": "2026-12-06T10:58:30.123456789Z",
        "Health": {"Status": "healthy"},
    },
    "Config": {
        "Image": "127.0.0.1:5000/berriai/litellm@sha256:d1",
        "Env": ["LITELLM_MASTER_KEY=sk-never-returned"],
        "Labels": {"litellm_bedrock.version": "1.108.7", "litellm_bedrock.digest": "sha256:0123456789abcdef"},
    },
    "NetworkSettings": {"Ports": {"4000/tcp": [{"HostIp": "0.0.0.0", "HostPort": "4000"}]}},
}


def test_the_summary_holds_nothing_of_the_environment() -> None:
    got = module.summary(INSPECT, {"RepoDigests": ["r@sha256:other"]}, NOW)
    assert got == {
        "state": "running",
        "health": "healthy",
        "restarts": 2,
        "oom_killed": False,
        "exit_code": 0,
        "uptime_s": 3690,
        "version": "1.108.7",
        "digest": "sha256:0123456789abcdef",
        "image": "127.0.0.1:5000/berriai/litellm@sha256:d1",
    }
    assert "sk-never-returned" not in repr(got)


def test_a_stopped_container_killed_for_memory() -> None:
    stopped = {**INSPECT, "State": {"Status": "exited", "Running": False, "OOMKilled": True, "ExitCode": 137}}
    got = module.summary({**stopped, "Config": {"Labels": {}}}, {"RepoDigests": ["r@sha256:fromimage"]}, NOW)
    assert (got["state"], got["health"], got["oom_killed"], got["exit_code"], got["uptime_s"]) == (
        "exited",
        "none",
        True,
        137,
        0,
    )
    assert got["digest"] == "sha256:fromimage"  # no labels: the image's own digest


@pytest.mark.parametrize(
    ("ports", "args", "url"),
    [
        ([{"HostIp": "0.0.0.0", "HostPort": "4000"}], [], "http://127.0.0.1:4000"),
        ([{"HostIp": "10.0.1.11", "HostPort": "4000"}], [], "http://10.0.1.11:4000"),
        ([{"HostIp": "::", "HostPort": "8443"}], ["--ssl_certfile_path", "/app/tls/tls.crt"], "https://[::1]:8443"),
        ([{"HostIp": "fd00::5", "HostPort": "4000"}], [], "http://[fd00::5]:4000"),
        ([], [], ""),
    ],
)
def test_where_the_proxy_is_reached(ports: list[Any], args: list[str], url: str) -> None:
    inspect = {**INSPECT, "Args": args, "NetworkSettings": {"Ports": {"4000/tcp": ports}}}
    assert module.proxy_url(inspect, 4000) == url


def test_docker_s_log_stream_is_read_frame_by_frame() -> None:
    frames = b"".join(
        bytes([stream, 0, 0, 0]) + len(text).to_bytes(4, "big") + text
        for stream, text in ((1, b"line one\n"), (2, b"error \xc3\xa9\n"), (1, b"last"))
    )
    assert module.demux(frames) == ["line one", "error é", "last"]


HEALTHY = {
    "docker": "up",
    "container": True,
    "deployed_here": True,
    "state": "running",
    "health": "healthy",
    "restarts": 0,
    "oom_killed": False,
    "exit_code": 0,
    "uptime_s": 7384,
    "version": "1.108.7",
    "digest": "sha256:0123456789abcdef",
    "models": ["claude-opus-4", "claude-sonnet-4"],
    "models_error": "",
    "log_tail": [],
}
LINES = [
    (
        "healthy",
        HEALTHY,
        "h1: running, healthy; LiteLLM 1.108.7 (0123456789ab); up 2h 3m; 0 restarts; not OOM-killed;"
        " 2 models: claude-opus-4, claude-sonnet-4",
    ),
    (
        "stopped, OOM-killed, with its log",
        {
            **HEALTHY,
            "state": "exited",
            "health": "none",
            "exit_code": 137,
            "oom_killed": True,
            "restarts": 3,
            "models": [],
            "models_error": "no port",
            "log_tail": ["Killed", "", "\x1b[32m    worker died\x1b[0m"],
        },
        "h1: exited (exit code 137); LiteLLM 1.108.7 (0123456789ab); not up; 3 restarts; OOM-killed; no port;"
        " last log lines: Killed | worker died",
    ),
    (
        "running, unhealthy: its models' error and log",
        {**HEALTHY, "health": "unhealthy", "uptime_s": 65, "models": [], "models_error": "/v1/models answered 500"},
        "h1: running, unhealthy; LiteLLM 1.108.7 (0123456789ab); up 1m 5s; 0 restarts; not OOM-killed;"
        " /v1/models answered 500",
    ),
    (
        "up for days",
        {**HEALTHY, "uptime_s": 3 * 86400 + 5 * 3600},
        "h1: running, healthy; LiteLLM 1.108.7 (0123456789ab); up 3d 5h; 0 restarts; not OOM-killed;"
        " 2 models: claude-opus-4, claude-sonnet-4",
    ),
    (
        "never deployed",
        {"docker": "up", "container": False, "deployed_here": False},
        "h1: no LiteLLM container (never deployed)",
    ),
    (
        "removed, its directory kept",
        {"docker": "up", "container": False, "deployed_here": True},
        "h1: no LiteLLM container (removed, or never started)",
    ),
    (
        "Docker down",
        {"docker": "down", "deployed_here": True},
        "h1: Docker Engine does not answer (down) (the role's directory is there): no proxy can serve",
    ),
    ("a remote Docker", {"docker": "remote"}, "h1: Docker Engine is not on a local socket (DOCKER_HOST): not asked"),
]


@pytest.mark.parametrize(("status", "line"), [c[1:] for c in LINES], ids=[c[0] for c in LINES])
def test_the_status_line(status: dict[str, Any], line: str) -> None:
    assert planner.status_line(status, "h1") == line
