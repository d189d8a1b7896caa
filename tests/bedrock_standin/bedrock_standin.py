#!/usr/bin/env python3
"""A stand-in for the AWS Bedrock Runtime Converse API, for tests and demos.

These machines cannot reach AWS. LiteLLM, pointed at this server through
`aws_bedrock_runtime_endpoint`, sends it the same signed HTTP requests it
would send to Bedrock:

    POST /model/<url-quoted inference profile id>/converse
    POST /model/<url-quoted inference profile id>/converse-stream

The server checks the SigV4 signature with botocore's own signer against the
access key, secret and regions it was given (403 when it does not match),
answers in Converse JSON or in real `application/vnd.amazon.eventstream`
frames, and records every request. Tests read the records from
`GET /_standin/requests` and clear them with `DELETE /_standin/requests`.
`PUT /_standin/refused` with a JSON list of inference profile ids makes it
answer those as Bedrock answers a retired or unknown model (400,
ValidationException, "The provided model identifier is invalid."); `[]` ends it.
`PUT /_standin/throttled` with a JSON mapping of inference profile ids to a
kind throttles those as Bedrock does when an account's quota is used up:
"429" (ThrottlingException, "Too many requests, please wait before trying
again."), "503" (ServiceUnavailableException) or "stream" (a streamed answer
that starts, then ends with a `throttlingException` event; a plain one gets
the 429); `{}` ends it.
A streamed answer to a prompt holding `[standin:slow=N]` takes N seconds.

Configuration comes from the environment, so that the secret never shows in a
process list: STANDIN_ACCESS_KEY_ID, STANDIN_SECRET_ACCESS_KEY,
STANDIN_REGIONS (comma-separated), STANDIN_LISTEN (host:port),
STANDIN_SESSION_TOKEN (the only session token a signed request may carry),
STANDIN_BEARER_TOKEN (a Bedrock API key, accepted as `Authorization: Bearer`),
STANDIN_TLS_CERT and STANDIN_TLS_KEY (PEM files: serve HTTPS), and
STANDIN_VERIFY=false for the benchmark only, whose load tool sends its direct
baseline requests unsigned (both paths then skip the same check).
"""

from __future__ import annotations

import binascii
import hmac
import json
import os
import re
import socket
import ssl
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?Signature=(?P<sig>[0-9a-f]{64})"
)
_PATH_RE = re.compile(r"^/model/(?P<model>[^/]+)/(?P<op>converse|converse-stream)$")


@dataclass
class Settings:
    access_key_id: str
    secret_access_key: str
    regions: frozenset[str]
    verify: bool = True
    session_token: str = ""
    bearer_token: str = ""


@dataclass
class Recorder:
    records: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    refused: frozenset[str] = frozenset()
    throttled: dict[str, str] = field(default_factory=dict)

    def add(self, record: dict[str, Any]) -> None:
        with self.lock:
            self.records.append(record)
            del self.records[:-1000]  # bounded: a load test must not grow it forever

    def snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.records)

    def clear(self) -> None:
        with self.lock:
            self.records.clear()


def check_signature(
    settings: Settings, method: str, host: str, raw_path: str, headers: dict[str, str], body: bytes
) -> tuple[bool, str, dict[str, str]]:
    """Recompute the SigV4 signature of a request as botocore would sign it.

    Returns (valid, reason, parsed Authorization fields).
    """
    authorization = headers.get("authorization", "")
    if authorization.startswith("Bearer "):
        if settings.bearer_token and hmac.compare_digest(authorization[7:], settings.bearer_token):
            return True, "ok", {"scheme": "bearer"}
        return False, "unknown bearer token", {"scheme": "bearer"}
    match = _AUTH_RE.match(authorization)
    if not match:
        return False, "missing or malformed Authorization header", {}
    fields = {"scheme": "sigv4", **match.groupdict()}
    token = headers.get("x-amz-security-token")
    if token is not None and not hmac.compare_digest(token, settings.session_token or "\0"):
        return False, "unknown session token", fields
    if fields["service"] != "bedrock":
        return False, f"signed for service {fields['service']!r}, not 'bedrock'", fields
    if fields["key"] != settings.access_key_id:
        return False, "unknown access key id", fields
    if fields["region"] not in settings.regions:
        return False, f"signed for region {fields['region']!r}", fields
    amz_date = headers.get("x-amz-date", "")
    if not amz_date.startswith(fields["date"]):
        return False, "X-Amz-Date does not match the credential scope", fields

    signed = fields["signed"].split(";")
    request = AWSRequest(
        method=method,
        url=f"http://{host}{raw_path}",
        data=body,
        headers={name: headers[name] for name in signed if name in headers},
    )
    request.context["timestamp"] = amz_date
    auth = SigV4Auth(
        Credentials(settings.access_key_id, settings.secret_access_key, token), "bedrock", fields["region"]
    )
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, fields["sig"]):
        return False, "signature does not match", fields
    return True, "ok", fields


THROTTLE_KINDS = ("429", "503", "stream")
THROTTLED = "Too many requests, please wait before trying again."


def event_frame(event_type: str, payload: dict[str, Any], message_type: str = "event") -> bytes:
    """Encode one `application/vnd.amazon.eventstream` message with its CRCs
    (an exception names its kind in :exception-type instead of :event-type)."""
    headers = b""
    kind = ":exception-type" if message_type == "exception" else ":event-type"
    for name, value in ((kind, event_type), (":content-type", "application/json"), (":message-type", message_type)):
        raw_name, raw_value = name.encode(), value.encode()
        headers += struct.pack("!B", len(raw_name)) + raw_name + struct.pack("!BH", 7, len(raw_value)) + raw_value
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack("!II", total, len(headers))
    prelude += struct.pack("!I", binascii.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + headers + body
    return message + struct.pack("!I", binascii.crc32(message) & 0xFFFFFFFF)


def reply_text(model: str, region: str, request: dict[str, Any]) -> str:
    prompt = ""
    for message in request.get("messages", []):
        for block in message.get("content", []):
            if isinstance(block, dict) and "text" in block:
                prompt = block["text"]
    return f"Hello from the Bedrock stand-in: {model} in {region} read {len(prompt)} characters."


_SLOW_RE = re.compile(r"\[standin:slow=([0-9]{1,2}(?:\.[0-9]+)?)\]")


class Handler(BaseHTTPRequestHandler):
    server_version = "BedrockStandin/1"
    protocol_version = "HTTP/1.1"
    settings: Settings
    recorder: Recorder

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without TCP_NODELAY,
        # Nagle and delayed ACKs add 40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        sys.stderr.write(f"standin: {self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")

    def _send_json(self, status: int, payload: Any, extra: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/_standin/requests":
            self._send_json(200, self.recorder.snapshot())
        elif self.path == "/_standin/health":
            self._send_json(200, {"status": "ok"})
        else:
            self._send_json(404, {"message": "not found"})

    def do_PUT(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            given = json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            given = None
        if self.path == "/_standin/refused" and isinstance(given, list):
            self.recorder.refused = frozenset(str(model) for model in given)
            self._send_json(200, sorted(self.recorder.refused))
        elif (
            self.path == "/_standin/throttled"
            and isinstance(given, dict)
            and all(kind in THROTTLE_KINDS for kind in given.values())
        ):
            self.recorder.throttled = {str(model): str(kind) for model, kind in given.items()}
            self._send_json(200, self.recorder.throttled)
        else:
            known = self.path in ("/_standin/refused", "/_standin/throttled")
            self._send_json(400 if known else 404, {"message": "not understood"})

    def do_DELETE(self) -> None:
        if self.path == "/_standin/requests":
            self.recorder.clear()
            self._send_json(200, {"cleared": True})
        else:
            self._send_json(404, {"message": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        match = _PATH_RE.match(self.path)
        if not match:
            self._send_json(404, {"message": f"unknown operation {self.path}"})
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        if self.settings.verify:
            valid, reason, auth = check_signature(
                self.settings, "POST", headers.get("host", ""), self.path, headers, body
            )
        else:
            valid, reason, auth = True, "not checked", {"region": "us-east-1"}
        model = unquote(match["model"])
        streaming = match["op"] == "converse-stream"
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}
        self.recorder.add(
            {
                "time": time.time(),
                "path": self.path,
                "model": model,
                "stream": streaming,
                "region": auth.get("region"),
                "auth": auth.get("scheme"),
                "access_key_id": auth.get("key"),
                "session_token": "x-amz-security-token" in headers,
                "signature_valid": valid,
                "reason": reason,
                "messages": request.get("messages", []),
            }
        )
        if not valid:
            self._send_json(
                403,
                {"message": f"The request signature we calculated does not match ({reason})."},
                {"x-amzn-ErrorType": "InvalidSignatureException"},
            )
            return
        if model in self.recorder.refused:
            self._send_json(
                400,
                {"message": "The provided model identifier is invalid."},
                {"x-amzn-ErrorType": "ValidationException"},
            )
            return
        throttle = self.recorder.throttled.get(model, "")
        if throttle == "503":
            unavailable = {"x-amzn-ErrorType": "ServiceUnavailableException"}
            self._send_json(503, {"message": "Bedrock is unable to process your request."}, unavailable)
            return
        if throttle == "429" or (throttle == "stream" and not streaming):
            self._send_json(429, {"message": THROTTLED}, {"x-amzn-ErrorType": "ThrottlingException"})
            return
        # A bearer token names no region.
        text = reply_text(model, auth.get("region") or "bearer", request)
        usage = {"inputTokens": 12, "outputTokens": len(text.split()), "totalTokens": 12 + len(text.split())}
        if not streaming:
            self._send_json(
                200,
                {
                    "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
                    "stopReason": "end_turn",
                    "usage": usage,
                    "metrics": {"latencyMs": 1},
                },
            )
            return
        words = text.split(" ")
        frames = [event_frame("messageStart", {"role": "assistant"})]
        for index, word in enumerate(words):
            chunk = word if index == 0 else " " + word
            frames.append(event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": chunk}}))
        if throttle == "stream":  # the answer starts, then Bedrock throttles it mid-stream
            frames = [*frames[:2], event_frame("throttlingException", {"message": THROTTLED}, "exception")]
        else:
            frames += [
                event_frame("contentBlockStop", {"contentBlockIndex": 0}),
                event_frame("messageStop", {"stopReason": "end_turn"}),
                event_frame("metadata", {"usage": usage, "metrics": {"latencyMs": 1}}),
            ]
        payload = b"".join(frames)
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.amazon.eventstream")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        # "[standin:slow=N]" in the prompt spreads the frames over N seconds (at
        # most 60): a stream still running when the proxy is told to stop.
        slow = _SLOW_RE.search(json.dumps(request.get("messages", [])))
        pause = min(float(slow[1]), 60.0) / len(frames) if slow else 0.0
        for frame in frames if pause else [payload]:
            self.wfile.write(frame)
            self.wfile.flush()
            time.sleep(pause)


def main() -> None:
    settings = Settings(
        access_key_id=os.environ["STANDIN_ACCESS_KEY_ID"],
        secret_access_key=os.environ["STANDIN_SECRET_ACCESS_KEY"],
        regions=frozenset(r.strip() for r in os.environ.get("STANDIN_REGIONS", "us-east-1").split(",") if r.strip()),
        verify=os.environ.get("STANDIN_VERIFY", "true").lower() != "false",
        session_token=os.environ.get("STANDIN_SESSION_TOKEN", ""),
        bearer_token=os.environ.get("STANDIN_BEARER_TOKEN", ""),
    )
    host, _, port = os.environ.get("STANDIN_LISTEN", "127.0.0.1:8099").rpartition(":")
    Handler.settings = settings
    Handler.recorder = Recorder()
    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    cert, key = os.environ.get("STANDIN_TLS_CERT"), os.environ.get("STANDIN_TLS_KEY")
    if cert and key:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    sys.stderr.write(f"standin: listening on {host}:{port} for regions {sorted(settings.regions)}\n")
    server.serve_forever()


if __name__ == "__main__":
    main()
