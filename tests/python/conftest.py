"""Shared fixtures for the pytest suites: a scratch deployment with outbox accounts."""

import os
import pathlib
import select
import textwrap
import time
import uuid
from typing import Callable

import pytest

# Under libfaketime with the monotonic clock left real (scripts/test.sh sets
# FAKETIME_DONT_FAKE_MONOTONIC=1 whenever FAKETIME is set), libfaketime's clock_nanosleep()
# refuses the absolute monotonic deadlines time.sleep() passes it (EINVAL), and subprocess's
# waits call time.sleep(). select() waits the same time and is not affected.
if os.environ.get("FAKETIME") and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":
    time.sleep = lambda seconds: select.select([], [], [], max(0.0, seconds)) and None

PLUGIN_DIR = os.environ.get("HERALD_PLUGIN_DIR", "")


@pytest.fixture
def deployment(tmp_path: pathlib.Path) -> Callable[..., tuple[str, str]]:
    """Writes herald.yaml (and a hook package) into tmp_path; returns a function that takes the
    YAML after `accounts`/`people` and returns the config path and the package name."""
    package = "rules_" + uuid.uuid4().hex[:8]

    def write(workflows: str, hooks: str = "", code: str = "", extra: str = "") -> tuple[str, str]:
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").write_text(textwrap.dedent(code))
        config = textwrap.dedent(f"""\
            herald: 1
            plugin_paths: ["{PLUGIN_DIR}"]
            python: {{ paths: ["."] }}
            accounts:
              corp: {{ network: outbox, handle: corp }}
              help: {{ network: outbox, handle: help }}
            people:
              ana: {{ roles: [writer] }}
              mo: {{ roles: [marketing] }}
              li: {{ roles: [marketing] }}
            """) + textwrap.dedent(extra) + textwrap.dedent(hooks) + textwrap.dedent(workflows)
        path = tmp_path / "herald.yaml"
        path.write_text(config.replace("PACKAGE", package))
        return str(path), package

    return write
