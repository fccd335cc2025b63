"""Type stubs for Herald's Python API (the extension module herald._herald)."""

import os
from datetime import datetime
from types import TracebackType
from typing import Any, Iterable, Literal, Mapping, Sequence, overload

__all__: list[str]

_Instant = int | datetime | str
_Path = str | os.PathLike[str]

class Error(Exception):
    problems: list[tuple[int, str, str]]  # submit_many: (index, field, message) of each refused post

class ConfigError(Error): ...
class PluginError(Error): ...
class NotAllowed(Error): ...
class NotFound(Error): ...
class InvalidArgument(Error): ...
class WrongState(Error): ...
class StoreError(Error): ...
class Closed(Error):
    """The Host was closed; open a new herald.Host(config) to go on."""

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
    events: list[dict[str, Any]]
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
    done: int
    rejected: int
    failed: int

class VirtualClock:
    now_ms: int
    def __init__(self, start: int | datetime | str | None = None) -> None: ...
    def advance(self, seconds: float) -> None: ...

class Delegation:
    id: int
    from_: str
    to: str
    since_ms: int
    until_ms: int
    state: str
    created_by: str
    created_ms: int
    revoked_ms: int
    revoked_by: str
    revoke_reason: str

class InboxItem:
    post: Post
    actions: list[str]
    on_behalf: str
    findings: list[dict[str, Any]]

class Revision:
    revision: int
    text: str
    editor: str
    replaced_ms: int
    reason: str

class Pause:
    id: int
    account: str
    reason: str
    paused_by: str
    paused_ms: int
    resumed_by: str
    resumed_ms: int
    resume_reason: str

class Resumed:
    pause: Pause
    due: int
    replanned: int
    still_paused: list[Pause]

class Slot:
    weekday: int
    minute: int
    rate: float
    raw_rate: float
    lift: float
    posts: int
    impressions: int
    engagements: int

class EngagementImport:
    rows: int
    added: int
    replaced: int
    first_ms: int
    last_ms: int

class CheckpointCheck:
    file: str
    size: int
    holds: bool
    first_missing_id: int
    problem: str

class AuditVerification:
    intact: bool
    entries: int
    broken_id: int
    problem: str
    head_id: int
    head_hash: str
    checkpoints: list[CheckpointCheck]
    def __bool__(self) -> bool: ...

class AuditCheckpoint:
    written: bool
    file: str
    text: str
    size: int
    head_hash: str
    verified: AuditVerification

class Host:
    clock: int
    workflows: list[tuple[str, list[tuple[str, str, str]]]]
    closed: bool
    def __init__(
        self, config_path: _Path, clock: VirtualClock | None = None, check_secrets: bool = True
    ) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Host: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]: ...
    def submit(
        self,
        workflow: str,
        account: str,
        text: str,
        author: str | None = None,
        tags: Sequence[str] = (),
        at: str | datetime | int | None = None,
        dst: Literal["reject", "shift_forward", "earliest", "latest"] | None = None,
    ) -> Post: ...
    def submit_many(
        self, posts: Iterable[Mapping[str, str | Sequence[str] | datetime | int | None]]
    ) -> list[int]:
        """All or none; a refused batch raises an Error whose `problems` lists
        (index, field, message) for each refused post."""
    def approve(
        self, post_id: int, *, as_: str, comment: str | None = None, stage: str | None = None
    ) -> Post: ...
    def reject(self, post_id: int, *, as_: str, reason: str, stage: str | None = None) -> Post: ...
    def legal(self, post_id: int, *, as_: str, decision: str, reason: str = "") -> Post: ...
    def edit(self, post_id: int, *, as_: str, text: str, reason: str = "") -> Post: ...
    @overload
    def status(self, post_id: int) -> Post: ...
    @overload
    def status(self, post_id: None = None) -> list[Post]: ...
    def run(
        self, until_idle: bool = True, clock: VirtualClock | None = None, max_rounds: int = 0
    ) -> RunSummary: ...
    def audit(self, post_id: int | None = None) -> list[AuditEntry]: ...
    def import_mentions(self, path: str) -> dict[str, Any]: ...
    def fetch_mentions(self, account: str | None = None) -> list[dict[str, Any]]: ...
    def mentions(self, as_: str | None = None) -> list[dict[str, Any]]: ...
    def send_moderation(self) -> dict[str, int]: ...
    def text(self, network: str, text: str, limit: int = 0) -> dict[str, Any]: ...
    def delegate(self, *, from_: str, to: str, until: _Instant) -> Delegation: ...
    def delegations(self, all: bool = False) -> list[Delegation]: ...
    def revoke_delegation(
        self, delegation_id: int, *, as_: str, reason: str = ""
    ) -> Delegation: ...
    def inbox(self, as_: str) -> list[InboxItem]: ...
    def revisions(self, post_id: int) -> list[Revision]: ...
    def retry(self, post_id: int, *, as_: str, reason: str = "") -> Post: ...
    def urgent(self, post_id: int, *, as_: str, reason: str) -> Post: ...
    def pause(self, account: str | None = None, *, as_: str, reason: str) -> Pause: ...
    def resume(self, account: str | None = None, *, as_: str, reason: str = "") -> Resumed: ...
    def pauses(self) -> list[Pause]: ...
    def calendar(self, start: _Instant, end: _Instant, account: str | None = None) -> list[Post]: ...
    def import_engagement(self, account: str, path: _Path) -> EngagementImport: ...
    def slots(self, account: str, count: int = 5) -> list[Slot]: ...
    def verify_audit(
        self, checkpoints: Sequence[_Path] | None = None, public_key: _Path | None = None
    ) -> AuditVerification: ...
    def checkpoint_audit(self) -> AuditCheckpoint: ...
    def audit_public_key(self) -> str: ...
    def export_audit(
        self, path: _Path, *, format: Literal["jsonl", "csv"] = "jsonl", since: _Instant | None = None
    ) -> int: ...
    def advocacy(self, person: str, account: str, opted_in: bool = True) -> bool: ...
    def advocates(self) -> dict[str, list[str]]: ...
    def report_share(self, post_id: int, *, person: str, url: str) -> None: ...
    def amplify_status(self, post_id: int) -> dict[str, Any]: ...
    def plugins(self) -> list[dict[str, Any]]: ...
    def accounts(self) -> list[dict[str, str]]: ...
    def notifiers(self) -> list[tuple[str, str, str]]: ...
    def inbound_steps(self) -> list[tuple[str, str, str]]: ...
    store_location: str

def count(network: str, text: str, limit: int = 0) -> dict[str, Any]: ...
def count_many(network: str, texts: Sequence[str], limit: int = 0) -> list[dict[str, Any]]: ...
def plugin_dir() -> str: ...
def plugins(paths: Sequence[_Path] | None = None) -> list[dict[str, Any]]: ...
