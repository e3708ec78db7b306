"""What the bulk loader must put back (see :mod:`rapport.ops.deferred`)."""

from __future__ import annotations

from django.db import models


class PendingRebuild(models.Model):
    """An index or constraint dropped for a bulk load, with the statement that makes it again.

    Written (and committed) before the drop and deleted in the transaction that rebuilds it, so a
    load that dies half-way leaves the list of what is missing: the next ``seed_demo`` rebuilds it
    first, and ``manage.py check --database default`` (run by ``migrate``) warns until then.
    """

    table = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20)  # "index", "constraint", "foreign key": rebuilt in that order
    statement = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.name} on {self.table}"
