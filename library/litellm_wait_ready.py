#!/usr/bin/python
"""Wait, in one module call, until a URL answers 200.

ansible.builtin.uri with until/retries/delay runs the module again for every
try: about a third of a second of CPU each, on a host where LiteLLM is booting
on the same cores, and up to a second and a half late. This polls every
tenth of a second from one process. It only reads.
"""

from __future__ import annotations

import ssl
import time
import urllib.error
import urllib.request

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: litellm_wait_ready
short_description: Wait until a URL answers 200
description:
  - Sends GET requests to O(url) every O(interval) seconds until one answers 200, for at most
    O(timeout) seconds. Certificates are not verified (the proxy's own, on its own address).
  - Fails with a fixed message naming the URL, the time waited and the last answer (a status
    code or the kind of connection error), never a response body.
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
        },
        supports_check_mode=True,
    )
    url = module.params["url"]
    result = outcome(url, *wait(url, module.params["timeout"], module.params["interval"]))
    if result["timed_out"]:
        module.fail_json(**result)
    module.exit_json(changed=False, **result)


def outcome(url: str, status: int, what: str, waited: float) -> dict[str, object]:
    """The module's result: `timed_out` says whether it fails, and with `msg` why."""
    result: dict[str, object] = {"status": status, "elapsed": round(waited, 2), "timed_out": status != 200}
    if status != 200:
        result["msg"] = f"{url} did not answer 200 in {waited:.0f} s (last answer: {what})"
    return result


if __name__ == "__main__":
    main()
