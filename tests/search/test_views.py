from django.urls import reverse


def test_palette_lists_hits_as_listbox_options(cast, login, make_widget):
    widget = make_widget("John Smith", emails=["john@acme.example"])
    response = login(cast.sales).get(reverse("search:palette"), {"q": "john"})
    assert response.status_code == 200
    assert 'role="listbox"' in response.text
    assert f'data-url="/widgets/{widget.pk}/"' in response.text
    assert 'id="palette-option-1"' in response.text
    assert "All results for “john”" in response.text


def test_palette_offers_the_full_search_when_nothing_matches(cast, login):
    response = login(cast.sales).get(reverse("search:palette"), {"q": "zzzz"})
    assert "search everywhere for “zzzz”" in response.text


def test_palette_is_empty_without_a_query(cast, login):
    assert 'role="listbox"' not in login(cast.sales).get(reverse("search:palette")).text


def test_palette_never_shows_records_the_member_may_not_see(cast, login, make_widget):
    make_widget("Hidden Prospect", owner=cast.sales_west)
    make_widget("Rival Prospect", workspace=cast.other_workspace)
    response = login(cast.sales).get(reverse("search:palette"), {"q": "prospect"})
    assert "Hidden Prospect" not in response.text
    assert "Rival Prospect" not in response.text


def test_search_page_uses_the_index(cast, login, make_widget):
    make_widget("Carrier Pigeon Logistics")
    response = login(cast.support).get(reverse("core:search"), {"q": "pigeon"})
    assert "Carrier Pigeon Logistics" in response.text


def test_every_page_loads_the_palette_script_with_a_nonce(cast, login):
    response = login(cast.sales).get(reverse("core:home"))
    assert 'src="/static/search/palette.js"' in response.text
    assert f'data-palette-url="{reverse("search:palette")}"' in response.text


def test_api_search_returns_typed_hits(cast, login, make_widget):
    widget = make_widget("John Smith", emails=["john@acme.example"])
    response = login(cast.reader).get("/api/v1/search/", {"q": "+1 555", "types": "widget"})
    assert response.status_code == 200
    assert response.json() == {"results": []}
    response = login(cast.reader).get("/api/v1/search/", {"q": "john@acme.example", "types": "widget"})
    assert response.json()["results"] == [
        {
            "type": "widget",
            "id": widget.pk,
            "label": "John Smith",
            "detail": "john@acme.example",
            "url": f"/widgets/{widget.pk}/",
        }
    ]


def test_api_search_rejects_unknown_types_and_bad_limits(cast, login):
    client = login(cast.reader)
    unknown = client.get("/api/v1/search/", {"q": "x", "types": "widget,spaceship"})
    assert unknown.status_code == 400
    assert "spaceship" in unknown.json()["errors"][0]["detail"]
    assert client.get("/api/v1/search/", {"q": "x", "limit": "500"}).status_code == 400


def test_api_search_needs_authentication(client):
    assert client.get("/api/v1/search/", {"q": "x"}).status_code == 401
