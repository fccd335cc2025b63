"""The importable module: Host, posts, decisions, the engine on a virtual clock, errors, text
counting, and hooks and Python steps running inside the scripting process."""

import datetime
import importlib
import pathlib
import threading
from typing import Callable

import pytest

import herald

Deployment = Callable[..., tuple[str, str]]

APPROVAL = """\
    workflows:
      announce:
        steps:
          - kind: approve
            plugin: approve
            config:
              stages:
                - { name: marketing, roles: [marketing], quorum: 2 }
          - kind: publish
            plugin: outbox
            config: { directory: out, fsync: false }
    """


def test_a_post_goes_from_submit_through_two_approvals_to_published(deployment: Deployment, tmp_path: pathlib.Path) -> None:
    config, _ = deployment(APPROVAL)
    clock = herald.VirtualClock("2026-12-01T09:00:00Z")
    host = herald.Host(config, clock=clock)
    post = host.submit("announce", "corp", "We open in Oslo", author="ana", tags=["news"])
    assert isinstance(post, herald.Post)
    assert (post.state, post.step, post.tags) == ("ready", "approve", ["news"])

    host.run(clock=clock)
    waiting = host.status(post.id)
    assert waiting.state == "waiting"
    assert ("approve", "marketing") in waiting.expects

    host.approve(post.id, as_="mo", comment="yes")
    host.run(clock=clock)
    assert "1 more approval" in host.status(post.id).reason
    host.approve(post.id, as_="li")
    summary = host.run(clock=clock)
    assert summary.finished == 1
    assert (summary.done, summary.rejected, summary.failed) == (1, 0, 0)
    done = host.status(post.id)
    assert done.state == "done"
    assert "We open in Oslo" in (tmp_path / "out" / "corp.jsonl").read_text()

    actions = [(e.actor, e.action) for e in host.audit(post.id)]
    assert ("mo", "approve") in actions and ("li", "approve") in actions
    assert actions[-1] == ("engine", "advance")
    assert [p.id for p in host.status()] == [post.id]


def test_decisions_raise_errors_that_mirror_herald_s(deployment: Deployment) -> None:
    config, _ = deployment(APPROVAL)
    host = herald.Host(config, clock=herald.VirtualClock("2026-12-01T09:00:00Z"))
    post = host.submit("announce", "corp", "Hello", author="ana")
    host.run()
    with pytest.raises(herald.NotAllowed, match="ana"):
        host.approve(post.id, as_="ana")
    with pytest.raises(herald.NotFound, match="moo"):
        host.approve(post.id, as_="moo")
    with pytest.raises(herald.NotFound):
        host.status(999)
    with pytest.raises(herald.InvalidArgument, match="no text"):
        host.submit("announce", "corp", "")
    with pytest.raises(herald.NotFound, match="did you mean 'announce'"):
        host.submit("anounce", "corp", "Hello")
    with pytest.raises(herald.Error):  # every Herald error is a herald.Error
        host.reject(post.id, as_="mo", reason="")
    rejected = host.reject(post.id, as_="mo", reason="off brand")
    host.run()
    assert host.status(rejected.id).state in ("rejected", "held")


def test_a_bad_configuration_raises_config_error_with_file_line_and_column(deployment: Deployment) -> None:
    config, _ = deployment(APPROVAL.replace("quorum: 2", "quorum: 2, colour: red"))
    with pytest.raises(herald.ConfigError) as raised:
        herald.Host(config)
    assert "herald.yaml:" in str(raised.value)
    assert "colour" in str(raised.value)


def test_a_scheduled_post_waits_for_its_time_on_the_virtual_clock(deployment: Deployment) -> None:
    config, _ = deployment("""\
        workflows:
          later:
            steps:
              - kind: schedule
                plugin: schedule/at
              - kind: publish
                plugin: outbox
                config: { directory: out, fsync: false }
        """)
    clock = herald.VirtualClock(datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.timezone.utc))
    host = herald.Host(config, clock=clock)
    at = datetime.datetime(2026, 12, 3, 15, 30, tzinfo=datetime.timezone.utc)
    post = host.submit("later", "corp", "Webinar today", at=at)
    host.run(clock=clock)
    assert host.status(post.id).state == "done"
    assert clock.now_ms == int(at.timestamp() * 1000)


def test_text_counts_as_the_draft_step_does() -> None:
    host_free = herald.count("x", "Read https://example.com/a/very/long/path " + "é" * 10)
    assert host_free["length"] == 5 + 23 + 1 + 10
    assert host_free["weighted_length"] == host_free["length"]
    bluesky = herald.count("bluesky", "Hi @ana.test see https://acme.example #launch")
    assert [f["type"] for f in bluesky["facets"]] == ["mention", "link", "tag"]
    assert bluesky["graphemes"] == len("Hi @ana.test see https://acme.example #launch")
    assert herald.count("mastodon", "a" * 501)["valid"] is False
    with pytest.raises(herald.InvalidArgument):
        herald.count("myspace", "hello")


def test_help_explains_and_the_stubs_are_installed() -> None:
    assert "Submits a post" in (herald.Host.submit.__doc__ or "")
    assert "Records `as_`'s approval" in (herald.Host.approve.__doc__ or "")
    assert "Ends a delegation now" in (herald.Host.revoke_delegation.__doc__ or "")
    veto_doc = herald.Veto.__doc__ or ""
    assert "Veto" in veto_doc or "hook" in veto_doc
    package = pathlib.Path(herald.__file__).parent
    assert (package / "__init__.pyi").is_file() and (package / "py.typed").is_file()
    stubs = (package / "__init__.pyi").read_text()
    for name in herald.__all__:
        assert f" {name}" in stubs, name


def test_hooks_and_steps_run_in_this_interpreter_with_the_same_post_type(deployment: Deployment, tmp_path: pathlib.Path) -> None:
    config, package = deployment(
        hooks="""\
            hooks:
              before_publish: "PACKAGE:stamp"
            """,
        workflows="""\
            workflows:
              w:
                steps:
                  - kind: draft
                    plugin: "python:PACKAGE:Route"
                    config: { words: [refund] }
                  - kind: publish
                    plugin: outbox
                    config: { directory: out, fsync: false }
            """,
        code="""\
            import threading
            import herald
            seen = []

            def stamp(post, ctx):
                seen.append((type(post), threading.get_ident(), ctx.point, ctx.network))
                post.text += " [ok]"

            class Route:
                schema = {"words": herald.Setting(list, required=True, description="words")}
                def __init__(self, config):
                    self.words = config["words"]
                def run(self, post, ctx):
                    if any(w in post.text for w in self.words):
                        post.account = "help"
                    return herald.advance()
            """)
    host = herald.Host(config, clock=herald.VirtualClock("2026-12-01T09:00:00Z"))
    complaint = host.submit("w", "corp", "I want a refund")
    other = host.submit("w", "corp", "Nice launch")
    host.run()
    assert host.status(complaint.id).account == "help"
    assert host.status(other.id).account == "corp"
    assert host.status(complaint.id).text == "I want a refund [ok]"
    assert "I want a refund [ok]" in (tmp_path / "out" / "help.jsonl").read_text()
    seen = importlib.import_module(package).seen
    assert {s[0] for s in seen} == {herald.Post}
    assert {s[2] for s in seen} == {"before_publish"}
    assert threading.get_ident() not in {s[1] for s in seen} or len(seen) == 2


def test_a_hook_that_does_not_import_is_a_config_error_naming_the_module(deployment: Deployment) -> None:
    config, _ = deployment(hooks='hooks: { on_fail: "no_such_pkg.hooks:tell" }\n',
                           workflows=APPROVAL)
    with pytest.raises(herald.ConfigError, match="no_such_pkg"):
        herald.Host(config)


def test_missing_credentials_are_a_config_error_unless_the_script_only_reads(deployment: Deployment) -> None:
    config, _ = deployment(APPROVAL, extra="""\
        engine: { max_attempts: 2 }
        """)
    text = open(config).read().replace(
        "corp: { network: outbox, handle: corp }",
        "corp: { network: outbox, handle: corp, credentials: { token: \"${env:HERALD_TEST_NO_SUCH_TOKEN}\" } }")
    open(config, "w").write(text)
    with pytest.raises(herald.ConfigError, match="HERALD_TEST_NO_SUCH_TOKEN"):
        herald.Host(config)
    reader = herald.Host(config, check_secrets=False)
    assert reader.status() == []


def test_mentions_go_through_the_inbound_workflow_with_a_python_step(deployment: Deployment, tmp_path: pathlib.Path) -> None:
    code = """
        import herald

        class Thanks:
            kinds = ("inbound",)

            def run(self, mention, ctx):
                if "thanks" in mention.text:
                    return herald.answer("replies", "help", mention.author + " glad to help",
                                         author="ana", rule="a thank-you")
                return None
        """
    config, _ = deployment(
        """\
        workflows:
          replies:
            steps:
              - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
        """,
        code=code,
        extra="""\
        inbound:
          steps:
            - plugin: inbound/influence
            - plugin: inbound/moderation
              config: { rules: [ { name: abuse, words: [idiot], action: mute } ] }
            - plugin: "python:PACKAGE:Thanks"
        """,
    )
    clock = herald.VirtualClock("2026-12-01T09:00:00Z")
    host = herald.Host(config, clock=clock)
    mentions = tmp_path / "mentions.jsonl"
    mentions.write_text(
        '{"id": "1", "network": "outbox", "author": "@kari", "followers": 90, "text": "thanks!"}\n'
        '{"id": "2", "network": "outbox", "author": "@troll", "text": "idiot, thanks"}\n'
    )
    done = host.import_mentions(str(mentions))
    assert (done["added"], done["answered"], done["moderated"]) == (2, 1, 1)
    assert done["moderation"]["not_offered"] == 1  # the outbox cannot mute anyone
    by_author = {m["author"]: m for m in host.mentions()}
    assert by_author["@troll"]["action"] == "mute"  # stopped before the Python step answered
    assert by_author["@kari"]["rule"] == "a thank-you"
    reply = host.status(by_author["@kari"]["reply_post_id"])
    assert reply.text == "@kari glad to help" and "reply-to:1" in reply.tags
    host.run(clock=clock)
    assert "glad to help" in (tmp_path / "out" / "help.jsonl").read_text()
    assert host.import_mentions(str(mentions))["duplicates"] == 2
