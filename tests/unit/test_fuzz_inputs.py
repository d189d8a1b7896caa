"""Hostile input, generated: the role's input checks and its two templates,
called in-process (no test host), thousands of examples.

Each generated input is either refused with messages that carry no secret,
or rendered so that the env file, parsed with community.docker's own
parse_env_file, yields exactly the expected names and values, and config.yaml
parses to exactly the given models and settings, with no secret in it.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import filter_loader
from ansible.template import Templar, trust_as_template
from ansible_collections.community.docker.plugins.module_utils._api.utils.utils import parse_env_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "filter_plugins"))
import litellm_checks as checks  # noqa: E402 - found through the path above

filter_loader.add_directory(str(ROOT / "filter_plugins"))  # the templates use litellm_to_yaml

EXAMPLES = int(os.environ.get("LITELLM_FUZZ_EXAMPLES", "300"))
TRIED: dict[str, int] = {}
# Fixed, distinctive TEST-ONLY secrets ("fz" marks them): none may ever show.
SECRETS = {
    "litellm_master_key": "sk-fzmaster-TEST-ONLY-0123456789abcdef0123",
    "litellm_salt_key": "sk-fzsalt-TEST-ONLY-0123456789abcdef",
    "litellm_aws_access_key_id": "AKIAFZTESTONLY0123456",
    "litellm_aws_secret_access_key": "fzsecret/TEST+ONLY/0123456789abcdefghijkl",
}
SECRET_MARK = ("fz-", "-zf9")  # around a generated secret, so that it is never ordinary text

# Pieces a careful attacker would try, glued together by the strategies.
NASTY = [
    "\r",
    "\n",
    "\r\n",
    "\x00",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u2028",
    "\ufeff",
    " ",
    "\t",
    "'",
    '"',
    "\\",
    "{{ lookup('env', 'HOME') }}",
    "{% raw %}",
    "{#",
    "#",
    "=",
    ": ",
    "- ",
    "&a",
    "*a",
    "!!python/object:os.system",
    "<<",
    "~",
    "null",
    "yes",
    "0x10",
    "1e3",
    "---",
    "...",
    "%",
    "@",
    "`",
    "LITELLM_MASTER_KEY=sk-injected",
    "os.environ/LITELLM_MASTER_KEY",
    "é",
    "日本",
    "\U0001f600",
]
piece = st.one_of(st.sampled_from(NASTY), st.text(max_size=12))
hostile_text = st.one_of(
    st.lists(piece, max_size=6).map("".join),
    st.sampled_from(["a", "a b", "'", "\t", "x\r"]).map(lambda s: (s * 10000)[:10000]),
)
wrong_type = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.lists(st.text(max_size=3), max_size=2)
)
hostile = st.one_of(hostile_text, wrong_type)
scalar = st.one_of(hostile_text, st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))
setting = st.recursive(
    scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(hostile_text, inner, max_size=3)),
    max_leaves=8,
)


def defaults() -> dict[str, Any]:
    values = yaml.safe_load((ROOT / "defaults" / "main.yml").read_text())
    values["litellm_canary_timeout"] = values["litellm_rollback_timeout"] = values["litellm_startup_timeout"]
    return {**values, **SECRETS}


TEMPLATES = {name: (ROOT / "templates" / name).read_text() for name in ("litellm.env.j2", "config.yaml.j2")}


# The role's own definitions that the templates read, taken from vars/main.yml.
ROLE_VARS = yaml.safe_load((ROOT / "vars" / "main.yml").read_text())
ROLE_CONSTANTS = ("_litellm_ca_bundle_target", "_litellm_redis_ca_target", "_litellm_metrics_dir")


def render(name: str, variables: dict[str, Any]) -> str:
    """A template rendered as the template module renders it (trim_blocks)."""
    extra = {key: ROLE_VARS[key] for key in ROLE_CONSTANTS}
    extra["_litellm_inputs"] = {key: value for key, value in variables.items() if key.startswith("litellm_")}
    extra["ansible_managed"] = "Ansible managed"
    templar = Templar(loader=DataLoader(), variables={**variables, **extra})
    overrides = {"trim_blocks": True, "lstrip_blocks": False, "newline_sequence": "\n"}
    return templar.template(trust_as_template(TEMPLATES[name]), escape_backslashes=False, overrides=overrides)


def expected_env(v: dict[str, Any]) -> dict[str, str]:
    env = {"LITELLM_MASTER_KEY": v["litellm_master_key"], "LITELLM_SALT_KEY": v["litellm_salt_key"]}
    if v["litellm_aws_auth"] == "static":
        env["AWS_ACCESS_KEY_ID"] = v["litellm_aws_access_key_id"]
        env["AWS_SECRET_ACCESS_KEY"] = v["litellm_aws_secret_access_key"]
        if v.get("litellm_aws_session_token"):
            env["AWS_SESSION_TOKEN"] = v["litellm_aws_session_token"]
    elif v["litellm_aws_auth"] == "bearer_token":
        env["AWS_BEARER_TOKEN_BEDROCK"] = v["litellm_aws_bearer_token"]
    env |= {"AWS_REGION_NAME": v["litellm_aws_region_name"], "LITELLM_MODE": v["litellm_mode"]}
    env["LITELLM_LOG"] = v["litellm_log_level"]
    env["GRACEFUL_SHUTDOWN_TIMEOUT"] = str(int(v["litellm_stop_timeout"]) - 10)
    if v["litellm_redis_username"]:
        env["REDIS_USERNAME"] = v["litellm_redis_username"]
    if v["litellm_redis_password"]:
        env["REDIS_PASSWORD"] = v["litellm_redis_password"]
    if v["litellm_redis_ssl"]:
        env["REDIS_SSL"] = "True"
    if v["litellm_redis_ca_certificate"]:
        env["REDIS_SSL_CA_CERTS"] = "/app/redis-ca.pem"
    if v["litellm_metrics"]:
        env["PROMETHEUS_MULTIPROC_DIR"] = "/run/litellm-metrics"
    if v["litellm_json_logs"]:
        env["JSON_LOGS"] = "True"
    if v["litellm_local_model_cost_map"]:
        env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    if v["litellm_https_proxy"]:
        env |= dict.fromkeys(("HTTPS_PROXY", "https_proxy"), v["litellm_https_proxy"])
        env |= dict.fromkeys(("NO_PROXY", "no_proxy"), v["litellm_no_proxy"])
    if v["litellm_ca_bundle"]:
        env |= dict.fromkeys(("SSL_CERT_FILE", "AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE"), "/app/ca-bundle.pem")
    for name in ("litellm_env", "litellm_secret_env"):
        env |= {key: str(value) for key, value in v[name].items()}
    return env


def secret_fragments(v: dict[str, Any]) -> list[str]:
    """Every secret, and every piece of one between control characters that
    is long enough to be recognised (what a split env line would print)."""
    values = checks.secret_values(v).values()
    pieces = [part for value in values for part in re.split(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", value)]
    return [p.strip() for p in [*values, *pieces] if len(p.strip()) >= 8]


def assert_refused_quietly(errors: list[str], v: dict[str, Any]) -> None:
    text = "\n".join(errors)
    assert all(isinstance(e, str) and e for e in errors)
    for fragment in secret_fragments(v):
        assert fragment not in text, "a refusal message shows (part of) a secret"


def assert_rendered_exactly(v: dict[str, Any]) -> None:
    env_text = render("litellm.env.j2", v)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".env") as handle:
        handle.write(env_text)
        handle.flush()
        assert parse_env_file(handle.name) == expected_env(v)
    config_text = render("config.yaml.j2", v)
    # Whatever the input checks accept, image.yml's last look accepts too.
    assert checks.config_problems(config_text, v) == []
    config = yaml.safe_load(config_text)
    models = [
        (
            m["model_name"],
            m["litellm_params"]["model"],
            m["litellm_params"]["aws_region_name"],
            m["litellm_params"].get("rpm"),
        )
        for m in config["model_list"]
    ]
    assert models == [
        (m["name"], "bedrock/" + m["model"], m.get("region") or v["litellm_aws_region_name"], m.get("rpm"))
        for m in v["litellm_models"]
    ]
    ours, theirs = redis_settings(v)[0], dict(v["litellm_settings"])
    if v["litellm_metrics"]:
        given = theirs.get("callbacks")
        callbacks = [] if given in (None, "") else list(given) if isinstance(given, (list, tuple)) else [given]
        theirs["callbacks"] = callbacks + ([] if "prometheus" in callbacks else ["prometheus"])
        ours |= {"require_auth_for_metrics_endpoint": False} if v["litellm_metrics_public"] else {}
    assert config.get("litellm_settings") == (merge(ours, theirs) or None)
    router = redis_settings(v)[1] | {
        "num_retries": v["litellm_num_retries"],
        "retry_after": v["litellm_retry_after"],
        "cooldown_time": v["litellm_cooldown_time"],
    }
    router |= {"fallbacks": [{m["name"]: m["fallbacks"]} for m in v["litellm_models"] if m.get("fallbacks")]}
    router = {key: value for key, value in router.items() if value != []}
    assert config.get("router_settings") == merge(router, v["litellm_router_settings"])
    assert config["general_settings"] == merge(
        {"master_key": "os.environ/LITELLM_MASTER_KEY", "trusted_proxy_ranges": []}, v["litellm_general_settings"]
    )
    for fragment in secret_fragments(v):
        assert fragment not in config_text, "config.yaml holds a secret"


def merge(base: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """base with given over it, mappings merged key by key (combine(recursive=true))."""
    result = dict(base)
    for key, value in given.items():
        both = isinstance(result.get(key), dict) and isinstance(value, dict)
        result[key] = merge(result[key], value) if both else value
    return result


def redis_settings(v: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the litellm_redis_* variables and litellm_cache add to litellm_settings and router_settings."""
    if not v["litellm_redis_host"]:
        return {}, {}
    password = {"password": "os.environ/REDIS_PASSWORD"} if v["litellm_redis_password"] else {}
    where = {"host": v["litellm_redis_host"], "port": int(v["litellm_redis_port"])}
    router = {f"redis_{key}": value for key, value in (where | password).items()}
    params = {"type": "redis", **where, "ttl": int(v["litellm_cache_ttl"]), **password}
    return ({"cache": True, "cache_params": params} if v["litellm_cache"] else {}), router


def check(name: str, v: dict[str, Any]) -> None:
    TRIED[name] = TRIED.get(name, 0) + 1
    errors = checks.input_errors(v)
    if errors:
        assert_refused_quietly(errors, v)
    else:
        assert_rendered_exactly(v)


FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
STRING_VARIABLES = sorted({*checks.STRING_VARS, *checks.SECRET_NAMES, *checks.CHOICES} - {"litellm_state"})


@pytest.mark.parametrize("name", STRING_VARIABLES)
@FUZZ
@given(value=hostile)
def test_a_hostile_value_is_refused_or_rendered_exactly(name: str, value: Any) -> None:
    if name in checks.SECRET_NAMES and isinstance(value, str):
        value = SECRET_MARK[0] + value + SECRET_MARK[1] if value == value.strip() else f" {SECRET_MARK[0]}{value}"
    check(name, {**defaults(), name: value})


@FUZZ
@given(
    env=st.dictionaries(st.one_of(hostile_text, st.from_regex(r"[A-Z_]{1,12}", fullmatch=True)), scalar, max_size=4),
    secret_env=st.dictionaries(st.from_regex(r"[A-Z_]{1,12}", fullmatch=True), hostile_text, max_size=3),
    proxy=st.sampled_from(["", "http://proxy.example:3128"]),
)
def test_hostile_environment_variables(env: dict[Any, Any], secret_env: dict[str, str], proxy: str) -> None:
    secret_env = {k: f"{SECRET_MARK[0]}{value}{SECRET_MARK[1]}" for k, value in secret_env.items()}
    check(
        "litellm_env/litellm_secret_env",
        {**defaults(), "litellm_env": env, "litellm_secret_env": secret_env, "litellm_https_proxy": proxy},
    )


@FUZZ
@given(
    names=st.lists(st.one_of(hostile, st.just("claude")), min_size=1, max_size=4),
    models=st.lists(st.one_of(hostile, st.just("us.anthropic.claude-sonnet-4-20250514-v1:0")), min_size=1, max_size=4),
    regions=st.lists(st.one_of(hostile, st.just("eu-west-1"), st.none()), min_size=1, max_size=4),
    rpms=st.lists(st.one_of(hostile, st.integers(min_value=-2, max_value=10**6)), max_size=4),
)
def test_hostile_models(names: list[Any], models: list[Any], regions: list[Any], rpms: list[Any]) -> None:
    entries = [{"name": n, "model": m, "region": r} for n, m, r in zip(names, models, regions, strict=False)]
    for entry, rpm in zip(entries, rpms, strict=False):
        entry["rpm"] = rpm
    check("litellm_models", {**defaults(), "litellm_models": entries})


@FUZZ
@given(
    which=st.sampled_from(checks.SETTINGS), value=st.dictionaries(hostile_text, setting, max_size=4), leak=st.booleans()
)
def test_hostile_settings(which: str, value: dict[str, Any], leak: bool) -> None:
    if leak:  # a secret pasted into a setting, as such or inside a longer text
        value = {**value, "pasted": f"Bearer {SECRETS['litellm_master_key']}"}
    v = {**defaults(), which: value}
    errors = checks.input_errors(v)
    if leak:
        assert any(f"{which}.pasted holds the value of litellm_master_key" in e for e in errors)
    check(which, v)


@FUZZ
@given(
    host=st.one_of(hostile, st.sampled_from(["redis.internal", "10.0.0.5", "fd00::5"])),
    port=st.one_of(hostile, st.integers(min_value=-1, max_value=70000)),
    password=st.one_of(st.just(""), hostile_text),
    cache=st.one_of(st.booleans(), hostile),
    ssl=st.booleans(),
    router=st.sampled_from([{}, {"redis_port": 6380, "routing_strategy": "usage-based-routing-v2"}]),
)
def test_hostile_redis_settings(
    host: Any, port: Any, password: str, cache: Any, ssl: bool, router: dict[str, Any]
) -> None:
    if password:
        password = f"{SECRET_MARK[0]}{password}{SECRET_MARK[1]}"
    v = {
        **defaults(),
        "litellm_redis_host": host,
        "litellm_redis_port": port,
        "litellm_redis_password": password,
        "litellm_cache": cache,
        "litellm_redis_ssl": ssl,
        "litellm_router_settings": router,
    }
    check("litellm_redis_*", v)


PEM_CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
SONNET = {"name": "claude-sonnet", "model": "us.anthropic.claude-sonnet-5-5"}
OPUS = {"name": "claude-opus", "model": "us.anthropic.claude-opus-5-5"}


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        ({"litellm_redis_host": "redis.internal", "litellm_cache": True}, ""),
        ({"litellm_cache": True}, "litellm_cache needs litellm_redis_host"),
        ({"litellm_redis_password": "fz-pass-zf9"}, "litellm_redis_password needs litellm_redis_host"),
        ({"litellm_redis_host": "redis:6379"}, "litellm_redis_host must be"),
        ({"litellm_redis_host": "r", "litellm_redis_port": 0}, "litellm_redis_port must be"),
        ({"litellm_num_retries": -1}, "litellm_num_retries must be a whole number of at least 0"),
        ({"litellm_cooldown_time": 0}, "litellm_cooldown_time must be a whole number of at least 1"),
        ({"litellm_retry_after": "1"}, "litellm_retry_after must be a whole number of at least 0"),
        ({"litellm_models": [{**SONNET, "fallbacks": ["claude-opus"]}, OPUS]}, ""),
        ({"litellm_models": [{**SONNET, "fallbacks": ["nope"]}, OPUS]}, "litellm_models[0].fallbacks names no other"),
        ({"litellm_models": [{**SONNET, "fallbacks": ["claude-sonnet"]}]}, "litellm_models[0].fallbacks names no"),
        ({"litellm_models": [{**SONNET, "fallbacks": "claude-opus"}, OPUS]}, "litellm_models[0].fallbacks must be"),
        ({"litellm_redis_username": "litellm"}, "litellm_redis_username needs litellm_redis_host"),
        (
            {"litellm_redis_host": "r", "litellm_redis_username": "litellm", "litellm_redis_password": "fz-pass-zf9"},
            "",
        ),
        ({"litellm_redis_host": "r", "litellm_redis_username": "lite llm"}, "litellm_redis_username must be"),
        ({"litellm_redis_host": "r", "litellm_redis_username": "litellm"}, "litellm_redis_username needs"),
        (
            {"litellm_redis_host": "r", "litellm_redis_ssl": True, "litellm_redis_ca_certificate": PEM_CA},
            "",
        ),
        (
            {"litellm_redis_host": "r", "litellm_redis_ca_certificate": PEM_CA},
            "litellm_redis_ca_certificate needs litellm_redis_ssl",
        ),
        (
            {"litellm_redis_host": "r", "litellm_redis_ssl": True, "litellm_redis_ca_certificate": "not a PEM"},
            "litellm_redis_ca_certificate must be",
        ),
        ({"litellm_stop_timeout": 10}, "litellm_stop_timeout must be a whole number of at least 11"),
    ],
)
def test_redis_and_stop_timeout_checks(change: dict[str, Any], refused: str) -> None:
    errors = checks.input_errors({**defaults(), **change})
    assert [e for e in errors if e.startswith(refused)] if refused else errors == [], errors
    assert "fz-pass" not in " ".join(errors)


@pytest.mark.parametrize("name", ["\U00010000", "claude-\U0001f600", "é\u2028x", 'a"b\\c'])
def test_any_alias_reads_back_exactly_from_config_yaml(name: str) -> None:
    # Found by the fuzz test: a character beyond U+FFFF, written as JSON's
    # surrogate pair, read back from YAML as two broken characters.
    check("litellm_models", {**defaults(), "litellm_models": [{"name": name, "model": "us.anthropic.claude-opus-5"}]})


def test_the_defaults_with_test_secrets_are_accepted() -> None:
    assert checks.input_errors(defaults()) == []
    assert_rendered_exactly(defaults())


def test_mask_hides_every_secret() -> None:
    v = defaults()
    text = "boot " + " ".join(SECRETS.values()) + " done"
    assert checks.mask(text, v) == "boot " + " ".join([checks.MASK] * len(SECRETS)) + " done"


def test_mask_hides_a_secret_as_a_json_log_line_quotes_it() -> None:
    hostile = 'sk-"quoted\\slash-é-\U0001f600-TEST-ONLY'
    v = {**defaults(), "litellm_master_key": hostile}
    for line in (json.dumps({"message": f"key {hostile}"}), json.dumps({"message": hostile}, ensure_ascii=False)):
        masked = checks.mask(line, v)
        assert "quoted" not in masked, masked
        assert checks.MASK in masked


def pytest_sessionfinish_report() -> None:
    """Writes reports/fuzz.{json,md}; called by the session hook in conftest.py."""
    if not TRIED or os.environ.get("LITELLM_FULL_RUN") != "1":
        return
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    total = sum(TRIED.values())
    (ROOT / "reports").mkdir(exist_ok=True)
    (ROOT / "reports" / "fuzz.json").write_text(
        json.dumps({"generated": stamp, "examples": TRIED, "total": total}, indent=2) + "\n"
    )
    lines = [
        f"Generated by the full test run on {stamp}: {total} generated inputs.",
        "",
        "| input | examples |",
        "|---|---|",
    ]
    lines += [f"| {name} | {count} |" for name, count in sorted(TRIED.items())]
    (ROOT / "reports" / "fuzz.md").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "::1", "127.0.0.1", "fe80::1", "192.0.2.10"])
def test_any_well_formed_address_passes_the_input_check(address: str) -> None:
    # Whether the host has it is checked on the host (preflight.yml).
    assert checks.input_errors({**defaults(), "litellm_bind_address": address}) == []


@pytest.mark.parametrize("address", ["999.999.999.999", "localhost", "0.0.0.0 ", "::1\n", "1.2.3"])
def test_a_malformed_address_is_refused(address: str) -> None:
    errors = checks.input_errors({**defaults(), "litellm_bind_address": address})
    assert any(e.startswith("litellm_bind_address must be an IPv4 or IPv6 address") for e in errors)


@pytest.mark.parametrize(
    ("image", "ok"),
    [
        ("ghcr.io/berriai/litellm:main-stable", True),
        ("registry.example:5000/litellm/litellm@sha256:" + "a" * 64, True),
        ("docker.io/library/Python:3.11", True),
        ("ghcr.io/berriai/litellm:*", False),  # a pattern in Docker's reference filter
        ("ghcr.io/berriai/[litellm]", False),
        ("litellm?", False),
        ("", False),
        ("-litellm", False),
        ("litellm\nlatest", False),
    ],
)
def test_the_image_must_be_a_plain_reference(image: str, ok: bool) -> None:
    errors = checks.input_errors({**defaults(), "litellm_image": image})
    assert any(e.startswith("litellm_image must be an image reference") for e in errors) is not ok


@pytest.mark.parametrize("directory", ["/", "/etc", "/etc/", "/etc/ssl", "/var/lib/docker", "/usr//", "etc/litellm"])
def test_a_system_or_relative_directory_is_refused(directory: str) -> None:
    errors = checks.input_errors({**defaults(), "litellm_config_dir": directory})
    assert any(e.startswith("litellm_config_dir must be") for e in errors)


@pytest.mark.parametrize(
    ("refused", "minimum", "ok"),
    [
        (["1.82.7", "1.82.8"], "1.83.7", True),
        ([], "", True),
        (["1.108.7rc1"], "1.108", True),
        (["1.82.8", "latest"], "1.83.7", False),
        ("1.82.8", "1.83.7", False),
        ([1.82], "1.83.7", False),
        (["1.82.8"], "1.83.7\n", False),
        (["1.82.8"], "main-stable", False),
        (["1.82.8"], None, False),
    ],
)
def test_the_version_limits_must_be_pep440_versions(refused: Any, minimum: Any, ok: bool) -> None:
    errors = checks.input_errors({**defaults(), "litellm_refused_versions": refused, "litellm_min_version": minimum})
    assert (errors == []) == ok, errors


@pytest.mark.parametrize(
    ("workers", "recycle", "ok"),
    [(0, 0, True), (0, 1000, True), (2, 1000, True), (1, 0, True), (1, 1000, False), (2, -1, False), (2, "x", False)],
)
def test_worker_recycling_needs_two_workers(workers: int, recycle: Any, ok: bool) -> None:
    errors = checks.input_errors(
        {**defaults(), "litellm_num_workers": workers, "litellm_max_requests_before_restart": recycle}
    )
    assert (errors == []) == ok, errors
    assert all(e.startswith("litellm_max_requests_before_restart") for e in errors)
