#!/usr/bin/env python3
"""Bounded load on the fleet, from inside the balancer: chat completions to
HAProxy on this host's loopback only, until a stop file appears, a request
count or a time limit is reached. Writes every request's outcome as JSON.

    load.py --key-file F --out results.json [--stop F] [--workers 2] [--pause 0.05]
            [--max-requests 20000] [--max-seconds 600]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

URL = "http://127.0.0.1:4000/v1/chat/completions"  # loopback only, by design


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--key-file", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--stop", default="/tmp/load.stop")  # noqa: S108 - a test host's scratch file
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pause", type=float, default=0.05)
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--model", default="claude-sonnet-4")
    args = parser.parse_args()
    key = Path(args.key_file).read_text().strip()
    stop, deadline = Path(args.stop), time.monotonic() + min(args.max_seconds, 900)
    results: list[dict[str, object]] = []
    lock = threading.Lock()

    def worker(number: int) -> None:
        sent = 0
        while not stop.exists() and time.monotonic() < deadline:
            with lock:
                if len(results) >= args.max_requests:
                    return
            body = {"model": args.model, "messages": [{"role": "user", "content": f"load {number}-{sent}"}]}
            request = urllib.request.Request(
                URL,
                data=json.dumps(body).encode(),
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
            started, status, served_by, error = time.time(), 0, "", ""
            try:
                with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
                    json.loads(answer.read())
                    status, served_by = answer.status, answer.headers.get("X-Served-By", "")
            except urllib.error.HTTPError as failure:
                status, served_by, error = failure.code, failure.headers.get("X-Served-By", ""), failure.reason
            except (OSError, ValueError) as failure:
                error = type(failure).__name__
            with lock:
                results.append(
                    {
                        "start": started,
                        "seconds": time.time() - started,
                        "status": status,
                        "host": served_by,
                        "error": error,
                    }
                )
            sent += 1
            time.sleep(args.pause)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    Path(args.out).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
