"""The embedded default (`tandem demo`, `tandem serve`): SQLite in the data directory unless DATABASE_URL is set.

DEBUG stays off unless TANDEM_DEBUG=1.
"""

from config.settings.base import *  # noqa: F403
