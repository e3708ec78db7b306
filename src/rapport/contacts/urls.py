from django.urls import path

from rapport.contacts import list_views, record_views, tag_views

app_name = "contacts"


def _record_type(value: str) -> dict:
    return {"record_type": value}


urlpatterns = [
    # contacts
    path("contacts/", list_views.record_list, _record_type("contact"), name="contact_list"),
    path("contacts/new/", record_views.contact_create, name="contact_create"),
    path("contacts/bulk/", list_views.record_bulk, _record_type("contact"), name="contact_bulk"),
    path("contacts/export/", list_views.record_export, _record_type("contact"), name="contact_export"),
    path("contacts/views/save/", list_views.saved_view_save, _record_type("contact"), name="contact_view_save"),
    path("contacts/<int:pk>/", record_views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", record_views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", record_views.record_delete, _record_type("contact"), name="contact_delete"),
    path("contacts/<int:pk>/cell/<str:field>/", list_views.record_cell, _record_type("contact"), name="contact_cell"),
    path(
        "contacts/<int:pk>/cell/<str:field>/show/",
        list_views.record_cell_show,
        _record_type("contact"),
        name="contact_cell_show",
    ),
    path("contacts/<int:pk>/consent/", record_views.contact_consent, name="contact_consent"),
    path("contacts/<int:pk>/relationships/", record_views.relationship_add, name="relationship_add"),
    path(
        "contacts/<int:pk>/relationships/<int:rid>/remove/",
        record_views.relationship_remove,
        name="relationship_remove",
    ),
    path("contacts/<int:pk>/roles/", record_views.role_add, name="role_add"),
    path("contacts/<int:pk>/roles/<int:rid>/remove/", record_views.role_remove, name="role_remove"),
    path("contacts/<int:pk>/past-companies/", record_views.past_company_add, name="past_company_add"),
    path(
        "contacts/<int:pk>/past-companies/<int:rid>/remove/",
        record_views.past_company_remove,
        name="past_company_remove",
    ),
    # companies
    path("companies/", list_views.record_list, _record_type("company"), name="company_list"),
    path("companies/new/", record_views.company_create, name="company_create"),
    path("companies/bulk/", list_views.record_bulk, _record_type("company"), name="company_bulk"),
    path("companies/export/", list_views.record_export, _record_type("company"), name="company_export"),
    path("companies/views/save/", list_views.saved_view_save, _record_type("company"), name="company_view_save"),
    path("companies/<int:pk>/", record_views.company_detail, name="company_detail"),
    path("companies/<int:pk>/edit/", record_views.company_edit, name="company_edit"),
    path("companies/<int:pk>/delete/", record_views.record_delete, _record_type("company"), name="company_delete"),
    path("companies/<int:pk>/cell/<str:field>/", list_views.record_cell, _record_type("company"), name="company_cell"),
    path(
        "companies/<int:pk>/cell/<str:field>/show/",
        list_views.record_cell_show,
        _record_type("company"),
        name="company_cell_show",
    ),
    path("companies/<int:pk>/contacts/new/", record_views.company_quick_contact, name="company_quick_contact"),
    # saved views and tags
    path("views/<int:pk>/delete/", list_views.saved_view_delete, name="saved_view_delete"),
    path("tags/", tag_views.tag_list, name="tag_list"),
    path("tags/<int:pk>/edit/", tag_views.tag_edit, name="tag_edit"),
    path("tags/<int:pk>/delete/", tag_views.tag_delete, name="tag_delete"),
]
