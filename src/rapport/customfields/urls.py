from django.urls import path

from rapport.customfields import views

app_name = "customfields"

urlpatterns = [
    path("settings/fields/", views.field_list, name="list"),
    path("settings/fields/<str:record_type>/new/", views.field_create, name="create"),
    path("settings/fields/<int:pk>/edit/", views.field_edit, name="edit"),
    path("settings/fields/<int:pk>/delete/", views.field_delete, name="delete"),
    path("settings/fields/<int:pk>/move/", views.field_move, name="move"),
    path("settings/fields/<int:pk>/type/", views.field_change_type, name="change_type"),
]
