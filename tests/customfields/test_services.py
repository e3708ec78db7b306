import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from rapport.core import services as core_services
from rapport.core.history import history_for
from rapport.core.models import ConflictError
from rapport.customfields import definitions_for, services
from rapport.customfields.models import CustomFieldDefinition
from tests.sampleapp.models import Widget

CHOICES = {"choices": [{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}]}


def test_key_is_derived_from_the_label_and_positions_follow_creation(make_field):
    first = make_field("text", label="Lead source")
    second = make_field("text", label="Lead source")
    assert (first.key, second.key) == ("lead_source", "lead_source_2")
    assert second.position == first.position + 1


def test_only_owners_and_admins_manage_fields(cast, acting):
    with acting(cast.manager, cast.workspace) as actor, pytest.raises(PermissionDenied):
        services.definition_create(
            actor=actor, record_type="sampleapp.widget", data={"label": "X", "field_type": "text"}
        )


def test_an_unregistered_record_type_takes_no_fields(cast, acting):
    with acting(cast.owner, cast.workspace) as actor, pytest.raises(ValidationError) as info:
        services.definition_create(actor=actor, record_type="core.team", data={"label": "X", "field_type": "text"})
    assert "record_type" in info.value.message_dict


def test_key_is_unique_per_record_type_and_reserved_words_are_refused(cast, acting, make_field):
    make_field("text", key="nickname")
    with pytest.raises(ValidationError) as info:
        make_field("number", key="nickname")
    assert "already exists" in info.value.message_dict["key"][0]
    with pytest.raises(ValidationError):
        make_field("text", key="contains")
    make_field("text", key="nickname", workspace=cast.other_workspace)  # another workspace is free


def test_a_key_still_holding_record_values_cannot_be_reused(cast, acting, make_field):
    with acting(cast.owner, cast.workspace):
        Widget.objects.create(name="Old", custom={"legacy": "x"})
    with pytest.raises(ValidationError) as info:
        make_field("number", key="legacy")
    assert "still hold values" in info.value.message_dict["key"][0]


def test_the_key_cannot_change_after_creation(cast, acting, make_field):
    field = make_field("text", key="nickname")
    with acting(cast.owner, cast.workspace) as actor, pytest.raises(ValidationError):
        services.definition_update(actor=actor, definition=field, data={"key": "alias"})


def test_update_changes_label_and_flags_and_writes_history(cast, acting, make_field):
    field = make_field("text", key="nickname")
    with acting(cast.admin, cast.workspace) as actor:
        services.definition_update(
            actor=actor, definition=field, data={"label": "Alias", "required": True, "searchable": True}
        )
        field.refresh_from_db()
        assert (field.label, field.required, field.searchable, field.version) == ("Alias", True, True, 2)
        assert [e.action for e in history_for(field)] == ["update", "create"]


def test_stale_update_is_a_conflict(cast, acting, make_field):
    field = make_field("text", key="nickname")
    with acting(cast.owner, cast.workspace) as actor, pytest.raises(ConflictError):
        services.definition_update(actor=actor, definition=field, data={"label": "New"}, expected_version=7)


def test_removing_an_option_still_in_use_is_refused(cast, acting, make_field):
    field = make_field("select", key="tier", options=CHOICES)
    with acting(cast.owner, cast.workspace) as actor:
        Widget.objects.create(name="W", custom={"tier": "gold"})
        with pytest.raises(ValidationError) as info:
            services.definition_update(
                actor=actor, definition=field, data={"options": {"choices": [{"value": "silver", "label": "S"}]}}
            )
        assert "“gold” (1 records)" in info.value.message_dict["options"][0]
        services.definition_update(
            actor=actor, definition=field, data={"options": {"choices": [*CHOICES["choices"], {"label": "Bronze"}]}}
        )
        field.refresh_from_db()
        assert [c["value"] for c in field.choices] == ["gold", "silver", "bronze"]


def test_searchable_is_only_for_text_like_types(make_field):
    with pytest.raises(ValidationError) as info:
        make_field("number", key="seats", searchable=True)
    assert "searchable" in info.value.message_dict


def test_delete_goes_to_the_recycle_bin_and_restore_brings_it_back(cast, acting, make_field):
    field = make_field("text", key="nickname")
    with acting(cast.owner, cast.workspace) as actor:
        services.definition_delete(actor=actor, definition=field)
        assert definitions_for("sampleapp.widget") == []
        with pytest.raises(ValidationError) as info:
            services.definition_create(
                actor=actor,
                record_type="sampleapp.widget",
                data={"key": "nickname", "label": "N", "field_type": "text"},
            )
        assert "recycle bin" in info.value.message_dict["key"][0]
        core_services.record_restore(actor=actor, record=CustomFieldDefinition.all_objects.get(pk=field.pk))
        assert [d.key for d in definitions_for("sampleapp.widget")] == ["nickname"]


def test_move_and_reorder_change_positions(cast, acting, make_field):
    *_, c = (make_field("text", key=k) for k in ("a", "b", "c"))
    with acting(cast.owner, cast.workspace) as actor:
        services.definition_move(actor=actor, definition=c, direction="up")
        assert [d.key for d in definitions_for("sampleapp.widget")] == ["a", "c", "b"]
        services.definition_reorder(actor=actor, record_type="sampleapp.widget", keys=["b", "a", "c"])
        assert [d.key for d in definitions_for("sampleapp.widget")] == ["b", "a", "c"]
        with pytest.raises(ValidationError):
            services.definition_reorder(actor=actor, record_type="sampleapp.widget", keys=["a", "b"])
