#!/usr/bin/env bash
# The whole suite: static checks, then pytest on SQLite and (when TANDEM_TEST_DATABASE_URL is set) PostgreSQL,
# then the browser tests in headless Chromium. Called by `make test` and, through it, by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

# pytest exits 5 when it collected nothing: that must fail, not pass silently.
run_pytest() {
  local status=0
  pytest "$@" || status=$?
  if [ "$status" -eq 5 ]; then echo "pytest collected no tests for: $*" >&2; exit 1; fi
  return "$status"
}

# A data directory for the steps that load the test settings outside pytest (mypy's Django plugin exits
# without running the settings' own clean-up), removed on exit.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

step "ruff"; ruff check .
step "mypy"; TANDEM_DATA_DIR="$scratch" mypy tandem config
step "import-linter"; lint-imports
step "migrations are up to date"
TANDEM_DATA_DIR="$scratch" DJANGO_SETTINGS_MODULE=config.settings.test tandem makemigrations --check --dry-run

step "tests on SQLite"
TANDEM_TEST_DATABASE_URL= run_pytest -m "not browser" -p no:cacheprovider

if [ -n "${TANDEM_TEST_DATABASE_URL:-}" ]; then
  step "tests on PostgreSQL ($TANDEM_TEST_DATABASE_URL)"
  run_pytest -m "not browser" -p no:cacheprovider
else
  echo "TANDEM_TEST_DATABASE_URL not set: skipping the PostgreSQL run"
fi

step "browser tests (headless Chromium)"
run_pytest -m browser -p no:cacheprovider
