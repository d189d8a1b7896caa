#!/usr/bin/env python3
"""Benchmark the role against hand-written baselines, measured in the same run.

Run through bench/run.sh, which sets up this machine (Docker Engine, wrk, the
pinned tooling, the LiteLLM image, the Bedrock stand-in). The role is applied to
this machine with the demo inventory, like demo/deploy.sh. Every figure is a
ratio or a difference against its baseline, from the median of --repeats runs,
with the spread (min-max) beside it:

1. cold deploy to healthy: the role vs `docker run` of the same image, config
   and env file plus polling /health/liveliness;
2. no-change run: the role's second run vs a play with one trivial task;
3. config-change downtime: requests failing on port 4000 while the role applies
   a models change vs while `docker restart` restarts the same container;
4. proxy overhead: wrk through the proxy vs wrk straight to the stand-in, with
   1 and 2 workers, streaming and not, at several concurrencies;
5. memory of the container, idle and under that load.

Load stays on this machine (loopback and Docker's own bridge) and every loop
is bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo"
RESULTS = ROOT / "bench" / "results"
CONTAINER = "litellm"
PROXY = "http://127.0.0.1:4000"
PROFILE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
ALIAS = "claude-sonnet-4-5"
MODELS_A = [{"name": ALIAS, "model": PROFILE}]
MODELS_B = [*MODELS_A, {"name": "claude-haiku-4-5", "model": "us.anthropic.claude-haiku-4-5-20251001-v1:0"}]


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


class Bench:
    def __init__(
        self, image: str, standin: str, repeats: int, duration: int, concurrency: list[int], out: Path
    ) -> None:
        self.image = image
        self.out = out
        self.standin = standin  # as the container reaches it
        self.repeats = repeats
        self.duration = duration
        self.concurrency = concurrency
        self.results: dict[str, Any] = {}

    # --- helpers -------------------------------------------------------------

    def playbook(self, extra: dict[str, Any], playbook: str = "site.yml") -> tuple[float, int]:
        """Run a demo playbook; return (seconds, changed count)."""
        variables = {
            "litellm_image": self.image,
            "litellm_image_pull": "never",
            "litellm_bedrock_runtime_endpoint": self.standin,
            "litellm_models": MODELS_A,
            **extra,
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(variables, handle)
        env = {**os.environ, "ANSIBLE_CONFIG": str(DEMO / "ansible.cfg")}
        start = time.monotonic()
        proc = subprocess.run(
            ["ansible-playbook", playbook, "-e", f"@{handle.name}"],
            cwd=DEMO,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        seconds = time.monotonic() - start
        Path(handle.name).unlink()
        if proc.returncode != 0:
            raise SystemExit(f"{playbook} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
        changed = sum(int(p.split("=")[1]) for p in proc.stdout.split() if p.startswith("changed="))
        return seconds, changed

    def reset(self) -> None:
        subprocess.run(["docker", "rm", "-f", CONTAINER], capture_output=True, check=False)
        shutil.rmtree("/etc/litellm", ignore_errors=True)

    @staticmethod
    def alive() -> bool:
        try:
            with urllib.request.urlopen(f"{PROXY}/health/liveliness", timeout=2) as response:  # noqa: S310 - fixed http URL
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait_alive(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while not self.alive():
            if time.monotonic() > deadline:
                raise SystemExit("the proxy did not answer in time")
            time.sleep(0.02)

    def memory_mib(self) -> float:
        """Resident memory of the container's processes (from /proc: docker
        stats reads 0 where the memory cgroup is not accounted)."""
        pids = subprocess.run(
            ["docker", "top", CONTAINER, "-eo", "pid"], capture_output=True, text=True, check=True
        ).stdout.split()[1:]
        total_kib = 0
        for pid in pids:
            status = Path(f"/proc/{pid}/status")
            if status.exists():
                total_kib += int(
                    next((x.split()[1] for x in status.read_text().splitlines() if x.startswith("VmRSS")), 0)
                )
        return total_kib / 1024

    # --- 1. cold deploy ------------------------------------------------------

    def cold_deploy(self) -> None:
        say(f"1/5 cold deploy: role vs docker run, {self.repeats} repeats each")
        role, base = [], []
        keep = Path(tempfile.mkdtemp())
        for i in range(self.repeats):
            self.reset()
            seconds, _ = self.playbook({"litellm_num_workers": 1})
            role.append(seconds)
            shutil.copy("/etc/litellm/config.yaml", keep / "config.yaml")
            shutil.copy("/etc/litellm/litellm.env", keep / "litellm.env")
            self.reset()
            start = time.monotonic()
            subprocess.run(
                [
                    "docker",
                    "run",
                    "-d",
                    "--name",
                    CONTAINER,
                    "--restart",
                    "unless-stopped",
                    "-p",
                    "4000:4000",
                    "-v",
                    f"{keep}/config.yaml:/app/config.yaml:ro",
                    "--env-file",
                    f"{keep}/litellm.env",
                    self.image,
                    "--config",
                    "/app/config.yaml",
                    "--port",
                    "4000",
                    "--num_workers",
                    "1",
                ],
                capture_output=True,
                check=True,
            )
            self.wait_alive()
            base.append(time.monotonic() - start)
            say(f"  repeat {i + 1}: role {role[-1]:.1f} s, docker run {base[-1]:.1f} s")
        os.chmod(keep, 0o700)
        shutil.rmtree(keep)
        self.reset()
        self.results["cold_deploy"] = {
            "role_s": spread(role),
            "baseline_s": spread(base),
            "ratio": statistics.median(role) / statistics.median(base),
            "target_ratio": 1.3,
        }

    # --- 2. no-change run ----------------------------------------------------

    def no_change(self) -> None:
        say(f"2/5 no-change run: role vs a one-task play, {self.repeats} repeats each")
        self.playbook({"litellm_num_workers": 1})
        role, base, changed = [], [], []
        for _ in range(self.repeats):
            seconds, count = self.playbook({"litellm_num_workers": 1})
            role.append(seconds)
            changed.append(count)
            base.append(self.playbook({}, playbook=str(ROOT / "bench" / "trivial.yml"))[0])
        self.results["no_change"] = {
            "role_s": spread(role),
            "baseline_s": spread(base),
            "ratio": statistics.median(role) / statistics.median(base),
            "changed": max(changed),
            "target_ratio": 2.0,
        }
        say(f"  role {statistics.median(role):.1f} s (changed={max(changed)}), trivial {statistics.median(base):.1f} s")

    # --- 3. downtime ---------------------------------------------------------

    def probe_downtime(self, action: Callable[[], None]) -> float:
        """Longest window of failing requests to port 4000 while action runs."""
        failures: list[tuple[float, float]] = []
        stop = threading.Event()

        def probe() -> None:
            down_since: float | None = None
            deadline = time.monotonic() + 600  # bounded
            while not stop.is_set() and time.monotonic() < deadline:
                now = time.monotonic()
                if self.alive():
                    if down_since is not None:
                        failures.append((down_since, now))
                        down_since = None
                elif down_since is None:
                    down_since = now
                time.sleep(0.01)
            if down_since is not None:
                failures.append((down_since, time.monotonic()))

        thread = threading.Thread(target=probe)
        thread.start()
        action()
        self.wait_alive()
        time.sleep(0.2)
        stop.set()
        thread.join()
        return max((end - begin for begin, end in failures), default=0.0)

    def downtime(self) -> None:
        say(f"3/5 config-change downtime: role vs docker restart, {self.repeats} repeats each")
        self.playbook({"litellm_num_workers": 1})
        role, base = [], []
        for i in range(self.repeats):
            models = MODELS_B if i % 2 == 0 else MODELS_A
            role.append(
                self.probe_downtime(lambda m=models: self.playbook({"litellm_num_workers": 1, "litellm_models": m}))
            )
            base.append(
                self.probe_downtime(
                    lambda: subprocess.run(["docker", "restart", CONTAINER], capture_output=True, check=True)
                )
            )
            say(f"  repeat {i + 1}: role {role[-1]:.2f} s down, docker restart {base[-1]:.2f} s down")
        self.playbook({"litellm_num_workers": 1})
        self.results["downtime"] = {
            "role_s": spread(role),
            "baseline_s": spread(base),
            "ratio": statistics.median(role) / statistics.median(base),
            "target_ratio": 1.1,
        }

    # --- 4 and 5. overhead and memory ------------------------------------------

    def wrk(self, url: str, script: str, connections: int) -> dict[str, float]:
        out = subprocess.run(
            [
                "wrk",
                "-t",
                str(min(connections, 2)),
                "-c",
                str(connections),
                "-d",
                f"{self.duration}s",
                "--timeout",
                "30s",
                "-s",
                script,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=self.duration + 60,
            check=True,
        ).stdout
        line = next(x for x in out.splitlines() if x.startswith("JSON "))
        return json.loads(line[5:])

    def lua(self, path: str, body: dict[str, Any], key: str | None) -> str:
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        header_lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
        script = f"""
wrk.method = "POST"
wrk.path = "{path}"
wrk.body = [[{json.dumps(body)}]]
{header_lines}
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'JSON {{"p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "rps": %.2f, "requests": %d, "errors": %d}}\\n',
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6), summary.requests, errors))
end
"""
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            os.chmod(handle.name, 0o600)  # it holds the master key
            handle.write(script)
        return handle.name

    def overhead(self) -> None:
        say("4/5 proxy overhead with wrk, 5/5 memory")
        prompt = [{"role": "user", "content": "Benchmark request of a reasonable size for a chat turn."}]
        direct_host = "http://127.0.0.1:8099"
        scripts: list[str] = []
        runs: list[dict[str, Any]] = []
        memory: dict[str, float] = {}
        try:
            for stream in (False, True):
                op = "converse-stream" if stream else "converse"
                direct = self.lua(
                    f"/model/{PROFILE.replace(':', '%3A')}/{op}",
                    {"messages": [{"role": "user", "content": [{"text": prompt[0]["content"]}]}]},
                    None,
                )
                scripts.append(direct)
                for connections in self.concurrency:
                    samples = [self.wrk(direct_host, direct, connections) for _ in range(self.repeats)]
                    runs.append({"path": "direct", "stream": stream, "c": connections, "samples": samples})
                    say(f"  direct stream={stream} c={connections}: p50 {samples[0]['p50_ms']:.1f} ms")
            for workers in (1, 2):
                self.playbook({"litellm_num_workers": workers})
                time.sleep(2)
                memory[f"idle_w{workers}"] = self.memory_mib()
                env = Path("/etc/litellm/litellm.env").read_text().splitlines()
                key = next(line.split("=", 1)[1] for line in env if line.startswith("LITELLM_MASTER_KEY="))
                for stream in (False, True):
                    proxy = self.lua(
                        "/v1/chat/completions", {"model": ALIAS, "messages": prompt, "stream": stream}, key
                    )
                    scripts.append(proxy)
                    for connections in self.concurrency:
                        samples = []
                        for _ in range(self.repeats):
                            sampler = threading.Timer(
                                self.duration / 2,
                                lambda w=workers: memory.__setitem__(
                                    f"load_w{w}", max(memory.get(f"load_w{w}", 0.0), self.memory_mib())
                                ),
                            )
                            sampler.start()
                            samples.append(self.wrk(PROXY, proxy, connections))
                            sampler.join()
                        runs.append(
                            {"path": f"proxy_w{workers}", "stream": stream, "c": connections, "samples": samples}
                        )
                        say(
                            f"  proxy workers={workers} stream={stream} c={connections}: "
                            f"p50 {samples[0]['p50_ms']:.1f} ms, {samples[0]['rps']:.0f} req/s"
                        )
        finally:
            for script in scripts:
                Path(script).unlink(missing_ok=True)
        self.results["load"] = runs
        self.results["memory_mib"] = memory

    # --- report ----------------------------------------------------------------

    def summarise(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for name, target, unit in (
            ("cold_deploy", "<= 1.3x", "s"),
            ("no_change", "<= 2x, changed=0", "s"),
            ("downtime", "<= 1.1x", "s"),
        ):
            r = self.results[name]
            extra = f", changed={r['changed']}" if name == "no_change" else ""
            rows.append(
                {
                    "figure": name.replace("_", " "),
                    "role": f"{r['role_s']['median']:.2f} {unit} ({r['role_s']['min']:.2f}-{r['role_s']['max']:.2f})",
                    "baseline": f"{r['baseline_s']['median']:.2f} {unit} "
                    f"({r['baseline_s']['min']:.2f}-{r['baseline_s']['max']:.2f})",
                    "result": f"{r['ratio']:.2f}x{extra}",
                    "target": target,
                }
            )

        def med(path: str, stream: bool, c: int, key: str) -> tuple[float, float, float]:
            run = next(x for x in self.results["load"] if (x["path"], x["stream"], x["c"]) == (path, stream, c))
            values = [s[key] for s in run["samples"]]
            return statistics.median(values), min(values), max(values)

        for stream in (False, True):
            for c in self.concurrency:
                direct = med("direct", stream, c, "p50_ms")
                for workers in (1, 2):
                    proxy = {k: med(f"proxy_w{workers}", stream, c, k) for k in ("p50_ms", "p95_ms", "p99_ms", "rps")}
                    rows.append(
                        {
                            "figure": f"overhead {'stream' if stream else 'plain'} c={c} workers={workers}",
                            "role": f"p50 {proxy['p50_ms'][0]:.1f} / p95 {proxy['p95_ms'][0]:.1f} / "
                            f"p99 {proxy['p99_ms'][0]:.1f} ms, {proxy['rps'][0]:.0f} req/s",
                            "baseline": f"p50 {direct[0]:.1f} ms direct",
                            "result": f"+{proxy['p50_ms'][0] - direct[0]:.1f} ms p50 "
                            f"(spread {proxy['p50_ms'][1] - direct[0]:.1f}..{proxy['p50_ms'][2] - direct[0]:.1f})",
                            "target": "<= 5 ms at c=8" if c == 8 else "",
                        }
                    )
            top = max(self.concurrency)
            one, two = med("proxy_w1", stream, top, "rps")[0], med("proxy_w2", stream, top, "rps")[0]
            rows.append(
                {
                    "figure": f"throughput 2 vs 1 workers, {'stream' if stream else 'plain'} c={top}",
                    "role": f"{two:.0f} req/s with 2",
                    "baseline": f"{one:.0f} req/s with 1",
                    "result": f"{two / one:.2f}x",
                    "target": ">= 1.4x",
                }
            )
        mem = self.results["memory_mib"]
        for workers in (1, 2):
            rows.append(
                {
                    "figure": f"memory, workers={workers}",
                    "role": f"{mem.get(f'load_w{workers}', 0):.0f} MiB under load",
                    "baseline": f"{mem[f'idle_w{workers}']:.0f} MiB idle",
                    "result": f"+{mem.get(f'load_w{workers}', 0) - mem[f'idle_w{workers}']:.0f} MiB",
                    "target": "",
                }
            )
        return rows

    def write(self, machine: dict[str, str]) -> None:
        rows = self.summarise()
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "results.json").write_text(
            json.dumps({"machine": machine, "results": self.results, "table": rows}, indent=2) + "\n"
        )
        lines = [
            f"Machine: {machine['cpu']}, {machine['vcpus']} vCPUs, {machine['memory']}; "
            f"{machine['docker']}; LiteLLM {machine['litellm']}; {machine['date']}. "
            f"Medians of {self.repeats} runs (min-max); wrk {self.duration} s per run.",
            "",
            "| figure | role / proxy | baseline | result | target |",
            "|---|---|---|---|---|",
            *[f"| {r['figure']} | {r['role']} | {r['baseline']} | {r['result']} | {r['target']} |" for r in rows],
        ]
        (self.out / "results.md").write_text("\n".join(lines) + "\n")
        print("\n".join(lines))
        self.chart()

    def chart(self) -> None:
        import matplotlib  # only the report needs it

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
        names = ["cold_deploy", "no_change", "downtime"]
        ratios = [self.results[n]["ratio"] for n in names]
        targets = [self.results[n]["target_ratio"] for n in names]
        left.bar(range(3), ratios, color="#4c72b0", label="role / baseline (median)")
        left.scatter(range(3), targets, marker="_", s=900, color="#c44e52", label="target")
        left.set_xticks(range(3), ["cold deploy", "no-change run", "config-change\ndowntime"])
        left.set_ylabel("ratio to baseline")
        left.legend(loc="upper left")
        left.set_title("Role vs hand-written baseline")
        for workers, colour in ((1, "#55a868"), (2, "#8172b2")):
            for stream, style in ((False, "-"), (True, "--")):
                overheads = []
                for c in self.concurrency:
                    get = [x for x in self.results["load"] if x["stream"] == stream and x["c"] == c]
                    direct = statistics.median(
                        s["p50_ms"] for s in next(x for x in get if x["path"] == "direct")["samples"]
                    )
                    proxy = next(x for x in get if x["path"] == f"proxy_w{workers}")["samples"]
                    overheads.append(statistics.median(s["p50_ms"] for s in proxy) - direct)
                right.plot(
                    self.concurrency,
                    overheads,
                    style,
                    marker="o",
                    color=colour,
                    label=f"{workers} worker{'s' if workers > 1 else ''}, {'stream' if stream else 'plain'}",
                )
        right.axhline(5, color="#c44e52", linewidth=1, label="target at c=8: 5 ms")
        right.set_xscale("log", base=2)
        right.set_xticks(self.concurrency, [str(c) for c in self.concurrency])
        right.set_xlabel("concurrent connections (wrk)")
        right.set_ylabel("p50 latency added by the proxy (ms)")
        right.set_title("Proxy overhead vs direct to the Bedrock stand-in")
        right.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(self.out / "benchmark.png", dpi=110)


def machine_info(image: str) -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kib = int(
        next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1]
    )
    docker = subprocess.run(
        ["docker", "version", "--format", "Docker Engine {{.Server.Version}}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    litellm = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "/opt/litellm/bin/pip", image, "show", "litellm"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    version = next((x.split()[1] for x in litellm.splitlines() if x.startswith("Version:")), "official image")
    return {
        "cpu": cpu,
        "vcpus": str(os.cpu_count()),
        "memory": f"{mem_kib / 1024 / 1024:.0f} GiB",
        "kernel": platform.release(),
        "docker": docker,
        "litellm": version,
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default="", help="LiteLLM image to deploy")
    parser.add_argument("--standin", default="", help="stand-in URL as the container reaches it")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--report-only", action="store_true", help="redo table and chart from results.json")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the results go (default bench/results)")
    args = parser.parse_args()
    concurrency = [int(c) for c in args.concurrency.split(",")]
    bench = Bench(args.image, args.standin, args.repeats, args.duration, concurrency, args.out)
    if args.report_only:
        saved = json.loads((args.out / "results.json").read_text())
        bench.results = saved["results"]
        bench.write(saved["machine"])
        return
    if not (args.image and args.standin):
        parser.error("--image and --standin are required (bench/run.sh passes them)")
    machine = machine_info(args.image)
    bench.cold_deploy()
    bench.no_change()
    bench.downtime()
    bench.overhead()
    bench.write(machine)
    say(f"results in {args.out}")


if __name__ == "__main__":
    main()
