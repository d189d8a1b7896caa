"""TLS on port 4000, an egress proxy, a custom CA bundle, secret environment,
merged LiteLLM settings and the optional limits, all in one deployment.

The test makes its own CA: it signs the proxy's certificate (127.0.0.1) and
that of an HTTPS Bedrock stand-in, which LiteLLM reaches only through a
CONNECT proxy on the test host and trusts only through litellm_ca_bundle."""

from __future__ import annotations

import base64
import json
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import (
    CONFIG_DIR,
    CONTAINER,
    MASTER_KEY_HEADER,
    PROJECT,
    chat,
    converge,
    converge_ok,
    docker0,
    inspect,
    leaked,
    report,
    run,
    wait_for,
)

STANDIN_DIR = "/opt/bedrock-standin/tls"
PROXY_DIR = "/opt/egress-proxy"
UNITS = "test-standin-tls test-egress-proxy"


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_cert(cwd: Path, name: str, san: str) -> None:
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-subj", f"/CN={name}",
            "-out", f"{name}.csr", cwd=cwd)  # fmt: skip
    (cwd / f"{name}.ext").write_text(f"subjectAltName={san}\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.crt", cwd=cwd)  # fmt: skip


def put(host: Any, path: str, text: str, mode: str) -> None:
    encoded = base64.b64encode(text.encode()).decode()
    run(host, f"echo {encoded} | base64 -d > {path} && chmod {mode} {path}", f"writing {path}")


@pytest.fixture(scope="module")
def setting(host: Any) -> Iterator[dict[str, str]]:
    """A TEST-ONLY PKI, the HTTPS stand-in and the egress proxy, for this module."""
    bridge = docker0(host)
    with tempfile.TemporaryDirectory() as tmp:
        pki = Path(tmp)
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-subj", "/CN=TEST-ONLY CA",
                "-days", "2", "-out", "ca.crt", cwd=pki)  # fmt: skip
        make_cert(pki, "proxy", "IP:127.0.0.1,DNS:localhost")
        make_cert(pki, "standin", f"IP:{bridge}")
        names = ("ca.crt", "proxy.crt", "proxy.key", "standin.crt", "standin.key")
        files = {name: (pki / name).read_text() for name in names}
    run(host, f"mkdir -p {STANDIN_DIR} {PROXY_DIR}", "directories")
    put(host, f"{STANDIN_DIR}/tls.crt", files["standin.crt"], "0644")
    put(host, f"{STANDIN_DIR}/tls.key", files["standin.key"], "0600")
    put(host, "/root/test-ca.crt", files["ca.crt"], "0644")
    put(host, f"{PROXY_DIR}/connect_proxy.py", (PROJECT / "tests/egress_proxy/connect_proxy.py").read_text(), "0755")
    # Leftovers of an interrupted run would hold the ports.
    host.run(f"systemctl stop {UNITS}; systemctl reset-failed {UNITS}")
    try:
        # The stand-in's env file also sets STANDIN_LISTEN: override it after reading it.
        run(
            host,
            "systemd-run --unit=test-standin-tls --property=RuntimeMaxSec=900 /bin/sh -c "
            "'set -a && . /opt/bedrock-standin/standin.env && STANDIN_LISTEN=0.0.0.0:8443 "
            f"STANDIN_TLS_CERT={STANDIN_DIR}/tls.crt STANDIN_TLS_KEY={STANDIN_DIR}/tls.key "
            "exec python3 /opt/bedrock-standin/bedrock_standin.py'",
            "starting the HTTPS stand-in",
        )
        run(
            host,
            "systemd-run --unit=test-egress-proxy --property=RuntimeMaxSec=900 --setenv=PROXY_LISTEN=0.0.0.0:3128 "
            f"--setenv=PROXY_ALLOW={bridge}:8443 python3 {PROXY_DIR}/connect_proxy.py",
            "starting the egress proxy",
        )
        wait_for(
            lambda: host.run(f"curl -s -m 2 --cacert /root/test-ca.crt https://{bridge}:8443/_standin/health").rc == 0,
            30,
            "HTTPS stand-in",
        )
        yield {"bridge": bridge, **files}
    finally:
        host.run(f"systemctl stop {UNITS}; systemctl reset-failed {UNITS}")


def https(host: Any, path: str, body: dict[str, Any] | None = None) -> tuple[int, str]:
    data = f"-H 'Content-Type: application/json' --data '{json.dumps(body)}'" if body else ""
    out = run(
        host,
        f"curl -sS -m 60 --cacert /root/test-ca.crt {MASTER_KEY_HEADER} {data} -w '\\n%{{http_code}}' "
        f"https://127.0.0.1:4000{path}",
        f"curl https {path}",
    )
    text, _, status = out.rpartition("\n")
    return int(status), text


def test_deploy_with_tls_egress_proxy_and_ca_bundle(
    host: Any, secrets: dict[str, str], setting: dict[str, str]
) -> None:
    bridge = setting["bridge"]
    converge_ok(
        secrets,
        {
            "litellm_tls_certificate": setting["proxy.crt"],
            "litellm_tls_key": setting["proxy.key"],
            "litellm_ca_bundle": setting["ca.crt"],
            "litellm_https_proxy": f"http://{bridge}:3128",
            "litellm_bedrock_runtime_endpoint": f"https://{bridge}:8443",
            "litellm_secret_env": {"TEST_REDIS_PASSWORD": "{{ test_aws_bearer_token }}"},
            "litellm_settings": {"request_timeout": 120},
            "litellm_router_settings": {"num_retries": 1},
            "litellm_general_settings": {"disable_spend_logs": True},
            "litellm_read_only": True,
            "litellm_memory_limit": "1g",
            "litellm_log_max_size": "5m",
            "litellm_healthcheck_interval": "5s",
        },
        also={"tls key": setting["proxy.key"].strip()},
    )


def test_port_4000_speaks_tls_only(host: Any, setting: dict[str, str]) -> None:
    status, _ = https(host, "/v1/models")
    assert status == 200
    assert host.run("curl -s -m 5 http://127.0.0.1:4000/health/liveliness").stdout.strip() != '"I\'m alive!"'
    # The certificate is the operator's: curl checks it against the test CA.
    assert host.run("curl -s -m 5 https://127.0.0.1:4000/health/liveliness").rc != 0  # unknown CA without --cacert


def test_bedrock_is_reached_through_the_proxy_and_trusted_by_the_ca_bundle(host: Any, setting: dict[str, str]) -> None:
    body = chat("claude-sonnet-4", "through the proxy")
    status, text = https(host, "/v1/chat/completions", body)
    assert status == 200, text[:300]
    assert "Hello from the Bedrock stand-in" in json.loads(text)["choices"][0]["message"]["content"]
    journal = run(host, "journalctl -u test-egress-proxy --no-pager -o cat", "proxy journal")
    assert f"proxy: CONNECT {setting['bridge']}:8443 -> 200" in journal
    standin = f"https://{setting['bridge']}:8443/_standin/requests"
    records = json.loads(run(host, f"curl -sS -m 10 --cacert /root/test-ca.crt {standin}", "records"))
    # Static keys again after test_91's other modes: SigV4, no assumed role.
    assert [(r["auth"], r["signature_valid"]) for r in records] == [("sigv4", True)]
    assert "aws_role_name" not in host.file(f"{CONFIG_DIR}/config.yaml").content_string
    report("egress", "HTTPS Bedrock endpoint through a CONNECT proxy, private CA", "chat completion 200")


def test_files_and_settings(host: Any, secrets: dict[str, str]) -> None:
    # The key is readable by the image's group (65532, the official image's
    # user), which the container runs as; never by others.
    gid = int(inspect(host)["Config"]["Labels"]["litellm_bedrock.gid"])
    access = {"tls.crt": (0, 0o644), "tls.key": (gid, 0o640), "ca-bundle.pem": (0, 0o644), "litellm.env": (0, 0o600)}
    for name, (group, mode) in access.items():
        f = host.file(f"{CONFIG_DIR}/{name}")
        assert (name, f.uid, f.gid, f.mode) == (name, 0, group, mode)
    assert gid == 65532
    assert run(host, f"docker exec {CONTAINER} id -u", "id").strip() == "65532"
    text = host.file(f"{CONFIG_DIR}/config.yaml").content_string
    doc = yaml.safe_load(text)
    assert doc["litellm_settings"] == {"request_timeout": 120}
    assert doc["router_settings"] == {"num_retries": 1, "retry_after": 0, "cooldown_time": 5}
    assert doc["general_settings"] == {
        "master_key": "os.environ/LITELLM_MASTER_KEY",
        "trusted_proxy_ranges": [],
        "disable_spend_logs": True,
    }
    assert leaked(text, secrets) == []
    password = run(host, f"docker exec {CONTAINER} printenv TEST_REDIS_PASSWORD", "printenv").strip()
    assert password == secrets["test_aws_bearer_token"]
    proxy = run(host, f"docker exec {CONTAINER} printenv HTTPS_PROXY NO_PROXY SSL_CERT_FILE AWS_CA_BUNDLE", "env")
    assert proxy.split()[1:] == ["localhost,127.0.0.1,169.254.169.254", "/app/ca-bundle.pem", "/app/ca-bundle.pem"]


def test_limits_read_only_root_and_health(host: Any) -> None:
    data = inspect(host)
    config = data["HostConfig"]
    assert config["ReadonlyRootfs"] is True
    # What the non-root image writes goes to sized tmpfs mounts it owns.
    assert config["Tmpfs"] == {
        "/tmp": "size=64m,mode=1777",  # noqa: S108 - the container's tmpfs, checked
        "/app/.cache": "size=64m,uid=65532,gid=65532,mode=0700",
        "/var/lib/litellm": "size=64m,uid=65532,gid=65532,mode=0700",
    }
    # The non-root proxy copied its admin UI there at start.
    assert host.run(f"docker exec {CONTAINER} test -f /var/lib/litellm/ui/index.html").rc == 0
    assert config["Memory"] == 1024**3
    assert config["LogConfig"]["Config"] == {"max-size": "5m", "max-file": "3"}
    assert host.run(f"docker exec {CONTAINER} touch /app/x").rc != 0  # really read-only
    wait_for(lambda: inspect(host)["State"]["Health"]["Status"] == "healthy", 60, "healthy over TLS", interval=2)


def test_back_to_plain_http(host: Any, secrets: dict[str, str]) -> None:
    result = converge()
    assert not result.failed, result.output[-3000:]
    assert leaked(result.output, secrets) == []
    for name in ("tls.crt", "tls.key", "ca-bundle.pem"):
        assert not host.file(f"{CONFIG_DIR}/{name}").exists
    assert host.run("curl -s -m 5 http://127.0.0.1:4000/health/liveliness").stdout.strip() == '"I\'m alive!"'
    assert inspect(host)["HostConfig"]["ReadonlyRootfs"] is False
