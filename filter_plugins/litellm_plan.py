"""What a run does, decided from what it observed and what it rendered.

Pure functions: tasks/candidate.yml and tasks/plan.yml call them once, the
unit tests (tests/unit/test_plan.py) in-process, case by case.

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
from collections.abc import Iterable, Mapping
from typing import Any

ENV_FILE = "litellm.env"


def sha1(text: str) -> str:
    """As Ansible's hash('sha1') of a string, and as the host look reports files."""
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def access_of(spec: Mapping[str, Any]) -> str:
    """uid:gid:mode as the host look reports it; the role's files are root's."""
    return f"0:{int(spec['gid'])}:{spec['mode']}"


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
    """Whether the container would be recreated: the result of the check-mode
    run of its definition (run_container.yml), None or skipped when there was
    no comparison. A hand `docker update` shows as a diff without a change."""
    if not comparison or comparison.get("skipped"):
        return False
    diff = comparison.get("diff") or {}
    return bool(comparison.get("changed")) or (diff.get("before") or {}) != (diff.get("after") or {})


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


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"litellm_changed_files": changed_files, "litellm_plan": plan}
