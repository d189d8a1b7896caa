"""The role touches only what it made: litellm_config_dir as the kernel resolves
it, a directory with its marker (or an empty one), containers with its label."""

from __future__ import annotations

import pytest
from test_fuzz_inputs import checks, defaults

MARKER = ".managed-by-litellm-role"
NAMES = ["litellm", "litellm-canary", "litellm-previous", "litellm-redis-check"]


@pytest.mark.parametrize(
    "directory", ["//etc", "///etc", "/etc/./", "/etc/../etc", "//etc/ssl", "/var//lib/docker", "/./", "//"]
)
def test_a_system_directory_in_any_spelling_is_refused(directory: str) -> None:
    assert checks.system_dir(directory) or checks.resolved(directory) != directory.rstrip("/")
    errors = checks.input_errors({**defaults(), "litellm_config_dir": directory})
    assert any(e.startswith("litellm_config_dir must be") for e in errors), directory


@pytest.mark.parametrize("directory", ["/etc/litellm", "/srv/litellm", "/opt/litellm/conf"])
def test_a_directory_of_its_own_is_accepted(directory: str) -> None:
    assert checks.input_errors({**defaults(), "litellm_config_dir": directory}) == []


def look(directory: dict, files: tuple[str, ...] = (), containers: tuple[dict, ...] = ()) -> dict:
    return {"directory": directory, "files": {key: {} for key in files}, "docker": {"containers": list(containers)}}


def problems(state: dict, adopt: bool = False) -> list[str]:
    return checks.host_problems(state, "/etc/litellm", NAMES, adopt, MARKER)


def test_a_missing_an_empty_and_the_roles_own_directory_are_taken() -> None:
    assert problems(look({"exists": False, "isdir": False})) == []
    assert problems(look({"exists": True, "isdir": True, "realpath": "/etc/litellm", "entries": 0})) == []
    own = {"exists": True, "isdir": True, "realpath": "/etc/litellm", "entries": 3}
    assert problems(look(own, (MARKER, "config.yaml", "litellm.env"))) == []


def test_a_foreign_directory_with_files_is_refused_naming_it() -> None:
    foreign = {"exists": True, "isdir": True, "realpath": "/etc/litellm", "entries": 1}
    (message,) = problems(look(foreign, ("data",)))
    assert message.startswith("litellm_config_dir (/etc/litellm) exists and is not empty, but the role did not make it")
    # A subdirectory alone counts too (entries, not only files).
    assert problems(look({**foreign, "entries": 1}))


def test_a_symlink_to_a_system_directory_is_refused() -> None:
    (message,) = problems(look({"exists": True, "isdir": True, "realpath": "/etc", "entries": 40}, (MARKER,)))
    assert "resolves to /etc, a system directory" in message
    assert problems(look({"exists": True, "isdir": False, "realpath": "/var/lib/docker"}))


def container(name: str, labels: dict | None) -> dict:
    return {"Names": [f"/{name}"], "Labels": labels}


@pytest.mark.parametrize("name", NAMES)
def test_a_container_of_the_roles_names_without_its_label_is_never_taken(name: str) -> None:
    (message,) = problems(look({"exists": False}, containers=(container(name, {"com.example": "x"}),)))
    assert message.startswith(f"A container named {name} exists that the role did not create")
    assert f"docker rm -f {name}" in message
    assert ("litellm_adopt_container" in message) is (name == "litellm")


def test_the_roles_own_containers_and_other_names_are_fine_and_adopt_takes_over_the_proxy() -> None:
    own = [container(n, {"litellm_bedrock.version": "1.108.7"}) for n in NAMES]
    others = [container("litellm-ui", None), container("postgres", None)]
    assert problems(look({"exists": False}, containers=(*own, *others))) == []
    hand = container("litellm", None)
    assert problems(look({"exists": False}, containers=(hand,)), adopt=True) == []
    # Adoption is for the proxy only: a stray canary is still someone else's.
    assert problems(look({"exists": False}, containers=(container("litellm-canary", None),)), adopt=True)
