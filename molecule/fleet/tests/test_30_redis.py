"""What Redis gives the fleet: one response cache, and rpm limits that hold for
the fleet rather than for each host."""

from __future__ import annotations

import json
import time
import uuid

from conftest import LIMITED, PROXIES, Fleet, proxy_url


def test_a_response_cached_by_one_host_is_served_by_the_other(deployed: Fleet) -> None:
    prompt = f"cache check {uuid.uuid4()}"
    first = deployed.chat(proxy_url(PROXIES[0]), prompt)
    time.sleep(1)  # LiteLLM writes the cache once the answer is sent
    second = deployed.chat(proxy_url(PROXIES[1]), prompt)
    assert (first[0], second[0]) == (200, 200)
    answer = [json.loads(body)["choices"][0]["message"]["content"] for _, _, body in (first, second)]
    assert answer[0] == answer[1]
    asked = deployed.standin_asked(prompt)
    assert asked == 1, "the second host asked Bedrock again"


def test_an_rpm_limit_holds_for_the_whole_fleet(deployed: Fleet) -> None:
    # 30 requests, alternately to each host, 4 a second: without Redis each host
    # would allow the limit, together twice as many.
    # LiteLLM counts per minute of the clock: start early in one.
    second = time.time() % 60
    if second > 40:
        time.sleep(61 - second)
    answers: list[tuple[float, str, int]] = []
    for number in range(30):
        host = PROXIES[number % 2]
        status, _, _ = deployed.chat(proxy_url(host), f"rpm check {uuid.uuid4()}", model=LIMITED["name"])
        answers.append((time.monotonic(), host, status))
        time.sleep(0.25)
    served = [t for t, _, status in answers if 200 <= status < 300]
    refused = {host for _, host, status in answers if status == 429}
    assert {status for _, _, status in answers} <= {200, 429}
    # LiteLLM syncs its counters with Redis every second: allow what the fleet
    # serves in one second on top of the limit.
    per_second = max(sum(1 for t in served if start <= t < start + 1) for start in served)
    assert LIMITED["rpm"] <= len(served) <= LIMITED["rpm"] + per_second, (len(served), per_second)
    assert len(served) < 2 * LIMITED["rpm"]
    assert refused == set(PROXIES), "a host served beyond the fleet's limit"
