"""The built-in demo steps. Importing a module registers its steps, so the import order is the run order."""

# isort: skip_file
from tandem.demo.steps import org
from tandem.demo.steps import people
from tandem.demo.steps import initiatives
from tandem.demo.steps import programs
from tandem.demo.steps import programs_more
from tandem.demo.steps import learning
from tandem.demo.steps import feedback
from tandem.demo.steps import accounts

__all__ = ["accounts", "feedback", "initiatives", "learning", "org", "people", "programs", "programs_more"]
