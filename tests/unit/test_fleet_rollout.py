"""examples/fleet's rollout decisions (filter_plugins/fleet_rollout.py): which
servers HAProxy sends requests, and whether a host may be drained now. Each
case is a backend's servers with their `show stat` status."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("fleet_rollout", ROOT / "examples/fleet/filter_plugins/fleet_rollout.py")
assert _SPEC is not None and _SPEC.loader is not None
rollout = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(rollout)

# The first columns of HAProxy 2.6's `show stat` (Debian 12), as the admin socket prints them.
HEADER = (
    "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,"
    "status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,"
)


def stat(servers: dict[str, str], backend: str = "litellm") -> str:
    """`show stat` for a frontend and a backend with these servers."""
    lines = [HEADER, "litellm,FRONTEND,,,0,3,4096,12,,,,,,,,,,OPEN,,,,,,,,,1,2,0,,,"]
    lines += [
        f"{backend},{name},0,0,0,1,,5,,,,,,0,0,0,0,{status},1,1,0,0,0,9,0,,1,3,1,,5,"
        for name, status in servers.items()
    ]
    lines += [f"{backend},BACKEND,0,0,0,1,410,12,,,,,,0,0,0,0,UP,2,2,0,,0,9,0,,1,3,0,,12,", "stats,FRONTEND,,,,,,,,,"]
    return "\n".join(lines) + "\n"


def test_the_servers_of_one_backend_and_their_status() -> None:
    text = stat({"llm-1": "UP", "llm-2": "DOWN 1/2"}) + stat({"other": "UP"}, backend="redis")
    assert rollout.fleet_servers(text, "litellm") == {"llm-1": "UP", "llm-2": "DOWN 1/2"}
    assert rollout.fleet_servers(text, "nope") == {}


@pytest.mark.parametrize(
    ("status", "serves"),
    [
        ("UP", True),
        ("UP 1/2", True),  # one check failed: still sent requests
        ("DRAIN", True),
        ("NOLB", True),
        ("no check", True),
        ("DOWN", False),
        ("DOWN 1/2", False),  # one check passed: not sent requests yet
        ("MAINT", False),
        ("MAINT (resolution)", False),
        ("", False),  # not a server of the backend (a new host)
    ],
)
def test_which_statuses_serve(status: str, serves: bool) -> None:
    assert rollout.fleet_serves(status) is serves


CASES: list[tuple[str, dict[str, str], str, bool, dict[str, Any]]] = [
    # (id, servers, host, accept_downtime, expected fields)
    ("both up: drain", {"a": "UP", "b": "UP"}, "a", False, {"drain": True, "others_up": ["b"], "stop": False}),
    ("other down, host idle: no drain", {"a": "DOWN", "b": "DOWN"}, "a", False, {"drain": False, "stop": False}),
    ("host in maint: no drain", {"a": "MAINT", "b": "UP"}, "a", False, {"drain": False, "stop": False}),
    ("host new: no drain", {"b": "UP"}, "a", False, {"drain": False, "status": "", "stop": False}),
    ("last up, other down: stop", {"a": "UP", "b": "DOWN"}, "a", False, {"drain": True, "stop": True}),
    ("last up, other maint: stop", {"a": "UP", "b": "MAINT"}, "a", False, {"drain": True, "stop": True}),
    ("other only going up: stop", {"a": "UP", "b": "DOWN 1/2"}, "a", False, {"stop": True}),
    ("other going down is not UP: stop", {"a": "UP", "b": "UP 1/2"}, "a", False, {"stop": True}),
    ("other draining is not UP: stop", {"a": "UP", "b": "DRAIN"}, "a", False, {"stop": True}),
    ("one-host fleet: stop", {"a": "UP"}, "a", False, {"drain": True, "others_up": [], "stop": True}),
    ("one-host fleet, downtime accepted", {"a": "UP"}, "a", True, {"drain": True, "stop": False}),
    ("last up, downtime accepted", {"a": "UP", "b": "DOWN"}, "a", True, {"drain": True, "stop": False}),
    ("three, one other up", {"a": "UP", "b": "DOWN", "c": "UP"}, "a", False, {"others_up": ["c"], "stop": False}),
    ("host going down still drains", {"a": "UP 1/2", "b": "UP"}, "a", False, {"drain": True, "stop": False}),
]


@pytest.mark.parametrize(("servers", "host", "accept", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_whether_a_host_may_be_drained(
    servers: dict[str, str], host: str, accept: bool, expected: dict[str, Any]
) -> None:
    result = rollout.fleet_drain(stat(servers), "litellm", host, accept)
    assert set(result) == {"drain", "status", "others_up", "stop"}
    assert result["status"] == servers.get(host, "")
    for field, value in expected.items():
        assert (bool(result[field]) if field == "stop" else result[field]) == value, field


def test_a_stop_names_every_other_server_and_how_to_go_on() -> None:
    message = rollout.fleet_drain(stat({"a": "UP", "b": "DOWN", "c": "MAINT"}), "litellm", "a")["stop"]
    assert message.startswith("Not draining a: no other server of HAProxy's backend litellm is UP")
    assert "b (DOWN), c (MAINT)" in message
    assert "fleet_accept_downtime=true" in message
    assert "(the others: none)" in rollout.fleet_drain(stat({"a": "UP"}), "litellm", "a")["stop"]


GROUPS = [
    ("nothing to change, serving", {"a": "UP", "b": "UP"}, "a", False, "unchanged"),
    ("nothing to change, down", {"a": "DOWN", "b": "UP"}, "a", False, "unchanged"),
    ("nothing to change (text, before ansible-core 2.19)", {"a": "UP"}, "a", "False", "unchanged"),
    ("changes, serving", {"a": "UP", "b": "UP"}, "a", True, "serving"),
    ("changes, draining", {"a": "DRAIN", "b": "UP"}, "a", True, "serving"),
    ("changes, down", {"a": "DOWN", "b": "UP"}, "a", True, "idle"),
    ("changes, in maintenance", {"a": "MAINT", "b": "UP"}, "a", True, "idle"),
    ("changes, not yet a server of HAProxy's", {"b": "UP"}, "a", "True", "idle"),
]


@pytest.mark.parametrize(("servers", "host", "changes", "group"), [c[1:] for c in GROUPS], ids=[c[0] for c in GROUPS])
def test_the_rolling_play_a_host_goes_to(servers: dict[str, str], host: str, changes: Any, group: str) -> None:
    assert rollout.fleet_group(stat(servers), "litellm", host, changes) == group


def test_the_filters_ansible_loads() -> None:
    assert set(rollout.FilterModule().filters()) == {"fleet_servers", "fleet_serves", "fleet_drain", "fleet_group"}
