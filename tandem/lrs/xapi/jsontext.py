"""Reading JSON from a request strictly, and the values a stored statement or document may hold.

Python's json module is more liberal than JSON (RFC 8259) and than what the storage and the pages can read
back: it accepts ``NaN`` and ``Infinity``, integers of any size, lone UTF-16 surrogates ("\\udc80") and any
nesting its recursion allows. Each of these, once stored, breaks something later (a float overflow in a score,
a page that cannot encode a name in UTF-8, a RecursionError in every read of a deeply nested extension), so they
are refused at write, with the JSON path of the value, by `json_parse` (request bodies) and `json_value_check`
(any value about to be stored, whoever built it).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from tandem.lrs.xapi.errors import XapiValidationError

# Objects and arrays nested deeper than this are refused. Statements need about ten levels (a SubStatement's
# context activity's definition's extensions) and documents rarely more; every read path (json, copy,
# the templates) handles 64 levels far inside Python's recursion limit.
MAX_JSON_DEPTH = 64
# JSON numbers are IEEE 754 doubles to every xAPI client (Data 2.2.s4.b3 and 4.x "decimal number"); an integer
# no double can hold is refused rather than stored as something no client can read the same way.
MAX_JSON_INTEGER = 2**1023
_SURROGATE = re.compile("[\ud800-\udfff]")


class _NotFinite(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotFinite(name)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def json_value_check(*, value: Any, field: str = "") -> None:
    """Raise XapiValidationError for the first value that may not be stored: a string (or key) holding a lone
    UTF-16 surrogate, a NaN or infinite float, an integer beyond a double's range, or objects and arrays
    nested deeper than MAX_JSON_DEPTH. Iterative, so any nesting is reported rather than overflowing."""
    stack: list[tuple[Any, str, int]] = [(value, field, 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise XapiValidationError(
                    field=path or "value",
                    rule="holds a lone UTF-16 surrogate (not a Unicode character); send valid UTF-8 text",
                )
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > MAX_JSON_INTEGER:
                raise XapiValidationError(
                    field=path or "value", rule="is a number too large for a double (IEEE 754)"
                )
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise XapiValidationError(field=path or "value", rule="must be a finite number")
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise XapiValidationError(
                    field=path or "value",
                    rule=f"nests objects and arrays deeper than {MAX_JSON_DEPTH} levels",
                )
            if isinstance(item, dict):
                children = []
                for key, child in item.items():
                    if isinstance(key, str) and _SURROGATE.search(key):
                        raise XapiValidationError(
                            field=_join(path, key.encode("utf-8", "backslashreplace").decode()),
                            rule="the key holds a lone UTF-16 surrogate (not a Unicode character)",
                        )
                    children.append((child, _join(path, str(key)), depth + 1))
            else:
                children = [(child, f"{path}[{index}]", depth + 1) for index, child in enumerate(item)]
            stack.extend(reversed(children))  # first child on top: the first problem is the one reported


def json_parse(*, raw: bytes | str, field: str = "body") -> Any:
    """The JSON value of a request body, or XapiValidationError saying what is wrong with it.

    UTF-8 only (Data 2.2.s4.b9 / RFC 8259), no NaN or Infinity, and json_value_check's limits."""
    try:
        text = raw if isinstance(raw, str) else raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise XapiValidationError(
            field=field, rule=f"is not valid UTF-8 (byte {error.start} cannot be decoded)"
        ) from error
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except _NotFinite as error:
        raise XapiValidationError(
            field=field, rule=f"holds {error}, which JSON does not allow: numbers must be finite"
        ) from error
    except RecursionError as error:
        raise XapiValidationError(
            field=field, rule=f"nests objects and arrays deeper than {MAX_JSON_DEPTH} levels"
        ) from error
    except json.JSONDecodeError as error:
        raise XapiValidationError(
            field=field, rule=f"is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from error
    except ValueError as error:  # an integer literal beyond Python's digit limit (sys.int_info)
        raise XapiValidationError(
            field=field, rule="holds a number too large for a double (IEEE 754)"
        ) from error
    json_value_check(value=value, field="" if field == "body" else field)
    return value
