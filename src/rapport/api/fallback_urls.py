"""Include LAST in rapport/urls.py: any /api/ URL no endpoint claimed answers a problem+json 404."""

from django.urls import re_path

from rapport.api.views import api_not_found

app_name = "api_fallback"

urlpatterns = [
    re_path(r"^api/(?P<rest>.*)$", api_not_found, name="not_found"),
]
