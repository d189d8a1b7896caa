#!/bin/sh
# Same calling convention as the official image's entrypoint: the container's
# arguments go straight to the litellm CLI.
exec litellm "$@"
