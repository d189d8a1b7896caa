#!/usr/bin/python
"""Whether the LiteLLM container is what its definition asks for, in one module call.

The plan used to find out by running community.docker.docker_container in
check mode: over a second of a run that changes nothing, most of it loading
the module. This module asks Docker Engine's API for the container and its
image (two GETs on the local socket), reads the env file on the host, and
compares every parameter of the definition the role gives the container
(filter_plugins/litellm_plan.py: container) as docker_container compares
them, the environment strictly (the image's, then the env file's, then the
definition's). A hand `docker update` of the memory limit or the restart
policy shows. It returns the names of the parameters that differ, never a
value: the environment holds the secrets. It only reads.
"""

from __future__ import annotations

import http.client
import os
import re
from typing import Any
from urllib.parse import quote

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.litellm_docker_api import UnixConnection, docker_socket, get_json

DOCUMENTATION = r"""
module: litellm_container_compare
short_description: Compare the LiteLLM container with its definition
description:
  - Reads the container O(definition.name) and the image O(image) from Docker Engine's local socket,
    and the env file O(definition.env_file) on the host.
  - Compares the image, command, environment (strictly, over the image's), published ports, mounts,
    memory limit, restart policy, stop timeout, health check, log options, security options, dropped
    capabilities, read-only root, tmpfs mounts and labels (over the image's).
  - Returns the names of what differs, never a value. Fails with a fixed message naming the kind of
    error when Docker does not answer or the env file cannot be read.
options:
  definition:
    description: The container's definition (filter_plugins/litellm_plan.py, container).
    type: dict
    required: true
  image:
    description: The id of the image the container should run.
    type: str
    required: true
"""

RETURN = r"""
differs:
  description: Whether the container would be recreated (or there is none).
  type: bool
fields:
  description: The definition's parameters that differ ("container" when there is none).
  type: list
"""

UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
NANOSECONDS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def memory_bytes(text: Any) -> int:
    """Docker's memory limit as given ("1536m", "0") in bytes."""
    found = re.fullmatch(r"(\d+)([bkmg]?)b?", str(text).strip().lower())
    if found is None:
        raise ValueError("memory")
    return int(found.group(1)) * UNITS[found.group(2)]


def nanoseconds(text: Any) -> int:
    """A duration as Docker's health check takes it ("30s", "1m30s") in nanoseconds."""
    parts = DURATION.findall(str(text).strip())
    if not parts or "".join(number + unit for number, unit in parts) != str(text).strip():
        raise ValueError("duration")
    return int(sum(float(number) * NANOSECONDS[unit] for number, unit in parts))


def parse_env_file(text: str) -> dict[str, str]:
    """As community.docker reads an env file: # lines skipped, then each line stripped, KEY=VALUE."""
    environment = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, separator, value = line.strip().partition("=")
        if not separator:
            raise ValueError("env file")
        environment[key] = value
    return environment


def _pairs(entries: list[str] | None) -> dict[str, str]:
    return dict(entry.split("=", 1) if "=" in entry else (entry, "") for entry in entries or [])


def _ports(published: list[str]) -> dict[str, list[dict[str, str]]]:
    bindings: dict[str, list[dict[str, str]]] = {}
    for entry in published:
        address, host_port, container_port = entry.rsplit(":", 2)
        address = address[1:-1] if address.startswith("[") else address
        bindings.setdefault(f"{container_port}/tcp", []).append({"HostIp": address, "HostPort": host_port})
    return bindings


def _mounts(mounts: list[dict[str, Any]] | None, keys: tuple[str, str, str, str]) -> list[tuple[str, ...]]:
    """Mounts as comparable rows: Docker's (Type, Source, Target, ReadOnly) or the definition's."""
    kind, source, target, read_only = keys
    return sorted(
        (str(m.get(kind)), str(m.get(source)), str(m.get(target)), str(bool(m.get(read_only)))) for m in mounts or []
    )


DOCKER_MOUNT = ("Type", "Source", "Target", "ReadOnly")
DEFINED_MOUNT = ("type", "source", "target", "read_only")
HEALTH_KEYS = ("Test", "Interval", "Timeout", "StartPeriod", "Retries")


def differences(
    definition: dict[str, Any], image_id: str, container: dict[str, Any], image: dict[str, Any], env_file: str
) -> list[str]:
    """The names of the definition's parameters the container does not have."""
    config, host = container.get("Config") or {}, container.get("HostConfig") or {}
    image_config = image.get("Config") or {}
    health = definition["healthcheck"]
    wanted_env = {**_pairs(image_config.get("Env")), **parse_env_file(env_file), **definition["env"]}
    restart = host.get("RestartPolicy") or {}
    log = host.get("LogConfig") or {}
    tmpfs = dict(entry.split(":", 1) for entry in definition["tmpfs"])
    checks = {
        "image": container.get("Image") == image_id,
        "command": list(config.get("Cmd") or []) == [str(item) for item in definition["command"]],
        "env": _pairs(config.get("Env")) == {key: str(value) for key, value in wanted_env.items()},
        "published_ports": (host.get("PortBindings") or {}) == _ports(definition["published_ports"]),
        "mounts": _mounts(host.get("Mounts"), DOCKER_MOUNT) == _mounts(definition["mounts"], DEFINED_MOUNT),
        "memory": int(host.get("Memory") or 0) == memory_bytes(definition["memory"]),
        "restart_policy": (restart.get("Name") or "no") == definition["restart_policy"],
        "stop_timeout": config.get("StopTimeout") == int(definition["stop_timeout"]),
        "healthcheck": {key: (config.get("Healthcheck") or {}).get(key) for key in HEALTH_KEYS}
        == {
            "Test": list(health["test"]),
            "Interval": nanoseconds(health["interval"]),
            "Timeout": nanoseconds(health["timeout"]),
            "StartPeriod": nanoseconds(health["start_period"]),
            "Retries": int(health["retries"]),
        },
        "log_options": log.get("Type") == "json-file"
        and (log.get("Config") or {}) == {k: str(v) for k, v in definition["log_options"].items()},
        "security_opts": sorted(host.get("SecurityOpt") or []) == sorted(definition["security_opts"]),
        "cap_drop": sorted(host.get("CapDrop") or []) == sorted(definition["cap_drop"]),
        "read_only": bool(host.get("ReadonlyRootfs")) == bool(definition["read_only"]),
        "tmpfs": (host.get("Tmpfs") or {}) == tmpfs,
        "labels": (config.get("Labels") or {})
        == {**(image_config.get("Labels") or {}), **{k: str(v) for k, v in definition["labels"].items()}},
    }
    return [name for name, same in checks.items() if not same]


def ask(path: str, name: str, image_id: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the container's inspect, None when there is none; the image's inspect)."""
    connection = UnixConnection(path)
    try:
        status, container = get_json(connection, f"/containers/{quote(name)}/json")
        if status == 404:
            return None, {}
        if status != 200:
            raise http.client.HTTPException(f"status {status}")
        status, image = get_json(connection, f"/images/{quote(image_id)}/json")
        if status != 200:
            raise http.client.HTTPException(f"status {status}")
        return container, image
    finally:
        connection.close()


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "definition": {"type": "dict", "required": True},
            "image": {"type": "str", "required": True},
        },
        supports_check_mode=True,
    )
    definition, image_id = module.params["definition"], module.params["image"]
    path = docker_socket(dict(os.environ))
    if path is None:
        module.fail_json(msg="Docker Engine is not on a local socket (DOCKER_HOST): the container cannot be compared.")
    try:
        container, image = ask(path, definition["name"], image_id)
    except (OSError, http.client.HTTPException, ValueError) as error:
        module.fail_json(msg=f"Docker Engine did not answer the comparison of the container ({type(error).__name__}).")
    if container is None:
        module.exit_json(changed=False, differs=True, fields=["container"])
    try:
        with open(definition["env_file"], encoding="utf-8") as stream:
            env_file = stream.read()
        fields = differences(definition, image_id, container, image, env_file)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        # The kind of error only: the env file holds the secrets.
        module.fail_json(msg=f"Could not compare the container with its definition ({type(error).__name__}).")
    module.exit_json(changed=False, differs=bool(fields), fields=fields)


if __name__ == "__main__":
    main()
