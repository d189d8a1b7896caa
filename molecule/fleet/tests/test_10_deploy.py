"""The manual's fleet commands (docs/fleet.md) on a fresh fleet: balancer.yml, then site.yml."""

from __future__ import annotations

import time

from conftest import PROXIES, REDIS_PASSWORD, Fleet, all_up, backend_status, changed_count, on, wait_for


def test_both_proxies_serve_behind_haproxy(deployed: Fleet) -> None:
    wait_for(all_up, 15, "HAProxy to see every host up")
    served_by = set()
    for number in range(6):
        status, host, _ = deployed.chat("http://127.0.0.1:4000", f"deploy check {number}")
        assert status == 200
        served_by.add(host)
    assert served_by == set(PROXIES)


def test_the_proxies_share_redis_and_keep_its_password_out_of_config(deployed: Fleet) -> None:
    for host in PROXIES:
        config = on(host, "cat /etc/litellm/config.yaml").stdout
        assert "redis_password: os.environ/REDIS_PASSWORD" in config
        assert "routing_strategy: usage-based-routing-v2" in config
        assert REDIS_PASSWORD not in config
        assert on(host, "stat -c '%U:%G %a' /etc/litellm/litellm.env").stdout.strip() == "root:root 600"
        env = on(host, "docker exec litellm env").stdout
        assert f"REDIS_PASSWORD={REDIS_PASSWORD}" in env
        assert "GRACEFUL_SHUTDOWN_TIMEOUT=30" in env
        assert on(host, "docker inspect -f '{{.Config.StopTimeout}}' litellm").stdout.strip() == "40"


def test_a_second_run_changes_nothing_and_drains_no_host(deployed: Fleet) -> None:
    # HAProxy's view of the proxy hosts, read while the rollout runs (the
    # balancer has no syslog): a drain or a maintenance would show.
    run = deployed.play("site.yml", background=True)
    seen: set[str] = set()
    while run.poll() is None:
        seen |= set(backend_status().values())
        time.sleep(0.2)
    out = (deployed.directory / "background.out").read_text()
    assert run.returncode == 0, out[-3000:]
    assert seen == {"UP"}
    recap = changed_count(out.split("PLAY RECAP")[-1])
    assert {host: recap.get(host) for host in PROXIES} == dict.fromkeys(PROXIES, 0)
    assert out.count("a run would change nothing") == len(PROXIES)
    assert "Take the host out of HAProxy" not in out
    assert REDIS_PASSWORD not in out


def test_no_host_changes_when_one_host_fails_the_checks(deployed: Fleet) -> None:
    # A salt key other than the one each host recorded: every host refuses it.
    started = {h: on(h, "docker inspect -f '{{.State.StartedAt}}' litellm").stdout for h in PROXIES}
    out = deployed.play("site.yml", "-e", "litellm_salt_key=sk-another-salt-TEST-ONLY-0123456789abcdef", fails=True)
    assert "Take the host out of HAProxy" not in out
    assert started == {h: on(h, "docker inspect -f '{{.State.StartedAt}}' litellm").stdout for h in PROXIES}
    wait_for(all_up, 15, "HAProxy to see every host up")
