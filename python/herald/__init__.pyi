"""Type stubs for Herald's Python API (the extension module herald._herald)."""

from datetime import datetime
from typing import Iterable, Mapping, Sequence

class Error(Exception): ...
class ConfigError(Error): ...
class PluginError(Error): ...
class NotAllowed(Error): ...
class NotFound(Error): ...
class InvalidArgument(Error): ...
class WrongState(Error): ...
class StoreError(Error): ...

class Veto(Exception):
    """Raised by a hook to stop the post; it is rejected with this reason."""

class Timeout(BaseException):
    """Raised inside a hook or Python step that runs past python.timeout_seconds."""

class Post:
    id: int
    workflow: str
    account: str
    author: str
    text: str
    tags: list[str]
    state: str
    step: str
    step_index: int
    step_kind: str
    reason: str
    expects: list[tuple[str, str]]
    wake_ms: int
    publish_at_ms: int
    planned_ms: int
    zone: str
    remote_id: str
    attempt: int
    created_ms: int
    updated_ms: int
    revision: int
    stage: str
    paused: str

class Context:
    point: str
    workflow: str
    step: str
    kind: str
    account: str
    network: str
    outcome: str
    reason: str
    now_ms: int
    events: list[dict[str, object]]
    def note(self, text: str) -> None: ...
    def log(self, message: str, level: str = "info") -> None: ...
    def mentions_stopped(self, since: int | datetime) -> int: ...

class Mention:
    author: str
    text: str
    network: str
    account: str
    id: str
    followers: int
    engagement: int
    at_ms: int
    score: float
    score_detail: str

class InboundDecision:
    kind: str
    action: str
    rule: str

def stop(action: str, rule: str) -> InboundDecision: ...
def answer(
    workflow: str,
    account: str,
    text: str,
    author: str = "",
    tags: list[str] | tuple[str, ...] = (),
    rule: str = "",
) -> InboundDecision: ...

class Outcome:
    kind: str
    reason: str
    at_ms: int
    expects: list[tuple[str, str]]

def advance(reason: str = "") -> Outcome: ...
def wait(
    reason: str = "",
    until: int | datetime | None = None,
    expect: Iterable[tuple[str, str] | str] = (),
) -> Outcome: ...
def hold(reason: str, expect: Iterable[tuple[str, str] | str] = ()) -> Outcome: ...
def reject(reason: str) -> Outcome: ...
def revise(reason: str) -> Outcome: ...
def retry(reason: str, after_seconds: float | None = None) -> Outcome: ...
def fail(reason: str) -> Outcome: ...

class Setting:
    required: bool
    description: str
    def __init__(
        self,
        type: type | str = str,
        required: bool = False,
        default: object = None,
        description: str = "",
    ) -> None: ...

class AuditEntry:
    id: int
    post_id: int
    at_ms: int
    actor: str
    action: str
    step: str
    from_state: str
    to_state: str
    detail: str
    hash: str

class RunSummary:
    rounds: int
    steps_run: int
    transitions: int
    finished: int

class VirtualClock:
    now_ms: int
    def __init__(self, start: int | datetime | str | None = None) -> None: ...
    def advance(self, seconds: float) -> None: ...

class Host:
    clock: int
    workflows: list[tuple[str, list[tuple[str, str, str]]]]
    def __init__(
        self, config_path: str, clock: VirtualClock | None = None, check_secrets: bool = True
    ) -> None: ...
    def submit(
        self,
        workflow: str,
        account: str,
        text: str,
        author: str | None = None,
        tags: Sequence[str] = (),
        at: str | datetime | None = None,
    ) -> Post: ...
    def submit_many(
        self, posts: Iterable[Mapping[str, str | Sequence[str] | datetime | None]]
    ) -> list[int]:
        """All or none; a refused batch raises an Error whose `problems` lists
        (index, field, message) for each refused post."""
    def approve(
        self, post_id: int, *, as_: str, comment: str | None = None, stage: str | None = None
    ) -> Post: ...
    def reject(self, post_id: int, *, as_: str, reason: str, stage: str | None = None) -> Post: ...
    def legal(self, post_id: int, *, as_: str, decision: str, reason: str = "") -> Post: ...
    def edit(self, post_id: int, *, as_: str, text: str, reason: str = "") -> Post: ...
    def status(self, post_id: int | None = None) -> Post | list[Post]: ...
    def run(
        self, until_idle: bool = True, clock: VirtualClock | None = None, max_rounds: int = 0
    ) -> RunSummary: ...
    def audit(self, post_id: int | None = None) -> list[AuditEntry]: ...
    def import_mentions(self, path: str) -> dict[str, object]: ...
    def fetch_mentions(self, account: str | None = None) -> list[dict[str, object]]: ...
    def mentions(self, as_: str | None = None) -> list[dict[str, object]]: ...
    def send_moderation(self) -> dict[str, int]: ...
    def text(self, network: str, text: str, limit: int = 0) -> dict[str, object]: ...

def count(network: str, text: str, limit: int = 0) -> dict[str, object]: ...
