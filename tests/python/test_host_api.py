"""What the `herald` program does, a script does with herald.Host: delegations, the inbox, legal
decisions, the audit trail's checks and exports, pauses, urgent posts, the calendar, best slots,
counting many texts; the Host as a context manager; Herald's log in Python's logging."""

import datetime
import json
import logging
import os
import pathlib
import sqlite3
import subprocess
import sys
import textwrap
from typing import Callable

import pytest

import herald

PLUGIN_DIR = os.environ.get("HERALD_PLUGIN_DIR", "")
START = "2026-12-01T09:00:00Z"
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS

Config = Callable[..., str]


@pytest.fixture
def company(tmp_path: pathlib.Path) -> Config:
    """Writes herald.yaml with people who approve, decide for legal and act for others."""

    def write(workflows: str = "", hooks: str = "", code: str = "") -> str:
        (tmp_path / "company_rules.py").write_text(textwrap.dedent(code))
        sys.modules.pop("company_rules", None)  # this test's rules, not an earlier test's
        config = textwrap.dedent(f"""\
            herald: 1
            plugin_paths: ["{PLUGIN_DIR}"]
            python: {{ paths: ["."] }}
            accounts:
              corp: {{ network: outbox, handle: corp }}
              help: {{ network: outbox, handle: help, timezone: Europe/Oslo }}
            people:
              ana: {{ roles: [writer] }}
              mo: {{ roles: [marketing] }}
              lea: {{ roles: [legal] }}
              zed: {{}}
            """) + textwrap.dedent(hooks) + textwrap.dedent(workflows or """\
            workflows:
              announce:
                steps:
                  - { kind: approve, plugin: approve, config: { role: marketing } }
                  - kind: legal_review
                    plugin: legal_review
                    config: { keywords: [guarantee] }
                  - kind: publish
                    plugin: outbox
                    config: { directory: out, fsync: false }
              later:
                steps:
                  - { kind: schedule, plugin: schedule/at }
                  - kind: publish
                    plugin: outbox
                    config: { directory: out, fsync: false }
            """)
        path = tmp_path / "herald.yaml"
        path.write_text(config)
        return str(path)

    return write


def aware(ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)


def test_a_delegate_acts_until_the_delegation_is_revoked(company: Config) -> None:
    clock = herald.VirtualClock(START)
    host = herald.Host(company(), clock=clock)
    post = host.submit("announce", "corp", "Our new office", author="ana")
    host.run()
    assert host.inbox("zed") == []

    made = host.delegate(from_="mo", to="zed", until=aware(clock.now_ms + DAY_MS))
    assert (made.from_, made.to, made.state) == ("mo", "zed", "active")
    assert made.until_ms == clock.now_ms + DAY_MS
    assert [d.id for d in host.delegations()] == [made.id]
    waiting = host.inbox("zed")
    assert [(i.post.id, i.on_behalf) for i in waiting] == [(post.id, "mo")]
    assert "approve" in waiting[0].actions

    with pytest.raises(herald.NotAllowed, match="only mo or zed"):
        host.revoke_delegation(made.id, as_="ana")
    revoked = host.revoke_delegation(made.id, as_="mo", reason="back from leave")
    assert (revoked.state, revoked.revoked_by, revoked.revoke_reason) == (
        "revoked", "mo", "back from leave")
    assert revoked.revoked_ms == clock.now_ms
    assert host.delegations() == []
    assert [d.state for d in host.delegations(all=True)] == ["revoked"]
    assert host.inbox("zed") == []
    with pytest.raises(herald.NotAllowed):
        host.approve(post.id, as_="zed")
    with pytest.raises(herald.WrongState, match="already revoked by mo"):
        host.revoke_delegation(made.id, as_="zed")
    with pytest.raises(herald.NotFound, match="delegate list"):
        host.revoke_delegation(made.id + 100, as_="mo")
    assert [e.action for e in host.audit()][-2:] == ["delegate", "revoke_delegation"]


def test_a_delegation_expires_on_its_own_and_cannot_be_revoked_then(company: Config) -> None:
    clock = herald.VirtualClock(START)
    host = herald.Host(company(), clock=clock)
    made = host.delegate(from_="mo", to="zed", until="2026-12-01 12:00 Europe/Oslo")
    assert made.until_ms == clock.now_ms + 2 * HOUR_MS  # 12:00 in Oslo is 11:00 UTC
    clock.advance(3 * 3600)
    assert host.delegations() == []
    assert [d.state for d in host.delegations(all=True)] == ["expired"]
    with pytest.raises(herald.WrongState, match="already ended"):
        host.revoke_delegation(made.id, as_="mo")
    with pytest.raises(ValueError, match="time zone"):
        host.delegate(from_="mo", to="zed", until=datetime.datetime(2030, 1, 1))
    with pytest.raises(herald.InvalidArgument, match="not in the future"):
        host.delegate(from_="mo", to="zed", until=aware(clock.now_ms - HOUR_MS))


def test_the_cli_lists_and_revokes_delegations(company: Config) -> None:
    config = company()
    cli_path = os.environ["HERALD_CLI"]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([cli_path, *args], capture_output=True, text=True, timeout=60)

    made = cli("delegate", config, "--from", "mo", "--to", "zed", "--until",
               "2026-12-02T09:00:00Z", "--clock", "virtual", "--start", START)
    assert made.returncode == 0, made.stderr
    assert "delegation 1: zed acts for mo until 2026-12-02" in made.stdout
    listed = cli("delegate", "list", config, "--json")
    assert listed.returncode == 0, listed.stderr
    [entry] = json.loads(listed.stdout)
    assert (entry["id"], entry["from"], entry["to"], entry["state"]) == (1, "mo", "zed", "active")
    assert "zed acts for mo" in cli("delegate", "list", config, "--as", "zed").stdout
    assert "no delegations" in cli("delegate", "list", config, "--as", "ana").stdout

    refused = cli("delegate", "revoke", config, "1", "--as", "ana")
    assert refused.returncode == 7 and "only mo or zed may" in refused.stderr
    revoked = cli("delegate", "revoke", config, "1", "--as", "zed", "--reason", "not needed")
    assert revoked.returncode == 0, revoked.stderr
    assert "zed no longer acts for mo" in revoked.stdout
    assert "no delegations in effect" in cli("delegate", "list", config).stdout
    everything = cli("delegate", "list", config, "--all").stdout
    assert "revoked by zed" in everything and "not needed" in everything
    again = cli("delegate", "revoke", config, "1", "--as", "zed")
    assert again.returncode == 7 and "already revoked" in again.stderr
    missing = cli("delegate", "revoke", config, "9", "--as", "zed")
    assert missing.returncode == 6 and "no delegation 9" in missing.stderr
    incomplete = cli("delegate", config, "--from", "mo")
    assert incomplete.returncode == 2 and "--to, --until" in incomplete.stderr


def test_legal_decides_a_held_post_and_the_inbox_shows_the_finding(company: Config) -> None:
    clock = herald.VirtualClock(START)
    host = herald.Host(company(), clock=clock)
    post = host.submit("announce", "corp", "A guarantee for everyone", author="ana")
    host.run()
    host.approve(post.id, as_="mo")
    host.run()
    assert host.status(post.id).state == "held"
    [item] = host.inbox("lea")
    assert item.post.id == post.id and "clear" in item.actions
    assert any(f.get("excerpt") == "guarantee" for f in item.findings), item.findings
    cleared = host.legal(post.id, as_="lea", decision="clear")
    assert cleared.state != "held"
    host.run()
    assert host.status(post.id).state == "done"


def test_the_audit_trail_verifies_exports_and_reports_a_changed_entry(
        company: Config, tmp_path: pathlib.Path) -> None:
    config = company()
    clock = herald.VirtualClock(START)
    with herald.Host(config, clock=clock) as host:
        post = host.submit("announce", "corp", "Hello", author="ana")
        host.run()
        host.approve(post.id, as_="mo")
        host.run()
        entries = len(host.audit())
        verified = host.verify_audit()
        assert verified and verified.intact and verified.entries == entries
        assert verified.broken_id == 0 and len(verified.head_hash) == 64

        jsonl = tmp_path / "audit.jsonl"
        assert host.export_audit(jsonl) == entries
        lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
        assert [line["id"] for line in lines] == [e.id for e in host.audit()]
        csv = tmp_path / "audit.csv"
        assert host.export_audit(csv, format="csv", since=aware(clock.now_ms + HOUR_MS)) == 0
        assert csv.read_text().startswith("id,")
        with pytest.raises(ValueError, match="'jsonl' or 'csv'"):
            host.export_audit(tmp_path / "x", format="xml")  # type: ignore[arg-type]
        assert not (tmp_path / "x").exists()

    database = next(tmp_path.glob("*.db"))
    with sqlite3.connect(database) as db:
        db.execute("UPDATE audit SET detail = 'nothing happened' WHERE id = 2")
    with herald.Host(config, clock=clock) as host:
        broken = host.verify_audit()
        assert not broken and broken.broken_id == 2 and broken.head_id == 1


def test_a_pause_stops_publishing_until_resumed(company: Config) -> None:
    clock = herald.VirtualClock(START)
    host = herald.Host(company(), clock=clock)
    paused = host.pause("corp", as_="mo", reason="incident")
    assert (paused.account, paused.reason, paused.paused_by) == ("corp", "incident", "mo")
    assert [p.account for p in host.pauses()] == ["corp"]
    with pytest.raises(herald.WrongState, match="incident"):
        host.pause("corp", as_="mo", reason="again")
    post = host.submit("later", "corp", "Quiet news", at=aware(clock.now_ms + HOUR_MS))
    host.run()
    assert host.status(post.id).state != "done" and host.status(post.id).paused
    resumed = host.resume("corp", as_="mo", reason="all clear")
    assert resumed.pause.resumed_by == "mo" and resumed.still_paused == []
    assert host.pauses() == []
    host.run()
    assert host.status(post.id).state == "done"


def test_urgent_and_retry_refuse_a_post_that_is_not_held(company: Config) -> None:
    host = herald.Host(company(), clock=herald.VirtualClock(START))
    post = host.submit("announce", "corp", "Hello", author="ana")
    with pytest.raises(herald.Error, match=f"post {post.id}"):
        host.urgent(post.id, as_="mo", reason="now")
    with pytest.raises(herald.WrongState, match=f"post {post.id}"):
        host.retry(post.id, as_="mo")


def test_the_calendar_shows_posts_in_the_window(company: Config) -> None:
    clock = herald.VirtualClock(START)
    host = herald.Host(company(), clock=clock)
    soon = host.submit("later", "help", "Tomorrow", at=aware(clock.now_ms + DAY_MS))
    host.submit("later", "corp", "Next week", at=aware(clock.now_ms + 8 * DAY_MS))
    week = host.calendar(clock.now_ms, aware(clock.now_ms + 7 * DAY_MS))
    assert [p.id for p in week] == [soon.id]
    assert [p.id for p in host.calendar(clock.now_ms, clock.now_ms + 9 * DAY_MS, "corp")] != []
    with pytest.raises(herald.InvalidArgument, match="not after start"):
        host.calendar(clock.now_ms, clock.now_ms)
    with pytest.raises(herald.InvalidArgument, match="start"):
        host.calendar("next tuesday", clock.now_ms)


def test_best_slots_come_from_the_imported_history(company: Config, tmp_path: pathlib.Path) -> None:
    clock = herald.VirtualClock(START)
    host = herald.Host(company(), clock=clock)
    history = tmp_path / "history.csv"
    rows = ["timestamp,impressions,engagements"]
    for week in range(1, 5):  # four weeks back: Tuesdays at 10:00 do best
        for hour, engagements in ((10, 90), (15, 10)):
            at = aware(clock.now_ms - week * 7 * DAY_MS).replace(hour=hour, minute=0)
            rows.append(f"{at.isoformat()},1000,{engagements}")
    history.write_text("\n".join(rows) + "\n")
    imported = host.import_engagement("corp", history)
    assert (imported.rows, imported.added) == (8, 8)
    best = host.slots("corp", count=1)
    assert [(s.weekday, s.minute) for s in best] == [(1, 10 * 60)]
    assert best[0].lift > 1 and best[0].posts == 4
    history.write_text("timestamp,impressions,engagements\nyesterday,1,1\n")
    with pytest.raises(herald.InvalidArgument, match="history.csv:2: cannot read the time"):
        host.import_engagement("corp", history)


def test_many_texts_are_counted_as_each_alone() -> None:
    texts = ["Hello", "Read https://example.com/a/very/long/path", "é" * 300]
    assert herald.count_many("x", texts) == [herald.count("x", t) for t in texts]
    assert [c["valid"] for c in herald.count_many("x", texts, limit=10)] == [True, False, False]
    assert herald.count_many("mastodon", []) == []
    with pytest.raises(herald.InvalidArgument, match="myspace"):
        herald.count_many("myspace", ["hello"])


def test_a_closed_host_says_so_and_its_store_opens_again(company: Config) -> None:
    config = company()
    clock = herald.VirtualClock(START)
    with herald.Host(config, clock=clock) as host:
        post = host.submit("announce", "corp", "Hello", author="ana")
        assert not host.closed
    assert host.closed and "closed" in repr(host)
    with pytest.raises(herald.Closed, match=r"Host.status\(\): this Host .* was closed"):
        host.status()
    with pytest.raises(herald.Closed):
        host.submit("announce", "corp", "Again")
    host.close()  # closing twice is fine
    with pytest.raises(herald.Closed):
        with host:
            pass
    again = herald.Host(config, clock=clock)
    assert again.status(post.id).text == "Hello"
    again.close()


def test_a_naive_datetime_is_refused_with_what_to_do(company: Config) -> None:
    host = herald.Host(company(), clock=herald.VirtualClock(START))
    with pytest.raises(ValueError, match="without a time zone.*tzinfo=timezone.utc"):
        host.submit("later", "corp", "When?", at=datetime.datetime(2026, 12, 2, 9, 0))
    assert host.status() == []


def test_herald_logs_through_python_logging_from_worker_threads(
        company: Config, caplog: pytest.LogCaptureFixture) -> None:
    config = company(
        hooks="""\
            hooks:
              before_publish: "company_rules:veto_odd"
            """,
        workflows="""\
            engine: { publish_concurrency: 4 }
            workflows:
              w:
                steps:
                  - kind: publish
                    plugin: outbox
                    config: { directory: out, fsync: false }
            """,
        code="""\
            import herald

            def veto_odd(post, ctx):
                ctx.log(f"hook saw {post.id}")
                if post.id % 2:
                    raise herald.Veto("odd")
            """)
    caplog.set_level(logging.INFO, logger="herald")
    with herald.Host(config, clock=herald.VirtualClock(START)) as host:
        posts = [host.submit("w", "corp", f"post {i}") for i in range(40)]
        host.run()
        assert sum(p.state == "done" for p in host.status()) == 20
    herald_records = [r for r in caplog.records if r.name == "herald"]
    messages = [r.getMessage() for r in herald_records]
    for post in posts:
        assert any(f"hook saw {post.id}" in m for m in messages), post.id
    vetoes = [r for r in herald_records if "vetoed by hook" in r.getMessage()]
    assert len(vetoes) == 20 and {r.levelno for r in vetoes} == {logging.WARNING}

    caplog.clear()
    logging.getLogger("herald").setLevel(logging.ERROR)
    try:
        with herald.Host(config, clock=herald.VirtualClock(START)) as host:
            host.submit("w", "corp", "quiet")
            host.run()
    finally:
        logging.getLogger("herald").setLevel(logging.NOTSET)
    assert [r for r in caplog.records if r.name == "herald"] == []


def test_revisions_advocacy_plugins_and_accounts(company: Config) -> None:
    host = herald.Host(company(), clock=herald.VirtualClock(START))
    post = host.submit("announce", "corp", "First text", author="ana")
    host.edit(post.id, as_="ana", text="Second text", reason="typo")
    [old] = host.revisions(post.id)
    assert (old.revision, old.text, old.editor) == (1, "First text", "ana")
    assert host.advocacy("zed", "corp") is True
    assert host.advocacy("zed", "corp") is False
    assert host.advocates() == {"zed": ["corp"]}
    files = {str(p["file"]) for p in host.plugins()}
    assert any("outbox" in f for f in files)
    assert {a["name"]: a["timezone"] for a in host.accounts()}["help"] == "Europe/Oslo"
    assert all(f.startswith(herald.plugin_dir()) for f in files), (files, herald.plugin_dir())


def test_a_local_time_that_dst_skips_follows_the_policy_given(company: Config) -> None:
    host = herald.Host(company(), clock=herald.VirtualClock(START))
    gap = "2027-03-28 02:30"  # Oslo's clocks jump from 02:00 to 03:00
    with pytest.raises(herald.InvalidArgument, match="02:30"):
        host.submit("later", "help", "In the gap", at=gap, dst="reject")
    shifted = host.submit("later", "help", "In the gap", at=gap, dst="shift_forward")
    assert shifted.publish_at_ms == int(
        datetime.datetime(2027, 3, 28, 1, 30, tzinfo=datetime.timezone.utc).timestamp() * 1000)
    with pytest.raises(herald.InvalidArgument, match="sideways"):
        host.submit("later", "help", "Bad policy", at=gap, dst="sideways")  # type: ignore[arg-type]


def test_plugins_are_described_without_a_configuration(company: Config) -> None:
    described = {str(p["name"]): p for p in herald.plugins()}
    assert "outbox" in described and "approve" in described
    assert str(described["outbox"]["file"]).startswith(herald.plugin_dir())
    assert [p["name"] for p in herald.plugins([described["outbox"]["file"]])] == ["outbox"]
    with pytest.raises(herald.PluginError, match="no-such-folder"):
        herald.plugins(["/no-such-folder"])
    host = herald.Host(company(), clock=herald.VirtualClock(START))
    assert host.store_location.endswith("herald.db")
    assert [n[:2] for n in host.notifiers()] == [("outbox", "notify")]  # the default notifier
    assert host.inbound_steps() == []


def outbox_posts(config: str) -> list[int]:
    """The post of each line of the outbox file of account corp, in order."""
    out = pathlib.Path(config).parent / "out" / "corp.jsonl"
    return [json.loads(line)["post"] for line in out.read_text().splitlines()]


def test_ctrl_c_during_a_run_stops_it_after_its_round_and_fails_no_post(company: Config) -> None:
    # The hook sends the signal as Ctrl-C would, while the engine runs its steps.
    config = company(
        hooks="""\
            hooks:
              before_approve: "company_rules:interrupt_once"
            """,
        code="""\
            import os
            import signal

            sent = []

            def interrupt_once(post, ctx):
                if not sent:
                    sent.append(post.id)
                    os.kill(os.getpid(), signal.SIGINT)
            """)
    host = herald.Host(config, clock=herald.VirtualClock(START))
    for i in range(5):
        host.submit("announce", "corp", f"Post {i}", author="ana")
    with pytest.raises(KeyboardInterrupt):
        host.run()
    assert [p.state for p in host.status() if p.state == "failed"] == []
    host.run()
    assert [p.state for p in host.status()] == ["waiting"] * 5  # each for marketing's approval


def test_a_worker_that_stalled_past_its_lease_leaves_the_post_to_the_one_that_took_it_over(
        company: Config) -> None:
    # Worker A stalls in a hook before its publish step, past its claim's lease (the clock moves
    # 400 s; the lease is 300 s). Meanwhile worker B takes the post over and publishes it. A
    # then hands the post back: the outbox holds it once.
    config = company(
        hooks="""\
            hooks:
              before_publish: "company_rules:stall"
            """,
        workflows="""\
            workflows:
              w:
                steps:
                  - kind: publish
                    plugin: outbox
                    config: { directory: out, fsync: false }
            """,
        code="""\
            import herald

            stalled = {}

            def stall(post, ctx):
                if "other" in stalled:
                    return
                stalled["other"] = "running"
                stalled["clock"].advance(400)
                other = herald.Host(stalled["config"], clock=stalled["clock"])
                other.run()
                stalled["other"] = other.status(post.id).state
            """)
    clock = herald.VirtualClock(START)
    host = herald.Host(config, clock=clock)
    company_rules = sys.modules["company_rules"]  # imported by the host for its hook
    company_rules.stalled.update(clock=clock, config=config)
    post = host.submit("w", "corp", "Taken over", author="ana")
    host.run()
    assert company_rules.stalled["other"] == "done"
    assert outbox_posts(config) == [post.id]
    assert host.status(post.id).state == "done"


def test_a_post_edited_after_the_outbox_wrote_it_is_not_written_again(company: Config) -> None:
    # The edit starts the workflow again with the same idempotency key; the outbox finds its
    # line and writes nothing.
    config = company(workflows="""\
        workflows:
          w:
            steps:
              - kind: publish
                plugin: outbox
                config: { directory: out, fsync: false }
              - { kind: approve, plugin: approve, config: { role: marketing } }
        """)
    host = herald.Host(config, clock=herald.VirtualClock(START))
    post = host.submit("w", "corp", "First words", author="ana")
    host.run()
    assert host.status(post.id).state == "waiting"
    host.edit(post.id, as_="ana", text="Second words")
    host.run()
    assert outbox_posts(config) == [post.id]
    assert host.status(post.id).state == "waiting"


def test_a_veto_whose_reason_cannot_be_printed_still_rejects_the_post(company: Config) -> None:
    config = company(
        hooks="""\
            hooks:
              before_approve: "company_rules:veto_badly"
            """,
        code="""\
            import herald

            class Reason:
                def __str__(self) -> str:
                    raise ValueError("no words for it")

            def veto_badly(post, ctx):
                raise herald.Veto(Reason())
            """)
    host = herald.Host(config, clock=herald.VirtualClock(START))
    post = host.submit("announce", "corp", "Hello", author="ana")
    host.run()
    done = host.status(post.id)
    assert done.state == "rejected"
    assert "a reason whose str() failed" in done.reason and "no words for it" in done.reason
