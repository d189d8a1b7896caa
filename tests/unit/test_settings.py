"""filter_plugins/litellm_settings.py: config.yaml's three settings blocks,
case by case, each asserting the whole block."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "filter_plugins"))
import litellm_settings as settings  # noqa: E402 - found through the path above

MASTER = {"master_key": "os.environ/LITELLM_MASTER_KEY", "trusted_proxy_ranges": []}
# What Bedrock's throttling meets, as the defaults set it.
ROUTER = {"num_retries": 2, "retry_after": 0, "cooldown_time": 5}
REDIS = {"litellm_redis_host": "redis.internal", "litellm_redis_port": 6380, "litellm_redis_password": "x" * 12}
CACHE = {"type": "redis", "host": "redis.internal", "port": 6380, "password": "os.environ/REDIS_PASSWORD", "ttl": 600}


def inputs(**given: Any) -> dict[str, Any]:
    return {
        "litellm_metrics": False,
        "litellm_metrics_public": False,
        "litellm_cache": False,
        "litellm_cache_ttl": 600,
        "litellm_redis_host": "",
        "litellm_settings": {},
        "litellm_router_settings": {},
        "litellm_general_settings": {},
        **given,
    }


CASES = [
    (
        "nothing set: the master key, no trusted proxy, LiteLLM's retries",
        inputs(),
        {"router_settings": ROUTER, "general_settings": MASTER},
    ),
    (
        "metrics: the prometheus callback, /metrics behind the key",
        inputs(litellm_metrics=True),
        {"litellm_settings": {"callbacks": ["prometheus"]}, "router_settings": ROUTER, "general_settings": MASTER},
    ),
    (
        "metrics beside the operator's callbacks",
        inputs(litellm_metrics=True, litellm_settings={"callbacks": ["langfuse"], "drop_params": True}),
        {
            "litellm_settings": {"callbacks": ["langfuse", "prometheus"], "drop_params": True},
            "router_settings": ROUTER,
            "general_settings": MASTER,
        },
    ),
    (
        "metrics, the operator's callback given as one name",
        inputs(litellm_metrics=True, litellm_settings={"callbacks": "langfuse"}),
        {
            "litellm_settings": {"callbacks": ["langfuse", "prometheus"]},
            "router_settings": ROUTER,
            "general_settings": MASTER,
        },
    ),
    (
        "metrics, prometheus already among the operator's callbacks",
        inputs(litellm_metrics=True, litellm_settings={"callbacks": ["prometheus"]}),
        {"litellm_settings": {"callbacks": ["prometheus"]}, "router_settings": ROUTER, "general_settings": MASTER},
    ),
    (
        "public metrics",
        inputs(litellm_metrics=True, litellm_metrics_public=True),
        {
            "litellm_settings": {"require_auth_for_metrics_endpoint": False, "callbacks": ["prometheus"]},
            "router_settings": ROUTER,
            "general_settings": MASTER,
        },
    ),
    (
        "public metrics without metrics: nothing",
        inputs(litellm_metrics_public=True),
        {"router_settings": ROUTER, "general_settings": MASTER},
    ),
    (
        "Redis: the router's, no cache",
        inputs(**REDIS),
        {
            "router_settings": {
                "redis_host": "redis.internal",
                "redis_port": 6380,
                "redis_password": "os.environ/REDIS_PASSWORD",
                **ROUTER,
            },
            "general_settings": MASTER,
        },
    ),
    (
        "Redis and the cache, the operator's ttl and routing win",
        inputs(
            **REDIS,
            litellm_cache=True,
            litellm_settings={"cache_params": {"ttl": 60}},
            litellm_router_settings={"routing_strategy": "usage-based-routing-v2"},
        ),
        {
            "litellm_settings": {"cache": True, "cache_params": {**CACHE, "ttl": 60}},
            "router_settings": {
                "redis_host": "redis.internal",
                "redis_port": 6380,
                "redis_password": "os.environ/REDIS_PASSWORD",
                **ROUTER,
                "routing_strategy": "usage-based-routing-v2",
            },
            "general_settings": MASTER,
        },
    ),
    (
        "the operator's trusted proxies (a balancer) win",
        inputs(litellm_general_settings={"trusted_proxy_ranges": ["10.0.1.10/32"], "max_parallel_requests": 10}),
        {
            "router_settings": ROUTER,
            "general_settings": {
                "master_key": "os.environ/LITELLM_MASTER_KEY",
                "trusted_proxy_ranges": ["10.0.1.10/32"],
                "max_parallel_requests": 10,
            },
        },
    ),
]


@pytest.mark.parametrize(("given", "blocks"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_settings_blocks(given: dict[str, Any], blocks: dict[str, Any]) -> None:
    assert settings.settings_blocks(given) == blocks


def test_the_blocks_keep_config_yaml_s_order() -> None:
    given = inputs(**REDIS, litellm_cache=True, litellm_metrics=True)
    assert list(settings.settings_blocks(given)) == ["litellm_settings", "router_settings", "general_settings"]


def test_the_operator_s_settings_are_not_changed_in_place() -> None:
    theirs = {"callbacks": ["langfuse"]}
    settings.settings_blocks(inputs(litellm_metrics=True, litellm_settings=theirs))
    assert theirs == {"callbacks": ["langfuse"]}


MODELS = [
    {"name": "sonnet", "model": "us.anthropic.claude-sonnet-5-5", "fallbacks": ["sonnet-global", "opus"]},
    {"name": "sonnet-global", "model": "global.anthropic.claude-sonnet-5-5"},
    {"name": "opus", "model": "us.anthropic.claude-opus-5-5", "fallbacks": []},
]


def test_fallbacks_retries_and_backoff_from_the_variables() -> None:
    given = inputs(litellm_models=MODELS, litellm_num_retries=4, litellm_retry_after=1, litellm_cooldown_time=30)
    assert settings.settings_blocks(given)["router_settings"] == {
        "num_retries": 4,
        "retry_after": 1,
        "cooldown_time": 30,
        "fallbacks": [{"sonnet": ["sonnet-global", "opus"]}],
    }


def test_the_operator_s_fallbacks_and_retry_policy_win() -> None:
    theirs = {"fallbacks": [{"opus": ["sonnet"]}], "retry_policy": {"RateLimitErrorRetries": 0}}
    router = settings.settings_blocks(inputs(litellm_models=MODELS, litellm_router_settings=theirs))["router_settings"]
    assert router == {**ROUTER, **theirs}


def loggers(server: str, access: str) -> dict[str, dict[str, Any]]:
    return {
        "uvicorn": {"handlers": ["default"], "level": server, "propagate": False},
        "uvicorn.error": {"handlers": ["default"], "level": server, "propagate": False},
        "uvicorn.access": {"handlers": ["access"], "level": access, "propagate": False},
    }


@pytest.mark.parametrize(
    ("level", "access_log", "server", "access"),
    [
        pytest.param("WARNING", False, "INFO", "WARNING", id="defaults: the server's start, no line a request"),
        pytest.param("INFO", False, "INFO", "WARNING", id="INFO: LiteLLM's lines a request, still no access line"),
        pytest.param("WARNING", True, "INFO", "INFO", id="the access log on, one variable away"),
        pytest.param("ERROR", False, "ERROR", "WARNING", id="ERROR: the server's errors only"),
        pytest.param("ERROR", "True", "ERROR", "INFO", id="the access log on, the flag as text (before 2.19)"),
        pytest.param("DEBUG", False, "DEBUG", "WARNING", id="DEBUG: the server's debug lines too"),
        pytest.param("CRITICAL", False, "CRITICAL", "WARNING", id="CRITICAL"),
    ],
)
def test_uvicorn_s_log_levels(level: str, access_log: Any, server: str, access: str) -> None:
    got = settings.log_config({"litellm_log_level": level, "litellm_access_log": access_log, "litellm_json_logs": True})
    assert got["loggers"] == loggers(server, access)
    assert got["version"] == 1 and got["disable_existing_loggers"] is False


def test_json_logs_format_uvicorn_s_lines_as_litellm_does() -> None:
    got = settings.log_config({"litellm_log_level": "WARNING", "litellm_json_logs": True})
    json_formatter = {"()": "litellm._logging.JsonFormatter"}
    assert got["formatters"] == {"default": json_formatter, "access": json_formatter}
    stream = {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}
    assert got["handlers"] == {name: {"formatter": name, **stream} for name in ("default", "access")}


def test_plain_logs_keep_uvicorn_s_own_formats_without_colours() -> None:
    got = settings.log_config({"litellm_log_level": "WARNING", "litellm_json_logs": False})
    assert got["formatters"]["default"]["()"] == "uvicorn.logging.DefaultFormatter"
    assert got["formatters"]["access"]["()"] == "uvicorn.logging.AccessFormatter"
    assert {f["use_colors"] for f in got["formatters"].values()} == {False}


def test_the_log_config_shares_no_object_so_its_yaml_has_no_anchor() -> None:
    import yaml

    for json_logs in (True, False):
        text = yaml.safe_dump(settings.log_config({"litellm_log_level": "INFO", "litellm_json_logs": json_logs}))
        assert "&id" not in text and "*id" not in text


def test_the_log_config_file_is_a_comment_then_the_yaml_of_the_config() -> None:
    import yaml

    given = {"litellm_log_level": "WARNING", "litellm_json_logs": True}
    text = settings.log_config_file(given)
    first, rest = text.split("\n", 1)
    assert first.startswith("# ") and "\\n" not in text
    assert yaml.safe_load(rest) == yaml.safe_load(text) == settings.log_config(given)
    assert not text.lstrip().startswith(("{", "["))  # never read as data before ansible-core 2.19
