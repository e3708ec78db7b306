"""Search endpoint, included under /api/v1/ in rapport/urls.py."""

from django.urls import path

from rapport.search.api import SearchView

app_name = "search_api"

urlpatterns = [
    path("search/", SearchView.as_view(), name="search"),
]
