"""Permission-matrix rows of the command palette and the search API (see tests/matrix/__init__.py).

Every member may search; what each one finds is limited by the permission re-check, which
tests/search/test_search.py and test_views.py cover.
"""

from tests.matrix import ALL_ROLES, Row, roles_status

ROWS = [
    Row("search:palette", roles_status(ALL_ROLES)),
    Row("search_api:search", roles_status(ALL_ROLES), anonymous=401),
]
