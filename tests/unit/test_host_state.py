"""library/litellm_host_state.py: the one look at litellm_config_dir gives what
ansible.builtin.stat, find (file_type: file, hidden, get_checksum) and slurp gave."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import socketserver
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "library"))
import litellm_host_state as state  # noqa: E402 - found through the path above


def test_a_missing_directory_and_a_file_in_its_place(tmp_path: Path) -> None:
    assert state.look(tmp_path / "absent", []) == {
        "directory": {"exists": False, "isdir": False},
        "files": {},
        "contents": {},
    }
    (tmp_path / "file").write_text("x")
    assert state.look(tmp_path / "file", [])["directory"] == {
        "exists": True,
        "isdir": False,
        "realpath": str((tmp_path / "file").resolve()),
    }


def test_regular_files_with_checksum_owner_and_mode(tmp_path: Path) -> None:
    directory = tmp_path / "litellm"
    directory.mkdir(mode=0o700)
    os.chmod(directory, 0o700)
    (directory / "config.yaml").write_text("model_list: []\n")
    os.chmod(directory / "config.yaml", 0o644)
    (directory / ".managed-by-litellm-role").write_text("marker\n")
    (directory / "litellm.env").write_text("A=1\n")
    os.chmod(directory / "litellm.env", 0o600)
    (directory / "sub").mkdir()
    (directory / "link").symlink_to(directory / "config.yaml")
    result = state.look(directory, [])
    me = (os.getuid(), os.getgid())
    assert result["directory"] == {
        "exists": True,
        "isdir": True,
        "uid": me[0],
        "gid": me[1],
        "mode": "0700",
        "realpath": str(directory.resolve()),
        "entries": 5,  # the three files, sub and link
    }
    assert sorted(result["files"]) == [".managed-by-litellm-role", "config.yaml", "litellm.env"]
    assert result["files"]["config.yaml"] == {
        "sha1": hashlib.sha1(b"model_list: []\n").hexdigest(),  # noqa: S324 - the checksum find gives
        "uid": me[0],
        "gid": me[1],
        "mode": "0644",
    }
    assert result["files"]["litellm.env"]["mode"] == "0600"
    assert result["contents"] == {}


def test_the_directory_is_resolved_as_the_kernel_resolves_it(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    # A symlink on the way: the path is a directory, and realpath says where it really is.
    (tmp_path / "real" / "litellm").mkdir()
    found = state.look(tmp_path / "alias" / "litellm", [])["directory"]
    assert found["isdir"] and found["realpath"] == str((tmp_path / "real" / "litellm").resolve())
    # The path itself a symlink: not a directory of its own.
    assert state.look(tmp_path / "alias", [])["directory"]["isdir"] is False


def test_only_the_files_asked_for_are_read_and_at_most_64_kib(tmp_path: Path) -> None:
    (tmp_path / "served.json").write_text('{"files": {}}\n')
    (tmp_path / "salt-key.fingerprint").write_bytes(b"a" * (state.MAX_READ + 10))
    (tmp_path / "litellm.env").write_text("SECRET=1\n")
    result = state.look(tmp_path, ["served.json", "salt-key.fingerprint", "not-there"])
    assert result["contents"] == {"served.json": '{"files": {}}\n', "salt-key.fingerprint": "a" * state.MAX_READ}


def test_no_systemctl_means_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state.shutil, "which", lambda _name: None)
    assert state.unit_enabled("docker.service") is None
    assert state.unit_enabled("") is None


def test_a_listening_port_is_found_in_proc_net_tables(tmp_path: Path) -> None:
    header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    tcp = tmp_path / "tcp"
    tcp.write_text(
        header
        # 8080 listens; 4000 has an established connection only
        + "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1\n"
        + "   1: 0100007F:0FA0 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 2\n"
    )
    tcp6 = tmp_path / "tcp6"
    tcp6.write_text(header + "   0: 00000000000000000000000000000000:0FA1 00000000000000000000000000000000:0000 0A x\n")
    tables = (str(tcp), str(tcp6))
    assert state.port_listened(8080, tables) is True
    assert state.port_listened(4001, tables) is True  # on IPv6
    assert state.port_listened(4000, tables) is False  # a connection, not a listener
    assert state.port_listened(4000, (str(tmp_path / "none"),)) is None
    assert state.port_listened(0, tables) is None


class FakeDocker(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Docker Engine's API on a local socket: answers what it is asked for, as Docker would."""

    daemon_threads = True

    def __init__(self, path: str, status: int = 200) -> None:
        self.asked: list[str] = []
        self.status = status
        super().__init__(path, FakeDockerHandler)


class FakeDockerHandler(http.server.BaseHTTPRequestHandler):
    def address_string(self) -> str:
        return "local"

    def log_message(self, *_: object) -> None:
        pass

    def do_GET(self) -> None:
        server = self.server
        assert isinstance(server, FakeDocker)
        server.asked.append(self.path)
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        filters = json.loads(query["filters"][0]) if "filters" in query else {}
        body: Any
        if self.path.startswith("/containers/json"):
            # Docker's name filter matches a part of the name: the canary too.
            # ("gone": only the canary is left.)
            names = [n for name in filters["name"] for n in (name, f"{name}-canary") if n != "gone"]
            body = [{"Id": f"id-{n}", "Names": [f"/{n}"], "State": "running", "all": query.get("all")} for n in names]
        elif self.path.startswith("/containers/"):  # inspect, by id
            body = {"Id": self.path.split("/")[2], "Image": "sha256:1", "Config": {"Env": ["KEY=secret-value"]}}
        elif self.path.startswith("/images/sha256%3A1/json"):
            body = {"Id": "sha256:1", "Config": {"Env": ["HOME=/app"], "Labels": {"a": "b"}}}
        else:
            body = [{"Id": "sha256:1", "RepoTags": filters["reference"]}]
        data = json.dumps(body).encode()
        self.send_response(server.status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def fake_docker(tmp_path: Path) -> Iterator[FakeDocker]:
    server = FakeDocker(str(tmp_path / "docker.sock"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_docker_is_asked_for_the_containers_and_the_image_on_one_connection(fake_docker: FakeDocker) -> None:
    path = str(fake_docker.server_address)
    look = state.docker_look("litellm", "ghcr.io/berriai/litellm:main-stable", path)
    assert look == {
        "can_talk_to_docker": True,
        "containers": [
            {"Id": "id-litellm", "Names": ["/litellm"], "State": "running", "all": ["1"]},
            {"Id": "id-litellm-canary", "Names": ["/litellm-canary"], "State": "running", "all": ["1"]},
        ],
        "images": [{"Id": "sha256:1", "RepoTags": ["ghcr.io/berriai/litellm:main-stable"]}],
    }
    assert [url.split("?")[0] for url in fake_docker.asked] == ["/containers/json", "/images/json"]


def test_the_container_named_exactly_is_inspected_with_its_image_and_no_env_value(fake_docker: FakeDocker) -> None:
    look = state.docker_look("litellm", "ghcr.io/berriai/litellm:main-stable", str(fake_docker.server_address), True)
    assert fake_docker.asked[2:] == ["/containers/id-litellm/json", "/images/sha256%3A1/json"]
    assert look["inspect"]["Id"] == "id-litellm"
    assert look["inspect"]["ImageConfig"] == {"Env": ["HOME=/app"], "Labels": {"a": "b"}}
    assert look["inspect"]["Config"]["EnvDigests"] == [state.env_digest("id-litellm", "KEY=secret-value")]
    assert "secret-value" not in json.dumps(look)
    # Only a container whose name holds it (the canary): nothing inspected.
    gone = state.docker_look("gone", "x", str(fake_docker.server_address), True)
    assert [c["Names"] for c in gone["containers"]] == [["/gone-canary"]]
    assert gone["inspect"] is None


def test_docker_that_does_not_answer_or_answers_an_error(tmp_path: Path, fake_docker: FakeDocker) -> None:
    assert state.docker_look("litellm", "", str(tmp_path / "absent.sock")) == {"can_talk_to_docker": False}
    fake_docker.status = 500
    assert state.docker_look("litellm", "x", str(fake_docker.server_address)) == {"can_talk_to_docker": False}


def test_only_a_local_socket_is_asked() -> None:
    assert state.docker_socket({}) == "/var/run/docker.sock"
    assert state.docker_socket({"DOCKER_HOST": "unix:///run/user/1000/docker.sock"}) == "/run/user/1000/docker.sock"
    assert state.docker_socket({"DOCKER_HOST": "tcp://127.0.0.1:2376"}) is None
    assert state.docker_look("litellm", "x", None) == {"can_talk_to_docker": False}


def test_the_hosts_addresses_come_from_ip_and_none_when_it_cannot_run() -> None:
    lines = (
        "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever",
        "2: eth0    inet6 fe80::1/64 scope link",
    )
    assert state.host_addresses(("printf", "%s\n", *lines)) == ["127.0.0.1", "fe80::1"]
    assert state.host_addresses(("false",)) is None
    assert state.host_addresses(("/nonexistent/ip",)) is None


def test_the_probe_runs_on_the_one_image_found_unless_the_container_runs_it_with_its_labels(tmp_path: Path) -> None:
    command = ["echo", "probed", "{image}"]
    labels = ["litellm_bedrock.version", "litellm_bedrock.uid"]
    image = {"Id": "sha256:abc"}
    answer: dict = {"images": [image], "containers": []}
    assert state.probe_image(answer, "litellm", command, labels) == {
        "image": "sha256:abc",
        "rc": 0,
        "stdout": "probed sha256:abc\n",
        "stderr": "",
    }
    container = {"Names": ["/litellm"], "ImageID": "sha256:abc", "Labels": dict.fromkeys(labels, "x")}
    assert state.probe_image({**answer, "containers": [container]}, "litellm", command, labels) is None
    # Another container's labels, a missing label or another image: probed.
    other = {**container, "Names": ["/litellm-previous"]}
    assert state.probe_image({**answer, "containers": [other]}, "litellm", command, labels) is not None
    unlabelled = {**container, "Labels": {"litellm_bedrock.version": "x"}}
    assert state.probe_image({**answer, "containers": [unlabelled]}, "litellm", command, labels) is not None
    older = {**container, "ImageID": "sha256:old"}
    assert state.probe_image({**answer, "containers": [older]}, "litellm", command, labels) is not None
    # Labels written for another image (copied by hand, by compose): probed.
    with_image = [*labels, state.IMAGE_LABEL]
    copied = {**container, "Labels": {**dict.fromkeys(labels, "x"), state.IMAGE_LABEL: "sha256:old"}}
    assert state.probe_image({**answer, "containers": [copied]}, "litellm", command, with_image) is not None
    own = {**container, "Labels": {**dict.fromkeys(labels, "x"), state.IMAGE_LABEL: "sha256:abc"}}
    assert state.probe_image({**answer, "containers": [own]}, "litellm", command, with_image) is None
    # No image, two images, or no command: nothing runs.
    assert state.probe_image({"images": []}, "litellm", command, labels) is None
    assert state.probe_image({"images": [image, {"Id": "sha256:def"}]}, "litellm", command, labels) is None
    assert state.probe_image(answer, "litellm", [], labels) is None
    assert state.probe_image(answer, "litellm", [str(tmp_path / "none"), "{image}"], labels)["rc"] == 127
