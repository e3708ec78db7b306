"""Query lookups Django does not have."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models.lookups import In


class AnyOf(In):
    """``field IN (…)`` that PostgreSQL gets as ``field = ANY(%s)``: one array parameter.

    A list of thousands of values (an import chunk's e-mails) otherwise becomes as many ``%s``
    marks, each compiled by Django and matched by psycopg, which cost more than the query itself.
    The result is the same; other databases get the plain ``IN``. Use it as an expression:
    ``Model.objects.filter(AnyOf(F("email"), values))``.
    """

    lookup_name = "any_of"

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        if not self.rhs_is_direct_value():
            return self.as_sql(compiler, connection)
        values = [v for v in dict.fromkeys(self.rhs) if v is not None]
        if not values:
            raise EmptyResultSet
        field = self.lhs.output_field
        values = [field.get_db_prep_value(v, connection, prepared=True) for v in values]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, values)
