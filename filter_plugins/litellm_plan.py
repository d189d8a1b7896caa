"""What a run does, decided from what it observed and what it rendered.

Pure functions: tasks/observe.yml, tasks/image.yml, tasks/decide.yml and tasks/prepare.yml
call them, the unit tests (tests/unit/test_plan.py, test_observe.py)
in-process, case by case.

What the host look saw (litellm_container_summary, litellm_observed) is
read here too, so that observe.yml only asks and notes.

The plan (litellm_plan) is a mapping:
  action   none      nothing to (re)start
           create    no container yet
           recreate  the container's definition, image or environment changes
           restart   a mounted file changes (config.yaml, TLS, CA), or the live
                     files are not the ones it last started healthy with (an
                     interrupted run)
  canary   prove the new files and image first (a proxy serves now)
  stale    the live files differ from the record of what served
  restore  what a rollback restores: 'previous' (the container kept stopped
           under litellm_container_name-previous), 'restart' (the same
           container with the last good files), or '' (nothing)
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

ENV_FILE = "litellm.env"
# The port LiteLLM listens on inside the container (vars/main.yml's
# _litellm_container_port).
CONTAINER_PORT = 4000


def _local_host(ip: str) -> str:
    """Where the host itself reaches an address Docker publishes on."""
    if ip in ("0.0.0.0", ""):
        return "127.0.0.1"
    if ip == "::":
        return "[::1]"
    return f"[{ip}]" if ":" in ip else ip


def container_summary(
    containers: Sequence[Mapping[str, Any]], name: str, port: int, container_port: int = CONTAINER_PORT
) -> dict[str, Any]:
    """What Docker's container list (the API's summaries: no environment in
    them) says of the container named `name`: found, id, image, running,
    status, labels; `healthy`, Docker's own health check says so; `starting`,
    it is still in its first health checks (the proxy boots); `owns_port`,
    it runs and publishes `port` (nothing else can hold it); `url`, where it
    really publishes the proxy's port ('' when it publishes none)."""
    summary = next((c for c in containers if f"/{name}" in (c.get("Names") or [])), None)
    if summary is None:
        return {"found": False, "running": False, "healthy": False, "starting": False, "owns_port": False, "url": ""}
    running = summary.get("State") == "running"
    published = [p for p in summary.get("Ports") or [] if p.get("PublicPort") is not None]
    proxy = next((p for p in published if p.get("PrivatePort") == container_port), None)
    url = ""
    if proxy is not None:
        scheme = "https" if "--ssl_certfile_path" in (summary.get("Command") or "") else "http"
        url = f"{scheme}://{_local_host(proxy.get('IP') or '')}:{proxy['PublicPort']}"
    return {
        "found": True,
        "id": summary.get("Id"),
        "image": summary.get("ImageID"),
        "running": running,
        "status": summary.get("Status", ""),
        "labels": dict(summary.get("Labels") or {}),
        "healthy": running and "(healthy)" in summary.get("Status", ""),
        "starting": running and "(health: starting)" in summary.get("Status", ""),
        "owns_port": running and any(p.get("PublicPort") == int(port) for p in published),
        "url": url,
    }


def _json_or_data(value: Any) -> Any:
    """JSON text as data, data as it is (before ansible-core 2.19 a templated
    string that looks like JSON arrives as a dict)."""
    if isinstance(value, (Mapping, list)):
        return value
    return json.loads(value) if isinstance(value, str) and value.strip() else {}


def _served(record: Any) -> dict[str, str]:
    data = _json_or_data(record) if record else {}
    return dict(data.get("files") or {}) if isinstance(data, Mapping) else {}


def observed(
    seen: Mapping[str, Any],
    health_status: int,
    containers: Sequence[Mapping[str, Any]],
    canary_name: str,
    previous_name: str,
    files: Mapping[str, Mapping[str, Any]],
    record: Any,
) -> dict[str, Any]:
    """observe.yml's _litellm_observed: the container (from
    container_summary), whether it serves (its /health/liveliness answered
    200, or Docker's own check says healthy), a leftover canary or previous
    container, each file's checksum and uid:gid:mode (the host look's
    `files`), and the files the proxy last started healthy with (served.json)."""
    names = {re.sub(r"^/", "", n) for c in containers for n in c.get("Names") or []}
    container: dict[str, Any] = {}
    if seen.get("found"):
        container = {
            "id": seen["id"],
            "image": seen["image"],
            "running": seen["running"],
            "status": seen["status"],
            "url": seen["url"],
            "tls": seen["url"].startswith("https:"),
            "labels": seen["labels"],
        }
    return {
        "container": container,
        "serving": int(health_status) == 200 or bool(seen.get("healthy")),
        "canary": canary_name in names,
        "previous": previous_name in names,
        "files": {n: f["sha1"] for n, f in files.items()},
        "access": {n: f"{f['uid']}:{f['gid']}:{f['mode']}" for n, f in files.items()},
        "served": _served(record),
    }


def sha1(text: str) -> str:
    """As Ansible's hash('sha1') of a string, and as the host look reports files."""
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def access_of(spec: Mapping[str, Any]) -> str:
    """uid:gid:mode as the host look reports it; the role's files are root's."""
    return f"0:{int(spec['gid'])}:{spec['mode']}"


# The group and mode of each file the role renders. The TLS key is readable by
# the image's user only through its group (0640), or by root alone (0600) with
# a root image; the rest are root's, the env file for Docker alone.
FILE_MODES = {
    "config.yaml": "0644",
    ENV_FILE: "0600",
    "tls.crt": "0644",
    "tls.key": "",
    "ca-bundle.pem": "0644",
    "redis-ca.pem": "0644",
    "logging.yaml": "0644",
}


def _whole(value: Any) -> int:
    """As Jinja's int filter: 0 for what is not a whole number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _flag(value: Any) -> bool:
    """A boolean setting (before ansible-core 2.19 it may arrive as text)."""
    return value is True or str(value).strip().lower() in ("true", "yes", "1")


def file_access(build: Mapping[str, Any], labels: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """name -> {gid, mode} of each file, for the image the container runs:
    build is _litellm_build (uid, gid); labels, when given, are those of the
    container a rollback puts back (its litellm_bedrock.uid and .gid win: it
    may run another image, as another user)."""
    labels = labels or {}
    uid = _whole(labels.get("litellm_bedrock.uid", build.get("uid", 0)))
    gid = _whole(labels.get("litellm_bedrock.gid", build.get("gid", 0)))
    key = {"gid": gid, "mode": "0600" if uid == 0 else "0640"}
    return {name: key if name == "tls.key" else {"gid": 0, "mode": mode} for name, mode in FILE_MODES.items()}


def file_writes(names: Iterable[str], suffix: str, access: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """litellm_files' `write` entries for these files, each under its name
    plus `suffix` (.candidate, or '' for in place), with its group and mode."""
    return [
        {"name": f"{name}{suffix}", "gid": int(access[name]["gid"]), "mode": access[name]["mode"]} for name in names
    ]


# Marks litellm_config_dir as the role's own (vars/main.yml's
# _litellm_marker_path): root's, readable by all, like the directory's name.
MARKER = ".managed-by-litellm-role"
MARKER_ACCESS = {"gid": 0, "mode": "0644"}
# The directory: root's and 0700 (only root, and dockerd, read in there).
DIRECTORY_ACCESS = (0, 0, "0700")


def write_suffix(observed: Mapping[str, Any], check_mode: bool) -> str:
    """Where changed files are written: as candidates beside the live files,
    or in place in check mode (it writes nothing: the diff is then against
    what serves) and when there is no container (a first deploy: nothing
    serves them, so no candidate and no rename)."""
    return "" if _flag(check_mode) or not observed.get("container") else CANDIDATE


def file_plan(
    changed: Sequence[str],
    observed: Mapping[str, Any],
    directory: Mapping[str, Any],
    access: Mapping[str, Mapping[str, Any]],
    marker_content: str,
    check_mode: bool,
    diff_mode: bool,
) -> dict[str, Any]:
    """What write_files.yml writes in one litellm_files call: `write` (its
    entries: the marker first when it is missing or not as the role writes
    it, then each changed file under its suffix, with its group and mode),
    `names` (the rendered files among them, in that order: their contents
    follow the marker's), `marker` (whether it is written), `module` (the
    litellm_files call has something to do: an entry, or a directory not yet
    root's and 0700) and `needed` (that, or a changed file: write_files.yml
    runs). With --diff, config.yaml is left to the copy task that shows it."""
    suffix = write_suffix(observed, check_mode)
    marker = observed.get("files", {}).get(MARKER) != sha1(marker_content) or observed.get("access", {}).get(
        MARKER
    ) != access_of(MARKER_ACCESS)
    names = [name for name in changed if not (_flag(diff_mode) and name == "config.yaml")]
    directory_right = (
        bool(directory.get("isdir"))
        and (
            _whole(directory.get("uid")),
            _whole(directory.get("gid")),
            directory.get("mode"),
        )
        == DIRECTORY_ACCESS
    )
    write = ([{"name": MARKER, **MARKER_ACCESS}] if marker else []) + file_writes(names, suffix, access)
    return {
        "suffix": suffix,
        "write": write,
        "names": names,
        "marker": marker,
        "module": bool(write) or not directory_right,
        "needed": bool(write) or bool(changed) or not directory_right,
    }


def workers(num_workers: Any, vcpus: Any) -> int:
    """Worker processes: litellm_num_workers, or one per vCPU (the host look's count) when it is 0."""
    if _whole(num_workers) > 0:
        return _whole(num_workers)
    return max(_whole(vcpus), 1)


def memory_limit(
    setting: str,
    worker_count: int,
    read_only: bool,
    tmpfs: Mapping[str, str],
    per_process: int,
    metrics_tmpfs: Mapping[str, str] | None = None,
) -> str:
    """Docker's memory limit: litellm_memory_limit as given, or for auto
    `per_process` MB (vars/main.yml) for each process (the workers, and
    uvicorn's supervisor beside two or more) plus the sizes of the tmpfs
    mounts (the read-only ones, the metrics one), which count against the
    limit too."""
    if setting != "auto":
        return setting
    processes = worker_count + (1 if worker_count > 1 else 0)
    mounts = {**(tmpfs if _flag(read_only) else {}), **(metrics_tmpfs or {})}
    return f"{int(per_process) * processes + sum(_whole(size.rstrip('m')) for size in mounts.values())}m"


def changed_files(
    rendered: Mapping[str, str],
    observed: Mapping[str, Any],
    file_access: Mapping[str, Mapping[str, Any]],
) -> list[str]:
    """The rendered files (in their order) whose content, group or mode is not
    what the live file has (observed: the host look's `files`, name -> sha1, and
    `access`, name -> uid:gid:mode). The contents are never returned."""
    files, access = observed.get("files", {}), observed.get("access", {})
    return [
        name
        for name, content in rendered.items()
        if files.get(name) != sha1(content) or access.get(name) != access_of(file_access[name])
    ]


def definition_changed(comparison: Mapping[str, Any] | None) -> bool:
    """Whether the container would be recreated: the comparison of the
    container with its definition (litellm_compare.py: comparison's differs),
    None when there was none. A hand `docker update` of the memory limit or
    the restart policy differs too."""
    return bool(comparison and comparison.get("differs"))


def _action(observed: Mapping[str, Any], changed: Iterable[str], differs: bool, check_mode: bool, stale: bool) -> str:
    changed = list(changed)
    if not observed.get("container"):
        return "create"
    # In check mode the env file is not written, so the comparison of the
    # container's definition cannot see its change: it is counted here.
    if differs or (check_mode and ENV_FILE in changed):
        return "recreate"
    if [name for name in changed if name != ENV_FILE] or stale:
        return "restart"
    return "none"


def plan(
    observed: Mapping[str, Any],
    changed: Iterable[str],
    comparison: Mapping[str, Any] | None,
    check_mode: bool,
    managed_files: Iterable[str],
) -> dict[str, Any]:
    """The run's plan (see the module's docstring). observed: observe.yml's
    _litellm_observed (container, serving, previous, served, files); changed:
    changed_files(); comparison: see definition_changed(); managed_files:
    every file the role manages in litellm_config_dir."""
    files = observed.get("files", {})
    served = observed.get("served") or {}
    live_set = {name: files[name] for name in managed_files if name in files}
    stale = bool(served) and dict(served) != live_set
    action = _action(observed, changed, definition_changed(comparison), check_mode, stale)
    serving = bool(observed.get("serving"))
    if (action == "recreate" and serving) or (action == "create" and observed.get("previous")):
        restore = "previous"
    elif action == "restart" and serving:
        restore = "restart"
    else:
        restore = ""
    return {
        "action": action,
        "canary": serving and action in ("recreate", "restart") and not check_mode,
        "stale": stale,
        "restore": restore,
    }


def outcome(
    plan: Mapping[str, Any] | None,
    observed: Mapping[str, Any] | None,
    docker: Mapping[str, Any],
    changed: Sequence[str],
    removed: Sequence[str],
    build: Mapping[str, Any] | None,
    directory_needed: bool,
    record_plan: Mapping[str, Any],
) -> dict[str, Any]:
    """litellm_plan, the public fact that says what a run of the role does on
    the host (tasks_from: plan says it without doing it; examples/fleet drains
    and updates only the hosts whose `changes` is true): `changes` (the run
    changes anything: a container, a file, Docker's service), `action` (the
    plan's, '' when Docker does not answer), `files` (the files that change)
    `reasons` (why, in words) and `summary` (one line of them). docker: {answers, enabled} of Docker
    Engine; plan and observed are None when Docker did not answer; build is
    what the image holds ({} when it is not on the host: a run pulls it);
    directory_needed: the directory or its marker is not as the role makes
    it; record_plan: record()'s answer ({} when Docker did not answer)."""
    reasons: list[str] = []
    if not _flag(docker.get("answers")):
        reasons.append("Docker Engine does not answer (a run starts it)")
    elif not _flag(docker.get("enabled")):
        reasons.append("Docker Engine is not enabled at boot")
    if plan is None or observed is None:
        return _said("", [], reasons)
    action = str(plan.get("action") or "none")
    reasons += {
        "none": [],
        "create": ["no LiteLLM container yet"],
        "recreate": ["the container's image, settings or environment change"],
        "restart": ["the proxy restarts for the changed files"],
    }[action]
    if not build:
        reasons.append("the image is not on the host (a run pulls it)")
    if changed:
        reasons.append("files change: " + ", ".join(changed))
    if removed:
        reasons.append("files no longer used are removed: " + ", ".join(removed))
    if observed.get("container") and not observed.get("serving") and action == "none":
        reasons.append("the proxy does not serve (a run starts it or waits for it)")
    if observed.get("canary") or observed.get("previous"):
        reasons.append("containers of an interrupted run are left")
    if directory_needed and not changed:
        reasons.append("the directory is not as the role makes it")
    if record_plan.get("write") or record_plan.get("remove"):
        reasons.append("the record of what serves is not up to date")
    return _said(action, changed, reasons)


def _said(action: str, changed: Sequence[str], reasons: list[str]) -> dict[str, Any]:
    summary = ("a run would change: " + "; ".join(reasons)) if reasons else "a run would change nothing"
    return {"changes": bool(reasons), "action": action, "files": list(changed), "reasons": reasons, "summary": summary}


# --- the container, defined once -----------------------------------------------

CANDIDATE = ".candidate"
# Where config.yaml is mounted in the container (vars/main.yml's
# _litellm_container_config).
CONTAINER_CONFIG = "/app/config.yaml"
PURPOSES = ("plan", "canary", "live", "rollback")
# The container's /tmp (a tmpfs when it is read-only): every user may write
# there, as in any /tmp; the other tmpfs mounts are the image user's alone.
CONTAINER_TMP = "/tmp"  # noqa: S108 - a path inside the container, not the controller's


def sources(
    config_dir: str, names: Iterable[str], changed: Iterable[str], purpose: str, use_candidates: bool
) -> dict[str, str]:
    """Where each active file is read from: its candidate when `use_candidates`
    and it changes, else the live file. The plan's comparison takes only the
    env file's candidate (mounts are compared by their paths, and the env file
    by its content)."""
    changed = set(changed)
    return {
        name: f"{config_dir}/{name}"
        + (CANDIDATE if use_candidates and name in changed and (name == ENV_FILE or purpose != "plan") else "")
        for name in names
    }


def mounted(extra: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The files mounted besides config.yaml and the env file: name and
    target only, never their content (the TLS key is a secret)."""
    return [{"name": str(item["name"]), "target": str(item["target"])} for item in extra]


def _metrics_tmpfs(settings: Mapping[str, Any]) -> dict[str, str]:
    """litellm_metrics: the workers' Prometheus files on a tmpfs of their own
    (PROMETHEUS_MULTIPROC_DIR), whether the root is read-only or not."""
    if not _flag(settings.get("metrics")):
        return {}
    return {str(settings["metrics_dir"]): str(settings["metrics_tmpfs_size"])}


def _tmpfs(settings: Mapping[str, Any]) -> list[str]:
    """The read-only container's tmpfs mounts, then the metrics one (either
    way): each its owner's, /tmp everyone's as any /tmp."""
    owner = f"uid={_whole(settings.get('uid') or 0)},gid={_whole(settings.get('gid') or 0)},mode=0700"
    mounts = {**(settings["tmpfs"] if _flag(settings["read_only"]) else {}), **_metrics_tmpfs(settings)}
    return [f"{path}:size={size}," + ("mode=1777" if path == CONTAINER_TMP else owner) for path, size in mounts.items()]


# Docker's health check: the official image has no curl or wget, but Python.
# It only asks /health/liveliness (no key, no Bedrock call).
HEALTHCHECK = (
    "import ssl, urllib.request; urllib.request.urlopen('{scheme}://127.0.0.1:{port}/health/liveliness',"
    " timeout=8, context=ssl._create_unverified_context())"
)


def container(
    settings: Mapping[str, Any],
    purpose: str,
    changed: Iterable[str] = (),
    use_candidates: bool = False,
    config: str = "",
    name: str = "",
) -> dict[str, Any]:
    """The LiteLLM container's definition, for run_container.yml's
    community.docker.docker_container: the parameters that depend on the
    role's settings and the purpose (plan, canary, live, rollback). A canary
    runs one worker under a memory cap, publishes no port, is never
    restarted by Docker and never migrates a database (LiteLLM would change
    the schema the serving proxy uses before anything is proven).

    settings: name, image, restart_policy, stop_timeout, workers,
    max_requests, bind_host, port, config_dir, files (the active files' names),
    extra ({name, target} of the mounted files besides config.yaml and the
    env file), memory (litellm_memory_limit: auto, empty or a limit),
    memory_per_process_mb, canary_memory, read_only, tmpfs, metrics,
    metrics_dir, metrics_tmpfs_size, uid, gid, labels, log_max_size,
    log_max_file, healthcheck_interval, healthcheck_retries, startup_timeout,
    security_opts. `config` mounts another config.yaml (a canary's)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}: one of {', '.join(PURPOSES)}")
    canary = purpose == "canary"
    paths = sources(settings["config_dir"], settings["files"], changed, purpose, use_candidates)
    targets = {extra["name"]: extra["target"] for extra in settings["extra"]}
    command = ["--config", CONTAINER_CONFIG, "--port", str(CONTAINER_PORT)]
    command += ["--num_workers", str(1 if canary else _whole(settings["workers"]))]
    if _whole(settings["max_requests"]) > 0 and not canary:
        command += ["--max_requests_before_restart", str(_whole(settings["max_requests"]))]
    if "tls.crt" in targets:  # TLS: the certificate and key are mounted
        command += ["--ssl_certfile_path", targets["tls.crt"], "--ssl_keyfile_path", targets["tls.key"]]
    if "logging.yaml" in targets:  # uvicorn's loggers (litellm_log_config)
        command += ["--log_config", targets["logging.yaml"]]
    mounts = [{"type": "bind", "source": config or paths["config.yaml"], "target": CONTAINER_CONFIG, "read_only": True}]
    mounts += [
        {"type": "bind", "source": paths[extra["name"]], "target": extra["target"], "read_only": True}
        for extra in settings["extra"]
    ]
    tls = "tls.crt" in targets
    memory = memory_limit(
        str(settings["memory"]),
        _whole(settings["workers"]),
        settings["read_only"],
        settings["tmpfs"],
        _whole(settings["memory_per_process_mb"]),
        _metrics_tmpfs(settings),
    )
    return {
        "name": name or settings["name"],
        "image": settings["image"],
        "restart_policy": "no" if canary else settings["restart_policy"],
        # SIGTERM, then this long to finish the requests in flight (LiteLLM gets
        # 10 s less: GRACEFUL_SHUTDOWN_TIMEOUT in the env file) before the kill.
        "stop_timeout": _whole(settings["stop_timeout"]),
        "command": command,
        "published_ports": [] if canary else [f"{settings['bind_host']}:{settings['port']}:{CONTAINER_PORT}"],
        "mounts": mounts,
        "env_file": paths[ENV_FILE],
        "env": {"DISABLE_SCHEMA_UPDATE": "true"} if canary else {},
        "memory": settings["canary_memory"] if canary else (memory or "0"),
        "read_only": _flag(settings["read_only"]),
        "tmpfs": _tmpfs(settings),
        "labels": dict(settings["labels"]),
        "log_options": {"max-size": str(settings["log_max_size"]), "max-file": str(settings["log_max_file"])},
        "healthcheck": {
            "test": ["CMD", "python", "-c", HEALTHCHECK.format(scheme="https" if tls else "http", port=CONTAINER_PORT)],
            "interval": str(settings["healthcheck_interval"]),
            "timeout": "10s",
            "retries": _whole(settings["healthcheck_retries"]),
            "start_period": f"{_whole(settings['startup_timeout'])}s",
        },
        "security_opts": ["no-new-privileges", *settings["security_opts"]],
        "cap_drop": ["ALL"],
    }


# --- what the run says at its end ---------------------------------------------

LOCAL_ADDRESSES = ("127.0.0.1", "::1")
CHECK_MODE_NOTE = (
    "Check mode: no image was pulled ({image} may have moved), no canary ran, the health wait, the rollback and"
    " the pruning of old images were skipped. The diff above is what a real run would write; whether the new"
    " configuration serves is only proven by a real run. Plan: {action}."
)
CLEAR_TEXT_WARNING = (
    "WARNING: the proxy publishes plain HTTP on {address}:{port}, a network address: every client sends the"
    " master key (or a virtual key) in clear text. Set litellm_tls_certificate and litellm_tls_key, or bind to"
    " 127.0.0.1 behind your own TLS terminator, or keep this port on a network you trust."
)
METRICS_PUBLIC_WARNING = (
    "WARNING: litellm_metrics_public is true and the proxy listens on {address}:{port}, a network address:"
    " anyone who reaches the port reads /metrics (models, request counts, spend) without a key."
)
PER_WORKER_LIMITS = (
    "Note: {workers} workers and no Redis (litellm_redis_host): each worker counts the rpm and tpm limits of"
    " litellm_models on its own, so the proxy as a whole allows up to {workers} times each limit."
)
ROTATION_REMINDER = (
    "litellm_salt_key_rotation is true: the new salt key is now recorded. LiteLLM cannot decrypt credentials it"
    " stored with the old key: enter the stored provider credentials (models and keys added through the UI or the"
    " API) again."
)


def _what_changed(action: str, changed: Sequence[str], check_mode: bool, stopped: bool) -> str:
    files = ", ".join(changed)
    said = {
        "none": f"files rewritten: {files}"
        if changed
        else "started again (it was stopped)"
        if stopped
        else "nothing changed",
        "create": "first deploy",
        "recreate": "container recreated (new image or settings" + (f", {files}" if changed else "") + ")",
        "restart": "restarted for " + (files or "the files of an interrupted run"),
    }[action]
    return said + (" (check mode: nothing done)" if check_mode else "")


def closing_lines(run: Mapping[str, Any]) -> list[str]:
    """present.yml's last words, one line per host, then what the operator
    must know: what check mode could not check, the master key in clear text
    on a network address (the seed asks for direct access on port 4000, so it
    is allowed, and said at the end of every such run, where it is seen), what
    a salt key rotation leaves to do, and the advisories a build was let
    through with. run: version ('' when unknown), digest, check_mode, models
    (how many), host (the bind address as a URL host), address, port,
    action, changed, stopped (the container was found stopped), tls,
    rotation, accepted and named (advisory ids), image; and, when given,
    metrics_public, workers, redis (litellm_redis_host) and model_list
    (litellm_models: a model with rpm or tpm is limited per worker
    without Redis)."""
    check_mode = _flag(run["check_mode"])
    version = run.get("version") or ""
    digest = str(run.get("digest") or "sha256:?").removeprefix("sha256:")[:12]
    lines = [
        f"LiteLLM {version or '(version unknown: image not pulled in check mode)'} ({digest})"
        f" {'would serve' if check_mode else 'serving'} {_whole(run['models'])} models on {run['host']}:{run['port']};"
        f" {_what_changed(run['action'], list(run.get('changed') or []), check_mode, _flag(run.get('stopped')))}"
    ]
    if check_mode:
        lines.append(CHECK_MODE_NOTE.format(image=run["image"], action=run["action"]))
    if not _flag(run["tls"]) and run["address"] not in LOCAL_ADDRESSES:
        lines.append(CLEAR_TEXT_WARNING.format(address=run["address"], port=run["port"]))
    if _flag(run.get("metrics_public")) and run["address"] not in LOCAL_ADDRESSES:
        lines.append(METRICS_PUBLIC_WARNING.format(address=run["address"], port=run["port"]))
    limited = any("rpm" in m or "tpm" in m for m in run.get("model_list") or [] if isinstance(m, Mapping))
    if limited and _whole(run.get("workers")) > 1 and not run.get("redis"):
        lines.append(PER_WORKER_LIMITS.format(workers=_whole(run["workers"])))
    if _flag(run["rotation"]) and not check_mode:
        lines.append(ROTATION_REMINDER)
    accepted, named = list(run.get("accepted") or []), list(run.get("named") or [])
    if version and (accepted or named):
        said = ([f"accepted by litellm_accepted_advisories: {', '.join(accepted)}"] if accepted else []) + (
            [f"not refused (medium or low): {', '.join(named)}"] if named else []
        )
        lines.append(f"Advisories affecting LiteLLM {version}: {'; '.join(said)} (vars/advisories.yml).")
    return lines


# Terminal colours LiteLLM prints at start.
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _duration(seconds: int) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days}d {hours}h" if days else f"{hours}h {rest // 60}m" if hours else f"{rest // 60}m {rest % 60}s"


def status_line(status: Mapping[str, Any], host: str) -> str:
    """tasks/status.yml's line for one host, from library/litellm_status.py's
    answer: Docker, the container's state and health, the build (LiteLLM
    version and image digest), uptime, restarts, whether the kernel killed it
    for memory, the models it serves, and a proxy that is not healthy's last
    log lines. The caller masks the secrets in it."""
    docker = status.get("docker", "")
    deployed = " (the role's directory is there)" if status.get("deployed_here") else ""
    if docker == "remote":
        return f"{host}: Docker Engine is not on a local socket (DOCKER_HOST): not asked"
    if docker != "up":
        return f"{host}: Docker Engine does not answer ({docker}){deployed}: no proxy can serve"
    if not status.get("container"):
        said = "removed, or never started" if deployed else "never deployed"
        return f"{host}: no LiteLLM container ({said})"
    health = status.get("health", "none")
    state = status.get("state", "unknown") + (f", {health}" if health != "none" else "")
    if status.get("state") != "running":
        state += f" (exit code {status.get('exit_code', 0)})"
    digest = str(status.get("digest") or "").removeprefix("sha256:")[:12] or "?"
    parts = [
        f"{host}: {state}",
        f"LiteLLM {status.get('version') or '?'} ({digest})",
        f"up {_duration(status.get('uptime_s', 0))}" if status.get("state") == "running" else "not up",
        f"{_whole(status.get('restarts'))} restarts",
        "OOM-killed" if status.get("oom_killed") else "not OOM-killed",
    ]
    served = list(status.get("models") or [])
    parts.append(f"{len(served)} models: {', '.join(served)}" if served else status.get("models_error") or "no models")
    line = "; ".join(parts)
    tail = [ANSI.sub("", str(entry)).strip() for entry in status.get("log_tail") or []]
    tail = [entry for entry in tail if entry]
    # A proxy still in its first health checks is booting: no log needed.
    if (status.get("state") != "running" or health == "unhealthy") and tail:
        line += "; last log lines: " + " | ".join(tail)
    return line


# --- the record of what serves -------------------------------------------------

LAST_GOOD = ".last-good"
RECORD = "served.json"
FINGERPRINT = "salt-key.fingerprint"
# What a healthy run removes: candidates, rejected copies and a canary's
# config.yaml left by earlier runs.
LEFTOVER = re.compile(r"\.(candidate|rejected|canary)$")


def _fingerprint_parts(text: str | None) -> list[str]:
    return (text or "").strip().split(":")


def fingerprint_matches(text: str | None, salt_key: str) -> bool:
    """The recorded fingerprint is sha256:SALT:HASH; the salt key matches it
    when HASH is the sha256 of SALT:key. The key itself is never recorded."""
    parts = _fingerprint_parts(text)
    return len(parts) == 3 and hashlib.sha256(f"{parts[1]}:{salt_key}".encode()).hexdigest() == parts[2]


def salt_key_differs(text: str | None, salt_key: str) -> bool:
    """A fingerprint is recorded (text is not None: the host look read the
    file) and the salt key is not the one it was made with."""
    return text is not None and not fingerprint_matches(text, salt_key)


def fingerprint_line(text: str | None, salt_key: str, salt: str | None = None) -> str:
    """The fingerprint to record: the recorded salt is kept (an unchanged key
    rewrites nothing), a first one gets a random salt (or `salt`)."""
    parts = _fingerprint_parts(text)
    salt = parts[1] if len(parts) == 3 else (salt or secrets.token_hex(16))
    return f"sha256:{salt}:{hashlib.sha256(f'{salt}:{salt_key}'.encode()).hexdigest()}\n"


def record_json(serving: Mapping[str, str]) -> str:
    """served.json as the role has always written it (Ansible's to_nice_json, indent 2)."""
    return json.dumps({"files": dict(serving)}, indent=2, sort_keys=True, separators=(",", ": ")) + "\n"


def record(
    rendered: Mapping[str, str],
    active: Sequence[str],
    observed: Mapping[str, Any],
    removed: Sequence[str],
    fingerprint_text: str | None,
    salt_key: str,
    check_mode: bool,
    salt: str | None = None,
) -> dict[str, Any]:
    """What record.yml writes once the proxy serves healthy with the live files
    (rendered: name -> content; active: the files this run uses; removed: the
    ones it stopped using; fingerprint_text: the recorded fingerprint, None
    when there is none). Returns `remove` (names), `write` (litellm_files'
    entries, root:root 0600: record.yml and the switch's health wait both
    write them as they are) and `contents` (in the order of `write`): the last
    good copies that differ from what serves, served.json when it changes, the
    fingerprint unless it is already this key's, root:root 0600. Check mode
    writes and removes nothing but says whether the fingerprint would change.
    The contents are secrets: the task that reads them has no_log."""
    files: Mapping[str, str] = observed.get("files", {})
    unused = [f"{name}{suffix}" for name in removed for suffix in ("", LAST_GOOD)]
    unused += [name for name in files if LEFTOVER.search(name)]
    remove = [] if check_mode else list(dict.fromkeys(name for name in unused if name in files))
    serving = {name: sha1(rendered[name]) for name in active}
    contents = {f"{name}{LAST_GOOD}": text for name, text in rendered.items()}
    contents[RECORD] = record_json(serving)
    contents[FINGERPRINT] = fingerprint_line(fingerprint_text, salt_key, salt)
    write: list[str] = []
    if not check_mode:
        write += [f"{name}{LAST_GOOD}" for name in active if files.get(f"{name}{LAST_GOOD}") != serving[name]]
        if dict(observed.get("served") or {}) != serving:
            write.append(RECORD)
    # Already this key's fingerprint, root:root 0600: nothing to write.
    access = observed.get("access", {}).get(FINGERPRINT)
    if not (fingerprint_matches(fingerprint_text, salt_key) and access == "0:0:0600"):
        write.append(FINGERPRINT)
    return {
        "remove": remove,
        "write": [{"name": name, "gid": 0, "mode": "0600"} for name in write],
        "contents": [contents[name] for name in write],
    }


def restorable(observed: Mapping[str, Any], changed: Sequence[str]) -> list[str]:
    """What a rollback restores from the last good copies: the set that last
    served healthy (served.json), or, never recorded, the files this run
    changed; only those with a last good copy."""
    last_good = [name[: -len(LAST_GOOD)] for name in observed.get("files", {}) if name.endswith(LAST_GOOD)]
    names = list(observed.get("served") or {}) or list(changed)
    return [name for name in names if name in last_good]


REJECTED = ".rejected"


def suffixed(names: Iterable[str], suffix: str, directory: str = "") -> list[str]:
    """Each name with the suffix (.candidate, .last-good, .rejected), under
    directory when one is given: what messages show and renames read."""
    return [f"{directory}/{name}{suffix}" if directory else f"{name}{suffix}" for name in names]


def renames(names: Iterable[str], old: str, new: str) -> dict[str, str]:
    """litellm_files' `rename` for these files, from one suffix to another
    ('' for the live file): candidates into place, refused ones rejected."""
    names = list(names)
    return dict(zip(suffixed(names, old), suffixed(names, new), strict=True))


def rollback_copies(
    observed: Mapping[str, Any], changed: Sequence[str], access: Mapping[str, Mapping[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """rollback.yml's two litellm_files calls: `rejected`, a copy of each
    changed live file, root's alone (the operator reads it, the next healthy
    run removes it); `restore`, each restorable file (see restorable) from its
    last good copy, with its group and mode (access: for the image the
    restored container runs)."""
    return {
        "rejected": [{"from": name, "name": f"{name}{REJECTED}", "gid": 0, "mode": "0600"} for name in changed],
        "restore": [
            {"from": f"{name}{LAST_GOOD}", "name": name, **access[name]} for name in restorable(observed, changed)
        ],
    }


# The canary's config.yaml (vars/main.yml's _litellm_canary_config).
CANARY_CONFIG = "config.yaml.canary"


def absent_files(present: Iterable[str], managed: Iterable[str]) -> list[str]:
    """What litellm_state absent removes of the files present: each managed
    file, its candidate, last good and rejected copies, the record of what
    served and a canary's config.yaml. The salt key's fingerprint stays (a
    later deploy with another salt key is still caught), and so does anything
    the role did not write."""
    suffixes = ("", CANDIDATE, LAST_GOOD, REJECTED)
    wanted = {f"{name}{suffix}" for name in managed for suffix in suffixes} | {RECORD, CANARY_CONFIG}
    return sorted(name for name in present if name in wanted)


def refused_models(answer: Any, models: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """What LiteLLM's /health (its JSON answer) found unhealthy, by alias:
    one {'aliases', 'reason'} per unhealthy endpoint, the aliases of
    litellm_models that name its model (the model itself, or '?', when none
    does) and the first line of its error (unmasked: the task masks it)."""
    endpoints = answer.get("unhealthy_endpoints") if isinstance(answer, Mapping) else None
    refused = []
    for endpoint in endpoints if isinstance(endpoints, list) else []:
        endpoint = endpoint if isinstance(endpoint, Mapping) else {}
        model = str(endpoint.get("model") or "")
        aliases = [str(m.get("name")) for m in models if m.get("model") == re.sub(r"^bedrock/", "", model)]
        error = endpoint.get("error")
        reason = ((str(error) if error else "") or "no reason given").splitlines()
        refused.append({"aliases": ", ".join(aliases or [model or "?"]), "reason": reason[0] if reason else ""})
    return refused


def builds_to_remove(lines: Iterable[str], keep: Iterable[str], repository: str) -> list[str]:
    """remove_images.yml's references to remove, from `docker image ls
    --no-trunc --digests` lines ("ID TAG DIGEST") of the repository: each
    build's tag, or its digest when untagged (<none>), for every image id not
    in keep; each reference once, in the order listed."""
    kept = set(keep)
    refs: list[str] = []
    for line in lines:
        fields = line.split()
        if len(fields) != 3 or fields[0] in kept:
            continue
        _, tag, digest = fields
        ref = f"{repository}:{tag}" if tag != "<none>" else f"{repository}@{digest}"
        if ref not in refs:
            refs.append(ref)
    return refs


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "litellm_absent_files": absent_files,
            "litellm_builds_to_remove": builds_to_remove,
            "litellm_changed_files": changed_files,
            "litellm_renames": renames,
            "litellm_rollback_copies": rollback_copies,
            "litellm_suffixed": suffixed,
            "litellm_workers": workers,
            "litellm_file_access": file_access,
            "litellm_file_plan": file_plan,
            "litellm_closing_lines": closing_lines,
            "litellm_container": container,
            "litellm_container_summary": container_summary,
            "litellm_mounted": mounted,
            "litellm_observed": observed,
            "litellm_outcome": outcome,
            "litellm_plan": plan,
            "litellm_record": record,
            "litellm_refused_models": refused_models,
            "litellm_salt_key_differs": salt_key_differs,
            "litellm_status_line": status_line,
        }
