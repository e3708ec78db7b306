from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from rapport.core import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("allauth.urls")),
    path("", include("rapport.accounts.urls")),
    path("api/v1/", include("rapport.contacts.api_urls")),
    path("api/v1/", include("rapport.customfields.api_urls")),
    path("api/v1/", include("rapport.search.api_urls")),
    path("api/v1/", include("rapport.sales.api_urls")),
    path("api/v1/", include("rapport.activities.api_urls")),
    path("api/v1/", include("rapport.imports.api_urls")),
    path("api/v1/", include("rapport.exports.api_urls")),
    path("api/v1/", include("rapport.duplicates.api_urls")),
    path("", include("rapport.api.urls")),  # /api/v1/ core endpoints + /settings/api-tokens/
    path("admin/", admin.site.urls),
    path("", include("rapport.core.urls")),
    path("", include("rapport.customfields.urls")),
    path("", include("rapport.search.urls")),
    path("", include("rapport.contacts.urls")),
    path("", include("rapport.sales.urls")),
    path("", include("rapport.activities.urls")),
    path("", include("rapport.imports.urls")),
    path("", include("rapport.exports.urls")),
    path("", include("rapport.duplicates.urls")),
    # Keep LAST: unknown /api/ URLs answer a problem+json 404 (would shadow api_urls included after it).
    path("", include("rapport.api.fallback_urls")),
]

handler403 = "rapport.core.views.error_403"
handler404 = "rapport.core.views.error_404"
handler500 = "rapport.core.views.error_500"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
