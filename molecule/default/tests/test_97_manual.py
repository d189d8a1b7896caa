"""The README's commands, as written, on the deployed test host.

Each test reads its commands from README.md (tests/lib/commands.py, whose
lint check makes sure every command of the manual is run somewhere), so a
change to the manual that no longer works fails here."""

from __future__ import annotations

import json
import shlex
from typing import Any

from conftest import (
    CONFIG_DIR,
    CONTAINER,
    EXAMPLE,
    IMAGE,
    PROJECT,
    default_models,
    inspect,
    leaked,
    manual,
    manual_commands,
    run,
    site_example,
    wait_for,
)

OPERATIONS = "Operations"
# docs/images.md's section (the README points there for air-gapped hosts).
IMAGES = "Images: layouts, versions, moving tags and a bad build"
OFFICIAL = "ghcr.io/berriai/litellm:main-stable"


def on_host(host: Any, command: str) -> str:
    """Run one command of the manual on the test host, as root, in bash."""
    return run(host, f"bash -o pipefail -c {shlex.quote(command)}", command.split("$")[0][:60])


def json_values(text: str) -> list[Any]:
    """The JSON documents curl printed one after another."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(text.rstrip()):
        value, at = decoder.raw_decode(text, at)
        found.append(value)
        while at < len(text) and text[at].isspace():
            at += 1
    return found


def test_the_site_example_deploys_as_the_tests_do(host: Any, secrets: dict[str, str]) -> None:
    # The README's inventory, group_vars, site.yml and vault commands give the
    # same deployment as the tests' converge: both playbook commands change nothing.
    _, (ask, from_file) = manual_commands(EXAMPLE)
    with site_example(host) as example:
        vault = example.create_vault()
        assert vault.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256")
        assert leaked(vault.read_text(), secrets) == []
        password = (example.path / ".vault-pass").read_text().strip()
        asked = example.run(ask, typed=password + "\n")  # --ask-vault-pass reads it from the terminal
        from_file_run = example.run(from_file)
    for result in (asked, from_file_run):
        assert leaked(result.output, secrets) == []
        assert not result.failed, result.output[-3000:]
        assert "failed=0" in result.output
        assert result.changed == 0


def test_the_operations_commands_show_what_the_readme_says(host: Any, secrets: dict[str, str]) -> None:
    (ps, logs, env, config, live), (key, *calls) = manual_commands(OPERATIONS)
    # Docker's first health check comes a while after a (re)start: wait for it.
    wait_for(lambda: inspect(host)["State"]["Health"]["Status"] == "healthy", 120, "Docker's health check")
    status = on_host(host, ps)
    assert "(healthy)" in status
    assert "0.0.0.0:4000->4000/tcp" in status
    assert on_host(host, logs).strip() != ""
    log_config = inspect(host)["HostConfig"]["LogConfig"]["Config"]
    assert (log_config["max-file"], log_config["max-size"]) == ("3", "10m")  # "rotated by Docker: 3 x 10 MB"
    names = sorted(line.split("=", 1)[0] for line in on_host(host, env).splitlines())
    assert names == ["AWS_ACCESS_KEY_ID", "AWS_REGION_NAME", "AWS_SECRET_ACCESS_KEY"]
    text = on_host(host, config)
    assert leaked(text, secrets) == []
    assert all(f'model_name: "{m["name"]}"' in text for m in default_models())
    assert json_values(on_host(host, live)) == ["I'm alive!"]
    models, completion = json_values(on_host(host, "\n".join([key, *calls])))
    assert sorted(m["id"] for m in models["data"]) == sorted(m["name"] for m in default_models())
    assert completion["choices"][0]["message"]["content"]
    assert completion["model"]


def test_an_image_saved_and_loaded_as_the_readme_says(host: Any) -> None:
    # The air-gapped host's two commands, with the test's image for the official one.
    (save, load), *_ = [manual.commands(b) for b in manual.section(PROJECT / "docs" / "images.md", IMAGES)]
    image_id = inspect(host)["Image"]
    try:
        on_host(host, "cd /tmp && " + save.replace(OFFICIAL, IMAGE))
        loaded = on_host(host, "cd /tmp && " + load)
    finally:
        host.run("rm -f /tmp/litellm.tar")
    assert f"Loaded image: {IMAGE}" in loaded
    assert run(host, f"docker image inspect --format '{{{{.Id}}}}' {IMAGE}", "image id").strip() == image_id
    assert inspect(host, CONTAINER)["State"]["Running"]
    assert host.file(f"{CONFIG_DIR}/config.yaml").exists
