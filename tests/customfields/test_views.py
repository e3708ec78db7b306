from django.urls import reverse

from rapport.customfields import definitions_for
from rapport.customfields.models import CustomFieldDefinition
from tests.sampleapp.models import Widget


def _keys(cast, acting):
    with acting(cast.owner, cast.workspace):
        return [d.key for d in definitions_for("sampleapp.widget")]


def test_field_list_shows_each_record_type_with_its_fields(cast, login, make_field):
    make_field("text", key="nickname", label="Nickname")
    response = login(cast.admin).get(reverse("customfields:list"))
    assert response.status_code == 200
    assert "Widget" in response.text
    assert "Nickname" in response.text


def test_sales_rep_may_not_open_custom_field_settings(cast, login):
    assert login(cast.sales).get(reverse("customfields:list")).status_code == 403


def test_admin_adds_a_select_field_with_options(cast, acting, login):
    response = login(cast.admin).post(
        reverse("customfields:create", args=["sampleapp.widget"]),
        {"label": "Tier", "key": "", "field_type": "select", "choices_text": "Gold\nSilver", "required": "on"},
    )
    assert response.status_code == 302
    with acting(cast.owner, cast.workspace):
        field = CustomFieldDefinition.objects.get(key="tier")
    assert field.choices == [{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}]
    assert field.required


def test_a_select_without_options_shows_a_field_error_and_saves_nothing(cast, acting, login):
    response = login(cast.admin).post(
        reverse("customfields:create", args=["sampleapp.widget"]), {"label": "Tier", "field_type": "select"}
    )
    assert response.status_code == 200
    assert "at least one option" in response.text
    assert _keys(cast, acting) == []


def test_edit_keeps_the_key_and_checks_the_version(cast, acting, login, make_field):
    field = make_field("text", key="nickname")
    client = login(cast.admin)
    url = reverse("customfields:edit", args=[field.pk])
    assert client.post(url, {"label": "Alias", "version": field.version}).status_code == 302
    stale = client.post(url, {"label": "Other", "version": field.version})
    assert "changed by someone else" in stale.text
    with acting(cast.owner, cast.workspace):
        field.refresh_from_db()
    assert (field.key, field.label) == ("nickname", "Alias")


def test_move_and_delete_buttons(cast, acting, login, make_field):
    make_field("text", key="a")
    b = make_field("text", key="b")
    client = login(cast.owner)
    client.post(reverse("customfields:move", args=[b.pk]), {"direction": "up"})
    assert _keys(cast, acting) == ["b", "a"]
    client.post(reverse("customfields:delete", args=[b.pk]))
    assert _keys(cast, acting) == ["a"]


def test_change_type_previews_then_applies_on_confirmation(cast, acting, login, make_field):
    field = make_field("text", key="seats")
    with acting(cast.owner, cast.workspace):
        Widget.objects.create(name="Ok", custom={"seats": "3"})
        Widget.objects.create(name="Bad", custom={"seats": "three"})
    client = login(cast.owner)
    url = reverse("customfields:change_type", args=[field.pk])
    preview = client.post(url, {"field_type": "number", "version": field.version})
    assert "<strong>1</strong> converts" in preview.text
    assert "Bad" in preview.text
    refused = client.post(url, {"field_type": "number", "confirm": "on", "version": field.version})
    assert "cannot be converted" in refused.text
    done = client.post(url, {"field_type": "number", "confirm": "on", "clear_failures": "on", "version": field.version})
    assert done.status_code == 302
    with acting(cast.owner, cast.workspace):
        assert CustomFieldDefinition.objects.get(pk=field.pk).field_type == "number"


def test_impossible_type_change_shows_the_reason(cast, login, make_field):
    field = make_field("multi_select", key="tiers", options={"choices": ["Gold"]})
    response = login(cast.owner).post(
        reverse("customfields:change_type", args=[field.pk]), {"field_type": "date", "version": field.version}
    )
    assert "Not possible" in response.text
    assert "several choices" in response.text


def test_another_workspace_field_is_not_found(cast, login, make_field):
    theirs = make_field("text", key="nickname", workspace=cast.other_workspace)
    assert login(cast.owner).get(reverse("customfields:edit", args=[theirs.pk])).status_code == 404
