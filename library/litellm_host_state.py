#!/usr/bin/python
"""One look at what the litellm role keeps on a host, in one module call.

A run that changes nothing is what operators run most, and every module call
costs about a third of a second. ansible.builtin.stat, find, two slurps, a
service look, ss, ip and docker_host_info gave these answers in up to eight
calls: this module reads litellm_config_dir, its regular files (sha1, owner,
group, mode) and the small state files the role reads back (the salt key's
fingerprint and the record of what served), says whether Docker's systemd
unit is enabled, whether anything listens on the proxy's port and, when
asked, the host's addresses, and asks Docker Engine's API, on its local
socket, for the container summaries and the image (what docker_host_info
returns with verbose_output), and, when asked, the role's container and its
image as the plan compares them with the container's definition (its
environment only as digests, see INSPECTED). When that image is already there, it also runs
the role's probe of it (which LiteLLM version and user it holds: a throwaway
container without network in which the image's Python only reads files),
saving the module run the role would otherwise spend on it. It changes
nothing on the host.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.litellm_docker_api import UnixConnection, docker_socket, get_json

DOCUMENTATION = r"""
module: litellm_host_state
short_description: Read litellm_config_dir, its files and whether a systemd unit is enabled
description:
  - Reads a directory, the sha1, owner, group and mode of each regular file in it (hidden ones
    included, symbolic links not followed), and the content of the files named in O(read).
  - Says whether a systemd unit is enabled (C(systemctl is-enabled) prints C(enabled)); null
    when the host has no systemctl.
  - Changes nothing. Its messages name paths only, never a file's content.
options:
  path:
    description: The directory.
    type: path
    required: true
  read:
    description: Names of files in O(path) whose content (UTF-8, its first 64 KiB) is returned.
    type: list
    elements: str
    default: []
  unit:
    description: The systemd unit to ask about; empty to skip the question.
    type: str
    default: docker.service
  port:
    description: A TCP port to look for listeners on (0 to skip the question).
    type: int
    default: 0
  addresses:
    description: List the host's addresses (C(ip -o addr show)), to check an address to publish on.
    type: bool
    default: false
  containers:
    description: Ask Docker Engine for the containers (all, running or not) whose name matches this (empty to skip).
    type: str
    default: ""
  image:
    description: Ask Docker Engine for the images that match this reference (empty to skip).
    type: str
    default: ""
  inspect:
    description:
      - Also inspect the container named exactly O(containers) and its image, for the plan's
        comparison with the container's definition (filter_plugins/litellm_compare.py). The
        environment is returned only as HMAC-SHA256 digests of its C(KEY=VALUE) entries, keyed
        with the container's id: never a value.
    type: bool
    default: false
  probe:
    description:
      - A command that reads what the image holds (empty to skip), for example
        C(docker run --rm ... --entrypoint=python3 {image} -I -S -c SCRIPT); its C({image})
        item is replaced by the image's id. Run only when Docker Engine found exactly one
        image for O(image), and the container named O(containers) does not already run that
        image with every label of O(probe_labels).
    type: list
    elements: str
    default: []
  probe_labels:
    description: The labels that say what a container's image holds (see O(probe)).
    type: list
    elements: str
    default: []
"""

RETURN = r"""
directory:
  description: >-
    exists, isdir, realpath (as the kernel resolves it), and for a directory uid, gid, mode (C(0700) form) and
    entries (how many, of any kind).
  type: dict
files:
  description: Name to {sha1, uid, gid, mode} of each regular file in the directory.
  type: dict
contents:
  description: Name to content of each file of O(read) that exists.
  type: dict
unit_enabled:
  description: Whether O(unit) is enabled at boot; null when it could not be asked.
  type: bool
vcpus:
  description: The host's online vCPUs (1 when they cannot be counted).
  type: int
port_listened:
  description: Whether a socket listens on TCP O(port) (/proc/net/tcp and tcp6); null when unknown.
  type: bool
addresses:
  description: With O(addresses), the host's IPv4 and IPv6 addresses; null when C(ip) could not list them.
  type: list
probe:
  description: When O(probe) ran, image (the image id), rc, stdout and stderr of the command.
  type: dict
docker:
  description: >-
    When O(containers) or O(image) is set, can_talk_to_docker, and when it is true the
    containers and images lists of Docker Engine's API (/containers/json, /images/json), as
    community.docker.docker_host_info returns them with verbose_output; with O(inspect), inspect:
    the container's and its image's parameters the plan compares (null when there is no such
    container; see INSPECTED). Only a local socket is
    asked (DOCKER_HOST unix://, or /var/run/docker.sock): can_talk_to_docker is false when it
    does not answer, or DOCKER_HOST names another kind of address.
  type: dict
"""

MAX_READ = 64 * 1024


def mode_text(mode: int) -> str:
    return f"{stat.S_IMODE(mode):04o}"


def sha1(path: Path) -> str:
    digest = hashlib.sha1()  # noqa: S324 - the checksum ansible.builtin.find and copy compare
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def look(path: Path, read: list[str]) -> dict[str, Any]:
    """The directory, its regular files and the contents asked for."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return {"directory": {"exists": False, "isdir": False}, "files": {}, "contents": {}}
    # realpath: where the kernel resolves it (a symlink on the way to /etc).
    real = os.path.realpath(path)
    if not stat.S_ISDIR(info.st_mode):
        return {"directory": {"exists": True, "isdir": False, "realpath": real}, "files": {}, "contents": {}}
    directory = {
        "exists": True,
        "isdir": True,
        "uid": info.st_uid,
        "gid": info.st_gid,
        "mode": mode_text(info.st_mode),
        "realpath": real,
        "entries": 0,
    }
    files: dict[str, dict[str, Any]] = {}
    contents: dict[str, str] = {}
    with os.scandir(path) as entries:
        for entry in entries:
            directory["entries"] += 1
            if not entry.is_file(follow_symlinks=False):
                continue
            st = entry.stat(follow_symlinks=False)
            files[entry.name] = {
                "sha1": sha1(Path(entry.path)),
                "uid": st.st_uid,
                "gid": st.st_gid,
                "mode": mode_text(st.st_mode),
            }
            if entry.name in read:
                with Path(entry.path).open("rb") as handle:
                    contents[entry.name] = handle.read(MAX_READ).decode("utf-8", errors="replace")
    return {"directory": directory, "files": files, "contents": contents}


def unit_enabled(unit: str) -> bool | None:
    systemctl = shutil.which("systemctl")
    if not unit or systemctl is None:
        return None
    answer = subprocess.run([systemctl, "is-enabled", unit], capture_output=True, text=True, check=False)
    return answer.stdout.strip() == "enabled"


def port_listened(port: int, tables: tuple[str, ...] = ("/proc/net/tcp", "/proc/net/tcp6")) -> bool | None:
    """Whether a socket listens on TCP port; None when not asked or no table could be read."""
    if not port:
        return None
    known = None
    for table in tables:
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        known = False
        for row in rows:
            fields = row.split()  # sl local_address rem_address st ...: st 0A is LISTEN
            if len(fields) > 3 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                return True
    return known


def host_addresses(command: tuple[str, ...] = ("ip", "-o", "addr", "show")) -> list[str] | None:
    """The host's addresses, from `ip -o addr show` (index, name, family, address/prefix, ...)."""
    try:
        output = subprocess.run(command, capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return [fields[3].rsplit("/", 1)[0] for fields in map(str.split, output.splitlines()) if len(fields) > 3]


# What the plan compares of the container (filter_plugins/litellm_compare.py:
# differences) and of its image (the environment and labels it starts from).
INSPECTED = {
    "Config": ("Cmd", "StopTimeout", "Healthcheck", "Labels"),
    "HostConfig": ("PortBindings", "Mounts", "Memory", "RestartPolicy", "LogConfig", "SecurityOpt", "CapDrop",
                   "ReadonlyRootfs", "Tmpfs"),
}  # fmt: skip


def env_digest(container_id: str, entry: str) -> str:
    """An environment entry (KEY=VALUE) as the plan compares it: an HMAC-SHA256 keyed with the
    container's id, so that no value (the secrets) leaves the host, not even as a plain hash."""
    return hmac.new(container_id.encode(), entry.encode(), hashlib.sha256).hexdigest()


def inspected(container: dict[str, Any], image: dict[str, Any]) -> dict[str, Any]:
    """The container's and its image's parameters the plan compares; the environment as digests."""
    config, host = container.get("Config") or {}, container.get("HostConfig") or {}
    return {
        "Id": container.get("Id", ""),
        "Image": container.get("Image", ""),
        "Config": {
            **{key: config.get(key) for key in INSPECTED["Config"]},
            "EnvDigests": sorted(env_digest(container.get("Id", ""), entry) for entry in config.get("Env") or []),
        },
        "HostConfig": {key: host.get(key) for key in INSPECTED["HostConfig"]},
        "ImageConfig": {
            "Env": (image.get("Config") or {}).get("Env") or [],
            "Labels": (image.get("Config") or {}).get("Labels") or {},
        },
    }


def _inspect(connection: http.client.HTTPConnection, answers: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The container named exactly `name` and its image, inspected (None: there is none)."""
    own = [c for c in answers.get("containers") or [] if f"/{name}" in (c.get("Names") or [])]
    if not own:
        return None
    status, container = get_json(connection, f"/containers/{quote(own[0]['Id'])}/json")
    if status != 200:
        raise http.client.HTTPException(f"status {status}")
    status, image = get_json(connection, f"/images/{quote(container.get('Image', ''))}/json")
    return inspected(container, image if status == 200 else {})


def docker_look(containers: str, image: str, path: str | None, inspect: bool = False) -> dict[str, Any]:
    """The containers whose name matches and the images of a reference, with `inspect` the
    container named exactly `containers` inspected; can_talk_to_docker false when unanswered."""
    if path is None:
        return {"can_talk_to_docker": False}
    asks = {}
    if containers:
        asks["containers"] = "/containers/json?all=1&filters=" + quote(json.dumps({"name": [containers]}))
    if image:
        asks["images"] = "/images/json?filters=" + quote(json.dumps({"reference": [image]}))
    answers: dict[str, Any] = {"can_talk_to_docker": True}
    try:
        connection = UnixConnection(path)
        try:
            for name, url in asks.items():
                status, answers[name] = get_json(connection, url)
                if status != 200:
                    return {"can_talk_to_docker": False}
            if inspect and containers:
                answers["inspect"] = _inspect(connection, answers, containers)
        finally:
            connection.close()
    except (OSError, http.client.HTTPException, ValueError):
        return {"can_talk_to_docker": False}
    return answers


# The label that names the image id the others were written for.
IMAGE_LABEL = "litellm_bedrock.image"


def probe_image(answer: dict[str, Any], name: str, command: list[str], labels: list[str]) -> dict[str, Any] | None:
    """Run command on Docker's one image of the reference, unless the named container already runs
    it with every label; None when not run."""
    images = answer.get("images") or []
    if not command or len(images) != 1:
        return None
    image = images[0]["Id"]
    own = [c for c in answer.get("containers") or [] if f"/{name}" in (c.get("Names") or [])]
    found = (own[0].get("Labels") or {}) if own else {}
    # Labels are believed only for the image they were written for (IMAGE_LABEL).
    if (
        own
        and own[0].get("ImageID") == image
        and all(label in found for label in labels)
        and found.get(IMAGE_LABEL, image) == image
    ):
        return None
    argv = [image if item == "{image}" else item for item in command]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.SubprocessError) as error:
        return {"image": image, "rc": 127, "stdout": "", "stderr": str(error)}
    return {"image": image, "rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "read": {"type": "list", "elements": "str", "default": []},
            "unit": {"type": "str", "default": "docker.service"},
            "port": {"type": "int", "default": 0},
            "addresses": {"type": "bool", "default": False},
            "containers": {"type": "str", "default": ""},
            "image": {"type": "str", "default": ""},
            "inspect": {"type": "bool", "default": False},
            "probe": {"type": "list", "elements": "str", "default": []},
            "probe_labels": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    path = Path(module.params["path"])
    try:
        result = look(path, module.params["read"])
    except OSError as error:
        # The path and the error's kind only: never a file's content.
        module.fail_json(msg=f"could not read {path}: {error.strerror or type(error).__name__}")
    params = module.params
    docker = (
        {
            "docker": docker_look(
                params["containers"], params["image"], docker_socket(dict(os.environ)), params["inspect"]
            )
        }
        if params["containers"] or params["image"]
        else {}
    )
    probe = probe_image(docker.get("docker", {}), params["containers"], params["probe"], params["probe_labels"])
    if probe is not None:
        docker["probe"] = probe
    module.exit_json(
        changed=False,
        unit_enabled=unit_enabled(module.params["unit"]),
        vcpus=os.cpu_count() or 1,
        port_listened=port_listened(module.params["port"]),
        **({"addresses": host_addresses()} if params["addresses"] else {}),
        **result,
        **docker,
    )


if __name__ == "__main__":
    main()
