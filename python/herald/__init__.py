"""Herald: corporate social publishing workflows, from Python.

Open a configuration with ``Host(path)`` (best as ``with herald.Host(path) as host:``), submit
posts, approve them, run the engine (on a ``VirtualClock`` in tests and demos) and read the audit
trail. Hooks and Python steps named in the YAML receive a ``Post`` and a ``Context``; see
docs/python.md. Herald logs to the ``herald`` logger of Python's ``logging``.
"""

import functools as _functools

from . import _herald
from ._herald import *  # noqa: F401,F403
from ._herald import __doc__ as _native_doc  # noqa: F401

__all__ = [
    "Host", "Post", "Context", "Outcome", "Setting", "AuditEntry", "RunSummary", "VirtualClock",
    "advance", "wait", "hold", "reject", "revise", "retry", "fail", "count", "count_many",
    "Mention", "InboundDecision", "stop", "answer",
    "Delegation", "InboxItem", "Revision", "Pause", "Resumed", "Slot", "EngagementImport",
    "AuditVerification", "CheckpointCheck", "AuditCheckpoint", "plugin_dir", "plugins",
    "Error", "ConfigError", "PluginError", "NotAllowed", "NotFound", "InvalidArgument",
    "WrongState", "StoreError", "Closed", "Veto", "Timeout",
]


class Closed(_herald.Error):
    """The Host was closed; open a new ``herald.Host(config)`` to go on."""


def _forward(name, member):
    """A method of Host that calls the open native host's method of the same name."""

    @_functools.wraps(member)
    def call(self, *args, **kwargs):
        native = self._native(name)
        _herald._sync_logs()
        try:
            return getattr(native, name)(*args, **kwargs)
        finally:
            _herald._sync_logs()

    return call


def _forward_property(name, member):
    def get(self):
        return getattr(self._native(name), name)

    return property(get, doc=member.__doc__)


class Host:
    """A Herald deployment opened from its YAML configuration: submit posts, record decisions,
    run the engine, read where posts are and their audit trail.

    ``Host(config_path, clock=None, check_secrets=True)`` opens the configuration, its plugins,
    hooks and store. Raises ConfigError (with file:line:column) or PluginError.
    check_secrets=False skips resolving the accounts' ${env:..}/${file:..} credentials, for
    scripts that only read or decide. Use it as a context manager, or call ``close()``: the store
    and the plugins are released then, and any later call raises ``herald.Closed``.
    """

    def __init__(self, config_path, clock=None, check_secrets=True):
        self._config_path = str(config_path)
        _herald._sync_logs()
        try:
            self._host = _herald.Host(self._config_path, clock=clock, check_secrets=check_secrets)
        finally:
            _herald._sync_logs()

    def _native(self, name):
        host = self.__dict__.get("_host")
        if host is None:
            raise Closed(
                f"Host.{name}(): this Host ({self.__dict__.get('_config_path', '?')}) was "
                "closed; open a new herald.Host(config) to go on"
            )
        return host

    def close(self):
        """Releases the store, the plugins and the hooks. Later calls raise herald.Closed;
        closing again does nothing."""
        host = self.__dict__.get("_host")
        self._host = None
        del host
        _herald._sync_logs()

    @property
    def closed(self):
        """True once close() was called."""
        return self.__dict__.get("_host") is None

    def __enter__(self):
        self._native("__enter__")
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    def __repr__(self):
        state = "closed" if self.closed else "open"
        return f"<herald.Host {self._config_path} {state}>"


for _name, _member in vars(_herald.Host).items():
    if _name.startswith("_") or _name in vars(Host):
        continue
    if isinstance(_member, property):
        setattr(Host, _name, _forward_property(_name, _member))
    elif callable(_member):
        setattr(Host, _name, _forward(_name, _member))
del _name, _member
