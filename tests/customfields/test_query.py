import pytest
from django.core.exceptions import ValidationError

from rapport.customfields import definitions_for, filter_q, order_by_expression
from tests.sampleapp.models import Widget

CHOICES = {"choices": [{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}]}


@pytest.fixture
def widgets(cast, acting, make_field):
    make_field("text", key="nickname")
    make_field("number", key="seats")
    make_field("money", key="budget", options={"currency": "EUR"})
    make_field("date", key="renewal")
    make_field("datetime", key="last_call")
    make_field("checkbox", key="vip")
    make_field("select", key="tier", options=CHOICES)
    make_field("multi_select", key="tiers", options=CHOICES)
    make_field("phone", key="hotline")
    make_field("user", key="champion")
    rows = {
        "a": {
            "nickname": "Alpha",
            "seats": "9.5",
            "budget": {"amount": "100.00", "currency": "EUR"},
            "renewal": "2030-01-05",
            "last_call": "2030-01-05T10:00:00Z",
            "vip": True,
            "tier": "silver",
            "tiers": ["gold", "silver"],
            "hotline": "+15550102030",
            "champion": cast.sales.pk,
        },
        "b": {
            "nickname": "bravo",
            "seats": "10",
            "budget": {"amount": "20.00", "currency": "USD"},
            "renewal": "2030-02-01",
            "last_call": "2030-01-06T00:30:00Z",
            "vip": False,
            "tier": "gold",
            "tiers": ["silver"],
        },
        "c": {},
    }
    with acting(cast.owner, cast.workspace):
        for name, custom in rows.items():
            Widget.objects.create(name=name, custom=custom)
    return {d.key: d for d in _definitions(cast, acting)}


def _definitions(cast, acting):
    with acting(cast.owner, cast.workspace):
        return definitions_for("sampleapp.widget")


def _names(cast, acting, q=None, order=None):
    with acting(cast.owner, cast.workspace):
        queryset = Widget.objects.all()
        if q is not None:
            queryset = queryset.filter(q)
        queryset = queryset.order_by(order, "name") if order is not None else queryset.order_by("name")
        return list(queryset.values_list("name", flat=True))


@pytest.mark.parametrize(
    ("key", "operator", "value", "expected"),
    [
        ("nickname", "eq", "Alpha", ["a"]),
        ("nickname", "ne", "Alpha", ["b", "c"]),
        ("nickname", "icontains", "RAV", ["b"]),
        ("nickname", "contains", "lph", ["a"]),
        ("nickname", "startswith", "br", ["b"]),
        ("nickname", "in", ["Alpha", "bravo"], ["a", "b"]),
        ("nickname", "is_empty", None, ["c"]),
        ("nickname", "is_not_empty", None, ["a", "b"]),
        ("seats", "gt", "9.6", ["b"]),
        ("seats", "lte", 9.5, ["a"]),
        ("seats", "between", ["9", "9.9"], ["a"]),
        ("seats", "eq", "10.00", ["b"]),
        ("budget", "gte", "50", ["a"]),
        ("budget", "lt", "1000 USD", ["b"]),
        ("budget", "eq", {"amount": "100", "currency": "EUR"}, ["a"]),
        ("renewal", "before", "2030-02-01", ["a"]),
        ("renewal", "after", "2030-01-05", ["b"]),
        ("renewal", "between", "2030-01-01,2030-01-31", ["a"]),
        ("last_call", "eq", "2030-01-05", ["a"]),
        ("last_call", "after", "2030-01-05", ["b"]),
        ("last_call", "lte", "2030-01-05T10:00:00Z", ["a"]),
        ("vip", "eq", True, ["a"]),
        ("vip", "eq", "no", ["b", "c"]),
        ("tier", "eq", "gold", ["b"]),
        ("tier", "in", "gold,silver", ["a", "b"]),
        ("tiers", "contains", "gold", ["a"]),
        ("tiers", "in", ["gold", "silver"], ["a", "b"]),
        ("tiers", "ne", "gold", ["b", "c"]),
        ("hotline", "eq", "+1 (555) 010-2030", ["a"]),
        ("champion", "eq", "__sales__", ["a"]),
        ("champion", "is_empty", None, ["b", "c"]),
    ],
)
def test_filter_q_selects_matching_records(cast, acting, widgets, key, operator, value, expected):
    if value == "__sales__":
        value = cast.sales.pk
    with acting(cast.owner, cast.workspace):
        q = filter_q(widgets[key], operator, value)
    assert _names(cast, acting, q) == expected


def test_unknown_operator_is_an_error_that_names_it(cast, acting, widgets):
    with acting(cast.owner, cast.workspace), pytest.raises(ValidationError) as info:
        filter_q(widgets["tiers"], "gt", "gold")
    assert "“gt”" in info.value.messages[0]
    assert "contains" in info.value.messages[0]


def test_filter_value_of_the_wrong_type_is_an_error(cast, acting, widgets):
    with acting(cast.owner, cast.workspace), pytest.raises(ValidationError):
        filter_q(widgets["seats"], "gt", "many")


@pytest.mark.parametrize(
    ("key", "descending", "expected"),
    [
        ("seats", False, ["a", "b", "c"]),
        ("seats", True, ["b", "a", "c"]),
        ("budget", False, ["b", "a", "c"]),
        ("nickname", False, ["a", "b", "c"]),
        ("nickname", True, ["b", "a", "c"]),
        ("tier", False, ["b", "a", "c"]),
        ("renewal", True, ["b", "a", "c"]),
        ("champion", False, ["a", "b", "c"]),
    ],
)
def test_order_by_expression_sorts_with_empty_values_last(cast, acting, widgets, key, descending, expected):
    assert _names(cast, acting, order=order_by_expression(widgets[key], descending)) == expected
