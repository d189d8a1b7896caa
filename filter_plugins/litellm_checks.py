"""The role's input checks, and the masking of secrets in text it shows.

Pure functions of the role's variables: they touch no host, so preflight runs
them in one task and the fuzz test (tests/unit) calls them in-process.

Every message names a variable (and, for a setting, its path), never the
value of a secret: preflight prints them as they are.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import json
import posixpath
import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote as url_quote
from urllib.parse import quote_plus, urlsplit

import yaml
from packaging.version import InvalidVersion, Version

# Variables whose values are secrets: checked, never shown.
SECRET_NAMES = (
    "litellm_master_key",
    "litellm_salt_key",
    "litellm_aws_access_key_id",
    "litellm_aws_secret_access_key",
    "litellm_aws_session_token",
    "litellm_aws_bearer_token",
    "litellm_redis_password",
)
AUTH_SECRETS = {
    "static": ("litellm_aws_access_key_id", "litellm_aws_secret_access_key"),
    "instance_profile": (),
    "bearer_token": ("litellm_aws_bearer_token",),
}
# Names the role sets in the container's environment itself.
MANAGED_ENV = frozenset(
    [
        "LITELLM_MASTER_KEY",
        "LITELLM_SALT_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_REGION_NAME",
        "LITELLM_MODE",
        "LITELLM_LOG",
        "LITELLM_LOCAL_MODEL_COST_MAP",
        "HTTPS_PROXY",
        "https_proxy",
        "NO_PROXY",
        "no_proxy",
        "SSL_CERT_FILE",
        "AWS_CA_BUNDLE",
        "REQUESTS_CA_BUNDLE",
        "REDIS_PASSWORD",
        "REDIS_SSL",
        "REDIS_USERNAME",
        "REDIS_SSL_CA_CERTS",
        "PROMETHEUS_MULTIPROC_DIR",
        "GRACEFUL_SHUTDOWN_TIMEOUT",
    ]
)
WEAK_MASTER_KEYS = frozenset({"sk-1234", "sk-12345", "sk-123456789", "sk-litellm-master-key", "sk-my-master-key"})
# Directories that must never become (or be purged as) litellm_config_dir.
SYSTEM_DIRS = frozenset(
    [
        "/",
        "/bin",
        "/boot",
        "/dev",
        "/etc",
        "/etc/ssl",
        "/etc/docker",
        "/home",
        "/lib",
        "/lib64",
        "/opt",
        "/proc",
        "/root",
        "/run",
        "/sbin",
        "/srv",
        "/sys",
        "/tmp",  # noqa: S108 - refused, not used
        "/usr",
        "/usr/local",
        "/var",
        "/var/lib",
        "/var/lib/docker",
        "/var/log",
        "/var/run",
    ]
)

PROFILE_ID = re.compile(r"(us|eu|apac|jp|au|global|us-gov)\.[a-z0-9-]+\.[A-Za-z0-9._:-]+")
REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}")
SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")
CONTAINER_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}")
# The characters of an image reference; Docker reads * ? [ ] \ in a reference
# filter as a pattern (preflight.yml looks the image up by one).
IMAGE_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@-]*")
SIZE = re.compile(r"[0-9]+[kmg]")
MEMORY = re.compile(r"([0-9]+[bkmg]?|auto)?")
DURATION = re.compile(r"[0-9]+(ms|s|m|h)")
# Redis ACL user names the role accepts (Redis allows more; these need no quoting).
REDIS_USER = re.compile(r"[A-Za-z0-9._-]{1,64}")
NO_PROXY_ITEM = re.compile(r"[A-Za-z0-9.*:/_\[\]-]+")
# The role's string variables (besides the secrets), which templates and
# modules use as strings: anything else is refused before it reaches them.
STRING_VARS = (
    "litellm_image",
    "litellm_min_version",
    "litellm_container_name",
    "litellm_bind_address",
    "litellm_config_dir",
    "litellm_log_max_size",
    "litellm_healthcheck_interval",
    "litellm_tls_certificate",
    "litellm_tls_key",
    "litellm_https_proxy",
    "litellm_no_proxy",
    "litellm_ca_bundle",
    "litellm_aws_role_name",
    "litellm_aws_session_name",
    "litellm_aws_external_id",
    "litellm_aws_region_name",
    "litellm_bedrock_runtime_endpoint",
    "litellm_redis_host",
    "litellm_redis_username",
    "litellm_redis_ca_certificate",
)
# Host names (RFC 1123) and IPv4 addresses; IPv6 is checked with ipaddress.
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*")
CHOICES = {
    "litellm_state": ("present", "absent"),
    "litellm_image_pull": ("always", "missing", "never"),
    "litellm_restart_policy": ("no", "on-failure", "always", "unless-stopped"),
    "litellm_mode": ("PRODUCTION", "DEV"),
    "litellm_log_level": ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
    "litellm_aws_auth": ("static", "instance_profile", "bearer_token"),
}
PEM_CERT = "-----BEGIN CERTIFICATE-----"
PEM_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
MASK = "********"
MIN_SECRET = 8
# The last words of a setting's key that name a credential ("redis_password",
# "api_key", "aws_secret_access_key"...): its value must be os.environ/NAME.
CREDENTIAL_WORDS = ("password", "passwd", "secret", "token", "apikey", "credential", "credentials")
CREDENTIAL_PAIRS = (("api", "key"), ("access", "key"), ("secret", "key"), ("private", "key"), ("auth", "key"))
ENV_REFERENCE = re.compile(r"os\.environ/[A-Za-z_][A-Za-z0-9_]*")


def unsafe_character(text: str) -> bool:
    """A control character (C0, DEL, C1), a line or paragraph separator, or a lone surrogate."""
    return any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in text)


def line_problem(text: str) -> str:
    """Why text cannot be one value of an environment file line ('' when it can).

    community.docker's env-file parser splits lines on \\r as well as \\n and
    strips white space around each line, so both would change the value."""
    if unsafe_character(text):
        return "holds a control character or a line break"
    if text != text.strip():
        return "has leading or trailing white space"
    return ""


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _strings(value: Any, path: str, forms: frozenset[str] = frozenset()) -> Iterator[tuple[str, str]]:
    """Every string inside a setting (keys and values), with its path; a key
    that holds a secret (one of forms) is <secret> in the path."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if _holds(str(key), forms):
                sub = f"{path}.<secret>"
            elif isinstance(key, str) and not unsafe_character(key):
                sub = f"{path}.{key}"
            else:
                sub = f"{path}.<key>"
            yield sub, str(key)
            yield from _strings(item, sub, forms)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]", forms)
    elif value is not None and not isinstance(value, (bool, int, float)):
        yield path, str(value)


def secret_values(variables: Mapping[str, Any]) -> dict[str, str]:
    """Secret variable name -> value, for the secrets that are set (TLS key and
    litellm_secret_env included)."""
    found = {name: variables.get(name) for name in (*SECRET_NAMES, "litellm_tls_key")}
    found["litellm_https_proxy"] = proxy_password(variables.get("litellm_https_proxy"))
    secret_env = variables.get("litellm_secret_env")
    if isinstance(secret_env, Mapping):
        found.update({f"litellm_secret_env.{name}": value for name, value in secret_env.items()})
    return {name: str(value) for name, value in found.items() if value is not None and str(value).strip()}


def proxy_password(proxy: Any) -> str | None:
    """The password of an http(s)://user:password@host proxy URL, a secret
    (None when there is none)."""
    if not isinstance(proxy, str):
        return None
    try:
        return urlsplit(proxy).password or None
    except ValueError:
        return None


@functools.lru_cache(maxsize=1024)
def forms_of(value: str) -> frozenset[str]:
    """Every form in which a secret can appear in a message or a log line: as
    it is, JSON-escaped (as JSON logs quote it), URL-encoded (in a URL, a form
    body, a query string) and base64-encoded (a Basic auth header)."""
    value = value.strip()
    if not value:
        return frozenset()
    raw = value.encode("utf-8", "surrogatepass")
    found = {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        url_quote(value, safe="", errors="surrogatepass"),
        url_quote(value, errors="surrogatepass"),
        quote_plus(value, errors="surrogatepass"),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
    }
    return frozenset(f for f in found if f)


def secret_forms(variables: Mapping[str, Any]) -> frozenset[str]:
    """The forms (forms_of) of every secret that is set."""
    return frozenset(f for value in secret_values(variables).values() for f in forms_of(value))


def _holds(text: str, forms: frozenset[str]) -> bool:
    return any(form in text for form in forms)


def _secret_in(text: str, secrets: Mapping[str, str]) -> list[str]:
    """The names of the secrets of which some form is in text."""
    return [name for name, value in secrets.items() if any(form in text for form in forms_of(value))]


def _check_secrets(v: Mapping[str, Any], errors: list[str]) -> None:
    required = ["litellm_master_key", "litellm_salt_key", *AUTH_SECRETS.get(v.get("litellm_aws_auth"), ())]
    for name in required:
        value = v.get(name)
        if value is None or str(value) == "":
            errors.append(f"{name} is undefined or empty. Set it in an Ansible Vault file (see the README)")
    for name in SECRET_NAMES:
        value = v.get(name)
        if name not in v or value == "":
            continue
        if not isinstance(value, str):
            errors.append(f"{name} must be a string (quote it in the vault)")
        elif problem := line_problem(str(value)):
            errors.append(f"{name} {problem}, which an environment file cannot carry: fix the vault value")
    key = v.get("litellm_master_key")
    if isinstance(key, str) and key and not unsafe_character(key):
        reasons = []
        if not key.startswith("sk-"):
            reasons.append('it does not start with "sk-"')
        if len(key) < 32:
            reasons.append("it is shorter than 32 characters")
        if key in WEAK_MASTER_KEYS:
            reasons.append("it is a published example key, which LiteLLM itself refuses to boot with")
        if reasons:
            errors.append(
                "litellm_master_key is refused: "
                + "; ".join(reasons)
                + '; generate one with: echo "sk-$(openssl rand -hex 32)"'
            )
    salt = v.get("litellm_salt_key")
    if isinstance(salt, str) and salt and not unsafe_character(salt):
        if len(salt) < 32:
            errors.append(
                'litellm_salt_key is refused: it is shorter than 32 characters; generate one with: echo "sk-$(openssl'
                " rand -hex 32)\" (it encrypts the keys in LiteLLM's database and cannot be changed later)"
            )
        if salt == key:
            errors.append("litellm_salt_key is refused: it is the master key; the two must differ")
    for name, value in secret_values(v).items():
        if len(value.strip()) < MIN_SECRET:
            errors.append(
                f"{name} is refused: a secret shorter than {MIN_SECRET} characters cannot be told apart from"
                " ordinary text, so it could not be masked in messages"
            )
    if v.get("litellm_aws_session_token") and v.get("litellm_aws_auth") != "static":
        errors.append("litellm_aws_session_token only goes with litellm_aws_auth static")


def _shown(value: Any, where: str, forms: frozenset[str]) -> str:
    """A malformed value as a message may show it: itself when it is a short,
    single-line string that holds no secret (and is part of none), else where it is."""
    if not isinstance(value, str) or line_problem(value) or len(value) > 100 or _holds(value, forms):
        return where
    if len(value) >= 8 and any(value in form for form in forms):
        return where
    return repr(value) if any(c in value for c in ",;") else value


def _check_models(v: Mapping[str, Any], errors: list[str]) -> None:
    models = v.get("litellm_models")
    if not isinstance(models, list) or not models:
        errors.append("litellm_models is refused: it must be a non-empty list of models (name, model, region)")
        return
    forms = secret_forms(v)
    aliases: list[str] = []
    bad_ids: list[str] = []
    bad_regions: list[str] = []
    for index, model in enumerate(models):
        where = f"litellm_models[{index}]"
        if not isinstance(model, Mapping):
            errors.append(f"{where} must be a mapping with name, model and optionally region")
            continue
        name = model.get("name")
        if not isinstance(name, str) or not name:
            errors.append(f"{where}.name (the alias clients send) is missing or empty")
        elif problem := line_problem(name):
            errors.append(f"{where}.name {problem}")
        else:
            aliases.append(name)
        profile = model.get("model")
        if not isinstance(profile, str) or not PROFILE_ID.fullmatch(profile):
            bad_ids.append(_shown(profile, f"{where}.model", forms))
        if "region" in model and model["region"] not in (None, ""):
            region = model["region"]
            if not isinstance(region, str) or not REGION.fullmatch(region):
                bad_regions.append(_shown(region, f"{where}.region", forms))
        for limit in ("rpm", "tpm"):
            value = model.get(limit, 1)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                errors.append(f"{where}.{limit} must be a whole number of at least 1")
    duplicates = sorted({a for a in aliases if aliases.count(a) > 1})
    if duplicates:
        errors.append("litellm_models is refused: duplicate aliases (name): " + ", ".join(duplicates))
    _check_fallbacks(models, set(aliases), errors)
    if bad_ids:
        errors.append(
            "litellm_models is refused: not Bedrock inference profile ids (model): "
            + ", ".join(bad_ids)
            + " (use an id with a us., eu., apac., jp., au., global. or us-gov. prefix and without"
            ' "bedrock/": bare anthropic.* ids are refused by Bedrock for on-demand use)'
        )
    region = v.get("litellm_aws_region_name")
    if not isinstance(region, str) or not REGION.fullmatch(region):
        bad_regions.insert(0, _shown(region, "litellm_aws_region_name", forms))
    if bad_regions:
        errors.append(
            "Malformed AWS region name(s) in litellm_aws_region_name or a model's region: "
            + ", ".join(bad_regions)
            + " (expected a name such as us-east-1)"
        )


def _check_fallbacks(models: list[Any], aliases: set[str], errors: list[str]) -> None:
    """Each model's fallbacks: other aliases of litellm_models, by name."""
    for index, model in enumerate(models):
        if not isinstance(model, Mapping) or model.get("fallbacks") in (None, []):
            continue
        fallbacks = model["fallbacks"]
        where = f"litellm_models[{index}].fallbacks"
        if not isinstance(fallbacks, list) or not all(isinstance(name, str) for name in fallbacks):
            errors.append(f"{where} must be a list of aliases (names of other models in litellm_models)")
            continue
        unknown = [name for name in fallbacks if name not in aliases or name == model.get("name")]
        if unknown:
            errors.append(f"{where} names no other model of litellm_models: {', '.join(map(repr, unknown))[:200]}")


def _check_router(v: Mapping[str, Any], errors: list[str]) -> None:
    for name, least in (("litellm_num_retries", 0), ("litellm_retry_after", 0), ("litellm_cooldown_time", 1)):
        value = v.get(name, least)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            errors.append(f"{name} must be a whole number of at least {least}")


def _check_env(v: Mapping[str, Any], errors: list[str]) -> None:
    names: list[str] = []
    for var in ("litellm_env", "litellm_secret_env"):
        env = v.get(var)
        if not isinstance(env, Mapping):
            errors.append(f"{var} must be a mapping of variable names to values")
            continue
        secret = var == "litellm_secret_env"
        for name, value in env.items():
            if not isinstance(name, str) or not ENV_NAME.fullmatch(name):
                errors.append(f"{var} has a name that is not an environment variable name (letters, digits, _)")
                continue
            names.append(name)
            if value is None or isinstance(value, (Mapping, list, tuple)):
                errors.append(f"{var}.{name} must be a string, a number or a boolean")
            elif problem := line_problem(str(value)):
                errors.append(f"{var}.{name} {problem}" + (" (value not shown: it is a secret)" if secret else ""))
    shadowed = sorted(set(names) & MANAGED_ENV)
    if shadowed:
        errors.append(
            "litellm_env / litellm_secret_env are refused: they set "
            + ", ".join(shadowed)
            + ", which the role sets itself from its own variables (litellm_master_key, litellm_aws_*,"
            " litellm_mode, litellm_https_proxy...)"
        )
    both = sorted({n for n in names if names.count(n) > 1} - set(shadowed))
    if both:
        errors.append("litellm_env and litellm_secret_env both set " + ", ".join(both))


def _check_network(v: Mapping[str, Any], errors: list[str]) -> None:
    port = _int(v.get("litellm_port"))
    if port is None or not 1 <= port <= 65535:
        errors.append("litellm_port must be a number within 1-65535")
    address = v.get("litellm_bind_address")
    if not _ip(str(address)):
        errors.append("litellm_bind_address must be an IPv4 or IPv6 address (0.0.0.0 or :: for every interface)")
    endpoint = v.get("litellm_bedrock_runtime_endpoint")
    if endpoint not in (None, "") and not _url(endpoint):
        errors.append(
            "litellm_bedrock_runtime_endpoint must be empty or an http(s) URL,"
            " e.g. https://vpce-0123-abcd.bedrock-runtime.us-east-1.vpce.amazonaws.com"
        )
    proxy = v.get("litellm_https_proxy")
    if proxy not in (None, "") and not _url(proxy):
        errors.append("litellm_https_proxy must be empty or an http(s) URL such as http://proxy.example:3128")
    no_proxy = v.get("litellm_no_proxy")
    if not isinstance(no_proxy, str) or not all(NO_PROXY_ITEM.fullmatch(i.strip()) for i in no_proxy.split(",")):
        errors.append("litellm_no_proxy must be a comma-separated list of host names, addresses and networks")


def _check_redis(v: Mapping[str, Any], errors: list[str]) -> None:
    host = v.get("litellm_redis_host") or ""
    if not isinstance(host, str) or (host and not (HOST_NAME.fullmatch(host) or _ip(host))):
        errors.append("litellm_redis_host must be empty (no Redis) or a host name or address, without a port")
    port = _int(v.get("litellm_redis_port", 6379))
    if port is None or not 1 <= port <= 65535:
        errors.append("litellm_redis_port must be a number within 1-65535")
    for name in ("litellm_redis_ssl", "litellm_cache"):
        if not isinstance(v.get(name, False), bool):
            errors.append(f"{name} must be true or false")
    ttl = _int(v.get("litellm_cache_ttl", 600))
    if ttl is None or ttl < 1:
        errors.append("litellm_cache_ttl must be a whole number of seconds, at least 1")
    if not host:
        for name in ("litellm_cache", "litellm_redis_password", "litellm_redis_username"):
            if v.get(name):
                errors.append(f"{name} needs litellm_redis_host (the response cache and the sign-in are Redis')")
    username = v.get("litellm_redis_username") or ""
    if not isinstance(username, str) or (username and not REDIS_USER.fullmatch(username)):
        errors.append("litellm_redis_username must be empty (Redis's default user) or 1-64 letters, digits and ._-")
    elif username and not v.get("litellm_redis_password"):
        errors.append("litellm_redis_username needs litellm_redis_password (an ACL user signs in with both)")
    ca = v.get("litellm_redis_ca_certificate") or ""
    if not isinstance(ca, str) or (ca and PEM_CERT not in ca):
        errors.append("litellm_redis_ca_certificate must be empty or PEM certificates")
    elif ca and v.get("litellm_redis_ssl") is not True:
        errors.append("litellm_redis_ca_certificate needs litellm_redis_ssl: true (it checks Redis's TLS certificate)")


def _ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _url(value: Any) -> bool:
    if not isinstance(value, str) or line_problem(value) or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _check_container(v: Mapping[str, Any], errors: list[str]) -> None:
    for name, minimum in (
        ("litellm_num_workers", 0),
        ("litellm_startup_timeout", 1),
        ("litellm_canary_timeout", 1),
        ("litellm_rollback_timeout", 1),
        ("litellm_log_max_file", 1),
        ("litellm_healthcheck_retries", 1),
        ("litellm_max_requests_before_restart", 0),
        # LiteLLM gets 10 s less to finish its requests (GRACEFUL_SHUTDOWN_TIMEOUT).
        ("litellm_stop_timeout", 11),
    ):
        number = _int(v.get(name))
        if number is None or number < minimum:
            errors.append(f"{name} must be a whole number of at least {minimum}")
    if (_int(v.get("litellm_max_requests_before_restart")) or 0) > 0 and _int(v.get("litellm_num_workers")) == 1:
        errors.append(
            "litellm_max_requests_before_restart needs 2 or more workers (litellm_num_workers 1 given): "
            "with a single worker the whole proxy stops serving when it recycles"
        )
    directory = v.get("litellm_config_dir")
    if (
        not isinstance(directory, str)
        or line_problem(directory)
        or not directory.startswith("/")
        or resolved(directory) != directory.rstrip("/")
        or system_dir(directory)
    ):
        errors.append(
            "litellm_config_dir must be an absolute, normalised path of its own (not / or a system directory)"
        )
    image = v.get("litellm_image")
    if not isinstance(image, str) or not IMAGE_REFERENCE.fullmatch(image):
        errors.append("litellm_image must be an image reference (name:tag or name@sha256:digest)")
    if not isinstance(v.get("litellm_container_name"), str) or not CONTAINER_NAME.fullmatch(
        v["litellm_container_name"]
    ):
        errors.append("litellm_container_name must be a Docker container name (letters, digits, _ . -)")
    for name, pattern, example in (
        ("litellm_log_max_size", SIZE, "10m"),
        ("litellm_memory_limit", MEMORY, "2g, auto, or empty for none"),
        ("litellm_healthcheck_interval", DURATION, "30s"),
    ):
        if not pattern.fullmatch(str(v.get(name, ""))):
            errors.append(f"{name} must be a value such as {example}")
    options = v.get("litellm_security_opts")
    if not isinstance(options, list) or any(not isinstance(o, str) or line_problem(o) or not o for o in options):
        errors.append("litellm_security_opts must be a list of Docker security options (single-line strings)")


def _pep440(value: Any) -> bool:
    try:
        Version(value)
    except (InvalidVersion, TypeError):
        return False
    return isinstance(value, str) and not line_problem(value)


def _check_versions(v: Mapping[str, Any], errors: list[str]) -> None:
    refused = v.get("litellm_refused_versions")
    if not isinstance(refused, list) or not all(_pep440(r) for r in refused):
        errors.append("litellm_refused_versions must be a list of LiteLLM versions such as 1.82.8")
    minimum = v.get("litellm_min_version")
    if minimum != "" and not _pep440(minimum):
        errors.append("litellm_min_version must be a LiteLLM version such as 1.83.7 (PEP 440), or empty for none")


def _check_aws(v: Mapping[str, Any], errors: list[str]) -> None:
    role = v.get("litellm_aws_role_name") or ""
    if role:
        if not isinstance(role, str) or not ROLE_ARN.fullmatch(role):
            errors.append("litellm_aws_role_name must be an IAM role ARN (arn:aws:iam::123456789012:role/name)")
        if v.get("litellm_aws_auth") == "bearer_token":
            errors.append(
                "litellm_aws_role_name works with litellm_aws_auth static or instance_profile, not bearer_token"
            )
        if not SESSION_NAME.fullmatch(str(v.get("litellm_aws_session_name", ""))):
            errors.append("litellm_aws_session_name must be 2-64 characters of letters, digits and +=,.@_-")
        external = v.get("litellm_aws_external_id") or ""
        if external and not EXTERNAL_ID.fullmatch(str(external)):
            errors.append("litellm_aws_external_id must be 2-1224 characters of letters, digits and +=,.@:/_-")


def _check_tls(v: Mapping[str, Any], errors: list[str]) -> None:
    certificate = v.get("litellm_tls_certificate") or ""
    key = v.get("litellm_tls_key") or ""
    if not isinstance(certificate, str) or not isinstance(key, str):
        errors.append("litellm_tls_certificate and litellm_tls_key must be PEM text")
        return
    if (certificate or key) and not (PEM_CERT in certificate and PEM_KEY.search(key)):
        errors.append(
            "TLS needs both litellm_tls_certificate (PEM certificate text) and litellm_tls_key"
            " (PEM private key text, from Vault), or neither"
        )
    bundle = v.get("litellm_ca_bundle") or ""
    if not isinstance(bundle, str) or (bundle and PEM_CERT not in bundle):
        errors.append("litellm_ca_bundle must be empty or PEM certificates")


SETTINGS = ("litellm_settings", "litellm_router_settings", "litellm_general_settings")


def _check_settings(v: Mapping[str, Any], errors: list[str]) -> None:
    """Settings are compared value by value with every secret before anything
    is rendered: a secret belongs in the environment (os.environ/NAME)."""
    secrets = secret_values(v)
    for name in SETTINGS:
        value = v.get(name)
        if not isinstance(value, Mapping):
            errors.append(f"{name} must be a mapping")
            continue
        if name == "litellm_general_settings" and "master_key" in value:
            errors.append(
                "litellm_general_settings may not set master_key: the role sets it to"
                " os.environ/LITELLM_MASTER_KEY from litellm_master_key (Vault)"
            )
        for path, text in _strings(value, name, secret_forms(v)):
            for secret in _secret_in(text, secrets):
                errors.append(
                    f"{path} holds the value of {secret}: refer to it as os.environ/NAME instead"
                    " (secrets reach LiteLLM through the environment file, never config.yaml)"
                )
        for path, key, item in _items(value, name, secret_forms(v)):
            if isinstance(item, str) and not ENV_REFERENCE.fullmatch(item):
                if _credential(key):
                    errors.append(
                        f"{path} names a credential: set it to os.environ/NAME and the value in litellm_secret_env"
                        " (secrets reach LiteLLM through the environment file, never config.yaml)"
                    )
                elif _url_password(item):
                    errors.append(
                        f"{path} is a URL with a password: set it to os.environ/NAME and the URL in litellm_secret_env"
                    )
    for path, text in _config_strings(v):
        for secret in _secret_in(text, secrets):
            errors.append(f"{path} holds the value of {secret}, which would land in config.yaml")


def _items(value: Any, path: str, forms: frozenset[str]) -> Iterator[tuple[str, str, Any]]:
    """Every (path, key, value) of the mappings inside a setting."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            sub = f"{path}.<secret>" if _holds(str(key), forms) else f"{path}.{key}"
            if not isinstance(key, str) or unsafe_character(key):
                sub = f"{path}.<key>"
            yield sub, str(key), item
            yield from _items(item, sub, forms)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _items(item, f"{path}[{index}]", forms)


def _credential(key: str) -> bool:
    words = [w for w in re.split(r"[^a-z0-9]+", key.lower()) if w]
    return bool(words) and (words[-1] in CREDENTIAL_WORDS or tuple(words[-2:]) in CREDENTIAL_PAIRS)


def _url_password(text: str) -> bool:
    if "://" not in text or "@" not in text:
        return False
    try:
        return bool(urlsplit(text.strip()).password)
    except ValueError:
        return False


def _config_strings(v: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """The strings besides the settings that config.yaml carries."""
    models = v.get("litellm_models")
    if isinstance(models, list):
        for index, model in enumerate(models):
            if isinstance(model, Mapping):
                yield from _strings({k: model.get(k) for k in ("name", "model", "region")}, f"litellm_models[{index}]")
    for name in (
        "litellm_aws_region_name",
        "litellm_aws_role_name",
        "litellm_aws_session_name",
        "litellm_aws_external_id",
        "litellm_bedrock_runtime_endpoint",
        "litellm_redis_host",  # router_settings.redis_host and the cache's host
    ):
        if v.get(name):
            yield name, str(v[name])


def _check_types(v: Mapping[str, Any], errors: list[str]) -> None:
    for name in STRING_VARS:
        if name in v and not isinstance(v[name], str):
            errors.append(f"{name} must be a string")
    for name, choices in CHOICES.items():
        if name in v and v[name] not in choices:
            errors.append(f"{name} must be one of: {', '.join(choices)}")


def input_errors(variables: Mapping[str, Any]) -> list[str]:
    """Everything wrong with the role's input, one message per problem; [] when
    it may be rendered. Never raises: a value of the wrong type is a message."""
    errors: list[str] = []
    for check in (
        _check_types,
        _check_secrets,
        _check_models,
        _check_env,
        _check_network,
        _check_redis,
        _check_router,
        _check_container,
        _check_versions,
        _check_aws,
        _check_tls,
        _check_settings,
    ):
        try:
            check(variables, errors)
        except Exception as exc:  # a malformed value must become a message, not a traceback
            errors.append(f"the input could not be checked ({check.__name__[7:]}: {type(exc).__name__})")
    # Whatever a check put in a message, no form of a secret leaves it.
    try:
        return [mask(error, variables) for error in errors]
    except Exception:  # secrets that cannot be encoded: say only how many problems there are
        return [f"{len(errors)} problem(s) found; the messages are withheld as they could not be masked"]


def config_secret_paths(document: Any, variables: Mapping[str, Any]) -> list[str]:
    """Paths of the strings in a parsed config.yaml that hold a secret's value."""
    secrets, forms = secret_values(variables), secret_forms(variables)
    return [
        f"{path} ({name})" for path, text in _strings(document, "config", forms) for name in _secret_in(text, secrets)
    ]


def config_problems(text: str, variables: Mapping[str, Any]) -> list[str]:
    """What is wrong with a rendered config.yaml: the last look at what
    LiteLLM will read, after the input checks should have made all of it
    right. Entries are named by position, never by value."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return ["it is not valid YAML"]
    if not isinstance(document, Mapping):
        return ["it is not a mapping"]
    entries = document.get("model_list") or []
    if not isinstance(entries, list) or not entries:
        return ["model_list is empty"]
    problems: list[str] = []
    aliases: list[Any] = []
    for index, entry in enumerate(entries):
        where = f"model_list[{index}]"
        params = entry.get("litellm_params") if isinstance(entry, Mapping) else None
        if not isinstance(params, Mapping):
            problems.append(f"{where} has no litellm_params")
            continue
        aliases.append(entry.get("model_name"))
        model = params.get("model")
        if not (isinstance(model, str) and model.startswith("bedrock/") and PROFILE_ID.fullmatch(model[8:])):
            problems.append(f"{where}: model is not bedrock/<inference profile id>")
        region = params.get("aws_region_name")
        if not (isinstance(region, str) and REGION.fullmatch(region)):
            problems.append(f"{where}: aws_region_name is missing or not an AWS region")
    if len({json.dumps(alias, default=str) for alias in aliases}) != len(aliases):
        problems.append("model_name aliases repeat")
    problems += [f"{path} holds a secret" for path in config_secret_paths(document, variables)]
    return [mask(problem, variables) for problem in problems]


def resolved(path: str) -> str:
    """path as the kernel reads it, without following symlinks: repeated
    slashes are one (POSIX normpath keeps two leading ones), . and .. resolved."""
    return posixpath.normpath("/" + path.lstrip("/")) if path.startswith("/") else posixpath.normpath(path)


def system_dir(path: Any) -> bool:
    """Whether path is (or resolves to) a system directory that the role must never manage."""
    return not isinstance(path, str) or resolved(path or "/") in SYSTEM_DIRS


# The label every container the role creates carries (since the role first
# labelled its containers): a container of one of its names without it is
# someone else's.
OWN_LABEL = "litellm_bedrock.version"


def host_problems(state: Mapping[str, Any], config_dir: str, names: list[str], adopt: bool, marker: str) -> list[str]:
    """What the host look found that the role must not touch, one message each:
    a configuration directory that resolves to a system directory, or that the
    role did not make (no marker file) and is not empty; a container of one of the
    role's names that the role did not create (litellm_adopt_container takes
    over the first name, a proxy started by hand)."""
    problems = []
    directory = state.get("directory") or {}
    real = directory.get("realpath")
    if directory.get("exists") and real and system_dir(real):
        problems.append(
            f"litellm_config_dir ({config_dir}) resolves to {real}, a system directory (a symlink on the way):"
            " the role writes and removes files there, so it must be a directory of its own."
        )
    elif directory.get("isdir") and directory.get("entries", 0) > 0 and marker not in (state.get("files") or {}):
        problems.append(
            f"litellm_config_dir ({config_dir}) exists and is not empty, but the role did not make it (it has no"
            f" {marker}): the role takes over only an empty directory or its own. Choose another"
            " litellm_config_dir, or, if these are the role's own files from a version before the marker, add it:"
            f" touch {config_dir}/{marker}"
        )
    own = {}
    for container in (state.get("docker") or {}).get("containers") or []:
        for name in container.get("Names") or []:
            own[name.lstrip("/")] = OWN_LABEL in (container.get("Labels") or {})
    for index, name in enumerate(names):
        if own.get(name) is False and not (adopt and index == 0):
            hand_over = f"remove it (docker rm -f {name})" + (
                ", or set litellm_adopt_container: true to take over a proxy you started by hand" if index == 0 else ""
            )
            problems.append(
                f"A container named {name} exists that the role did not create (it has no {OWN_LABEL} label):"
                f" the role never stops, renames or removes it. To hand it over, {hand_over}."
            )
    return problems


def to_yaml(value: Any) -> str:
    """Block-style YAML that reads back as exactly value: unlike to_nice_yaml
    (allow_unicode), non-ASCII characters are escaped, so that U+0085, U+2028
    and U+2029 inside a string are not read back as line breaks."""
    from ansible.parsing.yaml.dumper import AnsibleDumper

    return yaml.dump(
        value, Dumper=AnsibleDumper, allow_unicode=False, default_flow_style=False, indent=2, sort_keys=True, width=100
    )


_SURROGATE_PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")


def quote(value: Any) -> str:
    """value as a YAML double-quoted scalar of ASCII characters. JSON's escapes
    are YAML's, but for a character beyond U+FFFF, which JSON writes as a
    surrogate pair and YAML reads back as two broken characters: that one is
    written as YAML's \\UXXXXXXXX."""

    def join(pair: re.Match[str]) -> str:
        high, low = int(pair[1], 16) - 0xD800, int(pair[2], 16) - 0xDC00
        return f"\\U{0x10000 + (high << 10) + low:08x}"

    return _SURROGATE_PAIR.sub(join, json.dumps(str(value)))


def mask(text: Any, variables: Mapping[str, Any], limit: int = 0) -> str:
    """text with every form of every secret replaced (longest first), for the
    messages and log lines the role shows. With a limit, the text is masked
    first and cut to that many characters after, so that no cut can leave a
    piece of a secret that no longer matches it."""
    result = str(text)
    for form in sorted(secret_forms(variables), key=len, reverse=True):
        result = result.replace(form, MASK)
    if limit and len(result) > limit:
        result = result[: max(limit - 3, 0)] + "..."
    return result


def from_json(value: Any) -> Any:
    """JSON text as data, and data as it is: ansible-core before 2.19 turns a
    templated string that looks like JSON into a dict or list before a filter
    sees it (from_json then fails on it); 2.19 keeps the string."""
    if isinstance(value, (Mapping, list)):
        return value
    return json.loads(value) if isinstance(value, str) and value.strip() else {}


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "litellm_input_errors": input_errors,
            "litellm_config_problems": config_problems,
            "litellm_mask": mask,
            "litellm_to_yaml": to_yaml,
            "litellm_quote": quote,
            "litellm_system_dir": system_dir,
            "litellm_host_problems": host_problems,
            "litellm_from_json": from_json,
        }
