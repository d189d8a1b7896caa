#!/usr/bin/env python3
"""A minimal HTTP CONNECT proxy, the tests' stand-in for a corporate egress proxy.

It tunnels `CONNECT host:port` requests and nothing else, and logs one line
per tunnel to stderr (`proxy: CONNECT host:port -> 200`), which the tests read
from the journal to prove that traffic really went through it.

    PROXY_LISTEN=0.0.0.0:3128 PROXY_ALLOW=172.18.0.1:8443 connect_proxy.py

PROXY_ALLOW lists the only host:port targets it tunnels to (403 for others),
so that a test can never send traffic anywhere else through it.
"""

from __future__ import annotations

import asyncio
import os
import sys

ALLOWED = frozenset(t.strip() for t in os.environ.get("PROXY_ALLOW", "").split(",") if t.strip())


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
    request = await client_reader.readuntil(b"\r\n\r\n")
    method, target, _ = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
    if method != "CONNECT":
        client_writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
        await client_writer.drain()
        client_writer.close()
        sys.stderr.write(f"proxy: {method} {target} -> 405\n")
        return
    if target not in ALLOWED:
        client_writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        await client_writer.drain()
        client_writer.close()
        sys.stderr.write(f"proxy: CONNECT {target} -> 403\n")
        return
    host, _, port = target.rpartition(":")
    try:
        upstream_reader, upstream_writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 10)
    except (TimeoutError, OSError, ValueError):
        client_writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        await client_writer.drain()
        client_writer.close()
        sys.stderr.write(f"proxy: CONNECT {target} -> 502\n")
        return
    client_writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
    await client_writer.drain()
    sys.stderr.write(f"proxy: CONNECT {target} -> 200\n")
    await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))


async def main() -> None:
    host, _, port = os.environ.get("PROXY_LISTEN", "127.0.0.1:3128").rpartition(":")
    server = await asyncio.start_server(handle, host, int(port))
    sys.stderr.write(f"proxy: listening on {host}:{port}\n")
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
