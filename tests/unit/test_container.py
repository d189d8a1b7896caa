"""filter_plugins/litellm_plan.py: the LiteLLM container's one definition
(container, sources), for each purpose run_container.yml is included for."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "filter_plugins"))
import litellm_plan as planner  # noqa: E402 - found through the path above

CONSTANTS = yaml.safe_load((ROOT / "vars" / "main.yml").read_text())
TMP = planner.CONTAINER_TMP
TLS = [{"name": "tls.crt", "target": "/app/tls/tls.crt"}, {"name": "tls.key", "target": "/app/tls/tls.key"}]


def settings(**over: Any) -> dict[str, Any]:
    """run_container.yml's _litellm_container_settings for the defaults."""
    return {
        "name": "litellm",
        "image": "ghcr.io/berriai/litellm@sha256:abc",
        "restart_policy": "unless-stopped",
        "workers": 2,
        "max_requests": 0,
        "bind_host": "0.0.0.0",
        "port": 4000,
        "config_dir": "/etc/litellm",
        "files": ["config.yaml", "litellm.env"],
        "extra": [],
        "memory": "1536m",
        "memory_per_process_mb": "512",  # as text: the task's vars are templated
        "canary_memory": "768m",
        "read_only": False,
        "tmpfs": {TMP: "64m", "/app/.cache": "64m"},
        "metrics": False,
        "metrics_dir": CONSTANTS["_litellm_metrics_dir"],
        "metrics_tmpfs_size": CONSTANTS["_litellm_metrics_tmpfs_size"],
        "uid": 65532,
        "gid": 65532,
        "labels": {"litellm_bedrock.version": "1.108.7"},
        "stop_timeout": "40",  # as text: the task's vars are templated
        "log_max_size": "10m",
        "log_max_file": 3,
        "healthcheck_interval": "30s",
        "healthcheck_retries": "3",
        "startup_timeout": 120,
        "security_opts": [],
        **over,
    }


def healthcheck(scheme: str) -> list[str]:
    return [
        "CMD",
        "python",
        "-c",
        f"import ssl, urllib.request; urllib.request.urlopen('{scheme}://127.0.0.1:4000/health/liveliness',"
        " timeout=8, context=ssl._create_unverified_context())",
    ]


def test_the_live_container() -> None:
    assert planner.container(settings(), "live") == {
        "name": "litellm",
        "image": "ghcr.io/berriai/litellm@sha256:abc",
        "restart_policy": "unless-stopped",
        "command": ["--config", "/app/config.yaml", "--port", "4000", "--num_workers", "2"],
        "published_ports": ["0.0.0.0:4000:4000"],
        "mounts": [
            {"type": "bind", "source": "/etc/litellm/config.yaml", "target": "/app/config.yaml", "read_only": True},
        ],
        "env_file": "/etc/litellm/litellm.env",
        "env": {},
        "memory": "1536m",
        "read_only": False,
        "tmpfs": [],
        "labels": {"litellm_bedrock.version": "1.108.7"},
        "stop_timeout": 40,
        "log_options": {"max-size": "10m", "max-file": "3"},
        "healthcheck": {
            "test": healthcheck("http"),
            "interval": "30s",
            "timeout": "10s",
            "retries": 3,
            "start_period": "120s",
        },
        "security_opts": ["no-new-privileges"],
        "cap_drop": ["ALL"],
    }


def test_the_canary_is_the_candidate_proxy_with_one_worker_no_port_and_no_migration() -> None:
    got = planner.container(
        settings(max_requests=500),
        "canary",
        ["config.yaml", "litellm.env"],
        use_candidates=True,
        config="/etc/litellm/config.yaml.canary",
        name="litellm-canary",
    )
    live = planner.container(settings(max_requests=500), "live")
    assert got["name"] == "litellm-canary"
    assert got["command"] == ["--config", "/app/config.yaml", "--port", "4000", "--num_workers", "1"]
    assert "--max_requests_before_restart" in live["command"]
    assert got["published_ports"] == []
    assert got["restart_policy"] == "no"
    assert got["env"] == {"DISABLE_SCHEMA_UPDATE": "true"}
    assert got["memory"] == "768m"
    assert got["mounts"][0]["source"] == "/etc/litellm/config.yaml.canary"
    assert got["env_file"] == "/etc/litellm/litellm.env.candidate"
    # Everything else is the live container's.
    same = {"image", "read_only", "tmpfs", "labels", "healthcheck", "security_opts", "cap_drop", "stop_timeout"}
    assert {k: got[k] for k in same} == {k: live[k] for k in same}


@pytest.mark.parametrize(
    ("purpose", "use_candidates", "want"),
    [
        # The plan compares the env file by its content, mounts by their paths:
        # only the env file's candidate, so a changed config.yaml is not a recreate.
        ("plan", True, {"config.yaml": "", "litellm.env": ".candidate", "tls.crt": ""}),
        ("canary", True, {"config.yaml": ".candidate", "litellm.env": ".candidate", "tls.crt": ".candidate"}),
        ("live", False, {"config.yaml": "", "litellm.env": "", "tls.crt": ""}),
        ("rollback", False, {"config.yaml": "", "litellm.env": "", "tls.crt": ""}),
    ],
)
def test_each_purpose_reads_the_files_it_should(purpose: str, use_candidates: bool, want: dict[str, str]) -> None:
    changed = ["config.yaml", "litellm.env", "tls.crt"]
    names = ["config.yaml", "litellm.env", "tls.crt", "tls.key"]
    got = planner.sources("/etc/litellm", names, changed, purpose, use_candidates)
    assert got == {name: f"/etc/litellm/{name}{want.get(name, '')}" for name in names}


def test_only_changed_files_are_read_from_their_candidates() -> None:
    got = planner.sources("/etc/litellm", ["config.yaml", "litellm.env"], ["config.yaml"], "canary", True)
    assert got == {"config.yaml": "/etc/litellm/config.yaml.candidate", "litellm.env": "/etc/litellm/litellm.env"}


def test_tls_mounts_the_certificate_and_key_and_serves_https_with_them() -> None:
    got = planner.container(settings(files=["config.yaml", "litellm.env", "tls.crt", "tls.key"], extra=TLS), "live")
    assert got["command"][-4:] == [
        "--ssl_certfile_path",
        "/app/tls/tls.crt",
        "--ssl_keyfile_path",
        "/app/tls/tls.key",
    ]
    assert got["healthcheck"]["test"] == healthcheck("https")
    assert got["mounts"][1:] == [
        {"type": "bind", "source": "/etc/litellm/tls.crt", "target": "/app/tls/tls.crt", "read_only": True},
        {"type": "bind", "source": "/etc/litellm/tls.key", "target": "/app/tls/tls.key", "read_only": True},
    ]


@pytest.mark.parametrize("flag", [True, "True", "true"])  # text before ansible-core 2.19
def test_read_only_mounts_tmpfs_owned_by_the_image_user(flag: Any) -> None:
    got = planner.container(settings(read_only=flag), "live")
    assert got["read_only"] is True
    assert got["tmpfs"] == [f"{TMP}:size=64m,mode=1777", "/app/.cache:size=64m,uid=65532,gid=65532,mode=0700"]


@pytest.mark.parametrize("flag", [False, "False", ""])
def test_a_writable_container_has_no_tmpfs(flag: Any) -> None:
    got = planner.container(settings(read_only=flag), "live")
    assert (got["read_only"], got["tmpfs"]) == (False, [])


def test_an_ipv6_bind_address_another_port_and_no_memory_limit() -> None:
    got = planner.container(settings(bind_host="[::1]", port="8443", memory="", workers="4"), "live")
    assert got["published_ports"] == ["[::1]:8443:4000"]
    assert got["memory"] == "0"  # Docker's "no limit"
    assert got["command"][-2:] == ["--num_workers", "4"]


@pytest.mark.parametrize(
    ("over", "tmpfs", "memory"),
    [
        # auto: 512 MB for each worker and uvicorn's supervisor, plus the tmpfs mounts
        ({"memory": "auto"}, [], "1536m"),
        ({"memory": "auto", "metrics": True}, ["/run/litellm-metrics:size=64m,uid=65532,gid=65532,mode=0700"], "1600m"),
        (
            {"memory": "auto", "metrics": "True", "read_only": True, "workers": "1"},  # text before 2.19
            [
                f"{TMP}:size=64m,mode=1777",
                "/app/.cache:size=64m,uid=65532,gid=65532,mode=0700",
                "/run/litellm-metrics:size=64m,uid=65532,gid=65532,mode=0700",
            ],
            "704m",
        ),
        ({"memory": "2g", "metrics": True}, ["/run/litellm-metrics:size=64m,uid=65532,gid=65532,mode=0700"], "2g"),
    ],
)
def test_the_metrics_tmpfs_and_the_memory_limit_it_counts_against(
    over: dict[str, Any], tmpfs: list[str], memory: str
) -> None:
    got = planner.container(settings(**over), "live")
    assert (got["tmpfs"], got["memory"]) == (tmpfs, memory)
    # The canary keeps its own cap, with the same mounts.
    canary = planner.container(settings(**over), "canary", name="litellm-canary")
    assert (canary["tmpfs"], canary["memory"]) == (tmpfs, "768m")


def test_an_unknown_purpose_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown purpose 'test'"):
        planner.container(settings(), "test")


def test_the_constants_are_vars_main_yml_s() -> None:
    assert CONSTANTS["_litellm_container_config"] == planner.CONTAINER_CONFIG
    assert CONSTANTS["_litellm_candidate"] == planner.CANDIDATE
    assert TMP in CONSTANTS["_litellm_read_only_tmpfs"]


def test_security_options_are_added_to_no_new_privileges() -> None:
    got = planner.container(settings(security_opts=["apparmor=docker-default"]), "live")
    assert (got["security_opts"], got["cap_drop"]) == (["no-new-privileges", "apparmor=docker-default"], ["ALL"])


def test_the_log_config_is_mounted_and_given_to_litellm() -> None:
    extra = [{"name": "logging.yaml", "target": "/app/logging.yaml"}]
    for purpose in ("live", "canary"):
        got = planner.container(settings(files=["config.yaml", "litellm.env", "logging.yaml"], extra=extra), purpose)
        assert got["command"][-2:] == ["--log_config", "/app/logging.yaml"]
        assert got["mounts"][1:] == [
            {"type": "bind", "source": "/etc/litellm/logging.yaml", "target": "/app/logging.yaml", "read_only": True}
        ]
