#!/bin/sh
# Same calling convention as the official image's /app/docker-entrypoint.sh:
# no argument, or a first argument that is an option (--config ...), runs the
# proxy with those arguments; anything else is run as a command.
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  exec litellm "$@"
fi
exec "$@"
