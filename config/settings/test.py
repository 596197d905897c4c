"""Tests: SQLite by default; PostgreSQL when TANDEM_TEST_DATABASE_URL is set. Fast hashing, immediate tasks."""

import atexit
import os
import shutil
import tempfile

import dj_database_url

if "TANDEM_DATA_DIR" not in os.environ:
    os.environ["TANDEM_DATA_DIR"] = tempfile.mkdtemp(prefix="tandem-test-")
    # Removed when the run ends; processes the tests start inherit the variable and leave the directory alone.
    atexit.register(shutil.rmtree, os.environ["TANDEM_DATA_DIR"], ignore_errors=True)

from config.settings.base import *  # noqa: F403

_test_url = os.environ.get("TANDEM_TEST_DATABASE_URL")
if _test_url:
    DATABASES = {"default": dj_database_url.parse(_test_url)}
    # Lets parallel runs (or helpers) use their own test database on one server.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TANDEM_TEST_DB_NAME", "test_tandem")}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(os.environ["TANDEM_DATA_DIR"], "test.sqlite3"),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA foreign_keys=ON;"},
            "TEST": {"NAME": os.path.join(os.environ["TANDEM_DATA_DIR"], "test-db.sqlite3")},
        }
    }

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_ENABLED = True
# Every chart the suite draws is validated against the Vega-Lite schema (off in production: it doubles the cost).
TANDEM_CHART_VALIDATE = True
