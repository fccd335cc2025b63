"""Steps written in Python: a class whose run(post, ctx) returns what a C++ step can return."""

from typing import Any

import herald


class RouteComplaints:
    """Sends posts that read like customer complaints to the support account."""

    kinds = ("draft",)
    schema = {
        "support_account": herald.Setting(str, required=True,
                                          description="The account complaints go out from"),
        "words": herald.Setting(list, default=["refund", "broken", "complaint"],
                                description="Words that mark a complaint (any case)"),
    }

    def __init__(self, config: dict[str, Any]) -> None:
        self.support_account = config["support_account"]
        self.words = [w.lower() for w in config["words"]]

    def run(self, post: herald.Post, ctx: herald.Context) -> herald.Outcome:
        text = post.text.lower()
        hits = [w for w in self.words if w in text]
        if not hits or post.account == self.support_account:
            return herald.advance()
        post.account = self.support_account
        post.tags = sorted(set(post.tags) | {"complaint"})
        return herald.advance(f"a complaint ({', '.join(hits)}): routed to {self.support_account}")
