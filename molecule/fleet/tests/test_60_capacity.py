"""A rollout never takes out the last serving proxy, and a host whose turn
failed goes back into HAProxy when its proxy serves (examples/fleet:
update_host.yml, filter_plugins/fleet_rollout.py)."""

from __future__ import annotations

import json
import time

from conftest import BALANCER, KEY_FILE, PROXIES, Fleet, all_up, backend_status, on, started_at, stop_by_hand, wait_for

FIRST, SECOND = PROXIES
STANDS_IN_FOR_BEDROCK = "Hello from the Bedrock stand-in"


def test_the_last_serving_host_is_never_drained(deployed: Fleet) -> None:
    stop_by_hand(FIRST)
    before = started_at(SECOND)
    deployed.settings(litellm_cache_ttl=240)
    out = deployed.play("site.yml", "--limit", SECOND, fails=True)
    assert f"Not draining {SECOND}: no other server of HAProxy's backend litellm is UP" in out
    assert f"(the others: {FIRST} (DOWN" in out
    assert backend_status()[SECOND] == "UP"
    assert started_at(SECOND) == before
    # The downtime accepted: the last serving host is drained and updated.
    out = deployed.play("site.yml", "--limit", SECOND, "-e", "fleet_accept_downtime=true")
    assert "Not draining" not in out
    assert "ttl: 240" in on(SECOND, "cat /etc/litellm/config.yaml").stdout
    # The whole fleet: the stopped host first (the role starts it again), then the other.
    deployed.play("site.yml")
    wait_for(all_up, 30, "HAProxy to see every host up")
    for host in PROXIES:
        assert "ttl: 240" in on(host, "cat /etc/litellm/config.yaml").stdout


def outline(out: str) -> str:
    """What a failed assertion shows of a play's output: its failures, the
    rollout's stop and its recap (the whole output is cut in the middle)."""
    marks = ("fatal:", "The rollout stopped", "Not draining", "TASK [", "litellm-fleet-")
    return "\n".join(line[:400] for line in out.splitlines() if line.startswith(marks))


def test_a_host_rolled_back_goes_back_into_haproxy_and_the_rollout_stops(deployed: Fleet) -> None:
    # Both serve, so the rollout starts at the first (a host HAProxy had
    # marked down, on a loaded machine, would be updated first).
    wait_for(all_up, 60, "HAProxy to see every host up before the rollout")
    before = started_at(SECOND)
    deployed.settings(litellm_cache_ttl=180)
    status = backend_status()
    # The canary passes; the new proxy is given 2 s to serve, which it cannot: rolled back.
    timeouts = {"litellm_startup_timeout": 2, "litellm_canary_timeout": 120, "litellm_rollback_timeout": 120}
    out = deployed.play("site.yml", "-e", json.dumps(timeouts), fails=True)
    shown = f"HAProxy before the play: {status}\n{outline(out)}"
    assert "So the role rolled back to the previous config.yaml" in out, shown
    assert f"The rollout stopped at {FIRST}: its update failed" in out, shown
    assert "Its proxy serves and is back in HAProxy." in out, shown
    wait_for(all_up, 30, "HAProxy to see every host up")
    assert "ttl: 240" in on(FIRST, "cat /etc/litellm/config.yaml").stdout
    assert started_at(SECOND) == before  # the rollout stopped before it


def test_a_drain_that_times_out_puts_the_host_back_and_stops(deployed: Fleet) -> None:
    # A 30 s stream through HAProxy holds a session on one host (a prompt of
    # its own: the fleet's Redis cache would answer a repeated one at once).
    prompt = f"[standin:slow=30] held through a drain {time.time_ns()}"
    body = {"model": "claude-sonnet-4", "stream": True, "messages": [{"role": "user", "content": prompt}]}
    on(BALANCER, "rm -f /tmp/slow.*; cat > /tmp/slow.json", stdin=json.dumps(body))
    curl = (
        f'curl -sN -D /tmp/slow.head -H "Authorization: Bearer $(cat {KEY_FILE})" -H Content-Type:application/json'
        " -d @/tmp/slow.json http://127.0.0.1:4000/v1/chat/completions > /tmp/slow.out"
    )
    on(BALANCER, f"setsid nohup bash -c '{curl}; touch /tmp/slow.end' >/dev/null 2>&1 < /dev/null &")
    wait_for(lambda: "data:" in on(BALANCER, "cat /tmp/slow.out", check=False).stdout, 30, "the stream's first chunk")
    host = on(BALANCER, "sed -n 's/^x-served-by: *//Ip' /tmp/slow.head | tr -d '\\r'").stdout.strip()
    assert host in PROXIES
    before = started_at(host)
    out = deployed.play("site.yml", "--limit", host, "-e", json.dumps({"fleet_drain_timeout": 3}), fails=True)
    assert f"The rollout stopped at {host}: HAProxy did not take it out within fleet_drain_timeout (3 s)" in out
    assert "Its proxy serves and is back in HAProxy." in out
    assert backend_status()[host] == "UP"
    assert started_at(host) == before
    wait_for(lambda: on(BALANCER, "test -e /tmp/slow.end", check=False).returncode == 0, 60, "the stream's end")
    stream = on(BALANCER, "cat /tmp/slow.out").stdout
    assert stream.rstrip().endswith("data: [DONE]")
    assert STANDS_IN_FOR_BEDROCK in "".join(
        c["choices"][0]["delta"].get("content") or ""
        for c in (json.loads(line[6:]) for line in stream.splitlines() if line.startswith("data: {"))
    )
