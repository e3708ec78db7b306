from django.urls import path

from rapport.imports import views

app_name = "imports"
urlpatterns = [
    path("imports/", views.import_list, name="list"),
    path("imports/<int:pk>/", views.import_detail, name="detail"),
    path("imports/<int:pk>/progress/", views.import_progress, name="progress"),
    path("imports/<int:pk>/errors.csv", views.import_errors_csv, name="errors_csv"),
    path("imports/<int:pk>/undo/", views.import_undo, name="undo"),
]
