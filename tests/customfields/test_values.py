import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from rapport.customfields import clean_values, definitions_for, display_value, initial_from_record, search_texts
from rapport.customfields.values import merged_custom
from tests.sampleapp.models import Widget

CHOICES = {"choices": [{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}]}


def _clean(acting, cast, data, **kwargs):
    with acting(cast.owner, cast.workspace):
        return clean_values(definitions_for("sampleapp.widget"), data, **kwargs)


def test_definitions_for_lists_the_active_workspace_fields_in_position_order(cast, acting, make_field):
    make_field("text", key="second", position=2)
    make_field("number", key="first", position=1)
    make_field("text", key="theirs", workspace=cast.other_workspace)
    with acting(cast.sales, cast.workspace):
        assert [d.key for d in definitions_for("sampleapp.widget")] == ["first", "second"]


def test_each_type_is_stored_as_plain_json(cast, acting, make_field):
    make_field("text", key="nickname")
    make_field("long_text", key="story")
    make_field("number", key="seats")
    make_field("money", key="budget", options={"currency": "EUR"})
    make_field("date", key="renewal")
    make_field("datetime", key="last_call")
    make_field("checkbox", key="vip")
    make_field("select", key="tier", options=CHOICES)
    make_field("multi_select", key="tiers", options=CHOICES)
    make_field("url", key="site")
    make_field("email", key="billing")
    make_field("phone", key="hotline")
    make_field("user", key="champion")
    cleaned = _clean(
        acting,
        cast,
        {
            "cf_nickname": "  Bob  ",
            "cf_story": "Line one\nLine two",
            "cf_seats": Decimal("12.50"),
            "cf_budget": "1200.5",
            "cf_renewal": dt.date(2030, 1, 31),
            "cf_last_call": dt.datetime(2030, 1, 31, 9, 30, tzinfo=dt.UTC),
            "cf_vip": True,
            "cf_tier": "Gold",
            "cf_tiers": ["silver", "gold", "silver"],
            "cf_site": "acme.example",
            "cf_billing": "Billing@ACME.example",
            "cf_hotline": "(555) 010-2030",
            "cf_champion": cast.sales,
        },
    )
    assert cleaned == {
        "nickname": "Bob",
        "story": "Line one\nLine two",
        "seats": "12.50",
        "budget": {"amount": "1200.50", "currency": "EUR"},
        "renewal": "2030-01-31",
        "last_call": "2030-01-31T09:30:00Z",
        "vip": True,
        "tier": "gold",
        "tiers": ["silver", "gold"],
        "site": "https://acme.example",
        "billing": "billing@acme.example",
        "hotline": "+15550102030",
        "champion": cast.sales.pk,
    }


def test_bad_values_are_errors_keyed_by_form_field_name(cast, acting, make_field):
    make_field("number", key="seats")
    make_field("url", key="site")
    make_field("select", key="tier", options=CHOICES)
    make_field("user", key="champion")
    with pytest.raises(ValidationError) as info:
        _clean(
            acting,
            cast,
            {
                "cf_seats": "lots",
                "cf_site": "javascript:alert(1)",
                "cf_tier": "bronze",
                "cf_champion": cast.outsider.pk,
            },
        )
    errors = info.value.message_dict
    assert set(errors) == {"cf_seats", "cf_site", "cf_tier", "cf_champion"}
    assert "not one of the options" in errors["cf_tier"][0]
    assert "member of this workspace" in errors["cf_champion"][0]


def test_api_flag_names_errors_custom_dot_key(cast, acting, make_field):
    make_field("email", key="billing")
    with pytest.raises(ValidationError) as info:
        _clean(acting, cast, {"billing": "not an email"}, api=True)
    assert list(info.value.message_dict) == ["custom.billing"]


def test_unknown_keys_are_errors_never_dropped(cast, acting, make_field):
    make_field("text", key="nickname")
    with pytest.raises(ValidationError) as info:
        _clean(acting, cast, {"nickname": "x", "shoe_size": 44}, api=True)
    assert list(info.value.message_dict) == ["custom.shoe_size"]


def test_required_fields_are_checked_unless_partial(cast, acting, make_field):
    make_field("text", key="nickname", required=True)
    make_field("text", key="other")
    with pytest.raises(ValidationError) as info:
        _clean(acting, cast, {"other": "x"})
    assert info.value.message_dict == {"cf_nickname": ["This field is required."]}
    assert _clean(acting, cast, {"other": "x"}, partial=True) == {"other": "x"}
    with pytest.raises(ValidationError):
        _clean(acting, cast, {"nickname": ""}, partial=True)


def test_money_accepts_an_explicit_currency_and_refuses_bad_codes(cast, acting, make_field):
    make_field("money", key="budget")
    assert _clean(acting, cast, {"budget": {"amount": "3", "currency": "gbp"}}, api=True)["budget"] == {
        "amount": "3.00",
        "currency": "GBP",
    }
    assert _clean(acting, cast, {"budget": "7.125 JPY"})["budget"] == {"amount": "7.125", "currency": "JPY"}
    with pytest.raises(ValidationError):
        _clean(acting, cast, {"budget": {"amount": "3", "currency": "EURO"}}, api=True)


def test_phone_uses_the_workspace_region_for_national_numbers(cast, acting, make_field):
    cast.workspace.default_region = "GB"
    cast.workspace.save()
    make_field("phone", key="hotline")
    assert _clean(acting, cast, {"hotline": "020 7946 0000"})["hotline"] == "+442079460000"


def test_empty_values_remove_their_key_from_the_record(cast, acting, make_field):
    make_field("text", key="nickname")
    cleaned = _clean(acting, cast, {"nickname": ""})
    assert merged_custom({"nickname": "Bob", "kept": 1}, cleaned) == {"kept": 1}


def test_display_initial_and_search_texts_read_stored_values(cast, acting, make_field):
    make_field("select", key="tier", options=CHOICES, searchable=True)
    make_field("money", key="budget")
    make_field("checkbox", key="vip")
    make_field("phone", key="hotline", searchable=True)
    make_field("user", key="champion")
    with acting(cast.owner, cast.workspace):
        widget = Widget.objects.create(
            name="W",
            custom={
                "tier": "gold",
                "budget": {"amount": "1234.50", "currency": "USD"},
                "vip": False,
                "hotline": "+15550102030",
                "champion": cast.sales.pk,
            },
        )
        definitions = {d.key: d for d in definitions_for("sampleapp.widget")}
        assert display_value(definitions["tier"], "gold") == "Gold"
        assert display_value(definitions["budget"], widget.custom["budget"]) == "1,234.50 USD"
        assert display_value(definitions["vip"], False) == "No"
        assert display_value(definitions["hotline"], "+15550102030") == "+1 555-010-2030"
        assert display_value(definitions["champion"], cast.sales.pk) == cast.sales.full_name
        assert initial_from_record(list(definitions.values()), widget)["cf_budget"] == "1234.50 USD"
        assert search_texts(list(definitions.values()), widget) == ["Gold", "+15550102030"]
