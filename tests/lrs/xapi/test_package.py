"""The validation layer stays free of Django (the storage and HTTP layers import it, not vice versa)."""

from __future__ import annotations

import subprocess
import sys


def test_xapi_package_imports_without_django() -> None:
    """Importing tandem.lrs.xapi must not pull in Django."""
    code = "import sys, tandem.lrs.xapi; sys.exit(1 if any(m.split('.')[0] == 'django' for m in sys.modules) else 0)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr or "django was imported"
