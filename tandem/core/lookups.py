"""`field__in_array=values`: `IN` for long lists of values, compiled once for the whole list.

Django's `__in` resolves and prepares its values one by one through the expression machinery (tens of µs
each), and on PostgreSQL psycopg splits the resulting long SQL text in Python on every call (texts over 4 kB
are not cached): at 1,000 values that costs milliseconds per query, more than the database takes to answer
it. Here the values are prepared in one pass; PostgreSQL gets `= ANY(%s)`, one array parameter and one short
SQL text, which psycopg caches; other databases (SQLite) get `IN (%s, …)`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.lookups import In
from django.db.models.sql.compiler import SQLCompiler

from tandem.core.bulk import array_element_type

_LISTS = (list, tuple, set, frozenset)


class InArray(In):
    lookup_name = "in_array"

    def get_prep_lookup(self) -> Any:
        # Values are converted once, in _db_values, not one by one through the expression machinery.
        if isinstance(self.rhs, _LISTS):
            return list(self.rhs)
        return super().get_prep_lookup()

    def _db_values(self, connection: BaseDatabaseWrapper) -> list[Any]:
        prepare = self.lhs.output_field.get_db_prep_value
        # dict.fromkeys: duplicates dropped in order, as In does; None never matches IN, so it is dropped too.
        return list(
            dict.fromkeys(
                prepare(value, connection, prepared=False) for value in self.rhs if value is not None
            )
        )

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, Any]:
        if not isinstance(self.rhs, _LISTS):
            return super().as_sql(compiler, connection)
        values = self._db_values(connection)
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, Any]:
        if not isinstance(self.rhs, _LISTS):
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        element = array_element_type(self.lhs.output_field, connection)
        return f"{lhs} = ANY(%s::{element}[])", [*lhs_params, self._db_values(connection)]


models.Field.register_lookup(InArray)
# Foreign keys have their own lookups; ids (not model instances) are what callers pass here.
models.ForeignObject.register_lookup(InArray)
