"""A rolling update under load through HAProxy: a config change (restart) while
one host is down (stopped by hand), then a new build of the image (recreate)
while its tag moves again between the two hosts' turns. No request may fail;
the figures go to reports/fleet.*."""

from __future__ import annotations

import json
import os
import re
import statistics
import time

from conftest import (
    BALANCER,
    CA_FILE,
    PROJECT,
    PROXIES,
    Fleet,
    address,
    all_up,
    on,
    publish_build,
    serving_digest,
    stop_by_hand,
    wait_for,
)

LOAD = "python3 /opt/load.py --key-file /root/master.key --out /tmp/load.json --stop /tmp/load.stop"


def start_load() -> None:
    on(BALANCER, "rm -f /tmp/load.json /tmp/load.stop")
    # Bounded: 2 workers, a pause after each request, 20000 requests or 10 minutes at most,
    # to HAProxy's TLS frontend, as clients reach it.
    on(
        BALANCER,
        f"setsid nohup {LOAD} --workers 2 --pause 0.2 --max-requests 20000 --max-seconds 600"
        f" --tls-address {address(BALANCER)} --cacert {CA_FILE} >/tmp/load.log 2>&1 < /dev/null &",
    )


def stop_load() -> list[dict[str, object]]:
    on(BALANCER, "touch /tmp/load.stop")
    wait_for(lambda: on(BALANCER, "test -s /tmp/load.json", check=False).returncode == 0, 90, "the load's results")
    return json.loads(on(BALANCER, "cat /tmp/load.json").stdout)


def seconds_per_host(output: str) -> dict[str, float]:
    """Each host's turn (update_host.yml), from reading HAProxy's state to its
    health check passing again after the host was enabled, from profile_tasks'
    running total printed after each task header; the host is the one named in
    the turn's first result."""
    steps = [
        (m[1], m[5], int(m[2]) * 3600 + int(m[3]) * 60 + float(m[4]))
        for m in re.finditer(
            r"^(TASK \[[^\]]*\]|PLAY RECAP)[^\n]*\n(?:.*\n)*?.*?(\d+):(\d+):(\d+\.\d+) \*+\s*\n((?:.*\n){0,2})",
            output,
            re.M,
        )
    ]
    turns: dict[str, float] = {}
    start: tuple[str, float] | None = None
    for i, (name, after, at) in enumerate(steps[:-1]):
        if name.startswith("TASK [Read HAProxy's state of every proxy host"):
            host = re.search(r"\[(litellm-fleet-\d+)", after)
            start = (host[1], at) if host else None
        elif name.startswith("TASK [Wait until HAProxy's health check has passed again") and start:
            turns[start[0]] = round(steps[i + 1][2] - start[1], 1)
            start = None
    return turns


def test_a_rolling_update_under_load_fails_no_request(deployed: Fleet) -> None:
    first_digest = serving_digest(PROXIES[0])
    # The second host is down (stopped by hand): HAProxy sends everything to
    # the first, which must not be drained before the second serves again.
    stop_by_hand(PROXIES[1])
    start_load()
    try:
        # 1. A config change: the host HAProxy sends nothing first, without a
        # drain (the role starts it again), then the serving one.
        deployed.settings(litellm_cache_ttl=300)
        config_out = deployed.play("site.yml")
        # 2. A new build under the tag: each host is recreated. Once the first
        # host serves it, the tag moves again: the second host must still get
        # the build the first play resolved. Both hosts serve again, so both
        # are usually in the serving play, in inventory order; a host whose
        # health check failed under the load (HAProxy: DOWN) when the play
        # read show stat goes first, in the play for the idle hosts.
        wait_for(all_up, 30, "HAProxy to see every host up")
        new_digest = publish_build("rollout-1")
        run = deployed.play("site.yml", background=True)
        wait_for(lambda: new_digest in map(serving_digest, PROXIES), 300, "the first host's new build")
        second = next(host for host in PROXIES if serving_digest(host) != new_digest)
        moved_digest = publish_build("rollout-2")
        moved_at = time.time()
        run.wait(timeout=600)
        image_out = (deployed.directory / "background.out").read_text()
        assert run.returncode == 0, image_out[-3000:]
    finally:
        results = stop_load()
    failed = [r for r in results if r["status"] != 200]
    assert len(results) > 100, "the load generator sent too few requests to prove anything"
    assert failed == [], f"{len(failed)} of {len(results)} requests failed, e.g. {failed[:3]}"
    assert {r["host"] for r in results} == set(PROXIES)
    assert "restarted for config.yaml" in config_out and "container recreated" in image_out
    # The stopped host's turn came first, in the play for the hosts HAProxy sends nothing.
    idle, serving = config_out.split("PLAY [Update the serving proxy hosts, one at a time]")
    assert f"[{PROXIES[1]}]" in idle.split("PLAY [Update the proxy hosts HAProxy sends nothing")[1]
    assert f"[{PROXIES[1]}]" not in serving and f"[{PROXIES[0]}]" in serving
    for host in PROXIES:
        assert "ttl: 300" in on(host, "cat /etc/litellm/config.yaml").stdout
        assert serving_digest(host) == new_digest != first_digest
    assert moved_digest != new_digest
    # The tag moved before the second host's turn made its new container.
    created = on(second, "date -d \"$(docker inspect -f '{{.Created}}' litellm)\" +%s.%N").stdout
    assert float(created) > moved_at
    wait_for(all_up, 15, "HAProxy to see every host up")
    write_report(results, {"config change (restart)": config_out, "new image (recreate)": image_out})


def write_report(results: list[dict[str, object]], runs: dict[str, str]) -> None:
    if os.environ.get("LITELLM_FULL_RUN") != "1":
        return
    latencies = sorted(float(r["seconds"]) * 1000 for r in results)
    per_host = {name: seconds_per_host(out) for name, out in runs.items()}
    report = {
        "generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "hosts": len(PROXIES),
        "requests": len(results),
        "failed": sum(r["status"] != 200 for r in results),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "seconds_per_host": per_host,
    }
    (PROJECT / "reports" / "fleet.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        f"Generated by the full test run on {report['generated']}: molecule scenario `fleet`, two proxy hosts behind"
        " HAProxy, a bounded load (2 workers, 200 ms pause) through HAProxy's TLS frontend during two rolling"
        " updates of examples/fleet/site.yml.",
        "",
        "| requests sent | failed | p50 | p99 |",
        "|---|---|---|---|",
        f"| {report['requests']} | {report['failed']} | {report['p50_ms']} ms | {report['p99_ms']} ms |",
        "",
        "| rollout | " + " | ".join(f"{h} (s)" for h in PROXIES) + " |",
        "|---|" + "---|" * len(PROXIES),
    ]
    lines += [f"| {name} | " + " | ".join(str(t.get(h, "?")) for h in PROXIES) + " |" for name, t in per_host.items()]
    (PROJECT / "reports" / "fleet.md").write_text("\n".join(lines) + "\n")
