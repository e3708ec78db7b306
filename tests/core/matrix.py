from tests.matrix import ADMINS, ALL_ROLES, Row, roles_status


def _deleted_widget(cast, owner, workspace):
    from rapport.core import services
    from rapport.core.permissions import actor_for
    from rapport.core.scoping import audit_context, workspace_scope
    from tests.sampleapp.models import Widget

    with workspace_scope(workspace.pk), audit_context(actor=owner, source="web"):
        widget = Widget.objects.create(name=f"bin {owner.pk}", owner=owner)
        services.record_delete(
            actor=actor_for(cast.owner, workspace)
            if workspace == cast.workspace
            else actor_for(cast.outsider, workspace),
            record=widget,
        )
    return widget


def _restore_kwargs(widget):
    from django.contrib.contenttypes.models import ContentType

    return {"content_type_id": ContentType.objects.get_for_model(widget).pk, "pk": widget.pk}


def _restore_expect(role, relation):
    if relation == "foreign":
        return 404  # another workspace's record does not exist, whoever asks
    return 302 if role in ADMINS else 403


ROWS = [
    Row("core:home", roles_status(ALL_ROLES)),
    Row("core:search", roles_status(ALL_ROLES)),
    Row("core:workspace_create", roles_status(ALL_ROLES)),
    Row(
        "core:workspace_switch",
        lambda role, relation: 302 if relation != "foreign" else 404,
        method="POST",
        make=lambda cast, owner, workspace: workspace,
        kwargs=lambda workspace: {"workspace_id": workspace.pk},
        relations=("own", "foreign"),
    ),
    Row("core:recycle_bin", roles_status(ADMINS)),
    Row(
        "core:recycle_bin_restore",
        _restore_expect,
        method="POST",
        make=_deleted_widget,
        kwargs=_restore_kwargs,
        relations=("own", "foreign"),
        note="the record is in the bin; only owners and admins restore, and only their workspace's",
    ),
]
