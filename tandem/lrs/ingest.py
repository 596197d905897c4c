"""What else happens, in the same transaction, when statements are stored.

Kept in one place so statements_store stays about storage: each step is incremental (it looks only at the
new rows) and bulk (a constant number of queries per batch).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tandem.lrs.activities import activity_definitions_merge
from tandem.lrs.learning import learning_records_update
from tandem.lrs.records import StoredStatement


def statements_after_store(*, rows: Sequence[StoredStatement], people: Mapping[str, int]) -> None:
    """people: actor IFI to person id for the batch's actors (the store matched them already)."""
    activity_definitions_merge(rows=rows)
    learning_records_update(rows=rows, people=people)
