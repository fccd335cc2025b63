"""Herald: corporate social publishing workflows, from Python.

Open a configuration with ``Host(path)``, submit posts, approve them, run the engine (on a
``VirtualClock`` in tests and demos) and read the audit trail. Hooks and Python steps named in
the YAML receive a ``Post`` and a ``Context``; see docs/python.md.
"""

from ._herald import *  # noqa: F401,F403
from ._herald import __doc__ as _native_doc  # noqa: F401

__all__ = [
    "Host", "Post", "Context", "Outcome", "Setting", "AuditEntry", "RunSummary", "VirtualClock",
    "advance", "wait", "hold", "reject", "revise", "retry", "fail", "count",
    "Mention", "InboundDecision", "stop", "answer",
    "Error", "ConfigError", "PluginError", "NotAllowed", "NotFound", "InvalidArgument",
    "WrongState", "StoreError", "Veto", "Timeout",
]
