from django.apps import AppConfig


class LrsConfig(AppConfig):
    name = "tandem.lrs"
    label = "lrs"

    def ready(self) -> None:
        from tandem.core.events import PEOPLE_IMPORTED, event_subscribe
        from tandem.lrs.tasks import on_people_imported

        # Learning records link to people by themselves after a people import (tandem.imports publishes).
        event_subscribe(name=PEOPLE_IMPORTED, handler=on_people_imported)
