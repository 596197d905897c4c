"""xAPI statement validation and normalisation (versions 1.0.x and 2.0.x), free of Django.

The storage and HTTP layers call these; nothing here touches the database or the network.
"""

from tandem.lrs.xapi.agents import account_ifi_parts, agent_ifi, mbox_normalise
from tandem.lrs.xapi.compare import statement_differences, statement_equivalent
from tandem.lrs.xapi.errors import XapiValidationError
from tandem.lrs.xapi.formats import duration_seconds, timestamp_parse
from tandem.lrs.xapi.jsontext import MAX_JSON_DEPTH, json_parse, json_value_check
from tandem.lrs.xapi.output import (
    FORMATS,
    contexts_as_arrays,
    language_pick,
    normalise,
    statement_activity_ids,
    statement_format,
)
from tandem.lrs.xapi.signature import SIGNATURE_ALGORITHMS, signature_verify
from tandem.lrs.xapi.validate import (
    SIGNATURE_USAGE_TYPE,
    VOIDED_VERB,
    statement_validate,
    statements_validate,
)

__all__ = [
    "FORMATS",
    "MAX_JSON_DEPTH",
    "SIGNATURE_ALGORITHMS",
    "SIGNATURE_USAGE_TYPE",
    "VOIDED_VERB",
    "XapiValidationError",
    "account_ifi_parts",
    "agent_ifi",
    "contexts_as_arrays",
    "duration_seconds",
    "json_parse",
    "json_value_check",
    "language_pick",
    "mbox_normalise",
    "normalise",
    "signature_verify",
    "statement_activity_ids",
    "statement_differences",
    "statement_equivalent",
    "statement_format",
    "statement_validate",
    "statements_validate",
    "timestamp_parse",
]
