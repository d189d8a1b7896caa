"""Access: who can reach the proxy, and with which key."""

from __future__ import annotations

from typing import Any

from conftest import converge, docker0, inspect, leaked, report


def reachable(host: Any, address: str) -> bool:
    return host.run(f"curl -s -m 5 -o /dev/null http://{address}:4000/health/liveliness").rc == 0


def test_bind_address_restricts_the_published_port(host: Any, secrets: dict[str, str]) -> None:
    other = docker0(host)
    assert reachable(host, other)  # 0.0.0.0 by default: every interface
    result = converge({"litellm_bind_address": "127.0.0.1"})
    assert not result.failed
    assert leaked(result.output, secrets) == []
    bindings = inspect(host)["HostConfig"]["PortBindings"]["4000/tcp"]
    assert bindings == [{"HostIp": "127.0.0.1", "HostPort": "4000"}]
    assert reachable(host, "127.0.0.1")
    assert not reachable(host, other)
    report("access", "litellm_bind_address: 127.0.0.1", "port reachable on loopback only")
    assert not converge({}).failed
    assert reachable(host, other)
