from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from rapport.core import history, services
from rapport.core.models import ConflictError
from rapport.core.scoping import unscoped
from tests.sampleapp.models import Widget


def test_create_update_delete_restore_each_write_history_with_actor_and_source(cast, acting):
    with acting(cast.owner, cast.workspace, source="api") as actor:
        widget = Widget.objects.create(name="Gadget", quantity=1, owner=cast.sales)
        services.record_update(actor=actor, record=widget, data={"quantity": 5}, fields=["quantity"])
        services.record_delete(actor=actor, record=widget)
        services.record_restore(actor=actor, record=Widget.all_objects.get(pk=widget.pk))
        entries = list(history.history_for(widget).order_by("at", "id"))
    assert [e.action for e in entries] == ["create", "update", "delete", "restore"]
    assert {e.actor_id for e in entries} == {cast.owner.pk}
    assert {e.source for e in entries} == {"api"}
    assert entries[1].changes == {"quantity": [1, 5]}
    assert entries[0].changes["name"] == [None, "Gadget"]


def test_saving_without_changes_writes_no_history_and_keeps_the_version(cast, acting):
    with acting(cast.owner, cast.workspace):
        widget = Widget.objects.create(name="Same")
        widget = Widget.objects.get(pk=widget.pk)
        widget.save()
        assert widget.version == 1
        assert history.history_for(widget).count() == 1


def test_stale_edit_raises_conflict_and_writes_nothing(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        widget = Widget.objects.create(name="Shared", quantity=1)
        first = Widget.objects.get(pk=widget.pk)
        second = Widget.objects.get(pk=widget.pk)
        services.record_update(actor=actor, record=first, data={"quantity": 2}, fields=["quantity"])
        with pytest.raises(ConflictError):
            services.record_update(actor=actor, record=second, data={"quantity": 3}, fields=["quantity"])
        fresh = Widget.objects.get(pk=widget.pk)
    assert (fresh.quantity, fresh.version) == (2, 2)


def test_expected_version_from_the_form_is_checked(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        widget = Widget.objects.create(name="Form", quantity=1)
        with pytest.raises(ConflictError):
            services.record_update(
                actor=actor, record=widget, data={"quantity": 3}, fields=["quantity"], expected_version=99
            )


def test_a_field_that_is_not_allowed_is_an_error_not_dropped(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        widget = Widget.objects.create(name="Strict")
        with pytest.raises(ValidationError) as info:
            services.record_update(actor=actor, record=widget, data={"notes": "x"}, fields=["quantity"])
    assert "notes" in info.value.message_dict


def test_deleted_records_leave_lists_and_are_restorable_by_admins_only(cast, acting):
    with acting(cast.sales, cast.workspace) as actor:
        widget = Widget.objects.create(name="Temp", owner=cast.sales)
        services.record_delete(actor=actor, record=widget)
        assert not Widget.objects.filter(pk=widget.pk).exists()
        with pytest.raises(PermissionDenied):
            services.record_restore(actor=actor, record=Widget.all_objects.get(pk=widget.pk))
    with acting(cast.admin, cast.workspace) as admin:
        services.record_restore(actor=admin, record=Widget.all_objects.get(pk=widget.pk))
        assert Widget.objects.filter(pk=widget.pk).exists()


def test_purge_removes_only_records_past_the_retention_period(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        old = Widget.objects.create(name="Old")
        recent = Widget.objects.create(name="Recent")
        services.record_delete(actor=actor, record=old)
        services.record_delete(actor=actor, record=recent)
        Widget.all_objects.filter(pk=old.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    services.purge_expired([Widget])
    with unscoped():
        assert list(Widget.all_objects.values_list("name", flat=True)) == ["Recent"]


def test_restore_after_retention_is_refused(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        widget = Widget.objects.create(name="Gone")
        services.record_delete(actor=actor, record=widget)
        Widget.all_objects.filter(pk=widget.pk).update(deleted_at=timezone.now() - timedelta(days=40))
        with pytest.raises(ValidationError):
            services.record_restore(actor=actor, record=Widget.all_objects.get(pk=widget.pk))


def test_custom_field_changes_are_recorded_one_line_per_field(cast, acting):
    with acting(cast.owner, cast.workspace):
        widget = Widget.objects.create(name="Custom", custom={"colour": "red", "size": 3})
        widget = Widget.objects.get(pk=widget.pk)
        widget.custom = {"colour": "blue", "size": 3, "shape": "round"}
        widget.save()
        entry = history.history_for(widget).first()
    assert entry.changes == {"custom.colour": ["red", "blue"], "custom.shape": [None, "round"]}


def test_custom_values_changed_in_place_are_detected(cast, acting):
    with acting(cast.owner, cast.workspace):
        widget = Widget.objects.create(name="InPlace", custom={"colour": "red"})
        widget.custom["colour"] = "green"
        widget.save()
        assert Widget.objects.get(pk=widget.pk).custom == {"colour": "green"}
        assert history.history_for(widget).first().changes == {"custom.colour": ["red", "green"]}
