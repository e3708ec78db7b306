"""Workspace isolation: nothing of workspace B ever appears in a response to a member of A.

Workspace B is filled by every app's demo loader plus a sentinel widget; every distinct text
value stored in B's business rows becomes a sentinel. Then the owner of A (the strongest role)
requests every URL of the site — list pages, search, the API — and every URL that takes ids,
filled with the ids of B's rows. No response may contain a sentinel.
"""

from __future__ import annotations

import itertools
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from rapport.core.scoping import audit_context, unscoped, workspace_scope
from rapport.core.services import business_models
from tests.sampleapp.models import Widget

SKIP_PREFIXES = ("admin:", "account_", "mfa_")
SKIP_NAMES = {"healthz", "readyz", "django.contrib.staticfiles.views.serve"}
WORDISH = re.compile(r"^[\w.@+\- ]+$")


def _patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{prefix}{pattern.name}", pattern


def _text_values(workspace) -> set[str]:
    values: set[str] = set()
    with unscoped():
        for model in business_models():
            text_fields = [
                f.attname
                for f in model._meta.concrete_fields
                if isinstance(f, (models.CharField, models.TextField)) and not f.choices
            ]
            if not text_fields:
                continue
            for row in model.all_objects.filter(workspace=workspace).values_list(*text_fields)[:2000]:
                values.update(value for value in row if isinstance(value, str))
    return values


def _sentinels(workspace) -> set[str]:
    """Values that identify workspace B's data, and only it.

    A single word ("Qualified", "Williams") proves nothing: it can be a label of the UI or a
    name that A happens to share. A sentinel therefore has at least two parts (a full name, an
    email, a phone, a company with a suffix...) and must not also be stored in workspace A.
    """
    from rapport.core.models import Workspace

    own = set()
    for other in Workspace.objects.exclude(pk=workspace.pk):
        own |= _text_values(other)
    return {
        value
        for value in _text_values(workspace)
        if len(value) >= 8 and WORDISH.match(value) and not value.isalpha() and value not in own
    }


def _fill_kwargs(pattern: URLPattern, ids: list[int], content_type_ids: list[int]):
    names = list(pattern.pattern.regex.groupindex)
    if not names:
        yield {}
        return
    choices = []
    for name in names:
        converter = pattern.pattern.converters.get(name)
        if name.endswith("content_type_id"):
            choices.append(content_type_ids)
        elif converter is not None and converter.__class__.__name__ == "IntConverter":
            choices.append(ids)
        else:
            choices.append([str(i) for i in ids[:3]] or ["x"])
    for combo in itertools.islice(itertools.product(*choices), 60):
        yield dict(zip(names, combo, strict=True))


@pytest.fixture
def workspace_b_with_data(cast):
    other = cast.other_workspace
    run_demo_loaders_for(other, cast.outsider)
    with workspace_scope(other.pk), audit_context(actor=cast.outsider, source="system"):
        Widget.objects.create(name="SENTINEL-B-widget-zq81", notes="SENTINEL-B-notes-zq82", owner=cast.outsider)
    return other


def run_demo_loaders_for(workspace, user):
    from rapport.core import demo

    with workspace_scope(workspace.pk), audit_context(actor=user, source="system"):
        for loader in demo.demo_loaders:
            loader(workspace)


def test_no_response_to_workspace_a_contains_workspace_b_data(cast, client, workspace_b_with_data):
    other = workspace_b_with_data
    sentinels = _sentinels(other)
    assert "SENTINEL-B-widget-zq81" in sentinels
    with unscoped():
        ids = sorted(
            {
                pk
                for model in business_models()
                for pk in model.all_objects.filter(workspace=other).values_list("pk", flat=True)[:5]
            }
        )
        content_type_ids = [ContentType.objects.get_for_model(m).pk for m in business_models()]
    client.force_login(cast.owner)
    requested = 0
    for name, pattern in _patterns():
        if name in SKIP_NAMES or name.startswith(SKIP_PREFIXES):
            continue
        for kwargs in _fill_kwargs(pattern, ids, content_type_ids):
            try:
                url = reverse(name, kwargs=kwargs or None)
            except NoReverseMatch:
                continue
            queries = [""] + [f"?q={s}" for s in ("SENTINEL-B", "zq81")] if not kwargs else [""]
            for query in queries:
                response = client.get(url + query)
                requested += 1
                body = b"".join(response) if response.streaming else response.content
                text = body.decode("utf-8", "replace")
                leaked = [s for s in sentinels if s in text]
                assert not leaked, f"GET {url}{query} ({response.status_code}) shows workspace B data: {leaked[:5]}"
    assert requested > 10


def test_search_in_workspace_a_never_finds_workspace_b_records(cast, client, workspace_b_with_data):
    sentinels = sorted(_sentinels(workspace_b_with_data))[:40]
    client.force_login(cast.owner)
    for value in sentinels:
        fragment = value[: max(3, len(value) - 3)]  # the page echoes the query, so ask for less than the value
        for url in (reverse("core:search"), "/api/v1/search/"):
            response = client.get(url, {"q": fragment})
            assert value not in response.content.decode("utf-8", "replace"), f"{url}?q={fragment} leaked {value}"


def test_workspace_b_data_is_invisible_to_its_own_scope_only_when_scoped_elsewhere(cast, workspace_b_with_data):
    with workspace_scope(cast.workspace.pk):
        assert not Widget.objects.filter(name="SENTINEL-B-widget-zq81").exists()
    with workspace_scope(workspace_b_with_data.pk):
        assert Widget.objects.filter(name="SENTINEL-B-widget-zq81").exists()
