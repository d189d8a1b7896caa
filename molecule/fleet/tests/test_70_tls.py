"""No key in clear text on the fleet's network: clients reach HAProxy over
TLS only, the proxies publish only on their fleet_address, and Redis speaks
TLS only, to LiteLLM's own ACL user, which may not run CONFIG (examples/fleet:
balancer.yml, group_vars). What TLS costs goes to reports/fleet.*."""

from __future__ import annotations

import json
import os
import statistics
import time

from conftest import (
    BALANCER,
    CA_FILE,
    KEY_FILE,
    PROJECT,
    PROXIES,
    REDIS_ADMIN_PASSWORD,
    REDIS_PASSWORD,
    Fleet,
    address,
    on,
)

USER = "litellm"  # group_vars/all: litellm_redis_username


def redis(*words: str, user: str = USER, password: str = REDIS_PASSWORD, tls: bool = True) -> str:
    """redis-cli on the balancer, to its fleet_address, as a user (the password in the environment)."""
    target = f"--tls --cacert {CA_FILE} " if tls else ""
    command = f"REDISCLI_AUTH={password} redis-cli {target}-h {address(BALANCER)} -p 6379 --user {user} "
    return on(BALANCER, command + " ".join(words) + " 2>&1", check=False).stdout.strip()


def curl(url: str, *options: str) -> tuple[int, str]:
    result = on(
        BALANCER,
        f"curl -sS -o /dev/null -w '%{{http_code}}' --max-time 10 {' '.join(options)}"
        f' -H "Authorization: Bearer $(cat {KEY_FILE})" {url}/v1/models',
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def test_clients_reach_haproxy_over_tls_only(deployed: Fleet) -> None:
    tls = f"https://{address(BALANCER)}:4000"
    assert curl(tls, "--cacert", CA_FILE) == (0, "200")
    # The certificate is checked: without the fleet's CA curl refuses it.
    code, said = curl(tls)
    assert code != 0 and "certificate" in said
    # Plain HTTP on the network address gets no HTTP answer.
    code, said = curl(f"http://{address(BALANCER)}:4000")
    assert code != 0 or said.startswith("400"), said
    # The plain frontend is the balancer's loopback only.
    assert curl("http://127.0.0.1:4000") == (0, "200")


def test_the_proxies_publish_only_on_their_fleet_address(deployed: Fleet) -> None:
    for host in PROXIES:
        published = json.loads(on(host, "docker inspect -f '{{json .HostConfig.PortBindings}}' litellm").stdout)
        assert published == {"4000/tcp": [{"HostIp": address(host), "HostPort": "4000"}]}
        assert on(host, "curl -s --max-time 5 http://127.0.0.1:4000/health/liveliness", check=False).returncode != 0
        env = on(host, "docker exec litellm env").stdout
        assert f"REDIS_USERNAME={USER}" in env and "REDIS_SSL=True" in env
        assert "REDIS_SSL_CA_CERTS=/app/redis-ca.pem" in env
        assert "BEGIN CERTIFICATE" in on(host, "docker exec litellm cat /app/redis-ca.pem").stdout


def test_redis_speaks_tls_only_and_litellm_s_user_may_not_run_config(deployed: Fleet) -> None:
    assert redis("PING") == "PONG"
    assert "NOPERM" in redis("CONFIG", "GET", "maxmemory")
    assert "NOPERM" in redis("FLUSHALL")
    # The default user is off; there is no plain listener.
    assert "WRONGPASS" in redis("PING", user="default")
    assert "PONG" not in redis("PING", tls=False)
    # The operators' user may.
    assert "maxmemory" in redis("CONFIG", "GET", "maxmemory", user="admin", password=REDIS_ADMIN_PASSWORD)


def latencies(prefix: str, tls: bool, count: int = 150) -> list[float]:
    """count chat completions, one at a time, to HAProxy: plain HTTP on its
    loopback, or TLS on its fleet_address (a new connection each, as
    load.py's clients make)."""
    target = f" --tls-address {address(BALANCER)} --cacert {CA_FILE}" if tls else ""
    on(
        BALANCER,
        f"python3 /opt/load.py --key-file {KEY_FILE} --out /tmp/latency.json --stop /tmp/latency.stop"
        f" --workers 1 --pause 0 --max-requests {count} --max-seconds 120 --prefix '{prefix}'{target}",
    )
    results = json.loads(on(BALANCER, "cat /tmp/latency.json").stdout)
    assert {r["status"] for r in results} == {200}
    return sorted(float(r["seconds"]) * 1000 for r in results)


# Round trips of GET, as LiteLLM's Redis client makes them (redis-py, one
# connection kept open, in the proxy's own container), to the port given.
ROUND_TRIPS = """
import json, os, sys, time, redis
tls = sys.argv[2] == "tls"
client = redis.Redis(host=sys.argv[1], port=int(sys.argv[3]), username=os.environ["REDIS_USERNAME"],
                     password=os.environ["REDIS_PASSWORD"], ssl=tls, ssl_ca_certs="/app/redis-ca.pem" if tls else None)
client.ping()
times = []
for _ in range(500):
    started = time.perf_counter()
    client.get("latency-check")
    times.append((time.perf_counter() - started) * 1000)
print(json.dumps(times))
"""


def redis_round_trips() -> dict[str, list[float]]:
    """GET round trips from a proxy host over TLS (Redis's port) and, for
    comparison only, over a plain port the test opens for the moment."""
    admin = {"user": "admin", "password": REDIS_ADMIN_PASSWORD}
    assert redis("CONFIG", "SET", "port", "6390", **admin) == "OK"
    try:
        found: dict[str, list[float]] = {"plain": [], "tls": []}
        for _ in range(2):
            for name, port in (("plain", 6390), ("tls", 6379)):
                command = f"python3 -c '{ROUND_TRIPS}' {address(BALANCER)} {name} {port}"
                found[name] += json.loads(on(PROXIES[0], f"docker exec litellm {command}").stdout)
        return found
    finally:
        assert redis("CONFIG", "SET", "port", "0", **admin) == "OK"


def figures_of(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {"p50_ms": round(statistics.median(values), 2), "p99_ms": round(values[int(len(values) * 0.99) - 1], 2)}


def test_what_tls_costs_a_request(deployed: Fleet) -> None:
    # Alternating rounds, each with prompts of its own (Redis's cache would
    # answer a repeated one): the same stand-in work behind both.
    rounds: dict[str, list[float]] = {"plain": [], "tls": []}
    for number in range(2):
        for name in rounds:
            rounds[name] += latencies(f"cost {name} {number} {time.time_ns()}", name == "tls")
    assert all(len(values) == 300 for values in rounds.values())
    trips = redis_round_trips()
    assert all(len(values) == 1000 for values in trips.values())
    assert "PONG" not in redis("PING", tls=False)  # the plain port is closed again
    write_report(
        {name: figures_of(values) for name, values in rounds.items()},
        {name: figures_of(values) for name, values in trips.items()},
    )


def acl_log() -> list[dict[str, str]]:
    """Redis's ACL LOG, one mapping per entry (redis-cli prints each field's
    name, then its value, on lines of their own; an entry starts at "count")."""
    lines = redis("ACL", "LOG", "128", user="admin", password=REDIS_ADMIN_PASSWORD).splitlines()
    entries: list[dict[str, str]] = []
    for name, value in zip(lines[::2], lines[1::2], strict=False):
        if name == "count":
            entries.append({})
        if entries:
            entries[-1][name] = value
    return entries


def test_litellm_s_redis_user_was_never_refused_a_command(deployed: Fleet) -> None:
    # Redis's ACL LOG: every denial of a command, key or channel, and every
    # failed sign-in. What the proxy hosts sent (LiteLLM and the role's check;
    # the tests' own redis-cli runs on the balancer) may hold only the failed
    # sign-ins of test_50's wrong password: a refused command would mean
    # LiteLLM needs one its user may not run.
    entries = acl_log()
    assert entries, "Redis's ACL LOG could not be read"
    balancer = f"addr={address(BALANCER)}:"
    from_proxies = [e for e in entries if balancer not in e.get("client-info", "")]
    assert {e["reason"] for e in from_proxies} <= {"auth"}, from_proxies
    assert any(e["object"] == "config|get" for e in entries if balancer in e.get("client-info", ""))


def write_report(figures: dict[str, dict[str, float]], redis_figures: dict[str, dict[str, float]]) -> None:
    if os.environ.get("LITELLM_FULL_RUN") != "1":
        return
    path = PROJECT / "reports" / "fleet.json"
    report = json.loads(path.read_text()) if path.exists() else {}
    report["tls"] = {"haproxy": figures, "redis_get": redis_figures}
    path.write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "",
        "What TLS at HAProxy costs a chat completion (300 requests each way, one at a time, a new connection"
        " each, alternating rounds in the same run; Redis is reached over TLS in both):",
        "",
        "| clients reach HAProxy over | p50 | p99 |",
        "|---|---|---|",
        f"| plain HTTP (balancer's loopback) | {figures['plain']['p50_ms']} ms | {figures['plain']['p99_ms']} ms |",
        f"| TLS (fleet_address) | {figures['tls']['p50_ms']} ms | {figures['tls']['p99_ms']} ms |",
        "",
        "What TLS to Redis costs a command (1000 GETs each way from a proxy host, redis-py on one open"
        " connection, as LiteLLM's pool keeps them; the plain port is opened by the test for the comparison only):",
        "",
        "| LiteLLM reaches Redis over | p50 | p99 |",
        "|---|---|---|",
        f"| plain TCP | {redis_figures['plain']['p50_ms']} ms | {redis_figures['plain']['p99_ms']} ms |",
        f"| TLS | {redis_figures['tls']['p50_ms']} ms | {redis_figures['tls']['p99_ms']} ms |",
    ]
    markdown = PROJECT / "reports" / "fleet.md"
    text = markdown.read_text().split("\nWhat TLS at HAProxy costs")[0].rstrip("\n") + "\n"
    markdown.write_text(text + "\n".join(lines) + "\n")
