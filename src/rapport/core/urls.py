from django.urls import path

from rapport.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("workspaces/new/", views.workspace_create, name="workspace_create"),
    path("workspaces/<int:workspace_id>/switch/", views.workspace_switch, name="workspace_switch"),
    path("search/", views.search, name="search"),
    path("recycle-bin/", views.recycle_bin, name="recycle_bin"),
    path("recycle-bin/<int:content_type_id>/<int:pk>/restore/", views.recycle_bin_restore, name="recycle_bin_restore"),
]
