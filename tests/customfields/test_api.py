from django.urls import reverse

from rapport.customfields.models import CustomFieldDefinition
from tests.sampleapp.models import Widget

LIST = "customfields_api:customfield-list"
DETAIL = "customfields_api:customfield-detail"
CHANGE_TYPE = "customfields_api:customfield-change-type"


def _errors(response) -> dict:
    return {e["field"]: e["detail"] for e in response.json()["errors"]}


def test_every_member_lists_the_workspace_fields_by_record_type(cast, login, make_field):
    make_field("text", key="nickname")
    make_field("text", key="theirs", workspace=cast.other_workspace)
    response = login(cast.reader).get(reverse(LIST), {"record_type": "sampleapp.widget"})
    assert response.status_code == 200
    assert [f["key"] for f in response.json()["results"]] == ["nickname"]


def test_admin_creates_a_field_and_gets_its_etag(cast, login):
    response = login(cast.admin).post(
        reverse(LIST),
        {
            "record_type": "sampleapp.widget",
            "label": "Tier",
            "field_type": "select",
            "options": {"choices": [{"label": "Gold"}, {"value": "s", "label": "Silver"}]},
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["key"], body["options"]["choices"][0]) == ("tier", {"value": "gold", "label": "Gold"})
    assert response["ETag"] == '"1"'


def test_sales_rep_cannot_create_fields(cast, login):
    response = login(cast.sales).post(
        reverse(LIST),
        {"record_type": "sampleapp.widget", "label": "X", "field_type": "text"},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_bad_input_is_a_problem_naming_each_field(cast, login):
    response = login(cast.admin).post(
        reverse(LIST),
        {"record_type": "sampleapp.widget", "label": "X", "field_type": "select", "color": "red"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "color" in _errors(response)


def test_patch_with_if_match_changes_the_label_but_never_the_key(cast, acting, login, make_field):
    field = make_field("text", key="nickname")
    client = login(cast.owner)
    url = reverse(DETAIL, args=[field.pk])
    ok = client.patch(url, {"label": "Alias"}, content_type="application/json", headers={"If-Match": '"1"'})
    assert ok.status_code == 200
    stale = client.patch(url, {"label": "Late"}, content_type="application/json", headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    renamed = client.patch(url, {"key": "alias"}, content_type="application/json")
    assert renamed.status_code == 400
    assert "key" in _errors(renamed)
    with acting(cast.owner, cast.workspace):
        field.refresh_from_db()
    assert (field.key, field.label) == ("nickname", "Alias")


def test_change_type_previews_then_applies(cast, acting, login, make_field):
    field = make_field("text", key="seats")
    with acting(cast.owner, cast.workspace):
        Widget.objects.create(name="Ok", custom={"seats": "3"})
        Widget.objects.create(name="Bad", custom={"seats": "three"})
    client = login(cast.owner)
    url = reverse(CHANGE_TYPE, args=[field.pk])
    preview = client.post(url, {"field_type": "number"}, content_type="application/json")
    assert preview.status_code == 200
    assert {k: preview.json()[k] for k in ("applied", "total", "converted", "failure_count")} == {
        "applied": False,
        "total": 2,
        "converted": 1,
        "failure_count": 1,
    }
    refused = client.post(url, {"field_type": "number", "apply": True}, content_type="application/json")
    assert refused.status_code == 400
    assert "clear_failures" in _errors(refused)
    applied = client.post(
        url, {"field_type": "number", "apply": True, "clear_failures": True}, content_type="application/json"
    )
    assert applied.status_code == 200
    assert applied.json()["applied"] is True
    with acting(cast.owner, cast.workspace):
        assert CustomFieldDefinition.objects.get(pk=field.pk).field_type == "number"


def test_impossible_change_type_is_a_400_with_the_reason(cast, login, make_field):
    field = make_field("multi_select", key="tiers", options={"choices": ["Gold"]})
    response = login(cast.owner).post(
        reverse(CHANGE_TYPE, args=[field.pk]), {"field_type": "number", "apply": True}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "several choices" in _errors(response)["field_type"]


def test_delete_moves_the_field_to_the_recycle_bin(cast, acting, login, make_field):
    field = make_field("text", key="nickname")
    assert login(cast.admin).delete(reverse(DETAIL, args=[field.pk])).status_code == 204
    with acting(cast.owner, cast.workspace):
        assert CustomFieldDefinition.all_objects.get(pk=field.pk).deleted_at is not None
