"""config.yaml's three settings blocks: what the role's variables put in
litellm_settings, router_settings and general_settings, under what the
operator gives in litellm_settings, litellm_router_settings and
litellm_general_settings (which win, key by key, mappings merged).

Pure functions of the role's input (_litellm_inputs: every litellm_*
variable); templates/config.yaml.j2 only formats what they return, and
tests/unit/test_settings.py has their cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# References to the environment file, never a secret itself.
PASSWORD_REF = "os.environ/REDIS_PASSWORD"  # noqa: S105
MASTER_KEY_REF = "os.environ/LITELLM_MASTER_KEY"
# LiteLLM's Prometheus integration.
METRICS_CALLBACK = "prometheus"


def merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """base with over's keys on top; mappings in both are merged the same way,
    anything else (lists included) is over's (Ansible's combine(recursive=true))."""
    result = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "yes", "1")


def _redis(v: Mapping[str, Any]) -> dict[str, Any]:
    if not v.get("litellm_redis_host"):
        return {}
    found = {"host": v["litellm_redis_host"], "port": int(v.get("litellm_redis_port", 6379))}
    return found | ({"password": PASSWORD_REF} if v.get("litellm_redis_password") else {})


def _callbacks(value: Any) -> list[Any]:
    """LiteLLM takes callbacks as a list or as one name."""
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def litellm_settings(v: Mapping[str, Any]) -> dict[str, Any]:
    """The response cache (litellm_cache), the Prometheus callback
    (litellm_metrics: added to the operator's callbacks, never replacing
    them) and whether /metrics asks for a key (litellm_metrics_public)."""
    ours: dict[str, Any] = {}
    redis = _redis(v)
    if _flag(v.get("litellm_cache")) and redis:
        ours["cache"] = True
        ours["cache_params"] = {"type": "redis", **redis, "ttl": int(v.get("litellm_cache_ttl", 600))}
    theirs = dict(v.get("litellm_settings") or {})
    if _flag(v.get("litellm_metrics")):
        callbacks = _callbacks(theirs.get("callbacks"))
        theirs["callbacks"] = callbacks + ([METRICS_CALLBACK] if METRICS_CALLBACK not in callbacks else [])
        if _flag(v.get("litellm_metrics_public")):
            ours["require_auth_for_metrics_endpoint"] = False
    return merged(ours, theirs)


def fallbacks(models: Any) -> list[dict[str, list[str]]]:
    """LiteLLM's router fallbacks: for each model that names some, its alias
    and theirs, in the order given ({alias: [fallback, ...]})."""
    return [
        {str(m["name"]): [str(name) for name in m["fallbacks"]]}
        for m in models or []
        if isinstance(m, Mapping) and m.get("fallbacks")
    ]


def router_settings(v: Mapping[str, Any]) -> dict[str, Any]:
    """Redis for the router (usage-based routing, cooldowns, shared limits);
    what Bedrock's throttling meets: retries (litellm_num_retries, at least
    litellm_retry_after seconds apart, LiteLLM's exponential backoff above
    that), the cooldown of a deployment that keeps failing
    (litellm_cooldown_time) and each model's fallbacks."""
    ours: dict[str, Any] = {f"redis_{key}": value for key, value in _redis(v).items()}
    ours["num_retries"] = int(v.get("litellm_num_retries", 2))
    ours["retry_after"] = int(v.get("litellm_retry_after", 0))
    ours["cooldown_time"] = int(v.get("litellm_cooldown_time", 5))
    given = fallbacks(v.get("litellm_models"))
    if given:
        ours["fallbacks"] = given
    return merged(ours, dict(v.get("litellm_router_settings") or {}))


def general_settings(v: Mapping[str, Any]) -> dict[str, Any]:
    """The master key (always the environment's), and trusted_proxy_ranges:
    the role's proxy is reached directly (an empty list), so LiteLLM limits
    failed Admin UI sign-ins per source address too and says no more that
    the setting is missing; behind a balancer, set its addresses
    (examples/fleet does)."""
    ours: dict[str, Any] = {"master_key": MASTER_KEY_REF, "trusted_proxy_ranges": []}
    return merged(ours, dict(v.get("litellm_general_settings") or {}))


def settings_blocks(v: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The three blocks, in config.yaml's order; an empty block is left out."""
    blocks = {
        "litellm_settings": litellm_settings(v),
        "router_settings": router_settings(v),
        "general_settings": general_settings(v),
    }
    return {name: block for name, block in blocks.items() if block}


# uvicorn's loggers: its server (start, workers, shutdown, its errors) and its
# access log (a line per request). LiteLLM's own loggers follow LITELLM_LOG.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error")
ACCESS_LOGGER = "uvicorn.access"
# What LiteLLM's JSON_LOGS uses for uvicorn (litellm/_logging.py:
# _get_uvicorn_json_log_config), and uvicorn's own plain formats.
JSON_FORMATTER = {"()": "litellm._logging.JsonFormatter"}
PLAIN_FORMATTERS = {
    "default": {"()": "uvicorn.logging.DefaultFormatter", "fmt": "%(levelprefix)s %(message)s", "use_colors": False},
    "access": {
        "()": "uvicorn.logging.AccessFormatter",
        "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
        "use_colors": False,
    },
}


def log_config(v: Mapping[str, Any]) -> dict[str, Any]:
    """uvicorn's logging (logging.yaml, given to LiteLLM's --log_config).

    Without it LiteLLM sets uvicorn's loggers to LITELLM_LOG, so the level
    that silences LiteLLM's per-request lines (WARNING) also hides the
    server's start. Here the server logs at INFO under LITELLM_LOG=INFO or
    WARNING (at DEBUG, ERROR and CRITICAL as asked), and the access log's
    line per request is litellm_access_log's, whatever the level."""
    level = str(v.get("litellm_log_level") or "WARNING").upper()
    server = "INFO" if level in ("INFO", "WARNING") else level
    access = "INFO" if _flag(v.get("litellm_access_log")) else "WARNING"
    plain = not _flag(v.get("litellm_json_logs"))
    formatters = {name: dict(PLAIN_FORMATTERS[name] if plain else JSON_FORMATTER) for name in ("default", "access")}
    stream = {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}
    loggers = {name: {"handlers": ["default"], "level": server, "propagate": False} for name in SERVER_LOGGERS}
    loggers[ACCESS_LOGGER] = {"handlers": ["access"], "level": access, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": formatters,
        "handlers": {"default": {"formatter": "default", **stream}, "access": {"formatter": "access", **stream}},
        "loggers": loggers,
    }


LOG_CONFIG_HEADER = "# The uvicorn loggers: litellm_log_level and litellm_access_log (docs/logs.md).\n"


def log_config_file(v: Mapping[str, Any]) -> str:
    """logging.yaml's text: YAML, which no ansible-core mistakes for data
    (before 2.19 a templated string that looks like JSON becomes a dict)."""
    import yaml  # Ansible's own requirement

    return LOG_CONFIG_HEADER + yaml.safe_dump(log_config(v), sort_keys=True, default_flow_style=False)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"litellm_settings_blocks": settings_blocks, "litellm_log_config": log_config_file}
