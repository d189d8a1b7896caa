"""Whether the LiteLLM container is what its definition asks for: the plan's
comparison, on the controller, of the planner's definition (litellm_plan.py:
container) with what the host look read of the container and its image
(library/litellm_host_state.py: inspect).

Every parameter of the definition is compared as community.docker's
docker_container compares it; the environment strictly (the image's, then
the env file's, then the definition's), through the HMAC digests the look
returns instead of values. A hand `docker update` of the memory limit or the
restart policy shows. Only the names of what differs come back, never a
value: the environment holds the secrets, so every error is a fixed message.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
NANOSECONDS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
HEALTH_KEYS = ("Test", "Interval", "Timeout", "StartPeriod", "Retries")
DOCKER_MOUNT = ("Type", "Source", "Target", "ReadOnly")
DEFINED_MOUNT = ("type", "source", "target", "read_only")
# Docker Engine does not answer on a local socket (DOCKER_HOST names another
# kind of address): the look could not inspect the container.
NOT_INSPECTED = "Docker Engine is not on a local socket (DOCKER_HOST): the container cannot be compared."
NOT_COMPARED = "Could not compare the container with its definition ({kind})."


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


def env_digests(container_id: str, environment: Mapping[str, Any]) -> list[str]:
    """The environment as the host look returns the container's: HMAC-SHA256 digests of its
    KEY=VALUE entries keyed with the container's id (library/litellm_host_state.py: env_digest)."""
    return sorted(
        hmac.new(container_id.encode(), f"{key}={value}".encode(), hashlib.sha256).hexdigest()
        for key, value in environment.items()
    )


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


def differences(definition: Mapping[str, Any], image_id: str, look: Mapping[str, Any], env_file: str) -> list[str]:
    """The names of the definition's parameters the container does not have. look: the host
    look's inspect (the container, its image's Env and Labels, the env digests); env_file: the
    env file's new content."""
    config, host = look.get("Config") or {}, look.get("HostConfig") or {}
    image_config = look.get("ImageConfig") or {}
    health = definition["healthcheck"]
    wanted_env = {**_pairs(image_config.get("Env")), **parse_env_file(env_file), **definition["env"]}
    restart = host.get("RestartPolicy") or {}
    log = host.get("LogConfig") or {}
    tmpfs = dict(entry.split(":", 1) for entry in definition["tmpfs"])
    checks = {
        "image": look.get("Image") == image_id,
        "command": list(config.get("Cmd") or []) == [str(item) for item in definition["command"]],
        "env": list(config.get("EnvDigests") or []) == env_digests(str(look.get("Id", "")), wanted_env),
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


def comparison(
    definition: Mapping[str, Any],
    image_id: str,
    container: Mapping[str, Any],
    docker: Mapping[str, Any],
    env_file: str,
) -> dict[str, Any] | None:
    """The plan's comparison (litellm_plan.py: definition_changed reads it): differs and the
    names of the fields that differ; None when there is nothing to compare (no container, or
    no image known: check mode before a pull). container: observe.yml's summary of it;
    docker: the host look's docker part, whose inspect is the container's."""
    if not container or not image_id:
        return None
    if "inspect" not in docker:
        raise AnsibleFilterError(NOT_INSPECTED)
    look = docker["inspect"]
    if not look:
        return {"differs": True, "fields": ["container"]}
    try:
        fields = differences(definition, image_id, look, env_file)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        # The kind of error only: the env file holds the secrets.
        raise AnsibleFilterError(NOT_COMPARED.format(kind=type(error).__name__)) from None
    return {"differs": bool(fields), "fields": fields}


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"litellm_container_comparison": comparison}
