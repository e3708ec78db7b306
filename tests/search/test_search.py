"""Global search on both engines (run the suite with SQLite and with PostgreSQL)."""

import pytest

from rapport.core import services
from rapport.core.search import global_search
from rapport.search.index import index_many, remove_many
from rapport.search.models import SearchEntry
from tests.sampleapp.models import Widget


@pytest.fixture
def people(make_widget):
    make_widget("John Smith", emails=["john.smith@acme.example"], phones=["+15550102030"], domains=["acme.example"])
    make_widget("John Smithers", emails=["jsmithers@globex.example"])
    make_widget("Jane Blacksmith", emails=["jane@initech.example"], phones=["+442079460000"])
    make_widget("José Álvarez", emails=["jose@umbrella.example"])
    make_widget("Mary Major")


def test_a_name_fragment_finds_the_record(people, find):
    assert find("mith") == ["John Smith", "John Smithers", "Jane Blacksmith"]


def test_an_exact_name_ranks_first(people, find):
    assert find("john smith")[:2] == ["John Smith", "John Smithers"]


def test_word_prefixes_rank_above_substrings(people, find):
    assert find("smi") == ["John Smith", "John Smithers", "Jane Blacksmith"]


def test_a_typo_still_finds_the_name(people, find):
    assert find("Jonh Smtih")[0] == "John Smith"
    assert "Mary Major" not in find("Jonh Smtih")


def test_accents_do_not_matter(people, find):
    assert find("jose alvarez") == ["José Álvarez"]


def test_an_email_finds_its_record_first(people, find):
    assert find("john.smith@acme.example") == ["John Smith"]
    assert find("jsmithers@") == ["John Smithers"]


@pytest.mark.parametrize("query", ["+1 (555) 010-2030", "5550102030", "555-010-2030", "+15550102030", "010-2030"])
def test_a_phone_number_in_any_format_finds_the_record(people, find, query):
    assert find(query) == ["John Smith"]


def test_a_national_phone_number_matches_the_international_one(people, find):
    assert find("020 7946 0000") == ["Jane Blacksmith"]


@pytest.mark.parametrize("query", ["acme.example", "https://www.acme.example/"])
def test_a_domain_finds_the_company_and_its_people(people, find, query):
    assert find(query) == ["John Smith"]


def test_an_email_domain_finds_people_at_that_company(people, find):
    assert find("globex.example") == ["John Smithers"]


def test_notes_are_searchable_text(make_widget, find):
    make_widget("Quiet record", notes="Prefers invoices by carrier pigeon")
    assert find("carrier pigeon") == ["Quiet record"]


def test_searchable_custom_text_fields_are_found(cast, acting, make_widget, find):
    from rapport.customfields import services as cf_services

    with acting(cast.owner, cast.workspace) as actor:
        cf_services.definition_create(
            actor=actor,
            record_type="sampleapp.widget",
            data={"key": "nickname", "label": "Nickname", "field_type": "text", "searchable": True},
        )
        cf_services.definition_create(
            actor=actor,
            record_type="sampleapp.widget",
            data={"key": "secret", "label": "Secret", "field_type": "text"},
        )
    make_widget("Plain name", nickname="Goldfinger", secret="Moonraker")
    assert find("goldfinger") == ["Plain name"]
    assert find("moonraker") == []


def test_short_queries_match_name_and_email_prefixes(people, find):
    assert find("jo") == ["John Smith", "José Álvarez", "John Smithers"]  # equal matches: shorter first
    assert find("m") == ["Mary Major"]
    assert find("js") == ["John Smithers"]
    assert find("qx") == []


def test_a_sales_rep_does_not_see_another_teams_records(cast, make_widget, find):
    make_widget("Shared Prospect Ltd", owner=cast.sales_peer)
    make_widget("Hidden Prospect Ltd", owner=cast.sales_west)
    assert find("prospect", user=cast.sales) == ["Shared Prospect Ltd"]
    assert find("prospect", user=cast.admin) == ["Hidden Prospect Ltd", "Shared Prospect Ltd"]


def test_another_workspaces_records_never_appear(cast, make_widget, find):
    make_widget("Rival Secret Plan", workspace=cast.other_workspace)
    make_widget("Our Plan")
    assert find("plan") == ["Our Plan"]
    assert find("rival secret plan") == []


def test_a_deleted_record_leaves_the_results_and_a_restore_brings_it_back(cast, acting, make_widget, find):
    widget = make_widget("Ephemeral Industries")
    with acting(cast.owner, cast.workspace) as actor:
        services.record_delete(actor=actor, record=widget)
    assert find("ephemeral") == []
    with acting(cast.owner, cast.workspace):
        assert not SearchEntry.objects.filter(object_id=widget.pk).exists()
    with acting(cast.owner, cast.workspace) as actor:
        services.record_restore(actor=actor, record=Widget.all_objects.get(pk=widget.pk))
    assert find("ephemeral") == ["Ephemeral Industries"]


def test_types_limit_the_search(people, find):
    assert find("john", types=["widget"])[:1] == ["John Smith"]
    assert find("john", types=["deal"]) == []


def test_limit_caps_the_number_of_hits(people, find):
    assert len(find("j", limit=2)) == 2


def test_index_many_and_remove_many_work_in_bulk(cast, acting, find):
    from tests.search.conftest import describe_widget

    with acting(cast.owner, cast.workspace):
        widgets = [Widget.objects.create(name=f"Bulk Item {i}") for i in range(5)]
        assert index_many(widgets, describe_widget, chunk_size=2) == 5
    assert len(find("bulk item")) == 5
    with acting(cast.owner, cast.workspace):
        remove_many(Widget, [w.pk for w in widgets[:3]])
    assert len(find("bulk item")) == 2


def test_reindexing_replaces_the_old_entry(cast, acting, make_widget, find):
    from rapport.search.index import index_record

    widget = make_widget("Old Name Corp")
    with acting(cast.owner, cast.workspace):
        index_record(widget, title="New Name Corp")
    assert find("old name") == []
    assert find("new name") == ["New Name Corp"]


def test_global_search_asks_the_registered_provider(cast, acting, people):
    with acting(cast.owner, cast.workspace) as actor:
        groups = global_search(actor, "john smith")
    label, hits = groups[0]
    assert label == "Widgets"
    assert (hits[0].kind, hits[0].label, hits[0].detail) == ("widget", "John Smith", "john.smith@acme.example")
    assert hits[0].url.startswith("/widgets/")
