"""Host.submit_many: many posts stored in one transaction, all or none, each refused post named
by its index."""

import datetime
from typing import Callable

import pytest

import herald

WORKFLOW = """\
    workflows:
      announce:
        steps:
          - kind: publish
            plugin: outbox
            config: { directory: out, fsync: false }
    """

Deployment = Callable[..., tuple[str, str]]


def test_submit_many_stores_every_post_and_returns_their_ids_in_order(deployment: Deployment) -> None:
    config, _ = deployment(WORKFLOW)
    clock = herald.VirtualClock("2026-12-01T09:00:00Z")
    host = herald.Host(config, clock=clock)
    later = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.timezone.utc)
    ids = host.submit_many(
        [
            {"workflow": "announce", "account": "corp", "text": "Same words", "author": "ana"},
            {"workflow": "announce", "account": "corp", "text": "Same words", "author": "ana"},
            {"workflow": "announce", "account": "help", "text": "Tagged", "tags": ["a", "b"],
             "at": later},
        ]
    )
    assert len(ids) == 3 and len(set(ids)) == 3, "two identical texts are two posts"
    assert [host.status(i).text for i in ids] == ["Same words", "Same words", "Tagged"]
    assert host.status(ids[2]).tags == ["a", "b"]
    assert host.status(ids[2]).account == "help"
    assert host.submit_many([]) == []


def test_one_bad_post_among_many_stores_nothing_and_is_named(deployment: Deployment) -> None:
    config, _ = deployment(WORKFLOW)
    host = herald.Host(config, clock=herald.VirtualClock("2026-12-01T09:00:00Z"))
    posts = [{"workflow": "announce", "account": "corp", "text": f"Post {i}"} for i in range(500)]
    posts[123]["account"] = "nobody"
    posts[321]["at"] = "2020-01-01T09:00:00Z"
    with pytest.raises(herald.NotFound) as refused:
        host.submit_many(posts)
    message = str(refused.value)
    assert "2 of 500 posts refused; nothing was stored" in message
    assert "row 123 (account): unknown account 'nobody'" in message
    assert "row 321 (at)" in message and "is in the past" in message
    assert [(i, field) for i, field, _ in refused.value.problems] == [(123, "account"), (321, "at")]
    assert host.status() == []


def test_malformed_posts_are_refused_before_anything_is_stored(deployment: Deployment) -> None:
    config, _ = deployment(WORKFLOW)
    host = herald.Host(config, clock=herald.VirtualClock("2026-12-01T09:00:00Z"))
    good = {"workflow": "announce", "account": "corp", "text": "fine"}
    with pytest.raises(TypeError, match="post 1: expected a dict"):
        host.submit_many([good, "text"])  # type: ignore[list-item]
    with pytest.raises(KeyError, match="post 0: unknown key 'txt'"):
        host.submit_many([{"workflow": "announce", "account": "corp", "txt": "typo"}])
    with pytest.raises(TypeError, match="tags is a list"):
        host.submit_many([dict(good, tags="one")])
    with pytest.raises(herald.InvalidArgument, match=r"row 1 \(text\): the post has no text"):
        host.submit_many([good, {"workflow": "announce", "account": "corp"}])
    assert host.status() == []


def test_times_are_read_as_submit_reads_them(deployment: Deployment) -> None:
    config, _ = deployment(WORKFLOW)
    host = herald.Host(config, clock=herald.VirtualClock("2026-12-01T09:00:00Z"))
    naive = datetime.datetime(2026, 12, 2, 9, 0)
    with pytest.raises(ValueError, match="without a time zone"):
        host.submit_many([{"workflow": "announce", "account": "corp", "text": "a", "at": naive}])
    later_ms = int(datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.timezone.utc).timestamp())
    ids = host.submit_many(
        [{"workflow": "announce", "account": "corp", "text": "b", "at": later_ms * 1000}]
    )
    one = host.submit("announce", "corp", "c", at=later_ms * 1000)
    assert host.status(ids[0]).publish_at_ms == later_ms * 1000
    assert host.status(one.id).publish_at_ms == later_ms * 1000
