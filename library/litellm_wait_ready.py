#!/usr/bin/python
"""Wait, in one module call, until a URL answers 200; then, when asked, write files.

ansible.builtin.uri with until/retries/delay runs the module again for every
try: about a third of a second of CPU each, on a host where LiteLLM is booting
on the same cores, and up to a second and a half late. This polls every
tenth of a second from one process. The files it may write once the URL
answers are the role's record of what serves (the last good copies, served.json,
the salt key's fingerprint): written in the same call, a module run fewer
after every (re)start.
"""

from __future__ import annotations

import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.litellm_file_ops import apply, failure_message

DOCUMENTATION = r"""
module: litellm_wait_ready
short_description: Wait until a URL answers 200
description:
  - Sends GET requests to O(url) every O(interval) seconds until one answers 200, for at most
    O(timeout) seconds. Certificates are not verified (the proxy's own, on its own address).
  - Fails with a fixed message naming the URL, the time waited and the last answer (a status
    code or the kind of connection error), never a response body.
  - Once the URL answered 200, writes the files of O(record) whole, and removes its names to remove,
    as M(litellm_files) would. Not writing them does not fail the module (the
    URL did answer): RV(recorded) is then false and RV(record_error) names the file and the kind of
    error, never a content.
options:
  url:
    description: The URL.
    type: str
    required: true
  timeout:
    description: Seconds to wait in all.
    type: float
    required: true
  interval:
    description: Seconds between tries.
    type: float
    default: 0.1
  record:
    description: Files to write in one directory once O(url) answered 200.
    type: dict
    suboptions:
      path:
        description: The directory (root:root 0700, created when missing).
        type: path
        required: true
      write:
        description: Files to write whole, each with name, gid (default 0) and mode (default 0600), as
          M(litellm_files) takes them.
        type: list
        elements: dict
        default: []
      contents:
        description: The content of each file of O(record.write), in the same order (hidden from logs).
        type: list
        elements: str
        default: []
      remove:
        description: Names to remove.
        type: list
        elements: str
        default: []
"""

RETURN = r"""
status:
  description: The last answer's HTTP status, -1 when none came.
  type: int
elapsed:
  description: Seconds waited.
  type: float
timed_out:
  description: True when no 200 came in time (the module then fails); a rescue reads this flag.
  type: bool
recorded:
  description: Whether every file of O(record) is written and every removal done (false without O(record)).
  type: bool
record_error:
  description: When O(record) could not be written, which file and the kind of error.
  type: str
"""


def ask(url: str, context: ssl.SSLContext) -> tuple[int, str]:
    """(status, what happened); status -1 when no HTTP answer came."""
    try:
        with urllib.request.urlopen(url, timeout=5, context=context) as answer:  # noqa: S310 - http(s) URL of the role's
            return answer.status, str(answer.status)
    except urllib.error.HTTPError as error:
        return error.code, str(error.code)
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return -1, type(reason).__name__


def wait(url: str, timeout: float, interval: float) -> tuple[int, str, float]:
    context = ssl._create_unverified_context()  # noqa: S323 - the proxy's own certificate, on its own address
    start = time.monotonic()
    while True:
        status, what = ask(url, context)
        waited = time.monotonic() - start
        if status == 200 or waited >= timeout:
            return status, what, waited
        time.sleep(min(interval, max(timeout - waited, 0)))


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "url": {"type": "str", "required": True},
            "timeout": {"type": "float", "required": True},
            "interval": {"type": "float", "default": 0.1},
            "record": {
                "type": "dict",
                "options": {
                    "path": {"type": "path", "required": True},
                    "write": {"type": "list", "elements": "dict", "default": []},
                    "contents": {"type": "list", "elements": "str", "default": [], "no_log": True},
                    "remove": {"type": "list", "elements": "str", "default": []},
                },
            },
        },
        supports_check_mode=True,
    )
    url = module.params["url"]
    result = outcome(url, *wait(url, module.params["timeout"], module.params["interval"]))
    if result["timed_out"]:
        module.fail_json(**result)
    record = module.params["record"]
    result.update(write_record(record, module.check_mode) if record else {"changed": False, "recorded": False})
    module.exit_json(**result)


def write_record(record: dict[str, Any], check: bool) -> dict[str, Any]:
    """The record's files written as litellm_files writes them; a failure is said, not raised."""
    path = Path(record["path"])
    try:
        done = apply(path, {**record, "copy": [], "rename": {}}, check)
    except (OSError, ValueError) as error:
        return {"changed": False, "recorded": False, "record_error": failure_message(path, error, "")[0]}
    return {"changed": done["changed"], "recorded": True, "written": done["written"], "removed": done["removed"]}


def outcome(url: str, status: int, what: str, waited: float) -> dict[str, object]:
    """The module's result: `timed_out` says whether it fails, and with `msg` why."""
    result: dict[str, object] = {"status": status, "elapsed": round(waited, 2), "timed_out": status != 200}
    if status != 200:
        result["msg"] = f"{url} did not answer 200 in {waited:.0f} s (last answer: {what})"
    return result


if __name__ == "__main__":
    main()
