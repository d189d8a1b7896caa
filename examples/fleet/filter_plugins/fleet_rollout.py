"""The rolling update's decisions (examples/fleet/site.yml), from HAProxy's
`show stat`: which hosts serve, and whether one may be drained now.

Typed and unit-tested (tests/unit/test_fleet_rollout.py); the playbook only
carries them out. Ansible loads this file because it sits beside site.yml.
"""

from __future__ import annotations

import csv
import io
from typing import Any

# A server in these states may hold sessions: it is drained before its update.
# "UP 1/2" (a check just failed) still takes traffic; "DOWN 1/2" (a check just
# passed) does not yet; MAINT takes none; "no check" is always sent traffic.
_SERVING = ("UP", "DRAIN", "NOLB", "no check")


def fleet_servers(stat: str, backend: str) -> dict[str, str]:
    """Each server of `backend` and its status, from `show stat`'s CSV (whose
    header line starts with "# ")."""
    text = stat.lstrip()
    rows = csv.DictReader(io.StringIO(text[2:] if text.startswith("# ") else text))
    return {
        row["svname"]: row["status"]
        for row in rows
        if row.get("pxname") == backend and row.get("svname") not in ("FRONTEND", "BACKEND")
    }


def fleet_serves(status: str) -> bool:
    """Whether HAProxy may be sending a server (of this status) requests."""
    return status == "no check" or status.split(" ")[0] in _SERVING


def fleet_drain(stat: str, backend: str, host: str, accept_downtime: bool = False) -> dict[str, Any]:
    """Whether `host` may be taken out of `backend` now, read from a fresh
    `show stat`. drain: it serves, so it is drained first; stop: why the
    rollout must stop before touching it (empty: go on)."""
    servers = fleet_servers(stat, backend)
    status = servers.get(host, "")
    others = {name: state for name, state in servers.items() if name != host}
    up = sorted(name for name, state in others.items() if state == "UP")
    result: dict[str, Any] = {"drain": fleet_serves(status), "status": status, "others_up": up, "stop": ""}
    if not result["drain"] or up or accept_downtime:
        return result
    down = ", ".join(f"{name} ({state})" for name, state in sorted(others.items())) or "none"
    result["stop"] = (
        f"Not draining {host}: no other server of HAProxy's backend {backend} is UP (the others: {down}), so "
        "clients would get 503 until it serves again. Bring the others back first (site.yml updates the "
        "servers HAProxy sends nothing before it drains any), or accept the downtime with "
        "-e fleet_accept_downtime=true."
    )
    return result


def fleet_group(stat: str, backend: str, host: str, changes: Any) -> str:
    """The rolling play a host goes to: `unchanged` (the role's plan changes
    nothing on it: no drain, no update), `idle` (HAProxy sends it nothing:
    updated first, without a drain) or `serving`."""
    if not (changes is True or str(changes).strip().lower() == "true"):
        return "unchanged"
    return "serving" if fleet_serves(fleet_servers(stat, backend).get(host, "")) else "idle"


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "fleet_servers": fleet_servers,
            "fleet_serves": fleet_serves,
            "fleet_drain": fleet_drain,
            "fleet_group": fleet_group,
        }
