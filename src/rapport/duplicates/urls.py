from django.urls import path

from rapport.duplicates import views

app_name = "duplicates"
urlpatterns = [
    path("duplicates/", views.duplicate_list, name="list"),
    path("duplicates/merge/", views.merge_view, name="merge"),
    path("duplicates/merges/<int:pk>/undo/", views.merge_undo, name="undo"),
    path("duplicates/check/", views.lookalike_check, name="check"),
]
