#!/usr/bin/env python3
"""Benchmark the role against hand-written baselines, measured in the same run.

Run through bench/run.sh, which sets up this machine (Docker Engine, wrk, the
pinned tooling, the LiteLLM image, the Bedrock stand-in, the test-host image).
The role is applied to this machine with the demo inventory, like
demo/deploy.sh, and to test hosts that are containers on this machine. Every
figure has its baseline from the same run; each is the median of --repeats
runs with the spread (min-max):

1. first deploy: the role vs `docker run` of the same image, config, env file
   and workers plus polling /health/readiness until 200; and two floors, plays
   with the same header (facts): that of any role that starts the container
   with community.docker.docker_container (that one task, plus the same poll),
   and that of the role's design (the four module runs it cannot do without:
   the host look with the image probe, the write of the files, that task and
   the health wait on the host, with the role's own modules, and no other task);
2. no-change run: the role's second run, on a proxy Docker reports healthy, vs
   a play with the same header (hosts, become, facts) and one `ping` task;
3. config-change downtime: requests failing on port 4000 while the role applies
   a models change vs while `docker restart` restarts the same container;
4. models: first-deploy and no-change times with 7, 50 and 200 models, and
   the first deploy's `docker run` baseline with the same models (LiteLLM's
   own boot grows with them);
5. hosts: no-change times on 1, 2 and 4 test hosts (Ansible's default forks),
   with the machine's busy CPU time during each and that of ansible-playbook's
   own process, the same play header with one ping on the same hosts (how
   Ansible itself scales here), the same header with only the role's host look
   (the one module run a no-change run cannot do without), and the first
   deploy of all of them at once;
6. settings, one at a time at c=8: CPU milliseconds per request from the
   container's cgroup, p50 and p99, peak memory, and whether `docker logs`
   still shows the proxy's start, its models and a failed request; then what
   each feature costs (FEATURES), those with a target
   from --rounds rounds of paired deployments (the median of their ratios);
7. the full load grid (c=1, 8, 32, plain and streamed) for the defaults and the
   cheapest setting against the same requests sent straight to the stand-in;
   the defaults-to-cheapest figure is the median of the grid cells' ratios;
8. memory from the container's cgroup, idle and at the peak of the load, with 1
   and 2 workers: the figures the role's default memory limit comes from.

Load stays on this machine (loopback and Docker's bridges) and every loop is
bounded in count and time.
"""

from __future__ import annotations

import argparse
import contextlib
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo"
RESULTS = ROOT / "bench" / "results"
CONTAINER = "litellm"
PROXY = "http://127.0.0.1:4000"
# The role's own modules, for the plays of the floors that run them without the role.
ROLE_MODULES = {"ANSIBLE_LIBRARY": str(ROOT / "library"), "ANSIBLE_MODULE_UTILS": str(ROOT / "module_utils")}
# The host look's arguments as tasks/preflight.yml gives them (demo settings;
# the probe's command and labels from the role's vars/main.yml, the play's
# vars_files), but for the image.
LOOK_ARGS = {
    "path": "{{ litellm_config_dir }}",
    "read": ["salt-key.fingerprint", "served.json"],
    "port": "{{ litellm_port }}",
    "addresses": False,
    "containers": "{{ litellm_container_name }}",
    "inspect": True,
    "probe": "{{ _litellm_probe_command }}",
    "probe_labels": "{{ _litellm_label_names }}",
}


def look_task(image: str) -> dict[str, Any]:
    """The role's host look of image, as a task of a play with the role's vars (header_play's role_vars)."""
    return {
        "name": "Look at the host",
        "litellm_host_state": LOOK_ARGS | {"image": image},
        "vars": {"_litellm_probe_script": (ROOT / "files" / "litellm_probe.py").read_text()},
        "no_log": True,
    }


DIRECT = "http://127.0.0.1:8099"
ROLE_DEFAULTS = yaml.safe_load((ROOT / "defaults" / "main.yml").read_text())
ROLE_VARS = yaml.safe_load((ROOT / "vars" / "main.yml").read_text())
DEFAULT_MODELS: list[dict[str, str]] = ROLE_DEFAULTS["litellm_models"]
ALIAS = DEFAULT_MODELS[0]["name"]
PROFILE = DEFAULT_MODELS[0]["model"]
HOST_PREFIX = "litellm-bench-host-"
# The phases in the order they run (the grid needs the settings' cheapest).
PHASES = ("first_deploy", "no_change", "downtime", "model_scaling", "host_scaling", "settings_at_c8", "grid", "memory")
# What one setting changes, against the role's defaults (empty: the defaults).
SETTINGS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "LITELLM_LOG=DEBUG": {"litellm_log_level": "DEBUG"},
    "LITELLM_LOG=INFO": {"litellm_log_level": "INFO"},
    "LITELLM_LOG=ERROR": {"litellm_log_level": "ERROR"},
    "access log on": {"litellm_access_log": True},
    "plain-text logs": {"litellm_json_logs": False},
    "1 worker": {"litellm_num_workers": 1},
    "2 workers": {"litellm_num_workers": 2},
    "2 workers, recycled every 200 requests": {"litellm_num_workers": 2, "litellm_max_requests_before_restart": 200},
    # Both, whichever is the default: litellm_metrics is on by default only
    # if it costs at most 5% more CPU a request than without (FEATURES).
    "metrics on": {"litellm_metrics": True},
    "metrics off": {"litellm_metrics": False},
}
# What a feature costs: CPU a request with it (a setting above) over without
# it, both measured in the same settings phase; a target where one decides a
# default.
FEATURES: list[dict[str, Any]] = [
    {"feature": "Prometheus metrics (litellm_metrics)", "with": "metrics on", "without": "metrics off", "target": 1.05},
    {
        "feature": "the default logs over the quietest (LITELLM_LOG=ERROR)",
        "with": "defaults",
        "without": "LITELLM_LOG=ERROR",
        "target": 1.05,
    },
    {"feature": "LiteLLM's lines a request (LITELLM_LOG=INFO)", "with": "LITELLM_LOG=INFO", "without": "defaults"},
    {"feature": "the access log (litellm_access_log)", "with": "access log on", "without": "defaults"},
    {"feature": "JSON logs over plain text (litellm_json_logs)", "with": "defaults", "without": "plain-text logs"},
]


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def per_added_host(rows: list[dict[str, Any]], key: str) -> float:
    """CPU seconds each host beyond the first adds (first and last rows of the hosts table)."""
    first, last = rows[0], rows[-1]
    if last["hosts"] == first["hosts"]:
        return 0.0
    return (last[key]["median"] - first[key]["median"]) / (last["hosts"] - first["hosts"])


def busy_cpu_s() -> float:
    """CPU seconds this machine has spent busy (all vCPUs), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_s_at_exit(pid: int) -> float:
    """Wait for the child pid to exit, without reaping it, and return the CPU
    seconds it spent itself (utime + stime of /proc/PID/stat, which a zombie
    keeps until it is reaped; its children's time is counted apart)."""
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command's name: state is field 3, utime and stime fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def models(count: int) -> list[dict[str, str]]:
    """count aliases over the default models' inference profiles."""
    return [
        {"name": ALIAS if i == 0 else f"bench-{i:03d}", "model": DEFAULT_MODELS[i % len(DEFAULT_MODELS)]["model"]}
        for i in range(count)
    ]


def docker(*args: str, check: bool = True) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=600).stdout


class Cgroup:
    """A container's CPU and memory accounting, cgroup v1 (cpuacct, memory) or v2."""

    def __init__(self, container: str) -> None:
        cid = docker("inspect", "--format", "{{.Id}}", container).strip()
        base = Path("/sys/fs/cgroup")
        v1 = [f"docker/{cid}", f"system.slice/docker-{cid}.scope"]
        self.cpu_v1 = next(
            (base / c / p for c in ("cpuacct", "cpu,cpuacct") for p in v1 if (base / c / p).is_dir()), None
        )
        self.mem_v1 = next((base / "memory" / p for p in v1 if (base / "memory" / p).is_dir()), None)
        self.v2 = next((base / p for p in v1 if (base / p / "cpu.stat").exists()), None)
        if not ((self.cpu_v1 and self.mem_v1) or self.v2):
            raise SystemExit(f"no cgroup found for the container {container} ({cid[:12]})")

    def cpu_ns(self) -> int:
        if self.cpu_v1:
            return int((self.cpu_v1 / "cpuacct.usage").read_text())
        stat = dict(line.split() for line in (self.v2 / "cpu.stat").read_text().splitlines())  # type: ignore[operator]
        return int(stat["usage_usec"]) * 1000

    def memory(self) -> int:
        if self.mem_v1:
            return int((self.mem_v1 / "memory.usage_in_bytes").read_text())
        return int((self.v2 / "memory.current").read_text())  # type: ignore[operator]

    def peak(self) -> int:
        if self.mem_v1:
            return int((self.mem_v1 / "memory.max_usage_in_bytes").read_text())
        return int((self.v2 / "memory.peak").read_text())  # type: ignore[operator]

    def reset_peak(self) -> None:
        path = self.mem_v1 / "memory.max_usage_in_bytes" if self.mem_v1 else self.v2 / "memory.peak"  # type: ignore[operator]
        with contextlib.suppress(OSError):  # cgroup v2 before Linux 6.12: the peak since the start
            path.write_text("0")


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.image: str = args.image
        self.host_image: str = args.host_image
        self.standin: str = args.standin  # as the containers reach it
        self.repeats: int = args.repeats
        self.duration: int = args.duration
        self.concurrency = [int(c) for c in args.concurrency.split(",")]
        self.model_counts = [int(c) for c in args.models.split(",") if c]
        self.host_counts = [int(c) for c in args.hosts.split(",") if c]
        self.memory_workers = [int(c) for c in args.memory_workers.split(",")]
        self.settings = [s for s in SETTINGS if s in args.settings.split(";")] if args.settings else list(SETTINGS)
        self.rounds: int = args.rounds or self.repeats
        self.out: Path = args.out
        self.results: dict[str, Any] = {"settings_tried": self.settings}
        self.vcpus = os.cpu_count() or 1
        self.controller_cpu_s = 0.0  # of the last playbook run (see playbook())

    # --- running the role ------------------------------------------------------

    def playbook(
        self,
        extra: dict[str, Any],
        playbook: Path = DEMO / "site.yml",
        inventory: Path | None = None,
        modules: bool = False,
    ) -> tuple[float, int]:
        """Run a playbook with the demo's configuration; (seconds, changed count).

        Also sets controller_cpu_s: the CPU time of ansible-playbook's own
        process (not its workers nor the modules), which schedules every
        host's tasks and handles every result, one after the other. With
        modules, a play without the role can run the role's own modules."""
        variables = {
            "litellm_image": self.image,
            "litellm_image_pull": "never",
            "litellm_bedrock_runtime_endpoint": self.standin,
            "litellm_models": models(7),
            **extra,
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(variables, handle)
        command = ["ansible-playbook", str(playbook), "-e", f"@{handle.name}"]
        if inventory:
            command[1:1] = ["-i", str(inventory)]
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            start = time.monotonic()
            proc = subprocess.Popen(
                command,
                cwd=DEMO,
                env={**os.environ, "ANSIBLE_CONFIG": str(DEMO / "ansible.cfg"), **(ROLE_MODULES if modules else {})},
                stdout=out,
                stderr=err,
            )
            timer = threading.Timer(1200, proc.kill)
            timer.start()
            try:
                self.controller_cpu_s = own_cpu_s_at_exit(proc.pid)
                proc.wait()
            finally:
                timer.cancel()
            seconds = time.monotonic() - start
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
        Path(handle.name).unlink()
        if proc.returncode != 0:
            raise SystemExit(f"{playbook.name} failed:\n{stdout[-3000:]}\n{stderr[-2000:]}")
        return seconds, sum(int(p.split("=")[1]) for p in stdout.split() if p.startswith("changed="))

    def no_change_run(self, extra: dict[str, Any], inventory: Path | None = None) -> float:
        seconds, changed = self.playbook(extra, inventory=inventory)
        if changed:
            raise SystemExit(f"a run that should change nothing changed {changed} task(s): {extra}")
        return seconds

    @staticmethod
    def reset() -> None:
        docker("rm", "-f", CONTAINER, f"{CONTAINER}-canary", f"{CONTAINER}-previous", check=False)
        shutil.rmtree("/etc/litellm", ignore_errors=True)

    @staticmethod
    def answers(path: str) -> bool:
        try:
            with urllib.request.urlopen(f"{PROXY}{path}", timeout=2) as response:  # noqa: S310 - fixed http URL
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait_for(self, path: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while not self.answers(path):
            if time.monotonic() > deadline:
                raise SystemExit(f"the proxy did not answer {path} in time")
            time.sleep(0.02)

    @staticmethod
    def workers() -> int:
        """The worker count the role gave the running container."""
        command = json.loads(docker("inspect", "--format", "{{json .Config.Cmd}}", CONTAINER))
        return int(command[command.index("--num_workers") + 1])

    @staticmethod
    def master_key() -> str:
        env = Path("/etc/litellm/litellm.env").read_text().splitlines()
        return next(line.split("=", 1)[1] for line in env if line.startswith("LITELLM_MASTER_KEY="))

    # --- 1. first deploy ------------------------------------------------------

    def docker_run_deploy(self, keep: Path, workers: str) -> float:
        """The baseline of a first deploy: `docker run` of the image with the
        role's config.yaml and env file (copied to keep), then polling
        /health/readiness until 200; seconds."""
        self.reset()
        start = time.monotonic()
        docker(
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
            workers,
        )
        self.wait_for("/health/readiness")
        return time.monotonic() - start

    def run_task(self, keep: Path, workers: str) -> dict[str, Any]:
        """The one docker_container task of the floors, starting what
        docker_run_deploy starts."""
        return {
            "name": "Run LiteLLM",
            "community.docker.docker_container": {
                "name": CONTAINER,
                "image": self.image,
                "pull": "never",
                "state": "started",
                "restart_policy": "unless-stopped",
                "published_ports": ["4000:4000"],
                "mounts": [
                    {"type": "bind", "source": f"{keep}/config.yaml", "target": "/app/config.yaml", "read_only": True}
                ],
                "env_file": f"{keep}/litellm.env",
                "command": ["--config", "/app/config.yaml", "--port", "4000", "--num_workers", workers],
            },
        }

    def module_deploy(self, keep: Path, workers: str) -> float:
        """The floor of a first deploy by a role that starts the container with
        community.docker.docker_container, as this one must: demo/site.yml's play
        header (facts, become) with that one task, starting what docker_run_deploy
        starts, then the same poll of /health/readiness; seconds. No check, no
        file written, no image probe, no record."""
        self.reset()
        path = self.header_play("Floor: the same play header, one docker_container", [self.run_task(keep, workers)])
        start = time.monotonic()
        self.playbook({}, playbook=path)
        self.wait_for("/health/readiness")
        seconds = time.monotonic() - start
        path.unlink()
        return seconds

    def design_deploy(self, keep: Path, workers: str) -> float:
        """The floor of this role's design: the same play header with only the
        module runs a first deploy of it cannot do without, with its own
        modules: the host look with the image probe (what is there, and which
        LiteLLM build the image holds, before anything changes), the write of
        the files (into a scratch directory: the container mounts keep's, as in
        module_deploy), the docker_container task, and the health wait on the
        host; seconds, until that wait ends. No input check, no render, no
        decision, no record, no other task."""
        self.reset()
        scratch = Path(tempfile.mkdtemp())
        files = [{"name": "config.yaml", "mode": "0640"}, {"name": "litellm.env"}]
        contents = [(keep / f["name"]).read_text() for f in files]
        write = {
            "name": "Write the files",
            "litellm_files": {"path": str(scratch / "litellm"), "write": files, "contents": contents},
            "no_log": True,
        }
        wait = {
            "name": "Wait for the proxy",
            "litellm_wait_ready": {"url": f"{PROXY}/health/readiness", "timeout": 300},
        }
        path = self.header_play(
            "Design floor: the same play header, the role's four module runs",
            [look_task(self.image), write, self.run_task(keep, workers), wait],
            role_vars=True,
        )
        start = time.monotonic()
        self.playbook({}, playbook=path, modules=True)
        seconds = time.monotonic() - start
        path.unlink()
        shutil.rmtree(scratch)
        return seconds

    def role_and_docker_run(
        self, extra: dict[str, Any], floor: bool = False
    ) -> tuple[list[float], list[float], list[float], list[float]]:
        """First deploys by the role and by hand, alternated, repeats times
        each; with floor, also module_deploy's and design_deploy's (else the
        third and fourth lists are empty)."""
        role, base, floors, designs = [], [], [], []
        keep = Path(tempfile.mkdtemp())
        os.chmod(keep, 0o700)
        for i in range(self.repeats):
            self.reset()
            role.append(self.playbook(extra)[0])
            shutil.copy("/etc/litellm/config.yaml", keep / "config.yaml")
            shutil.copy("/etc/litellm/litellm.env", keep / "litellm.env")
            workers = str(self.workers())
            base.append(self.docker_run_deploy(keep, workers))
            if floor:
                floors.append(self.module_deploy(keep, workers))
                designs.append(self.design_deploy(keep, workers))
            say(
                f"  repeat {i + 1}: role {role[-1]:.1f} s, docker run {base[-1]:.1f} s ({workers} workers)"
                + (
                    f", one docker_container task {floors[-1]:.1f} s, the design's modules {designs[-1]:.1f} s"
                    if floor
                    else ""
                )
            )
        shutil.rmtree(keep)
        self.reset()
        return role, base, floors, designs

    def first_deploy(self) -> None:
        say(f"1/8 first deploy: role vs docker run + readiness poll, {self.repeats} repeats each")
        role, base, floor, design = self.role_and_docker_run({}, floor=True)
        self.results["first_deploy"] = {
            "role_s": spread(role),
            "baseline_s": spread(base),
            "ratio": statistics.median(role) / statistics.median(base),
            "target_ratio": 1.3,
            # What the play header and docker_container alone cost over docker run.
            "floor_s": spread(floor),
            "floor_ratio": statistics.median(floor) / statistics.median(base),
            # What the four module runs the role's design requires cost, with
            # the same header and nothing else (design_deploy).
            "design_floor_s": spread(design),
            "design_floor_ratio": statistics.median(design) / statistics.median(base),
        }

    # --- 2. no-change run ----------------------------------------------------

    def header_play(self, name: str, tasks: list[dict[str, Any]], role_vars: bool = False) -> Path:
        """demo/site.yml's play header (hosts, become, facts) with these tasks
        instead of the role, written to a file of its own in the output
        directory; with role_vars, the role's defaults and vars (what its own
        modules' arguments are built from)."""
        plays = yaml.safe_load((DEMO / "site.yml").read_text())
        for play in plays:
            play.pop("roles", None)
            play["name"] = name
            if role_vars:
                play["vars_files"] = [str(ROOT / "defaults" / "main.yml"), str(ROOT / "vars" / "main.yml")]
            play["tasks"] = tasks
        with tempfile.NamedTemporaryFile("w", prefix=".play-", suffix=".yml", dir=self.out, delete=False) as handle:
            handle.write(yaml.safe_dump(plays, sort_keys=False))
        return Path(handle.name)

    def baseline_play(self) -> Path:
        """The play header with one ping task instead of the role."""
        task = {"name": "Answer a ping", "ansible.builtin.ping": {}}
        return self.header_play("Baseline: the same play header, one ping", [task])

    def look_play(self) -> Path:
        """The play header with only the role's host look (as preflight.yml
        runs it, without a probe: the container's labels say what its image
        holds): what a no-change run of any role of this design pays."""
        return self.header_play(
            "Look only: the same play header, the role's host look", [look_task("{{ litellm_image }}")], role_vars=True
        )

    @staticmethod
    def wait_docker_healthy(timeout: float = 90) -> None:
        """Until Docker's own health check says healthy: the state a proxy is in
        when operators run the role again (its first check comes one interval,
        30 s, after the start; until then a run asks /health/liveliness itself)."""
        deadline = time.monotonic() + timeout
        while docker("inspect", "--format", "{{.State.Health.Status}}", CONTAINER).strip() != "healthy":
            if time.monotonic() > deadline:
                raise SystemExit("Docker did not report the proxy healthy in time")
            time.sleep(1)

    def no_change(self) -> None:
        say(f"2/8 no-change run: role vs the same play header with one ping, {self.repeats} repeats each")
        self.playbook({})
        self.wait_docker_healthy()
        baseline = self.baseline_play()
        role, base = [], []
        for _ in range(self.repeats):
            role.append(self.no_change_run({}))
            base.append(self.playbook({}, playbook=baseline)[0])
        baseline.unlink()
        self.results["no_change"] = {
            "role_s": spread(role),
            "baseline_s": spread(base),
            "ratio": statistics.median(role) / statistics.median(base),
            "changed": 0,
            "target_ratio": 2.0,
        }
        say(f"  role {statistics.median(role):.1f} s (changed=0), same header + ping {statistics.median(base):.1f} s")

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
                if self.answers("/health/liveliness"):
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
        self.wait_for("/health/liveliness")
        time.sleep(0.2)
        stop.set()
        thread.join()
        return max((end - begin for begin, end in failures), default=0.0)

    def downtime(self) -> None:
        say(f"3/8 config-change downtime: role vs docker restart, {self.repeats} repeats each")
        self.playbook({})
        role, base = [], []
        for i in range(self.repeats):
            change = {"litellm_models": models(8 if i % 2 == 0 else 7)}
            role.append(self.probe_downtime(lambda c=change: self.playbook(c)))  # type: ignore[misc]
            base.append(self.probe_downtime(lambda: docker("restart", CONTAINER) and None))
            say(f"  repeat {i + 1}: role {role[-1]:.2f} s down, docker restart {base[-1]:.2f} s down")
        self.results["downtime"] = {
            "role_s": spread(role),
            "baseline_s": spread(base),
            "ratio": statistics.median(role) / statistics.median(base),
            "target_ratio": 1.1,
        }

    # --- 4. models -------------------------------------------------------------

    def model_scaling(self) -> None:
        say(f"4/8 models: first deploy (role and docker run) and no-change run with {self.model_counts} models")
        rows = []
        for count in self.model_counts:
            # A first deploy moves by a second from run to run: repeated, and
            # alternated with docker run of the same files, which tells
            # LiteLLM's own boot with more models from the role's work.
            firsts, base, _, _ = self.role_and_docker_run({"litellm_models": models(count)})
            self.playbook({"litellm_models": models(count)})
            again = [self.no_change_run({"litellm_models": models(count)}) for _ in range(self.repeats)]
            first = statistics.median(firsts)
            rows.append(
                {
                    "models": count,
                    "first_deploy_s": first,
                    "first_deploy": spread(firsts),
                    "docker_run": spread(base),
                    "no_change_s": spread(again),
                }
            )
            say(
                f"  {count} models: first deploy {first:.1f} s (docker run {statistics.median(base):.1f} s), "
                f"no change {statistics.median(again):.1f} s"
            )
        self.reset()
        self.results["models"] = rows

    # --- 5. hosts --------------------------------------------------------------

    @contextmanager
    def test_hosts(self, count: int) -> Iterator[list[str]]:
        """count test hosts (systemd and Docker Engine in a container, as in the
        Molecule scenario), each with the LiteLLM image loaded."""
        names = [f"{HOST_PREFIX}{i + 1}" for i in range(count)]
        caps = [
            c
            for c in yaml.safe_load((ROOT / "molecule/default/molecule.yml").read_text())["platforms"][0][
                "capabilities"
            ]
        ]
        archive = self.out / ".image.tar"
        try:
            for name in names:
                docker(
                    "run",
                    "-d",
                    "--name",
                    name,
                    "--hostname",
                    name,
                    "--cgroupns",
                    "host",
                    "--security-opt",
                    "seccomp=unconfined",
                    "--security-opt",
                    "apparmor=unconfined",
                    *[f"--cap-add={c}" for c in caps],
                    "-v",
                    "/sys/fs/cgroup:/sys/fs/cgroup:rw",
                    "-v",
                    "/var/lib/docker",
                    "--tmpfs",
                    "/run",
                    "--tmpfs",
                    "/run/lock",
                    "--stop-signal",
                    "SIGRTMIN+3",
                    self.host_image,
                    "/sbin/init",
                )
            docker("save", "-o", str(archive), self.image)
            for name in names:
                deadline = time.monotonic() + 120
                while docker("exec", name, "docker", "info", check=False) == "":
                    if time.monotonic() > deadline:
                        raise SystemExit(f"Docker Engine did not start in {name}")
                    time.sleep(1)
                with archive.open("rb") as handle:
                    subprocess.run(
                        ["docker", "exec", "-i", name, "docker", "load"],
                        stdin=handle,
                        check=True,
                        capture_output=True,
                        timeout=600,
                    )
            yield names
        finally:
            archive.unlink(missing_ok=True)
            docker("rm", "-f", "-v", *names, check=False)

    def inventory(self, names: list[str]) -> Path:
        directory = self.out / ".inventory"
        directory.mkdir(exist_ok=True)
        (directory / "group_vars").unlink(missing_ok=True)
        (directory / "group_vars").symlink_to(DEMO / "inventory" / "group_vars")
        # The docker connection is root on the test hosts already: no become
        # (the inventory's ansible_become overrides the play's become: true). They
        # have no sudo, and su, their only become method, turns pipelining off.
        hosts = {name: {"ansible_connection": "community.docker.docker", "ansible_become": False} for name in names}
        (directory / "hosts.yml").write_text(yaml.safe_dump({"litellm": {"hosts": hosts}}))
        return directory / "hosts.yml"

    def host_scaling(self) -> None:
        if not self.host_counts:
            return
        most = max(self.host_counts)
        say(f"5/8 hosts: {most} test hosts on this machine, first deploy of all, then no-change runs")
        # One worker a host: 4 hosts share 2 vCPUs. With one per vCPU each (2),
        # uvicorn's worker health check kills the workers that boot slowly on so
        # loaded a machine, again and again (seen here: "Child process died").
        fleet = {"litellm_num_workers": 1}
        baseline = self.baseline_play()
        look = self.look_play()
        with self.test_hosts(most) as names:
            first = self.playbook(fleet, inventory=self.inventory(names))[0]
            say(f"  first deploy on {most} hosts at once: {first:.1f} s")
            rows = []
            for count in self.host_counts:
                inventory = self.inventory(names[:count])
                again, busy, controller, base, base_busy, look_busy = [], [], [], [], [], []
                for _ in range(self.repeats):
                    before = busy_cpu_s()
                    again.append(self.no_change_run(fleet, inventory=inventory))
                    busy.append(busy_cpu_s() - before)
                    controller.append(self.controller_cpu_s)
                    # The same play header with one ping on the same hosts:
                    # how Ansible itself scales here, before the role does anything.
                    before = busy_cpu_s()
                    base.append(self.playbook(fleet, playbook=baseline, inventory=inventory)[0])
                    base_busy.append(busy_cpu_s() - before)
                    # And with only the role's host look: what no role of this
                    # design can leave out of a no-change run.
                    before = busy_cpu_s()
                    self.playbook(fleet, playbook=look, inventory=inventory, modules=True)
                    look_busy.append(busy_cpu_s() - before)
                rows.append(
                    {
                        "hosts": count,
                        "no_change_s": spread(again),
                        "busy_cpu_s": spread(busy),
                        "controller_cpu_s": spread(controller),
                        "baseline_s": spread(base),
                        "baseline_busy_cpu_s": spread(base_busy),
                        "look_busy_cpu_s": spread(look_busy),
                    }
                )
                say(
                    f"  {count} hosts: no change {statistics.median(again):.1f} s, "
                    f"{statistics.median(busy):.1f} CPU-s busy on {self.vcpus} vCPUs, "
                    f"ansible-playbook's own process {statistics.median(controller):.1f} CPU-s; "
                    f"same header + ping {statistics.median(base):.1f} s"
                )
        baseline.unlink()
        look.unlink()
        shutil.rmtree(self.out / ".inventory", ignore_errors=True)
        one = rows[0]["no_change_s"]["median"]
        # However Ansible schedules the hosts, their runs need this much CPU
        # time: on vcpus vCPUs they cannot end sooner than busy / vcpus.
        floor = rows[-1]["busy_cpu_s"]["median"] / self.vcpus
        self.results["hosts"] = {
            "first_deploy_all_s": first,
            "first_deploy_hosts": most,
            "no_change": rows,
            "ratio_most_to_one": rows[-1]["no_change_s"]["median"] / one,
            "baseline_ratio_most_to_one": rows[-1]["baseline_s"]["median"] / rows[0]["baseline_s"]["median"],
            # What each host beyond the first adds to the machine's busy time,
            # for the role's run and for the same header with one ping.
            "cpu_per_added_host_s": per_added_host(rows, "busy_cpu_s"),
            "baseline_cpu_per_added_host_s": per_added_host(rows, "baseline_busy_cpu_s"),
            "look_cpu_per_added_host_s": per_added_host(rows, "look_busy_cpu_s"),
            "cpu_floor_s": floor,
            "cpu_floor_ratio": floor / one,
            "target_ratio": 1.5,
            # The headline: what one more host costs the machine (issue 26).
            "target_cpu_per_added_host_s": 2.0,
        }

    # --- 6-8. load, settings, memory --------------------------------------------

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
        fd, name = tempfile.mkstemp(suffix=".lua")  # 0600: it holds the master key
        with os.fdopen(fd, "w") as handle:
            handle.write(script)
        return name

    def proxy_script(self, stream: bool) -> str:
        prompt = [{"role": "user", "content": "Benchmark request of a reasonable size for a chat turn."}]
        return self.lua(
            "/v1/chat/completions", {"model": ALIAS, "messages": prompt, "stream": stream}, self.master_key()
        )

    def direct_script(self, stream: bool) -> str:
        op = "converse-stream" if stream else "converse"
        body = {"messages": [{"role": "user", "content": [{"text": "Benchmark request of a reasonable size."}]}]}
        return self.lua(f"/model/{PROFILE.replace(':', '%3A')}/{op}", body, None)

    def measured_load(self, script: str, connections: int, cgroup: Cgroup) -> dict[str, float]:
        """One wrk run through the proxy, with the container's CPU time per request."""
        before = cgroup.cpu_ns()
        sample = self.wrk(PROXY, script, connections)
        used_ms = (cgroup.cpu_ns() - before) / 1e6
        sample["cpu_ms_per_request"] = used_ms / max(sample["requests"], 1)
        return sample

    def logs_show(self) -> dict[str, bool]:
        """Whether `docker logs litellm` shows the proxy's start, every model it
        loaded and a failed request (a line a request: molecule/lines' test_45)."""
        request = urllib.request.Request(  # noqa: S310 - fixed http URL
            f"{PROXY}/v1/chat/completions",
            data=json.dumps({"model": ALIAS, "messages": "not a list"}).encode(),
            headers={"Authorization": f"Bearer {self.master_key()}", "Content-Type": "application/json"},
        )
        with contextlib.suppress(urllib.error.HTTPError):  # the failure is the point
            urllib.request.urlopen(request, timeout=30).close()  # noqa: S310
        time.sleep(1)
        logs = subprocess.run(["docker", "logs", CONTAINER], capture_output=True, text=True, check=True)
        text = logs.stdout + logs.stderr
        return {
            "start": "Uvicorn running on" in text or "Application startup complete" in text,
            "models": all(model["name"] in text for model in models(7)),
            "error": ":ERROR:" in text or '"level": "ERROR"' in text or "Traceback (most recent call last)" in text,
        }

    def deploy(self, setting: str) -> Cgroup:
        self.playbook(SETTINGS[setting])
        self.wait_for("/health/readiness")
        return Cgroup(CONTAINER)

    def measure_setting(self, setting: str, samples: int) -> tuple[list[dict[str, float]], Cgroup]:
        """One deployment of a setting: a warm-up, then samples wrk runs at c=8."""
        cgroup = self.deploy(setting)
        script = self.proxy_script(stream=False)
        try:
            self.wrk(PROXY, script, 8)  # warm-up, not counted
            return [self.measured_load(script, 8, cgroup) for _ in range(samples)], cgroup
        finally:
            Path(script).unlink()

    def settings_at_c8(self) -> None:
        # A setting that is the defaults on this machine ("2 workers" on 2
        # vCPUs, "metrics off" while metrics are off by default) is measured
        # as the defaults.
        first = [s for s in self.settings if s == "defaults" or not self.is_default(s)]
        say(f"6/8 settings one at a time at c=8 ({len(first)}), {self.repeats} x {self.duration} s each")
        rows = {}
        for setting in first:
            samples, cgroup = self.measure_setting(setting, self.repeats)
            row = {
                "setting": setting,
                "workers": self.workers(),
                "cpu_ms_per_request": statistics.median(s["cpu_ms_per_request"] for s in samples),
                "p50_ms": statistics.median(s["p50_ms"] for s in samples),
                "p99_ms": statistics.median(s["p99_ms"] for s in samples),
                "rps": statistics.median(s["rps"] for s in samples),
                "errors": sum(s["errors"] for s in samples),
                "peak_mib": cgroup.peak() / 2**20,
                "logs": self.logs_show(),
                "samples": samples,
            }
            row["rounds"] = [row["cpu_ms_per_request"]]
            rows[setting] = row
            say(
                f"  {setting}: {row['cpu_ms_per_request']:.2f} CPU ms/request, p50 {row['p50_ms']:.1f} ms, "
                f"p99 {row['p99_ms']:.1f} ms, {row['rps']:.0f} req/s, logs {row['logs']}"
            )
        self.paired_rounds(rows)
        self.results["settings"] = list(rows.values())
        self.pick_best(list(rows.values()))

    def as_measured(self, setting: str) -> str:
        return "defaults" if self.is_default(setting) else setting

    def paired_rounds(self, rows: dict[str, dict[str, Any]]) -> None:
        """The features with a target, in more rounds: each round deploys both
        settings of each, one after the other, and the figure is the median of
        the rounds' ratios. One deployment against another differs by up to
        about 15% (each start of the workers lays out memory anew); the samples
        of one deployment, by 3%."""
        decided = [f for f in FEATURES if "target" in f]
        pairs = [(self.as_measured(f["with"]), self.as_measured(f["without"])) for f in decided]
        paired = [s for s in dict.fromkeys(x for pair in pairs for x in pair) if s in rows]
        if self.rounds > 1 and paired:
            say(f"  {self.rounds - 1} more rounds of {paired}, {min(self.repeats, 2)} x {self.duration} s each")
        for _ in range(self.rounds - 1):
            for setting in paired:
                samples, _cgroup = self.measure_setting(setting, min(self.repeats, 2))
                rows[setting]["rounds"].append(statistics.median(s["cpu_ms_per_request"] for s in samples))
        features = []
        for f in FEATURES:
            with_, without = self.as_measured(f["with"]), self.as_measured(f["without"])
            if with_ not in rows or without not in rows or with_ == without:
                continue
            a, b = rows[with_]["rounds"], rows[without]["rounds"]
            ratios = [x / y for x, y in zip(a, b, strict=False)]  # unpaired: round 1
            features.append({**f, "ratio": statistics.median(ratios), "ratios": ratios})
            say(f"  {f['feature']}: {features[-1]['ratio']:.3f}x (rounds: {', '.join(f'{r:.3f}' for r in ratios)})")
        self.results["features"] = features

    def pick_best(self, rows: list[dict[str, Any]]) -> None:
        from report import LOGS_SHOWN  # bench/report.py: what the settings table says the log shows

        eligible = [r for r in rows if r["workers"] == self.vcpus and all(r["logs"][k] for k in LOGS_SHOWN)]
        best = min(eligible or rows, key=lambda r: r["cpu_ms_per_request"])
        defaults = next((r for r in rows if r["setting"] == "defaults"), rows[0])
        self.results["best_setting"] = {
            "setting": best["setting"],
            "defaults_to_best": defaults["cpu_ms_per_request"] / best["cpu_ms_per_request"],
            "target_ratio": 1.05,
            "eligible": [r["setting"] for r in eligible],
            "same_as_defaults": [s for s in self.settings if s != "defaults" and self.is_default(s)],
        }

    def is_default(self, setting: str) -> bool:
        """Whether a setting gives what the role's defaults give on this machine."""
        resolved = {"litellm_num_workers": self.vcpus} if ROLE_DEFAULTS["litellm_num_workers"] == 0 else {}
        return all(resolved.get(name, ROLE_DEFAULTS.get(name)) == value for name, value in SETTINGS[setting].items())

    def grid(self) -> None:
        best = self.results["best_setting"]["setting"]
        grid_settings = list(dict.fromkeys(["defaults", best]))
        say(f"7/8 load grid c={self.concurrency} plain and streamed: direct, then {grid_settings}")
        runs: list[dict[str, Any]] = []
        for stream in (False, True):
            script = self.direct_script(stream)
            try:
                for c in self.concurrency:
                    samples = [self.wrk(DIRECT, script, c) for _ in range(self.repeats)]
                    runs.append({"path": "direct", "stream": stream, "c": c, "samples": samples})
            finally:
                Path(script).unlink()
        for setting in grid_settings:
            cgroup = self.deploy(setting)
            warm_up = self.proxy_script(stream=False)
            self.wrk(PROXY, warm_up, 8)  # the first requests after a start are slower: not counted
            Path(warm_up).unlink()
            cgroup.reset_peak()
            for stream in (False, True):
                script = self.proxy_script(stream)
                try:
                    for c in self.concurrency:
                        samples = [self.measured_load(script, c, cgroup) for _ in range(self.repeats)]
                        runs.append({"path": setting, "stream": stream, "c": c, "samples": samples})
                        say(f"  {setting} stream={stream} c={c}: p50 {samples[0]['p50_ms']:.1f} ms")
                finally:
                    Path(script).unlink()
            state = json.loads(docker("inspect", "--format", "{{json .State}}", CONTAINER))
            runs.append(
                {
                    "path": setting,
                    "oom_killed": state["OOMKilled"],
                    "restarts": state.get("RestartCount", 0),
                    "peak_mib": cgroup.peak() / 2**20,
                }
            )
        self.results["load"] = runs
        if best != "defaults":
            # The settings phase is one deployment and a few seconds of load per
            # setting: it picks the candidate. The grid measures both in every
            # cell, and the median of the cells' ratios is the figure.
            def cpu(path: str, stream: bool, c: int) -> float:
                run = next(r for r in runs if r["path"] == path and r.get("stream") == stream and r.get("c") == c)
                return statistics.median(x["cpu_ms_per_request"] for x in run["samples"])

            cells = [(stream, c) for stream in (False, True) for c in self.concurrency]
            ratios = [cpu("defaults", *cell) / cpu(best, *cell) for cell in cells]
            self.results["best_setting"].update(
                {
                    "defaults_to_best_settings_phase": self.results["best_setting"]["defaults_to_best"],
                    "defaults_to_best": statistics.median(ratios),
                    "grid_ratios": ratios,
                    "method": "median over the grid's cells",
                }
            )
            say(f"  defaults vs {best} over the grid's {len(cells)} cells: {statistics.median(ratios):.3f}x")

    def memory(self) -> None:
        say(f"8/8 memory from the container's cgroup, idle and at the peak of c=32 load, {self.memory_workers} workers")
        rows = []
        for workers in self.memory_workers:
            cgroup = self.deploy("1 worker" if workers == 1 else "2 workers")
            time.sleep(5)
            idle = cgroup.memory() / 2**20
            cgroup.reset_peak()
            for stream in (False, True):
                script = self.proxy_script(stream)
                try:
                    self.wrk(PROXY, script, max(self.concurrency))
                finally:
                    Path(script).unlink()
            rows.append({"workers": workers, "idle_mib": idle, "peak_mib": cgroup.peak() / 2**20})
            say(f"  {workers} worker(s): {idle:.0f} MiB idle, {rows[-1]['peak_mib']:.0f} MiB at peak")
        for row in rows:  # uvicorn runs a supervisor beside 2 or more workers
            row["processes"] = row["workers"] + (1 if row["workers"] > 1 else 0)
            row["peak_per_process_mib"] = row["peak_mib"] / row["processes"]
            row["auto_limit_mib"] = ROLE_VARS["_litellm_memory_per_process_mb"] * row["processes"]
        self.results["memory"] = {"rows": rows}

    # --- report ----------------------------------------------------------------

    def write(self, machine: dict[str, str]) -> None:
        import report  # bench/report.py: the tables and the chart

        self.out.mkdir(parents=True, exist_ok=True)
        document = {"machine": machine, "repeats": self.repeats, "duration_s": self.duration, "results": self.results}
        (self.out / "results.json").write_text(json.dumps(document, indent=2) + "\n")
        report.write(self.out)


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
    labels = json.loads(docker("inspect", "--format", "{{json .Config.Labels}}", CONTAINER, check=False) or "{}") or {}
    return {
        "cpu": cpu,
        "vcpus": str(os.cpu_count()),
        "memory": f"{mem_kib / 1024 / 1024:.0f} GiB",
        "kernel": platform.release(),
        "cgroup": "v2" if Path("/sys/fs/cgroup/cgroup.controllers").exists() else "v1",
        "docker": docker("version", "--format", "Docker Engine {{.Server.Version}}").strip(),
        "ansible": subprocess.run(["ansible", "--version"], capture_output=True, text=True, check=False).stdout.split(
            "\n"
        )[0],
        "litellm": labels.get("litellm_bedrock.version", "unknown"),
        "image": image,
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default="", help="LiteLLM image to deploy")
    parser.add_argument("--host-image", default="", help="test-host image (systemd and Docker Engine)")
    parser.add_argument("--standin", default="", help="stand-in URL as the containers reach it")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument(
        "--rounds", type=int, default=0, help="rounds of the settings compared against a target (default: --repeats)"
    )
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--models", default="7,50,200", help="model counts to deploy")
    parser.add_argument("--hosts", default="1,2,4", help="test-host counts (empty: no host figures)")
    parser.add_argument(
        "--memory-workers", default="1,2", choices=["1,2", "1", "2"], help="worker counts of the memory phase"
    )
    parser.add_argument("--settings", default="", help="settings to compare, separated by ; (default: all)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the results go (default bench/results)")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help="phases to run, separated by commas (default: all); a part goes to results.json in --out only",
    )
    args = parser.parse_args()
    if not (args.image and args.standin and (args.host_image or not args.hosts)):
        parser.error("--image, --standin and --host-image are required (bench/run.sh passes them)")
    phases = [p for p in args.phases.split(",") if p]
    if unknown := sorted(set(phases) - set(PHASES)):
        parser.error(f"unknown phases {unknown}: choose from {list(PHASES)}")
    if "grid" in phases and "settings_at_c8" not in phases:
        parser.error("the grid needs the settings phase (settings_at_c8): it loads the cheapest setting")
    whole = set(phases) == set(PHASES)
    if not whole and args.out.resolve() == RESULTS:
        parser.error("bench/results holds full runs only: give --out for a part")
    args.out.mkdir(parents=True, exist_ok=True)
    bench = Bench(args)
    start = time.monotonic()
    for phase in PHASES:
        if phase in phases:
            getattr(bench, phase)()
    bench.results["bench_minutes"] = (time.monotonic() - start) / 60
    if whole:
        bench.write(machine_info(args.image))
    else:
        (args.out / "results.json").write_text(json.dumps({"results": bench.results}, indent=2) + "\n")
    say(f"results in {args.out} after {bench.results['bench_minutes']:.1f} minutes")


if __name__ == "__main__":
    main()
