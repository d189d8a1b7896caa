"""A restart waits for the requests in flight: a streamed completion that
started before a config change's restart arrives whole (litellm_stop_timeout,
GRACEFUL_SHUTDOWN_TIMEOUT)."""

from __future__ import annotations

import json
import time

from conftest import BALANCER, KEY_FILE, PROJECT, PROXIES, Fleet, on, proxy_url, wait_for

HOST = PROXIES[0]


def canary_ready() -> bool:
    """Whether the role's canary on HOST answers /health/readiness (the live
    proxy's restart follows within seconds)."""
    address = on(HOST, "docker inspect -f '{{.NetworkSettings.IPAddress}}' litellm-canary", check=False).stdout.strip()
    probe = f"curl -sf -o /dev/null http://{address}:4000/health/readiness"
    return bool(address) and on(HOST, probe, check=False).returncode == 0


def test_a_stream_in_flight_survives_a_restart(deployed: Fleet) -> None:
    # A config change on this host alone, by the role itself (no drain).
    deployed.settings(litellm_cache_ttl=120)
    run = deployed.play(str(PROJECT / "molecule" / "fleet" / "role.yml"), "--limit", HOST, background=True)
    # Once the canary serves, a 30 s stream straight to the live proxy (HAProxy
    # would drain the host first): the restart comes while it runs, and
    # LiteLLM has 30 s (GRACEFUL_SHUTDOWN_TIMEOUT) from its SIGTERM to finish
    # it, which is always after the stream's end (a shorter stream could end
    # before a slow recreate's SIGTERM: seen once with 25 s, 2 s early). A
    # prompt of its own: the fleet's Redis cache would answer a repeated one at once.
    wait_for(canary_ready, 120, "the role's canary")
    body = json.dumps(
        {
            "model": "claude-sonnet-4",
            "stream": True,
            "messages": [{"role": "user", "content": f"[standin:slow=30] in flight {time.time_ns()}"}],
        }
    )
    on(BALANCER, "rm -f /tmp/stream.out /tmp/stream.end; cat > /tmp/stream.json", stdin=body)
    curl = (
        f'curl -sN -H "Authorization: Bearer $(cat {KEY_FILE})" -H Content-Type:application/json'
        f" -d @/tmp/stream.json {proxy_url(HOST)}/v1/chat/completions > /tmp/stream.out"
    )
    # The stream runs from its request on: the old proxy accepted it (the new
    # one starts only once the old one has stopped), and the restart's SIGTERM
    # may come before its first chunk does (seen in a full run).
    begun = time.time()
    on(BALANCER, f"setsid nohup bash -c '{curl}; date +%s.%N > /tmp/stream.end' >/dev/null 2>&1 < /dev/null &")
    wait_for(lambda: "data:" in on(BALANCER, "cat /tmp/stream.out", check=False).stdout, 30, "the stream's first chunk")
    assert run.wait(timeout=300) == 0, (deployed.directory / "background.out").read_text()[-3000:]
    wait_for(lambda: on(BALANCER, "test -s /tmp/stream.end", check=False).returncode == 0, 90, "the stream's end")
    ended = float(on(BALANCER, "cat /tmp/stream.end").stdout)
    stream = on(BALANCER, "cat /tmp/stream.out").stdout
    assert stream.rstrip().endswith("data: [DONE]")
    assert "Hello from the Bedrock stand-in" in "".join(
        c["choices"][0]["delta"].get("content") or ""
        for c in (json.loads(line[6:]) for line in stream.splitlines() if line.startswith("data: {"))
    )
    # Docker sent SIGTERM while the stream ran, and the proxy stopped after it ended.
    events = on(
        HOST,
        f"docker events --since {int(begun)} --until {time.time():.0f} --filter event=kill"
        " --format '{{.Actor.Attributes.name}} {{.TimeNano}} {{.Actor.Attributes.signal}}'",
    ).stdout
    kills = [line.split()[1:] for line in events.splitlines() if line.startswith("litellm ")]
    assert [signal for _, signal in kills] == ["15"], kills
    assert begun < int(kills[0][0]) / 1e9 < ended
    started = on(HOST, "date -d \"$(docker inspect -f '{{.State.StartedAt}}' litellm)\" +%s.%N").stdout
    assert float(started) >= ended
