#!/usr/bin/env python3
"""The benchmark's report: results.md and benchmark.png from results.json, and
the figure table of docs/performance.md (between its bench markers) from bench/results.

    python bench/report.py [--out DIR]   redraw DIR/results.md and DIR/benchmark.png
    python bench/report.py --readme      rewrite docs/performance.md's figure table from bench/results
    python bench/report.py --check       exit 1 if docs/performance.md's table is not bench/results' (lint)
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
# The figure table lives in docs/performance.md (the README links to it).
TABLE_DOC = ROOT / "docs" / "performance.md"
HEADLINE_HEADER = ["figure", "role", "baseline (same run)", "result", "target", "met"]
SETTINGS_HEADER = [
    "setting",
    "workers",
    "CPU ms/request",
    "vs defaults",
    "p50 ms",
    "p99 ms",
    "req/s",
    "peak MiB",
    "docker logs show",
]
# What `docker logs` must show (bench.py: logs_show): the settings table's column, and a setting's eligibility.
LOGS_SHOWN = ("start", "models", "error")
BEGIN, END = "<!-- bench:begin (bench/report.py --readme writes this table) -->", "<!-- bench:end -->"


def controller(row: dict[str, Any]) -> str:
    """A hosts row's CPU seconds of ansible-playbook's own process ('' when not measured)."""
    return f"{row['controller_cpu_s']['median']:.1f} CPU-s" if "controller_cpu_s" in row else ""


def hosts_reason(h: dict[str, Any]) -> str:
    """What the hosts figure's verdict adds when it is missed: the measured reason, if one is over the target."""
    if h["ratio_most_to_one"] <= h["target_ratio"]:
        return ""
    reasons = []
    if h.get("baseline_ratio_most_to_one", 0) > h["target_ratio"]:
        reasons.append(f"the same play header with one ping scales {h['baseline_ratio_most_to_one']:.2f}x here")
    if h.get("cpu_floor_ratio", 0) > h["target_ratio"]:
        reasons.append(f"this machine's CPU floor is {h['cpu_floor_ratio']:.2f}x")
    return (": " + "; ".join(reasons) + " (below)") if reasons else ""


def seconds(figure: dict[str, float]) -> str:
    return f"{figure['median']:.1f} s ({figure['min']:.1f}-{figure['max']:.1f})"


def median(figure: float | dict[str, float]) -> float:
    """A figure's median: a spread (median, min, max) or, in older results, a number."""
    return figure["median"] if isinstance(figure, dict) else figure


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def headline(r: dict[str, Any]) -> list[list[str]]:
    """figure, role, baseline (same run), result, target, met."""
    rows = []
    for key, name, what in (
        ("first_deploy", "first deploy", "docker run + /health/readiness poll"),
        ("no_change", "no-change run (changed=0)", "same play header + one ping"),
        ("downtime", "config-change downtime", "docker restart"),
    ):
        f = r[key]
        rows.append(
            [
                name,
                seconds(f["role_s"]),
                f"{what}: {seconds(f['baseline_s'])}",
                f"{f['ratio']:.2f}x",
                f"<= {f['target_ratio']}x",
                met(f["ratio"] <= f["target_ratio"]),
            ]
        )
    first = r["first_deploy"]
    if "floor_s" in first:
        # Not a target: what any role that starts the container with
        # community.docker.docker_container, under this play header, cannot go below.
        rows.insert(
            1,
            [
                "first deploy's floor: the same play header + one docker_container task + the poll",
                seconds(first["floor_s"]),
                f"docker run + /health/readiness poll: {seconds(first['baseline_s'])}",
                f"{first['floor_ratio']:.2f}x",
                "reported",
                "",
            ],
        )
    if "design_floor_s" in first:
        # Not a target: what the role's design cannot go below here, whatever
        # its tasks do (bench.py: design_deploy).
        rows.insert(
            2,
            [
                "first deploy's design floor: the same play header + the role's four module runs "
                "(host look with the image probe, file write, docker_container, health wait), no other task",
                seconds(first["design_floor_s"]),
                f"docker run + /health/readiness poll: {seconds(first['baseline_s'])}",
                f"{first['design_floor_ratio']:.2f}x",
                "reported",
                "",
            ],
        )
    if r.get("models"):
        small, large = r["models"][0], r["models"][-1]
        for key, name in (("no_change_s", "no-change run"), ("first_deploy_s", "first deploy")):
            a, b = median(small[key]), median(large[key])
            verdict = met(b - a <= 1.0)
            if key == "first_deploy_s" and b - a > 1.0 and "docker_run" in large:
                # LiteLLM's own boot grows with the models too: the role's part is the rest.
                boot = median(large["docker_run"]) - median(small["docker_run"])
                verdict = (
                    f"{met(b - a - boot <= 1.0)} for the role's own part ({b - a - boot:+.1f} s): "
                    f"`docker run` alone grows {boot:+.1f} s"
                )
            rows.append(
                [
                    f"{name}, {large['models']} models",
                    f"{b:.1f} s",
                    f"{small['models']} models: {a:.1f} s",
                    f"{b - a:+.1f} s",
                    "<= +1 s",
                    verdict,
                ]
            )
    if r.get("hosts"):
        h = r["hosts"]
        one, most = h["no_change"][0], h["no_change"][-1]
        if "target_cpu_per_added_host_s" in h:
            rows.append(
                [
                    "no-change run: CPU each host beyond the first adds",
                    f"{h['cpu_per_added_host_s']:.1f} CPU-s",
                    f"same header + ping: {h['baseline_cpu_per_added_host_s']:.1f} CPU-s",
                    f"{h['cpu_per_added_host_s']:.1f} CPU-s",
                    f"<= {h['target_cpu_per_added_host_s']} CPU-s",
                    met(h["cpu_per_added_host_s"] <= h["target_cpu_per_added_host_s"]),
                ]
            )
        if "look_cpu_per_added_host_s" in h:
            rows.append(
                [
                    "no-change run's design floor: CPU each host beyond the first adds to the same play header "
                    "+ the role's host look, no other task",
                    f"{h['look_cpu_per_added_host_s']:.1f} CPU-s",
                    f"same header + ping: {h['baseline_cpu_per_added_host_s']:.1f} CPU-s",
                    f"{h['look_cpu_per_added_host_s']:.1f} CPU-s",
                    "reported",
                    "",
                ]
            )
        rows.append(
            [
                f"no-change run, {most['hosts']} hosts",
                seconds(most["no_change_s"]),
                f"{one['hosts']} host: {seconds(one['no_change_s'])}",
                f"{h['ratio_most_to_one']:.2f}x",
                f"<= {h['target_ratio']}x",
                met(h["ratio_most_to_one"] <= h["target_ratio"]) + hosts_reason(h),
            ]
        )
        rows.append(
            [
                f"first deploy, {h['first_deploy_hosts']} hosts at once",
                f"{h['first_deploy_all_s']:.1f} s",
                "",
                "",
                "reported",
                "",
            ]
        )
    if r.get("best_setting"):
        b = r["best_setting"]
        rows.append(
            [
                "CPU per request, defaults vs the cheapest eligible setting"
                + (" (median over the load grid)" if "grid_ratios" in b else ""),
                "defaults",
                b["setting"],
                f"{b['defaults_to_best']:.3f}x",
                f"<= {b['target_ratio']}x",
                met(b["defaults_to_best"] <= b["target_ratio"]),
            ]
        )
    for f in r.get("features", []):
        if "target" in f:
            rows.append(
                [
                    f"CPU per request: {f['feature']}",
                    f["with"],
                    f["without"],
                    f"{f['ratio']:.3f}x",
                    f"<= {f['target']}x",
                    met(f["ratio"] <= f["target"]),
                ]
            )
    return rows


def feature_rows(r: dict[str, Any]) -> list[list[str]]:
    """feature, with, without, CPU a request with it over without."""
    return [[f["feature"], f["with"], f["without"], f"{f['ratio']:.3f}x"] for f in r.get("features", [])]


FEATURES_HEADER = ["feature", "with (setting)", "without (setting)", "CPU a request, with / without"]


def settings_rows(r: dict[str, Any]) -> list[list[str]]:
    base = next((s for s in r.get("settings", []) if s["setting"] == "defaults"), None)
    same = set(r.get("best_setting", {}).get("same_as_defaults", [])) - {"defaults"}
    rows = []
    for s in r.get("settings", []):
        versus = f"{s['cpu_ms_per_request'] / base['cpu_ms_per_request']:.2f}x" if base else ""
        logs = ", ".join(k for k in LOGS_SHOWN if s["logs"].get(k)) or "none of them"
        rows.append(
            [
                s["setting"] + (" (the defaults on this machine)" if s["setting"] in same else ""),
                str(s["workers"]),
                f"{s['cpu_ms_per_request']:.2f}",
                versus,
                f"{s['p50_ms']:.1f}",
                f"{s['p99_ms']:.1f}",
                f"{s['rps']:.0f}",
                f"{s['peak_mib']:.0f}",
                logs,
            ]
        )
    return rows


def grid_rows(r: dict[str, Any]) -> list[list[str]]:
    runs = [x for x in r.get("load", []) if "samples" in x]
    rows = []
    for run in runs:
        if run["path"] == "direct":
            continue
        direct = next(x for x in runs if (x["path"], x["stream"], x["c"]) == ("direct", run["stream"], run["c"]))
        p50 = statistics.median(s["p50_ms"] for s in run["samples"])
        d50 = statistics.median(s["p50_ms"] for s in direct["samples"])
        rows.append(
            [
                run["path"],
                "stream" if run["stream"] else "plain",
                str(run["c"]),
                f"{p50:.1f}",
                f"{statistics.median(s['p99_ms'] for s in run['samples']):.1f}",
                f"{statistics.median(s['rps'] for s in run['samples']):.0f}",
                f"{d50:.1f}",
                f"{p50 - d50:+.1f}",
                f"{statistics.median(s['cpu_ms_per_request'] for s in run['samples']):.2f}",
                str(sum(s["errors"] for s in run["samples"])),
            ]
        )
    return rows


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *["| " + " | ".join(r) + " |" for r in rows]]


def markdown(doc: dict[str, Any]) -> str:
    m, r = doc["machine"], doc["results"]
    lines = [
        f"Machine: {m['cpu']}, {m['vcpus']} vCPUs, {m['memory']}, cgroup {m['cgroup']}; {m['docker']}; "
        f"{m['ansible']}; LiteLLM {m['litellm']}; {m['date']}. Medians of {doc['repeats']} runs (min-max); "
        f"wrk {doc['duration_s']} s per run; the whole benchmark took {r.get('bench_minutes', 0):.1f} minutes.",
        "",
        *table(HEADLINE_HEADER, headline(r)),
    ]
    if r.get("models"):
        lines += ["", "Models (this machine, local connection):", ""]
        lines += table(
            ["models", "first deploy", "docker run + readiness poll", "no-change run"],
            [
                [
                    str(x["models"]),
                    seconds(x["first_deploy"]) if "first_deploy" in x else f"{x['first_deploy_s']:.1f} s",
                    seconds(x["docker_run"]) if "docker_run" in x else "not measured",
                    seconds(x["no_change_s"]),
                ]
                for x in r["models"]
            ],
        )
    if r.get("hosts"):
        lines += ["", "Hosts (test-host containers on this machine, Docker connection, default forks):", ""]
        h = r["hosts"]
        vcpus = int(m["vcpus"])
        lines += table(
            [
                "hosts",
                "no-change run",
                "CPU busy (all vCPUs)",
                "machine busy",
                "ansible-playbook's own CPU",
                "same header + ping",
                "its CPU busy",
            ],
            [
                [
                    str(x["hosts"]),
                    seconds(x["no_change_s"]),
                    f"{x['busy_cpu_s']['median']:.1f} CPU-s" if "busy_cpu_s" in x else "",
                    f"{x['busy_cpu_s']['median'] / (x['no_change_s']['median'] * vcpus):.0%}"
                    if "busy_cpu_s" in x
                    else "",
                    controller(x),
                    seconds(x["baseline_s"]) if "baseline_s" in x else "",
                    f"{x['baseline_busy_cpu_s']['median']:.1f} CPU-s" if "baseline_busy_cpu_s" in x else "",
                ]
                for x in h["no_change"]
            ],
        )
        if "baseline_ratio_most_to_one" in h:
            lines += [
                "",
                f"The same play header with one ping takes {h['baseline_ratio_most_to_one']:.2f}x as long on "
                f"{h['no_change'][-1]['hosts']} hosts as on one, the role's run {h['ratio_most_to_one']:.2f}x. "
                f"Each host beyond the first adds {h['cpu_per_added_host_s']:.1f} CPU-s to the role's run "
                f"({h['baseline_cpu_per_added_host_s']:.1f} to the ping play's: facts, and each module run over "
                "the connection); one host's run keeps about one vCPU busy, so more hosts can only share out "
                f"the {vcpus} vCPUs between them.",
            ]
        if "cpu_floor_ratio" in h:
            most = h["no_change"][-1]
            lines += [
                "",
                f"{most['hosts']} hosts' no-change runs keep the machine's {vcpus} vCPUs busy for "
                f"{most['busy_cpu_s']['median']:.1f} CPU-s: they cannot end sooner than {h['cpu_floor_s']:.1f} s, "
                f"{h['cpu_floor_ratio']:.2f}x one host's run, whatever the role does with its time "
                f"(target {h['target_ratio']}x).",
            ]
        if "controller_cpu_s" in h["no_change"][-1]:
            one, most = h["no_change"][0], h["no_change"][-1]
            lines += [
                "",
                "ansible-playbook's own process (not its workers nor the modules) starts every task of every "
                "host and handles every result, one after the other, on one vCPU: it spends "
                f"{controller(one)} with {one['hosts']} host and {controller(most)} with {most['hosts']}, "
                "time that more vCPUs do not share out.",
            ]
    if r.get("settings"):
        lines += ["", "Settings one at a time, c=8 plain (CPU from the container's cgroup):", ""]
        lines += table(
            SETTINGS_HEADER,
            settings_rows(r),
        )
    if r.get("features"):
        lines += ["", "What each feature costs (CPU a request at c=8, both settings of the same phase):", ""]
        lines += table(FEATURES_HEADER, feature_rows(r))
    if r.get("load"):
        lines += ["", "Load grid (proxy vs the same requests straight to the stand-in):", ""]
        lines += table(
            [
                "setting",
                "mode",
                "c",
                "p50 ms",
                "p99 ms",
                "req/s",
                "direct p50 ms",
                "added p50 ms",
                "CPU ms/request",
                "errors",
            ],
            grid_rows(r),
        )
        for x in (x for x in r["load"] if "oom_killed" in x):
            lines.append(
                f"\n{x['path']}: peak {x['peak_mib']:.0f} MiB over the grid, OOM-killed: "
                f"{x['oom_killed']}, restarts: {x['restarts']}."
            )
    if r.get("memory"):
        lines += ["", "Memory (cgroup usage, page cache included), idle and at the peak of c=32 load:", ""]
        lines += table(
            ["workers", "processes", "idle MiB", "peak MiB", "peak per process", "auto limit MiB", "headroom"],
            [
                [
                    str(x["workers"]),
                    str(x["processes"]),
                    f"{x['idle_mib']:.0f}",
                    f"{x['peak_mib']:.0f}",
                    f"{x['peak_per_process_mib']:.0f}",
                    str(x["auto_limit_mib"]),
                    f"{x['auto_limit_mib'] / x['peak_mib'] - 1:.0%}",
                ]
                for x in r["memory"]["rows"]
            ],
        )
    return "\n".join(lines) + "\n"


def chart(doc: dict[str, Any], out: Path) -> None:
    import matplotlib  # only the report needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = doc["results"]
    fig, (left, middle) = plt.subplots(1, 2, figsize=(13, 4.8))
    names = [n for n in ("first_deploy", "no_change", "downtime") if n in r]
    left.bar(range(len(names)), [r[n]["ratio"] for n in names], color="#4c72b0", label="role / baseline")
    left.scatter(
        range(len(names)), [r[n]["target_ratio"] for n in names], marker="_", s=900, color="#c44e52", label="target"
    )
    left.set_xticks(range(len(names)), [n.replace("_", " ") for n in names])
    left.set_ylabel("ratio to its baseline (same run)")
    left.set_title("Role vs hand-written baseline")
    left.legend(loc="upper left")
    settings = r.get("settings", [])
    middle.barh([s["setting"] for s in settings], [s["cpu_ms_per_request"] for s in settings], color="#55a868")
    middle.invert_yaxis()
    middle.set_xlabel("container CPU ms per request (c=8, plain)")
    middle.set_title("What each setting costs")
    fig.tight_layout()
    fig.savefig(out / "benchmark.png", dpi=110)
    plt.close(fig)


def readme_table(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    lines = [
        BEGIN,
        f"On {m['vcpus']} vCPUs ({m['cpu']}), LiteLLM {m['litellm']}, {m['date']}; every baseline from the same run:",
        "",
        *table(HEADLINE_HEADER, headline(doc["results"])),
        "",
        "What each setting costs (CPU per request at c=8, against the defaults):",
        "",
        *table(
            SETTINGS_HEADER,
            settings_rows(doc["results"]),
        ),
        *(
            ["", "What each feature costs (CPU a request at c=8):", "", *table(FEATURES_HEADER, feature_rows(r))]
            if (r := doc["results"]).get("features")
            else []
        ),
        END,
    ]
    return "\n".join(lines)


def readme_with_table(doc: dict[str, Any]) -> str:
    text = TABLE_DOC.read_text()
    return re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: readme_table(doc), text, flags=re.S)


def write(out: Path) -> None:
    doc = json.loads((out / "results.json").read_text())
    (out / "results.md").write_text(markdown(doc))
    chart(doc, out)
    print(markdown(doc))
    if out.resolve() == RESULTS.resolve():  # only a full benchmark's results reach docs/performance.md
        TABLE_DOC.write_text(readme_with_table(doc))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--readme", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check or args.readme:
        doc = json.loads((RESULTS / "results.json").read_text())
        if args.readme:
            TABLE_DOC.write_text(readme_with_table(doc))
            return 0
        if readme_with_table(doc) != TABLE_DOC.read_text() or BEGIN not in TABLE_DOC.read_text():
            print(
                "docs/performance.md's benchmark table is not bench/results': run python bench/report.py --readme",
                file=sys.stderr,
            )
            return 1
        return 0
    write(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
