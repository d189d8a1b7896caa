"""Docker Engine's API on its local socket, for the litellm role's modules.

Plain http.client over the Unix socket: the target needs no Docker SDK. Runs
on the target's Python (3.8 and later)."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Mapping
from typing import Any


class UnixConnection(http.client.HTTPConnection):
    """HTTP over Docker Engine's local socket."""

    def __init__(self, path: str, timeout: float = 10) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def docker_socket(environ: Mapping[str, str]) -> str | None:
    """The local socket Docker Engine answers on; None when DOCKER_HOST names another kind of address."""
    address = environ.get("DOCKER_HOST", "") or "unix:///var/run/docker.sock"
    # Sliced, for the target's Python: 3.8 and later (the README says so).
    return address[len("unix://") :] if address.startswith("unix://") else None


def get_json(connection: http.client.HTTPConnection, url: str) -> tuple[int, Any]:
    """(status, the answer as data; None unless 200)."""
    connection.request("GET", url)
    response = connection.getresponse()
    body = response.read()
    return response.status, json.loads(body) if response.status == 200 else None
