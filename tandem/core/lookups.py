"""`field__in_array=values`: `IN` for long lists of values, as one array parameter on PostgreSQL.

Django compiles `__in` value by value and psycopg splits a long parameterised query in Python on every call
(queries over 4 kB are not cached): at 1,000 values that costs milliseconds per query, more than the
database takes to answer it. `= ANY(%s)` is one parameter and one short SQL text, which psycopg caches.
Elsewhere (SQLite) this is the plain `IN (…)` lookup.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.lookups import In
from django.db.models.sql.compiler import SQLCompiler

from tandem.core.bulk import array_element_type


class InArray(In):
    lookup_name = "in_array"

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, Any]:
        if not isinstance(self.rhs, list | tuple | set | frozenset):
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        prepare = field.get_db_prep_value
        values = [prepare(value, connection, prepared=False) for value in self.rhs if value is not None]
        return f"{lhs} = ANY(%s::{array_element_type(field, connection)}[])", [*lhs_params, values]

    def get_prep_lookup(self) -> Any:
        # Values are converted once, in as_postgresql, not one by one through the expression machinery.
        if isinstance(self.rhs, list | tuple | set | frozenset):
            return list(self.rhs)
        return super().get_prep_lookup()


models.Field.register_lookup(InArray)
# Foreign keys have their own lookups; ids (not model instances) are what callers pass here.
models.ForeignObject.register_lookup(InArray)
