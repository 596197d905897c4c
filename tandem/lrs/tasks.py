"""Background work of the LRS (django-tasks): each task takes ids and is safe to run twice."""

from __future__ import annotations

from django_tasks import task

from tandem.core.events import Payload
from tandem.lrs.matching import statements_relink


@task()
def learning_people_relink_task(import_run_id: int | None = None) -> str:
    """Link statements and learning records stored without a person to the people an import wrote.

    Relinks every unmatched actor (an import may add people or change their emails): running it twice
    finds nothing left to link the second time.
    """
    result = statements_relink(source=f"people import #{import_run_id}" if import_run_id else "people import")
    return f"{result.matched} actor(s) matched, {result.statements} statement(s), {result.records} record(s)"


def on_people_imported(payload: Payload) -> None:
    """Subscriber of PEOPLE_IMPORTED (runs after the import committed): queue the relink."""
    run_id = payload.get("import_run_id")
    learning_people_relink_task.enqueue(import_run_id=run_id if isinstance(run_id, int) else None)
