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
    status, what, waited = wait(url, module.params["timeout"], module.params["interval"])
    if status != 200:
        module.fail_json(
            msg=f"{url} did not answer 200 in {waited:.0f} s (last answer: {what})", status=status, elapsed=waited
        )
    module.exit_json(changed=False, status=status, elapsed=round(waited, 2))


if __name__ == "__main__":
    main()
