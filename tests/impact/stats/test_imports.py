"""The statistics package must stay importable without Django (it is pure maths)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_stats_package_imports_no_django() -> None:
    code = "import tandem.impact.stats, sys; assert not any(m.startswith('django') for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)


def test_stats_package_imports_no_other_tandem_module() -> None:
    code = (
        "import tandem.impact.stats, sys; "
        "bad = [m for m in sys.modules if m.startswith('tandem') and not m.startswith('tandem.impact.stats') "
        "and m not in ('tandem', 'tandem.impact')]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)
