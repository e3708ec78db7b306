"""Permission-matrix rows for rapport.ops (see tests/matrix/__init__.py)."""

ROWS: list = []
