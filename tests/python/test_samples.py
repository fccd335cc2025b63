"""The samples in samples/python run, from Python and from the `herald` program."""

import os
import pathlib
import shutil
import subprocess
import sys
import types

import pytest

SAMPLES = pathlib.Path(__file__).resolve().parents[2] / "samples" / "python"


@pytest.fixture
def sample(tmp_path: pathlib.Path) -> pathlib.Path:
    target = tmp_path / "python"
    shutil.copytree(SAMPLES, target, ignore=shutil.ignore_patterns("*.db*", "outbox", "__pycache__"))
    return target


def test_drive_runs_the_whole_workflow_and_prints_the_audit(sample: pathlib.Path) -> None:
    done = subprocess.run([sys.executable, str(sample / "drive.py"), "--fresh"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "waits for [('approve', 'marketing')" in out
    assert "routed to acme_support" in out
    assert "utm_source=mastodon&utm_medium=social&utm_campaign=announce" in out
    assert "(done on acme_mastodon" in out and "(done on acme_support" in out
    published = (sample / "outbox" / "acme_support.jsonl").read_text()
    assert "refund" in published and "utm_campaign=announce" in published


def test_the_herald_program_runs_the_same_hooks_and_steps(sample: pathlib.Path) -> None:
    herald_cli = os.environ["HERALD_CLI"]
    config = str(sample / "herald.yaml")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([herald_cli, *args], capture_output=True, text=True, timeout=120)

    validated = cli("validate", config)
    assert validated.returncode == 0, validated.stderr
    assert "python:acme.steps:RouteComplaints" in validated.stdout
    submitted = cli("submit", config, "--workflow", "announce", "--account", "acme_mastodon",
                    "--text", "The app is broken, refund? https://acme.example/x")
    assert submitted.returncode == 0, submitted.stderr
    post_id = submitted.stdout.strip()
    assert cli("run", config, "--clock", "virtual", "--start", "2026-12-01T09:00:00Z").returncode == 0
    assert cli("approve", config, post_id, "--as", "eve").returncode == 0
    assert cli("run", config).returncode == 0
    status = cli("status", config, post_id, "--json")
    assert '"state": "done"' in status.stdout or '"state":"done"' in status.stdout, status.stdout
    assert "utm_source=mastodon" in (sample / "outbox" / "acme_support.jsonl").read_text()


def test_the_utm_hook_keeps_existing_parameters_and_trailing_punctuation() -> None:
    sys.path.insert(0, str(SAMPLES))
    try:
        from acme import hooks
    finally:
        sys.path.remove(str(SAMPLES))
    notes: list[str] = []
    ctx = types.SimpleNamespace(network="bluesky", workflow="launch", note=notes.append)
    post = types.SimpleNamespace(text="See https://a.example/p?utm_source=mail. And http://b.example!")
    hooks.add_utm(post, ctx)  # type: ignore[arg-type]
    assert post.text == ("See https://a.example/p?utm_source=mail&utm_medium=social&"
                         "utm_campaign=launch. And http://b.example?utm_source=bluesky&"
                         "utm_medium=social&utm_campaign=launch!")
    assert notes == ["UTM parameters added to the links"]
    unchanged = types.SimpleNamespace(text="No links here")
    hooks.add_utm(unchanged, ctx)  # type: ignore[arg-type]
    assert unchanged.text == "No links here" and len(notes) == 1
