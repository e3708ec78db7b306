"""Permission-matrix rows of the custom-field screens and API (see tests/matrix/__init__.py).

Definitions are not owned: every member of the workspace reads them through the API, and only
owners and admins (capability workspace.manage) see the settings screens or change anything.
The sample Widget stands in as the record type.
"""

from tests.matrix import ADMINS, ALL_ROLES, Row, roles_status

WIDGET = "sampleapp.widget"
RELATIONS = ("own", "foreign", "deleted")


def _register_widget():
    from rapport.customfields.registry import register_record_type

    register_record_type(WIDGET, "Widget")


def _widget_kwargs(_record):
    _register_widget()
    return {"record_type": WIDGET}


def _make_field(cast, owner, workspace):
    from rapport.core.permissions import actor_for
    from rapport.core.scoping import audit_context, workspace_scope
    from rapport.customfields import services

    _register_widget()
    manager = cast.owner if workspace == cast.workspace else cast.outsider
    with workspace_scope(workspace.pk), audit_context(actor=manager, source="web"):
        return services.definition_create(
            actor=actor_for(manager, workspace),
            record_type=WIDGET,
            data={"label": f"Matrix {owner.pk}", "field_type": "text"},
        )


def _pk(field):
    return {"pk": field.pk}


def _manage(ok):
    """Settings screens: 403 for anyone but owners and admins, then 404 outside the live workspace fields."""

    def expect(role, relation):
        if role not in ADMINS:
            return 403
        return ok if relation == "own" else 404

    return expect


def _api_read(role, relation):
    return 200 if relation == "own" else 404


def _api_write(ok):
    """API writes: the record is looked up first (404 outside), then the capability (403)."""

    def expect(role, relation):
        if relation != "own":
            return 404
        return ok if role in ADMINS else 403

    return expect


JSON = "application/json"

ROWS = [
    Row("customfields:list", roles_status(ADMINS)),
    Row("customfields:create", roles_status(ADMINS), kwargs=_widget_kwargs),
    Row(
        "customfields:create",
        roles_status(ADMINS, ok=302),
        method="POST",
        kwargs=_widget_kwargs,
        data={"label": "Matrix new", "field_type": "text"},
    ),
    Row("customfields:edit", _manage(200), make=_make_field, kwargs=_pk, relations=RELATIONS),
    Row(
        "customfields:edit",
        _manage(302),
        method="POST",
        make=_make_field,
        kwargs=_pk,
        data=lambda field: {"label": "Renamed", "version": field.version},
        relations=RELATIONS,
    ),
    Row("customfields:delete", _manage(302), method="POST", make=_make_field, kwargs=_pk, relations=RELATIONS),
    Row(
        "customfields:move",
        _manage(302),
        method="POST",
        make=_make_field,
        kwargs=_pk,
        data={"direction": "up"},
        relations=RELATIONS,
    ),
    Row("customfields:change_type", _manage(200), make=_make_field, kwargs=_pk, relations=RELATIONS),
    Row(
        "customfields:change_type",
        _manage(200),
        method="POST",
        make=_make_field,
        kwargs=_pk,
        data=lambda field: {"field_type": "long_text", "version": field.version},
        relations=RELATIONS,
        note="a preview: nothing changes until the confirmation form is sent",
    ),
    # API
    Row("customfields_api:customfield-list", roles_status(ALL_ROLES), anonymous=401),
    Row(
        "customfields_api:customfield-list",
        roles_status(ADMINS, ok=201),
        method="POST",
        data={"record_type": WIDGET, "label": "Matrix API", "field_type": "text"},
        content_type=JSON,
        anonymous=401,
        kwargs=None,
        make=None,
        note="the Widget record type is registered by the rows above",
    ),
    Row(
        "customfields_api:customfield-detail",
        _api_read,
        make=_make_field,
        kwargs=_pk,
        relations=RELATIONS,
        anonymous=401,
    ),
    Row(
        "customfields_api:customfield-detail",
        _api_write(200),
        method="PATCH",
        make=_make_field,
        kwargs=_pk,
        data={"label": "Patched"},
        content_type=JSON,
        relations=RELATIONS,
        anonymous=401,
    ),
    Row(
        "customfields_api:customfield-detail",
        _api_write(204),
        method="DELETE",
        make=_make_field,
        kwargs=_pk,
        relations=RELATIONS,
        anonymous=401,
    ),
    Row(
        "customfields_api:customfield-change-type",
        _api_write(200),
        method="POST",
        make=_make_field,
        kwargs=_pk,
        data={"field_type": "long_text"},
        content_type=JSON,
        relations=RELATIONS,
        anonymous=401,
    ),
]
