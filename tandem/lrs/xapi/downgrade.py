"""xAPI 2.0 statements in 1.0.3 form, for clients that asked with `X-Experience-API-Version: 1.0.x`.

A 1.0.3 client cannot be sent what 1.0.3 does not define: the data model has no `contextAgents` or
`contextGroups` (Data 2.4.6 lists the Context properties, and 2.2.s4.b1.b7 makes unknown ones an error), and
a statement's `version` starts with "1.0." (Data 2.4.10.s3.b1). xAPI 2.0 (IEEE 9274.1.1) keeps the rest of
the statement model, so those are the only changes (docs/xapi-versions.md lists the differences); Yet
Analytics SQL LRS calls this "strict versioning".

`version` becomes "1.0.0" rather than "1.0.3" for the reason Data 2.4.10 gives for statements stored
without one: every 1.0.x statement conforms to the 1.0.0 data model, and the patch version travels in the
header. Everything else is returned exactly as given: timestamps with an offset, extensions, attachments.
"""

from __future__ import annotations

from typing import Any

# Context properties xAPI 2.0 added; a 1.0.3 Context has none of them.
CONTEXT_KEYS_2_0 = ("contextAgents", "contextGroups")
DOWNGRADED_VERSION = "1.0.0"


def _context(context: Any) -> Any:
    if not isinstance(context, dict) or not any(key in context for key in CONTEXT_KEYS_2_0):
        return context
    return {key: value for key, value in context.items() if key not in CONTEXT_KEYS_2_0}


def _downgraded(statement: dict[str, Any], *, substatement: bool) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    version = statement.get("version")
    if not substatement and isinstance(version, str) and version.startswith("2."):
        changes["version"] = DOWNGRADED_VERSION
    if "context" in statement:
        context = _context(statement["context"])
        if context is not statement["context"]:
            changes["context"] = context
    target = statement.get("object")
    # Data 2.4.4.3: a SubStatement carries its own context, which 2.0 lets hold contextAgents too.
    if isinstance(target, dict) and target.get("objectType") == "SubStatement":
        inner = _downgraded(target, substatement=True)
        if inner is not target:
            changes["object"] = inner
    if not changes:
        return statement
    # Keys keep their order; only the objects on the way to a change are copied, the rest is shared.
    return {key: changes.get(key, value) for key, value in statement.items()}


def statement_downgrade(*, statement: dict[str, Any]) -> dict[str, Any]:
    """The statement as a 1.0.3 client may receive it: no contextAgents / contextGroups (in its context
    or its SubStatement's), and a 2.x `version` set to "1.0.0".

    Returns a new dict when something changed, the statement itself otherwise; the input is never
    modified, and the parts left unchanged are shared with it, not copied.
    """
    return _downgraded(statement, substatement=False)


def statements_downgrade(*, statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """statement_downgrade for each statement, in order."""
    return [statement_downgrade(statement=statement) for statement in statements]
