"""Ask Redis for a PING as the proxy would, from a container of its image.

Run by the image's own python3 with -I -S (tasks/redis.yml): standard library
only. Connects to CHECK_HOST:CHECK_PORT, TLS with the certificate and the host
name checked when REDIS_SSL is True (against CHECK_CA, PEM text, when set:
the role's litellm_redis_ca_certificate), then HELLO (signing in as
REDIS_USERNAME, or the default user, when REDIS_PASSWORD is set), which says
the server's version, then PING. HELLO and PING are all it sends, so an ACL
user that may run only what LiteLLM needs passes. It prints one line (PONG
from Redis <version>, or what went wrong), never the password, and exits 0
either way: the role reads the line.
"""

import os
import socket
import ssl

ENV = os.environ
PASSWORD = ENV.get("REDIS_PASSWORD", "")
# LiteLLM's Redis features need Redis 7.0 or newer.
MIN_MAJOR = 7


def say(text: str) -> None:
    print(text.replace(PASSWORD, "********") if PASSWORD else text)
    raise SystemExit(0)


def main() -> None:
    conn = socket.create_connection((ENV["CHECK_HOST"], int(ENV["CHECK_PORT"])), timeout=5)
    if ENV.get("REDIS_SSL") == "True":
        context = ssl.create_default_context(cadata=ENV.get("CHECK_CA") or None)
        conn = context.wrap_socket(conn, server_hostname=ENV["CHECK_HOST"])
    reader = conn.makefile("rb")

    def reply() -> "str | list":
        line = reader.readline().decode(errors="replace").rstrip("\r\n")
        if line[:1] == "$":
            size = int(line[1:])
            return "" if size < 0 else reader.read(size + 2)[:-2].decode(errors="replace")
        if line[:1] == "*":
            return [reply() for _ in range(max(int(line[1:]), 0))]
        return line  # +OK, -ERR ..., :1

    def ask(*words: str) -> "str | list":
        raw = [w.encode() for w in words]
        conn.sendall(b"*%d\r\n" % len(raw) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w) for w in raw))
        return reply()

    sign_in = ("AUTH", ENV.get("REDIS_USERNAME") or "default", PASSWORD) if PASSWORD else ()
    hello = ask("HELLO", "2", *sign_in)
    if isinstance(hello, str):
        if "WRONGPASS" in hello or "NOAUTH" in hello or "AUTH" in hello:
            say("AUTH was refused (check litellm_redis_username and litellm_redis_password)")
        say("Redis answers, but not HELLO (Redis older than 6?): LiteLLM needs Redis 7.0 or newer")
    info = dict(zip(hello[::2], hello[1::2], strict=False))
    version = str(info.get("version", "0"))
    answer = ask("PING")
    if answer != "+PONG":
        say("PING was answered with " + str(answer)[:80])
    if int(version.split(".")[0]) < MIN_MAJOR:
        say("Redis " + version + " answers, but LiteLLM needs Redis 7.0 or newer")
    say("PONG from Redis " + version)


try:
    main()
except (OSError, ValueError) as error:
    say("no answer: " + type(error).__name__ + ": " + str(error)[:120])
