"""Ask Redis for a PING as the proxy would, from a container of its image.

Run by the image's own python3 with -I -S (tasks/redis.yml): standard library
only. Connects to CHECK_HOST:CHECK_PORT, AUTH when REDIS_PASSWORD is set, TLS
with the certificate checked when REDIS_SSL is True, then PING and the
server's version. It prints one line (PONG from Redis <version>, or what went
wrong), never the password, and exits 0 either way: the role reads the line.
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
        conn = ssl.create_default_context().wrap_socket(conn, server_hostname=ENV["CHECK_HOST"])
    reader = conn.makefile("rb")

    def ask(*words: str) -> str:
        raw = [w.encode() for w in words]
        conn.sendall(b"*%d\r\n" % len(raw) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w) for w in raw))
        return reader.readline().decode(errors="replace").strip()

    if PASSWORD and ask("AUTH", PASSWORD) != "+OK":
        say("AUTH was refused (check litellm_redis_password)")
    answer = ask("PING")
    if answer != "+PONG":
        say("PING was answered with " + answer[:80])
    info = reader.read(int(ask("INFO", "server")[1:]) + 2).decode(errors="replace")
    version = next((ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("redis_version:")), "0")
    if int(version.split(".")[0]) < MIN_MAJOR:
        say("Redis " + version + " answers, but LiteLLM needs Redis 7.0 or newer")
    say("PONG from Redis " + version)


try:
    main()
except (OSError, ValueError) as error:
    say("no answer: " + type(error).__name__ + ": " + str(error)[:120])
