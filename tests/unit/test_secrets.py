"""No message carries a secret, in any form, and secrets mean what they say.

Every secret is pasted, whole and inside a longer value, into every string
variable, every model field and every settings key (nested too); the input
checks' messages must hold no form of any secret: as it is, JSON-escaped,
URL-encoded or base64-encoded (computed here, not by the code under test)."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz_inputs import FUZZ, SECRETS, STRING_VARIABLES, check, checks, defaults

PROXY_PASSWORD = "fzproxy-TEST-ONLY-pass"  # noqa: S105
WITH_PROXY = {"litellm_https_proxy": f"http://user:{PROXY_PASSWORD}@proxy.example:3128"}
ALL_SECRETS = {**SECRETS, "litellm_https_proxy": PROXY_PASSWORD}


def forms(secret: str) -> set[str]:
    raw = secret.encode()
    return {
        secret,
        json.dumps(secret)[1:-1],
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
    }


def shown(text: str) -> list[str]:
    """The names of the secrets of which some form appears in text."""
    return sorted(name for name, value in ALL_SECRETS.items() if any(f in text for f in forms(value)))


def errors_of(change: dict[str, Any]) -> str:
    return "\n".join(checks.input_errors({**defaults(), **WITH_PROXY, **change}))


PASTES = [
    pytest.param(lambda s: s, id="whole"),
    pytest.param(lambda s: f"x-{s}-y", id="embedded"),
    pytest.param(lambda s: quote(s, safe=""), id="url-encoded"),
    pytest.param(lambda s: base64.b64encode(s.encode()).decode(), id="base64"),
]
TARGETS = sorted(set(STRING_VARIABLES) - set(checks.SECRET_NAMES) - set(checks.CHOICES))


@pytest.mark.parametrize("paste", PASTES)
@pytest.mark.parametrize("secret", sorted(ALL_SECRETS))
@pytest.mark.parametrize("name", TARGETS)
def test_a_secret_pasted_into_any_string_variable_never_shows(name: str, secret: str, paste: Any) -> None:
    assert shown(errors_of({name: paste(ALL_SECRETS[secret])})) == []


@pytest.mark.parametrize("paste", PASTES)
@pytest.mark.parametrize("secret", sorted(ALL_SECRETS))
@pytest.mark.parametrize("field", ["name", "model", "region"])
def test_a_secret_pasted_into_a_model_never_shows(field: str, secret: str, paste: Any) -> None:
    model = {"name": "claude", "model": "us.anthropic.claude-sonnet-4-20250514-v1:0", "region": "us-east-1"}
    text = errors_of({"litellm_models": [{**model, field: paste(ALL_SECRETS[secret])}]})
    assert text, "refused"
    assert shown(text) == []


@pytest.mark.parametrize("paste", PASTES)
@pytest.mark.parametrize("secret", sorted(ALL_SECRETS))
@pytest.mark.parametrize("which", checks.SETTINGS)
def test_a_secret_used_as_a_settings_key_is_shown_as_secret(which: str, secret: str, paste: Any) -> None:
    key = paste(ALL_SECRETS[secret])
    text = errors_of({which: {"model_group_alias": {key: "claude"}, key: {"nested": key}}})
    assert shown(text) == []
    if paste.__name__ == "<lambda>" and key == ALL_SECRETS[secret]:
        assert f"{which}.model_group_alias.<secret>" in text or f"{which}.<secret>" in text


def test_a_malformed_region_or_model_that_is_no_secret_is_shown() -> None:
    text = errors_of({"litellm_aws_region_name": "us-east-one"})
    assert "Malformed AWS region name(s) in litellm_aws_region_name or a model's region: us-east-one" in text
    model = {"name": "claude", "model": "anthropic.claude-v2"}
    assert "(model): anthropic.claude-v2 (use an id" in errors_of({"litellm_models": [model]})
    # The same place holding a secret names the variable instead.
    text = errors_of({"litellm_aws_region_name": SECRETS["litellm_master_key"]})
    assert "region: litellm_aws_region_name (expected" in text


@FUZZ
@given(
    secret=st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp"]), min_size=8, max_size=40)
    .map(str.strip)
    .filter(lambda s: len(s) >= 8),
    target=st.sampled_from([*TARGETS, "model", "region", "key"]),
    wrap=st.sampled_from(["{}", "a-{}-b", "{} {}"]),
)
def test_any_master_key_pasted_anywhere_never_shows(secret: str, target: str, wrap: str) -> None:
    key = f"sk-{secret}-TEST-ONLY-0123456789abcdef"
    v = {**defaults(), "litellm_master_key": key}
    pasted = wrap.format(key, key)
    if target in ("model", "region"):
        base = {"name": "claude", "model": "us.anthropic.claude-sonnet-4-20250514-v1:0"}
        v["litellm_models"] = [{**base, target: pasted}]
    elif target == "key":
        v["litellm_router_settings"] = {"model_group_alias": {pasted: "claude"}}
    else:
        v[target] = pasted
    check(f"pasted master key ({target})", v)
    text = "\n".join(checks.input_errors(v))
    assert not any(f in text for f in forms(key)), "a form of the master key shows"


# --- what a secret must be --------------------------------------------------------


@pytest.mark.parametrize(
    ("salt", "refused"),
    [
        ("sk-short-TEST-ONLY", "litellm_salt_key is refused: it is shorter than 32 characters"),
        (SECRETS["litellm_master_key"], "litellm_salt_key is refused: it is the master key"),
    ],
)
def test_the_salt_key_is_long_and_not_the_master_key(salt: str, refused: str) -> None:
    assert refused in errors_of({"litellm_salt_key": salt})


@pytest.mark.parametrize("name", ["litellm_aws_access_key_id", "litellm_aws_secret_access_key", "litellm_https_proxy"])
def test_a_secret_shorter_than_8_characters_is_refused(name: str) -> None:
    # (A secret such as "short" would be masked inside "shorter": why they are refused.)
    value = "http://u:x7Qz@proxy.example:3128" if name == "litellm_https_proxy" else "x7Qz9"
    text = errors_of({name: value})
    assert f"{name} is refused: a secret shorter than 8 characters" in text


def test_the_proxy_password_is_a_secret_masked_everywhere() -> None:
    v = {**defaults(), **WITH_PROXY}
    assert PROXY_PASSWORD in checks.secret_values(v).values()
    line = f"CONNECT failed: http://user:{quote(PROXY_PASSWORD)}@proxy.example:3128 {PROXY_PASSWORD}"
    assert shown(checks.mask(line, v)) == []
    pasted = checks.input_errors({**v, "litellm_settings": {"note": PROXY_PASSWORD}})
    assert "litellm_settings.note holds the value of litellm_https_proxy" in "\n".join(pasted)


@pytest.mark.parametrize(
    ("settings", "refused"),
    [
        ({"redis_password": "hunter2-TEST"}, "litellm_router_settings.redis_password names a credential"),
        ({"alerting": {"api_key": "abc"}}, "litellm_router_settings.alerting.api_key names a credential"),
        ({"aws_secret_access_key": "x"}, "litellm_router_settings.aws_secret_access_key names a credential"),
        ({"database_url": "postgres://u:pw-TEST@db/litellm"}, "database_url is a URL with a password"),
        ({"redis_password": "os.environ/REDIS_PASSWORD_2"}, ""),
        ({"max_tokens": 100, "token_rate_limit": "x", "database_url": "postgres://db/litellm"}, ""),
    ],
)
def test_a_credential_in_a_setting_must_be_an_environment_reference(settings: dict[str, Any], refused: str) -> None:
    text = errors_of({"litellm_router_settings": settings})
    if refused:
        assert refused in text and "os.environ/NAME" in text
    else:
        assert "credential" not in text and "with a password" not in text


def test_mask_covers_every_form_and_masks_before_it_cuts() -> None:
    v = defaults()
    key = SECRETS["litellm_aws_secret_access_key"]  # holds / and +, which URL encoding changes
    for form in forms(key):
        assert shown(checks.mask(f"log: {form} end", v)) == [], form
    # A cut through the middle of the secret must not leave its first half.
    cut = checks.mask("x" * 10 + key + "y" * 50, v, 30)
    assert key[:12] not in cut and len(cut) <= 30


def test_a_secret_that_is_a_valid_host_name_is_refused_as_the_redis_host() -> None:
    # A master key of letters, digits and hyphens is a valid host name: the
    # fuzz test found it written into config.yaml as litellm_redis_host.
    key = "sk-00000000-TEST-ONLY-0123456789abcdef"
    v = {**defaults(), "litellm_master_key": key, "litellm_redis_host": f"a-{key}-b"}
    text = "\n".join(checks.input_errors(v))
    assert "litellm_redis_host holds the value of litellm_master_key, which would land in config.yaml" in text
    assert not any(f in text for f in forms(key))
