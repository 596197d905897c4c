"""The `tandem` console command: Django management with a data directory.

`--data-dir DIR` (or TANDEM_DATA_DIR) is accepted by every subcommand and removed before Django
parses the rest, so `tandem demo`, `tandem import`, `tandem migrate`, `tandem shell`... all share it.
"""

from __future__ import annotations

import os
import sys

USAGE = """usage: tandem [--data-dir DIR] COMMAND [options]

Tandem commands:
  demo        build the demo company (if the database is empty) and serve it
  serve       serve Tandem (web server and background worker)
  import      import an HRIS people file or a metric observations file
  createadmin create an L&D admin account
  lrs-credentials  create, revoke, rotate or list xAPI credentials
  lrs-import       load statements exported from another LRS
  lrs-records-rebuild  rebuild learning records from their statements
  survey-dispatch  send the survey invitations and reminders that are due
Any Django management command also works (migrate, shell, dbshell, check, ...).
Set DATABASE_URL to use PostgreSQL instead of the embedded SQLite database.
"""


def _pop_data_dir(argv: list[str]) -> list[str]:
    rest: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--data-dir":
            if index + 1 >= len(argv):
                sys.exit("tandem: --data-dir needs a directory")
            os.environ["TANDEM_DATA_DIR"] = os.path.abspath(argv[index + 1])
            index += 2
            continue
        if arg.startswith("--data-dir="):
            os.environ["TANDEM_DATA_DIR"] = os.path.abspath(arg.split("=", 1)[1])
        else:
            rest.append(arg)
        index += 1
    return rest


def main(argv: list[str] | None = None) -> int:
    args = _pop_data_dir(list(sys.argv[1:] if argv is None else argv))
    if not args or args[0] in {"-h", "--help"}:
        print(USAGE)
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    # One BLAS thread per process: the server runs several workers, and multi-threaded OpenBLAS calls in
    # concurrent requests block each other (a 0.02 s product took 3 s under load; bench/RESULTS.md, Impact).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tandem", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
