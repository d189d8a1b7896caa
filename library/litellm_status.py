#!/usr/bin/python
"""What the LiteLLM proxy on a host is doing, in one module call, for
tasks/status.yml (tasks_from: status).

It asks Docker Engine's API on its local socket for the container (state,
health, restarts, whether the kernel killed it for memory, when it started,
the build its labels name) and its image's digest, asks the proxy for the
models it serves (/v1/models, with the master key) and, when the proxy is not
healthy, reads the last lines of its log. It never returns the container's
environment (its secrets); the log lines may hold anything the proxy printed,
so the task that calls it has no_log and the line it prints is masked
(filter_plugins/litellm_checks.py: mask). It changes nothing.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import ssl
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.litellm_docker_api import UnixConnection, docker_socket, get_json

DOCUMENTATION = r"""
module: litellm_status
short_description: Say what the LiteLLM container on a host is doing
description:
  - Reads the container O(container) and its image from Docker Engine's local socket, the models the
    proxy serves from its C(/v1/models) (with O(master_key)), and, when it is not healthy, the last
    O(log_lines) lines of its log.
  - Returns no value of the container's environment. Changes nothing; never fails on what it finds
    (Docker down, no container, a proxy that does not answer are answers).
options:
  container:
    description: The container's name.
    type: str
    required: true
  port:
    description: The port LiteLLM listens on inside the container.
    type: int
    default: 4000
  master_key:
    description: The key C(/v1/models) asks for.
    type: str
    required: true
    no_log: true
  log_lines:
    description: How many log lines to read from a proxy that is not healthy.
    type: int
    default: 20
  config_dir:
    description: The role's directory on the host (whether the role ever deployed here).
    type: path
    required: true
  marker:
    description: The name of the role's marker file in O(config_dir).
    type: str
    required: true
"""

RETURN = r"""
docker:
  description: C(up), C(down) (its socket does not answer) or C(remote) (DOCKER_HOST is not a local socket).
  type: str
"""

# datetime.UTC is Python 3.11's; the target's may be 3.8.
UTC = datetime.timezone.utc  # noqa: UP017
VERSION_LABEL = "litellm_bedrock.version"
DIGEST_LABEL = "litellm_bedrock.digest"


def proxy_url(inspect: dict[str, Any], port: int) -> str:
    """Where the host reaches the proxy: the address Docker publishes its port
    on (a wildcard is reached on loopback), https when LiteLLM serves TLS."""
    published = ((inspect.get("NetworkSettings") or {}).get("Ports") or {}).get(f"{port}/tcp") or []
    if not published:
        return ""
    ip = published[0].get("HostIp") or "0.0.0.0"  # Docker's way of saying every address
    host = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(ip, f"[{ip}]" if ":" in ip else ip)
    scheme = "https" if "--ssl_certfile_path" in (inspect.get("Args") or []) else "http"
    return f"{scheme}://{host}:{published[0].get('HostPort')}"


def uptime_seconds(started_at: str, now: datetime.datetime) -> int:
    """Seconds since Docker's StartedAt (RFC 3339 with nanoseconds)."""
    if not started_at or started_at.startswith("0001-"):
        return 0
    trimmed = started_at.rstrip("Z").split(".")[0]
    started = datetime.datetime.strptime(trimmed, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return max(int((now - started).total_seconds()), 0)


def summary(inspect: dict[str, Any], image: dict[str, Any] | None, now: datetime.datetime) -> dict[str, Any]:
    """The container's state, without anything of its environment."""
    state = inspect.get("State") or {}
    labels = (inspect.get("Config") or {}).get("Labels") or {}
    digests = (image or {}).get("RepoDigests") or []
    running = bool(state.get("Running"))
    return {
        "state": state.get("Status", "unknown"),
        "health": ((state.get("Health") or {}).get("Status") or "none") if running else "none",
        "restarts": int(inspect.get("RestartCount") or 0),
        "oom_killed": bool(state.get("OOMKilled")),
        "exit_code": int(state.get("ExitCode") or 0),
        "uptime_s": uptime_seconds(state.get("StartedAt", ""), now) if running else 0,
        "version": labels.get(VERSION_LABEL, ""),
        "digest": labels.get(DIGEST_LABEL, "") or (digests[0].split("@", 1)[1] if digests else ""),
        "image": (inspect.get("Config") or {}).get("Image", ""),
    }


def demux(raw: bytes) -> list[str]:
    """Docker's log stream of a container without a TTY: frames of an 8-byte
    header (stream, 0, 0, 0, size as 4 bytes big-endian) and the payload."""
    out, at = bytearray(), 0
    while at + 8 <= len(raw):
        size = int.from_bytes(raw[at + 4 : at + 8], "big")
        out += raw[at + 8 : at + 8 + size]
        at += 8 + size
    return out.decode("utf-8", errors="replace").splitlines()


def models(url: str, key: str) -> tuple[list[str], str]:
    """The ids /v1/models lists, or why there are none."""
    request = urllib.request.Request(f"{url}/v1/models", headers={"Authorization": f"Bearer {key}"})  # noqa: S310
    context = ssl._create_unverified_context()  # noqa: S323 - the proxy's own certificate, on its own address
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as answer:  # noqa: S310 - the role's URL
            data = json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return [], f"/v1/models answered {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return [], f"/v1/models did not answer ({type(getattr(error, 'reason', error)).__name__})"
    return sorted(str(m.get("id")) for m in data.get("data") or [] if isinstance(m, dict)), ""


def look(params: dict[str, Any], environ: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = {"deployed_here": os.path.exists(os.path.join(params["config_dir"], params["marker"]))}
    path = docker_socket(environ)
    if path is None:
        return {**result, "docker": "remote"}
    connection = UnixConnection(path)
    try:
        status, inspect = get_json(connection, f"/containers/{quote(params['container'])}/json")
        if status == 404:
            return {**result, "docker": "up", "container": False}
        if status != 200:
            return {**result, "docker": f"answered {status}"}
        image = get_json(connection, f"/images/{quote(inspect.get('Image', ''))}/json")[1]
        result.update(docker="up", container=True, **summary(inspect, image, datetime.datetime.now(UTC)))
        url = proxy_url(inspect, params["port"])
        result["url"] = url
        result["models"], result["models_error"] = models(url, params["master_key"]) if url else ([], "no port")
        if result["health"] != "healthy":
            connection.request(
                "GET", f"/containers/{quote(params['container'])}/logs?stdout=1&stderr=1&tail={params['log_lines']}"
            )
            result["log_tail"] = demux(connection.getresponse().read())
        return result
    except (OSError, http.client.HTTPException, ValueError):
        return {**result, "docker": "down"}
    finally:
        connection.close()


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "container": {"type": "str", "required": True},
            "port": {"type": "int", "default": 4000},
            "master_key": {"type": "str", "required": True, "no_log": True},
            "log_lines": {"type": "int", "default": 20},
            "config_dir": {"type": "path", "required": True},
            "marker": {"type": "str", "required": True},
        },
        supports_check_mode=True,
    )
    try:
        found = look(module.params, dict(os.environ))
    except Exception as error:  # a fixed message: a traceback could show what the proxy printed
        module.fail_json(msg=f"The status look failed ({type(error).__name__}); nothing was changed.")
    module.exit_json(changed=False, **found)


if __name__ == "__main__":
    main()
