"""litellm_metrics: LiteLLM's Prometheus metrics on /metrics, behind the
master key, counted across workers in the multiprocess directory the role
puts on a tmpfs of its own (also with litellm_read_only), on the LTS line."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

import pytest
from conftest import CONFIG_DIR, CONTAINER, MASTER_KEY_HEADER, api, chat, converge_ok, inspect, run, wait_for

METRICS_DIR = "/run/litellm-metrics"
REQUESTS = 12
TOTAL = re.compile(r"^litellm_proxy_total_requests_metric_total\{(?P<labels>[^}]*)\} (?P<value>\S+)$", re.M)
# What each worker wrote: the sum of its litellm_proxy_total_requests_metric
# samples, per process file (prometheus_client's own reader, in the container).
PER_WORKER = (
    "import glob, json, os\n"
    "from prometheus_client.mmap_dict import MmapedDict\n"
    "found = {}\n"
    f"for path in glob.glob('{METRICS_DIR}/counter_*.db'):\n"
    "    values = MmapedDict(path, read_mode=True).read_all_values()\n"
    "    found[os.path.basename(path)] = sum(v for k, v, *_ in values"
    " if json.loads(k)[1] == 'litellm_proxy_total_requests_metric_total')\n"
    "print(json.dumps(found))\n"
)


def requests_counted(host: Any, alias: str) -> float:
    """/metrics' count of requests for the alias (every label set summed)."""
    answer = api(host, "GET", "/metrics/")
    assert answer.status == 200
    return sum(float(m["value"]) for m in TOTAL.finditer(answer.body) if f'"{alias}"' in m["labels"])


def send(host: Any, alias: str) -> None:
    """REQUESTS chat completions at once, each on a new connection."""
    body = shlex.quote(json.dumps(chat(alias, "metrics check")))
    command = (
        f"seq {REQUESTS} | xargs -P {REQUESTS} -I{{}} curl -sS -m 60 -o /dev/null -w '%{{http_code}}\\n'"
        f" {MASTER_KEY_HEADER} -H 'Content-Type: application/json' --data {body}"
        " http://127.0.0.1:4000/v1/chat/completions"
    )
    assert run(host, command, "the chat completions").split() == ["200"] * REQUESTS


def per_worker(host: Any) -> dict[str, float]:
    script = shlex.quote(PER_WORKER)
    return json.loads(run(host, f"docker exec {CONTAINER} python3 -c {script}", "reading the workers' samples"))


def booted_workers(host: Any) -> set[str]:
    """The worker processes that wrote a gauge file in the metrics directory (by pid)."""
    names = run(host, f"docker exec {CONTAINER} ls {METRICS_DIR}", "listing the metrics directory").split()
    return {name.rsplit("_", 1)[1] for name in names if name.startswith("gauge_all_")}


@pytest.mark.parametrize("read_only", [False, True], ids=["writable root", "read-only root"])
def test_metrics_count_every_request_of_every_worker(
    host: Any, secrets: dict[str, str], models: list[dict[str, str]], read_only: bool
) -> None:
    converge_ok(secrets, {"litellm_metrics": True, "litellm_num_workers": 2, "litellm_read_only": read_only})
    data = inspect(host)
    assert "PROMETHEUS_MULTIPROC_DIR" in data["Config"]["Env"]
    assert data["HostConfig"]["Tmpfs"][METRICS_DIR] == "size=64m,uid=65532,gid=65532,mode=0700"
    assert "- prometheus" in run(host, f"cat {CONFIG_DIR}/config.yaml", "reading config.yaml")
    # /health/readiness answers once one worker serves; on a busy machine the
    # other may boot much later. Each worker writes its gauge file as it boots.
    wait_for(lambda: len(booted_workers(host)) == 2, 180, "both workers to boot")
    alias = models[0]["name"]
    before = requests_counted(host, alias)
    # Batches until both workers took some (which one accepts a connection is
    # the kernel's choice: on a busy machine one took 6 whole batches in a row);
    # at most 40 (480 requests to the stand-in on the test host).
    for batch in range(1, 41):
        send(host, alias)
        assert requests_counted(host, alias) - before == REQUESTS * batch
        workers = [value for value in per_worker(host).values() if value > 0]
        if len(workers) == 2:
            break
    # Spread over both workers: each one's own file has some of them, and /metrics sums them.
    assert len(workers) == 2 and sum(workers) == requests_counted(host, alias), workers
    # Without the key, /metrics is refused.
    assert api(host, "GET", "/metrics/", auth="none").status == 401
    used = run(host, f"docker exec {CONTAINER} du -sk {METRICS_DIR}", "the directory's size").split()[0]
    assert int(used) < 32 * 1024, f"{used} KiB in the metrics tmpfs"
