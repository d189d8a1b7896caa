#!/usr/bin/env python3
"""Bounded load on the fleet, from inside the balancer: chat completions to
HAProxy on this host only (plain HTTP on its loopback, or HTTPS on one of its
own addresses with --tls-address), until a stop file appears, a request count
or a time limit is reached. Writes every request's outcome as JSON.

    load.py --key-file F --out results.json [--stop F] [--workers 2] [--pause 0.05]
            [--max-requests 20000] [--max-seconds 600] [--prefix load]
            [--tls-address ADDRESS --cacert CA.pem]
"""

from __future__ import annotations

import argparse
import json
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

URL = "http://127.0.0.1:4000/v1/chat/completions"  # loopback only, by design
TLS_URL = "https://{address}:4000/v1/chat/completions"  # an address of this host only


def local(address: str) -> bool:
    """Whether the address is this host's own (only those can be bound)."""
    try:
        with socket.socket() as probe:
            probe.bind((address, 0))
    except OSError:
        return False
    return True


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
    parser.add_argument("--prefix", default="load")
    parser.add_argument("--tls-address", default="")
    parser.add_argument("--cacert", default="")
    args = parser.parse_args()
    url, context = URL, None
    if args.tls_address:
        if not local(args.tls_address):
            parser.error(f"--tls-address {args.tls_address} is not an address of this host")
        url, context = TLS_URL.format(address=args.tls_address), ssl.create_default_context(cafile=args.cacert)
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
            body = {"model": args.model, "messages": [{"role": "user", "content": f"{args.prefix} {number}-{sent}"}]}
            request = urllib.request.Request(  # noqa: S310 - http(s) to this host only (see above)
                url,
                data=json.dumps(body).encode(),
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
            started, status, served_by, error = time.time(), 0, "", ""
            try:
                with urllib.request.urlopen(request, timeout=60, context=context) as answer:  # noqa: S310
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
