"""Permission-matrix rows for every URL of the contacts app and its API (see tests/matrix/__init__.py)."""

from __future__ import annotations

import itertools

from tests.matrix import ADMINS, ALL_ROLES, SEES, WRITERS, Row, change_status, roles_status, view_status

_n = itertools.count(1)
EXPORTERS = frozenset({"owner", "admin", "manager"})
RECORD_RELATIONS = ("own", "team", "other", "foreign", "deleted")


def _contact(cast, owner, workspace):
    from tests.contacts.factories import make_contact

    admin = cast.owner if workspace == cast.workspace else cast.outsider
    return make_contact(owner, workspace, actor_user=admin, emails=[f"m{next(_n)}@example.com"])


def _company(cast, owner, workspace):
    from tests.contacts.factories import make_company

    admin = cast.owner if workspace == cast.workspace else cast.outsider
    return make_company(owner, workspace, actor_user=admin)


def _with_child(kind):
    """A contact with one relationship / role / past company hanging off it (``record.child``)."""

    def make(cast, owner, workspace):
        from rapport.contacts import related_services
        from rapport.core.permissions import actor_for
        from rapport.core.scoping import audit_context, workspace_scope

        admin = cast.owner if workspace == cast.workspace else cast.outsider
        contact = _contact(cast, owner, workspace)
        with workspace_scope(workspace.pk), audit_context(actor=admin, source="web"):
            actor = actor_for(admin, workspace)
            if kind == "relationship":
                other = _contact(cast, owner, workspace)
                contact.child = related_services.relationship_add(
                    actor=actor, from_contact=contact, to_contact=other, kind="reports_to"
                )
            else:
                company = _company(cast, owner, workspace)
                if kind == "role":
                    contact.child = related_services.contact_role_add(
                        actor=actor, contact=contact, company=company, role="champion"
                    )
                else:
                    contact.child = related_services.past_company_add(actor=actor, contact=contact, company=company)
        return contact

    return make


def _child_kwargs(record):
    return {"pk": record.pk, "rid": record.child.pk}


def _pk(record):
    return {"pk": record.pk}


def _cell(record):
    return {"pk": record.pk, "field": "lifecycle_stage"}


def _saved_view(cast, owner, workspace):
    from rapport.contacts.models import SavedView

    return SavedView.objects.create(
        workspace=workspace, record_type="contact", name=f"v{next(_n)}", created_by=owner, columns=["name"]
    )


def _tag(cast, owner, workspace):
    from rapport.core.scoping import workspace_scope
    from rapport.tags.models import Tag

    with workspace_scope(workspace.pk):
        return Tag.objects.create(name=f"tag{next(_n)}")


def _bulk_expect(role, relation):
    """Bulk actions refuse the whole selection (403) when one record cannot be changed."""
    return 302 if relation in SEES[role] and role != "read_only" else 403


def _bulk_api_expect(role, relation):
    if role == "read_only":
        return 403
    return 200 if relation in SEES[role] else 400  # an item naming an unseen record is a per-item error


def _tag_change(ok):
    def expect(role, relation):
        if relation != "own":
            return 404
        return ok if role in ADMINS else 403

    return expect


def _view_delete(role, relation):
    return 302 if relation == "own" else 404


def _unique_name(record=None):
    return {"name": f"api-tag-{next(_n)}"}


_JSON = {"content_type": "application/json", "anonymous": 401}

ROWS = [
    # lists and pages without a record
    Row("contacts:contact_list", roles_status(ALL_ROLES)),
    Row("contacts:company_list", roles_status(ALL_ROLES)),
    Row("contacts:contact_create", roles_status(WRITERS)),
    Row("contacts:company_create", roles_status(WRITERS)),
    Row("contacts:contact_export", roles_status(EXPORTERS)),
    Row("contacts:company_export", roles_status(EXPORTERS)),
    Row("contacts:tag_list", roles_status(ALL_ROLES)),
    Row(
        "contacts:contact_view_save",
        roles_status(ALL_ROLES, ok=302),
        method="POST",
        data=lambda record: {"name": f"view {next(_n)}", "columns": "name,email", "sort": "name"},
    ),
    Row(
        "contacts:company_view_save",
        roles_status(ALL_ROLES, ok=302),
        method="POST",
        data=lambda record: {"name": f"view {next(_n)}", "columns": "name", "sort": "-created_at"},
    ),
    # contact record pages
    Row("contacts:contact_detail", view_status(), make=_contact, kwargs=_pk),
    Row("contacts:contact_edit", change_status(ok=200), make=_contact, kwargs=_pk),
    Row("contacts:contact_delete", change_status(), method="POST", make=_contact, kwargs=_pk),
    Row("contacts:contact_cell", change_status(ok=200), make=_contact, kwargs=_cell),
    Row(
        "contacts:contact_cell_show",
        view_status(302),
        make=_contact,
        kwargs=_cell,
        note="redirects to the record without HTMX",
    ),
    Row(
        "contacts:contact_consent",
        change_status(),
        method="POST",
        make=_contact,
        kwargs=_pk,
        data={"consent-status": "opted_in", "consent-source": "Web form"},
    ),
    Row(
        "contacts:relationship_add",
        change_status(),
        method="POST",
        make=_contact,
        kwargs=_pk,
        data={"rel-kind": "other", "rel-other": "#1"},
    ),
    Row(
        "contacts:relationship_remove",
        change_status(),
        method="POST",
        make=_with_child("relationship"),
        kwargs=_child_kwargs,
    ),
    Row(
        "contacts:role_add",
        change_status(),
        method="POST",
        make=_contact,
        kwargs=_pk,
        data={"role-role": "champion", "role-company": "#1"},
    ),
    Row("contacts:role_remove", change_status(), method="POST", make=_with_child("role"), kwargs=_child_kwargs),
    Row(
        "contacts:past_company_add",
        change_status(),
        method="POST",
        make=_contact,
        kwargs=_pk,
        data={"past-company": "#1"},
    ),
    Row(
        "contacts:past_company_remove",
        change_status(),
        method="POST",
        make=_with_child("past"),
        kwargs=_child_kwargs,
    ),
    Row(
        "contacts:contact_bulk",
        _bulk_expect,
        method="POST",
        make=_contact,
        data=lambda record: {"ids": [record.pk], "action": "lifecycle_stage", "lifecycle_stage": "customer"},
    ),
    # company record pages
    Row("contacts:company_detail", view_status(), make=_company, kwargs=_pk),
    Row("contacts:company_edit", change_status(ok=200), make=_company, kwargs=_pk),
    Row("contacts:company_delete", change_status(), method="POST", make=_company, kwargs=_pk),
    Row("contacts:company_cell", change_status(ok=200), make=_company, kwargs=_cell),
    Row(
        "contacts:company_cell_show",
        view_status(302),
        make=_company,
        kwargs=_cell,
        note="redirects to the record without HTMX",
    ),
    Row(
        "contacts:company_quick_contact",
        change_status(),
        method="POST",
        make=_company,
        kwargs=_pk,
        data={"first_name": "Quick"},
        note="needs to see the company and to create records",
    ),
    Row(
        "contacts:company_bulk",
        _bulk_expect,
        method="POST",
        make=_company,
        data=lambda record: {"ids": [record.pk], "action": "add_tags", "value": "bulk"},
    ),
    # saved views and tags
    Row(
        "contacts:saved_view_delete",
        _view_delete,
        method="POST",
        make=_saved_view,
        kwargs=_pk,
        relations=("own", "team", "foreign"),
        note="private views: only their author sees (and deletes) them",
    ),
    Row(
        "contacts:tag_edit",
        _tag_change(302),
        method="POST",
        make=_tag,
        kwargs=_pk,
        data={"name": "renamed", "colour": "red"},
        relations=("own", "foreign", "deleted"),
        note="'own' = a tag of the acting user's workspace; tags are not owned",
    ),
    Row(
        "contacts:tag_delete",
        _tag_change(302),
        method="POST",
        make=_tag,
        kwargs=_pk,
        relations=("own", "foreign", "deleted"),
    ),
    # API
    Row("contacts_api:contact-list", roles_status(ALL_ROLES), anonymous=401),
    Row("contacts_api:contact-list", roles_status(WRITERS, ok=201), method="POST", data={"first_name": "Api"}, **_JSON),
    Row("contacts_api:contact-detail", view_status(), make=_contact, kwargs=_pk, anonymous=401),
    Row(
        "contacts_api:contact-detail",
        change_status(ok=200),
        method="PATCH",
        make=_contact,
        kwargs=_pk,
        data={"job_title": "Patched"},
        **_JSON,
    ),
    Row(
        "contacts_api:contact-detail",
        change_status(ok=200),
        method="PUT",
        make=_contact,
        kwargs=_pk,
        data={"first_name": "Put"},
        **_JSON,
    ),
    Row("contacts_api:contact-detail", change_status(ok=204), method="DELETE", make=_contact, kwargs=_pk, **_JSON),
    Row(
        "contacts_api:contact-bulk",
        roles_status(WRITERS, ok=201),
        method="POST",
        data={"items": [{"first_name": "Bulk"}]},
        **_JSON,
    ),
    Row(
        "contacts_api:contact-bulk",
        _bulk_api_expect,
        method="PATCH",
        make=_contact,
        data=lambda record: {"items": [{"id": record.pk, "job_title": "Bulk"}]},
        **_JSON,
    ),
    Row("contacts_api:company-list", roles_status(ALL_ROLES), anonymous=401),
    Row("contacts_api:company-list", roles_status(WRITERS, ok=201), method="POST", data={"name": "Api Co"}, **_JSON),
    Row("contacts_api:company-detail", view_status(), make=_company, kwargs=_pk, anonymous=401),
    Row(
        "contacts_api:company-detail",
        change_status(ok=200),
        method="PATCH",
        make=_company,
        kwargs=_pk,
        data={"industry": "software"},
        **_JSON,
    ),
    Row(
        "contacts_api:company-detail",
        change_status(ok=200),
        method="PUT",
        make=_company,
        kwargs=_pk,
        data={"name": "Put Co"},
        **_JSON,
    ),
    Row("contacts_api:company-detail", change_status(ok=204), method="DELETE", make=_company, kwargs=_pk, **_JSON),
    Row("contacts_api:tag-list", roles_status(ALL_ROLES), anonymous=401),
    Row("contacts_api:tag-list", roles_status(WRITERS, ok=201), method="POST", data=_unique_name, **_JSON),
    Row(
        "contacts_api:tag-detail",
        lambda role, relation: 200 if relation == "own" else 404,
        make=_tag,
        kwargs=_pk,
        anonymous=401,
        relations=("own", "foreign", "deleted"),
    ),
    Row(
        "contacts_api:tag-detail",
        _tag_change(200),
        method="PATCH",
        make=_tag,
        kwargs=_pk,
        data=lambda record: {"name": f"patched{next(_n)}"},
        relations=("own", "foreign", "deleted"),
        **_JSON,
    ),
    Row(
        "contacts_api:tag-detail",
        _tag_change(204),
        method="DELETE",
        make=_tag,
        kwargs=_pk,
        relations=("own", "foreign", "deleted"),
        **_JSON,
    ),
]
