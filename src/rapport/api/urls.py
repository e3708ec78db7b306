"""The core API endpoints (/api/v1/...) and the API token pages (/settings/api-tokens/...).

Apps add their own endpoints in ``<app>/api_urls.py``, included under ``api/v1/`` in
rapport/urls.py. The catch-all 404 for unknown API URLs is in ``rapport.api.fallback_urls``,
included last so it never shadows them.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from rapport.api import token_views, views

app_name = "api"

router = SimpleRouter(use_regex_path=False)
router.register("teams", views.TeamViewSet, basename="team")

api_patterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("members/", views.MemberList.as_view(), name="members"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]

token_patterns = [
    path("", token_views.token_list, name="tokens"),
    path("new/", token_views.token_create, name="token_create"),
    path("<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
]

urlpatterns = [
    path("api/v1/", include(api_patterns)),
    path("settings/api-tokens/", include(token_patterns)),
]
