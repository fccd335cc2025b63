"""Hooks: plain functions taking (post, ctx). They change the post in place, add notes to its
audit trail with ctx.note(...), or stop it with `raise herald.Veto("why")`."""

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import herald

_URL = re.compile(r"https?://[^\s<>\"']+")


def _with_utm(url: str, source: str, campaign: str) -> str:
    trailing = ""
    while url and url[-1] in ".,;:!?)":
        trailing = url[-1] + trailing
        url = url[:-1]
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.setdefault("utm_source", source)
    query.setdefault("utm_medium", "social")
    query.setdefault("utm_campaign", campaign)
    return urlunsplit(parts._replace(query=urlencode(query))) + trailing


def add_utm(post: herald.Post, ctx: herald.Context) -> None:
    """Adds utm_source (the network), utm_medium and utm_campaign (the workflow) to each link
    that does not have them yet."""
    changed = _URL.sub(lambda m: _with_utm(m.group(0), ctx.network, ctx.workflow), post.text)
    if changed != post.text:
        post.text = changed
        ctx.note("UTM parameters added to the links")


def tell_author(post: herald.Post, ctx: herald.Context) -> None:
    """Logs who should hear about a rejection (a real hook would message them)."""
    ctx.log(f"post {post.id} by {post.author or 'nobody'} was rejected: {ctx.reason}")
