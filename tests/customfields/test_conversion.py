import pytest
from django.core.exceptions import ValidationError

from rapport.core.history import history_for
from rapport.customfields import services
from rapport.customfields.conversion import refusal_reason
from tests.sampleapp.models import Widget

CHOICES = {"choices": [{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}]}


def _widgets(cast, acting, key, values):
    with acting(cast.owner, cast.workspace):
        return [
            Widget.objects.create(name=f"w{i}", custom={key: value} if value is not None else {})
            for i, value in enumerate(values)
        ]


def _values(cast, acting, key):
    with acting(cast.owner, cast.workspace):
        return [w.custom.get(key) for w in Widget.all_objects.order_by("name")]


def test_preview_reports_conversions_and_failures_without_writing(cast, acting, make_field):
    field = make_field("text", key="seats")
    _widgets(cast, acting, "seats", ["12", " 7.5 ", "a dozen", None])
    with acting(cast.owner, cast.workspace) as actor:
        report = services.definition_preview_type(actor=actor, definition=field, new_type="number")
    assert (report.refused, report.total, report.converted, report.failure_count) == (None, 3, 2, 1)
    assert report.failures[0].record_label == "w2"
    assert "not a number" in report.failures[0].reason
    assert _values(cast, acting, "seats") == ["12", " 7.5 ", "a dozen", None]


def test_apply_with_failures_is_refused_unless_clearing_is_confirmed(cast, acting, make_field):
    field = make_field("text", key="seats")
    widgets = _widgets(cast, acting, "seats", ["12", "a dozen"])
    with acting(cast.owner, cast.workspace) as actor:
        with pytest.raises(ValidationError) as info:
            services.definition_change_type(actor=actor, definition=field, new_type="number")
        assert "1 of 2 values cannot be converted" in info.value.message_dict["clear_failures"][0]
        field.refresh_from_db()
        assert field.field_type == "text"
        services.definition_change_type(actor=actor, definition=field, new_type="number", clear_failures=True)
        assert field.field_type == "number"
        cleared = history_for(widgets[1]).first()
    assert _values(cast, acting, "seats") == ["12", None]
    assert cleared.changes == {"custom.seats": ["a dozen", None]}


def test_select_becomes_multi_select_and_back(cast, acting, make_field):
    field = make_field("select", key="tier", options=CHOICES)
    _widgets(cast, acting, "tier", ["gold", "silver"])
    with acting(cast.owner, cast.workspace) as actor:
        services.definition_change_type(actor=actor, definition=field, new_type="multi_select", new_options=CHOICES)
        assert _values(cast, acting, "tier") == [["gold"], ["silver"]]
        Widget.objects.filter(name="w1").update(custom={"tier": ["gold", "silver"]})
        report = services.definition_preview_type(actor=actor, definition=field, new_type="select", new_options=CHOICES)
    assert (report.converted, report.failure_count) == (1, 1)
    assert "holds 2 choices" in report.failures[0].reason


def test_number_to_text_and_money_keep_the_value(cast, acting, make_field):
    field = make_field("number", key="seats")
    _widgets(cast, acting, "seats", ["1500.5"])
    with acting(cast.owner, cast.workspace) as actor:
        services.definition_change_type(
            actor=actor, definition=field, new_type="money", new_options={"currency": "EUR"}
        )
        assert _values(cast, acting, "seats") == [{"amount": "1500.50", "currency": "EUR"}]
        services.definition_change_type(actor=actor, definition=field, new_type="text")
    assert _values(cast, acting, "seats") == ["1,500.50 EUR"]


def test_impossible_changes_are_refused_with_the_reason(cast, acting, make_field):
    field = make_field("multi_select", key="tiers", options=CHOICES)
    with acting(cast.owner, cast.workspace) as actor:
        report = services.definition_preview_type(actor=actor, definition=field, new_type="number")
        assert "several choices" in report.refused
        with pytest.raises(ValidationError) as info:
            services.definition_change_type(actor=actor, definition=field, new_type="number")
    assert "several choices" in info.value.message_dict["field_type"][0]
    assert refusal_reason("date", "checkbox")
    assert refusal_reason("text", "user") is None


def test_text_becomes_user_by_member_email(cast, acting, make_field):
    field = make_field("text", key="champion")
    _widgets(cast, acting, "champion", ["SALES@acme.test", "nobody@else.test"])
    with acting(cast.owner, cast.workspace) as actor:
        services.definition_change_type(actor=actor, definition=field, new_type="user", clear_failures=True)
    assert _values(cast, acting, "champion") == [cast.sales.pk, None]
