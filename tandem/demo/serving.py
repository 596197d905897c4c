"""Serving Tandem: gunicorn for the web and a django-tasks database worker, side by side.

Both run as child processes of the same Python (sys.executable), inheriting the environment, so
TANDEM_DATA_DIR, DATABASE_URL and DJANGO_SETTINGS_MODULE reach them unchanged.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any, Protocol

from tandem.demo.gunicorn_worker import REQUEST_LINE_LIMIT

logger = logging.getLogger(__name__)

DEFAULT_SETTINGS = "config.settings.local"
STOP_SECONDS = 15.0
NAMES = ("web server (gunicorn)", "task worker (db_worker)")
IMPORT_PURGE_SECONDS = 3600  # uploaded files past their retention are deleted within the hour


class Output(Protocol):
    """sys.stdout or a management command's self.stdout."""

    def write(self, text: str, /) -> Any: ...

    def flush(self) -> Any: ...


def serve_commands(*, host: str, port: int, workers: int) -> list[list[str]]:
    web = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        # Threads keep a page responsive while another request renders a chart.
        "--threads",
        "4",
        # gunicorn's threaded worker, answering the request-line and header limits with xAPI JSON errors;
        # xAPI clients send an Agent and IRIs in the query, so the request line may use gunicorn's maximum.
        "--worker-class",
        "tandem.demo.gunicorn_worker.XapiThreadWorker",
        "--limit-request-line",
        str(REQUEST_LINE_LIMIT),
        "--graceful-timeout",
        "10",
        "--access-logfile",
        "-",
    ]
    worker = [sys.executable, "-m", "tandem.cli", "db_worker"]
    return [web, worker]


@dataclass
class Periodic:
    """Runs `action` at most once every `every` seconds when ticked (every <= 0: never)."""

    every: float
    action: Callable[[], object]
    next_at: float = 0.0

    def tick(self, now: float) -> bool:
        if self.every <= 0 or now < self.next_at:
            return False
        self.next_at = now + self.every
        self.action()
        return True


def import_files_purge_enqueue() -> bool:
    """Queue the deletion of uploaded import files past their retention period (safe to queue often)."""
    from django.db import close_old_connections, connection

    from tandem.imports.retention import import_files_purge_task

    try:
        if not connection.in_atomic_block:
            close_old_connections()
        import_files_purge_task.enqueue()
    except Exception:  # serving must go on; the next tick retries
        logger.exception("Could not queue the purge of import files")
        return False
    return True


def survey_dispatch_enqueue() -> bool:
    """Queue one run of the survey dispatch for the task worker (it sends what is due, so queuing too often
    costs nothing). A failure (e.g. the database is busy) is logged; the next tick tries again."""
    from django.db import close_old_connections, connection

    from tandem.surveys.services import survey_dispatch_task

    try:
        if not connection.in_atomic_block:
            close_old_connections()  # this process lives for days: drop a connection the server has closed
        survey_dispatch_task.enqueue()
    except Exception:  # serving must go on; the next tick retries
        logger.exception("Could not queue the survey dispatch")
        return False
    return True


def _stop(processes: Sequence[subprocess.Popen[bytes]], *, forced: Callable[[], bool]) -> None:
    """One SIGTERM each (both shut down gracefully on it); SIGKILL after a while or on a second Ctrl-C."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    while any(process.poll() is None for process in processes):
        if forced() or time.monotonic() > deadline:
            for process in processes:
                if process.poll() is None:
                    process.kill()
            break
        time.sleep(0.1)
    for process in processes:
        process.wait()


def served_url(*, host: str, port: int) -> str:
    """The address a browser on this machine reaches the server at (a wildcard bind is reached at 127.0.0.1)."""
    shown = "127.0.0.1" if host in {"", "0.0.0.0", "::"} else host  # noqa: S104 (compared, not bound)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def base_url_default(*, host: str, port: int) -> str:
    """TANDEM_BASE_URL, unless set, becomes the address actually served (links in emails, Tandem's xAPI IRIs):
    `tandem demo --port 8080` must not send links to :8000. Set in this process's settings and in the
    environment the server and worker inherit."""
    from django.conf import settings

    if not os.environ.get("TANDEM_BASE_URL"):
        os.environ["TANDEM_BASE_URL"] = served_url(host=host, port=port)
        settings.TANDEM_BASE_URL = os.environ["TANDEM_BASE_URL"]
    return str(settings.TANDEM_BASE_URL)


def serve(*, host: str, port: int, workers: int, out: Output) -> int:
    """Run the web server and the task worker until a signal or until either of them exits."""
    base_url_default(host=host, port=port)
    env = os.environ.copy()
    env.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    signals_received = 0

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal signals_received
        signals_received += 1

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes: list[subprocess.Popen[bytes]] = []
    exit_code = 0
    try:
        for command in serve_commands(host=host, port=port, workers=workers):
            # Own process group: a terminal Ctrl-C reaches only us, and we pass on exactly one SIGTERM
            # (a second signal would make db_worker abandon the task it is running).
            processes.append(subprocess.Popen(command, env=env, process_group=0))  # noqa: S603 (our interpreter)
        out.write(f"Tandem is running at http://{host}:{port}/ (press Ctrl-C to stop)\n")
        out.flush()
        from django.conf import settings

        dispatch = Periodic(every=settings.TANDEM_SURVEY_DISPATCH_SECONDS, action=survey_dispatch_enqueue)
        purge = Periodic(every=IMPORT_PURGE_SECONDS, action=import_files_purge_enqueue)
        while not signals_received:
            dispatch.tick(time.monotonic())
            purge.tick(time.monotonic())
            exited = [
                (name, process)
                for name, process in zip(NAMES, processes, strict=True)
                if process.poll() is not None
            ]
            if exited:
                name, process = exited[0]
                exit_code = process.returncode or 1
                out.write(f"The {name} stopped (exit code {process.returncode}); shutting down\n")
                break
            time.sleep(0.2)
    finally:
        if signals_received:
            out.write("Stopping Tandem...\n")
            out.flush()
        _stop(processes, forced=lambda: signals_received > 1)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return exit_code
