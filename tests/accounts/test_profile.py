"""Each person's profile: name and time zone; every page shows times in that time zone."""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.urls import reverse

from rapport.contacts.models import Contact
from tests.contacts.factories import make_contact


def test_a_person_sets_name_and_time_zone(cast, login):
    client = login(cast.sales)
    page = client.get(reverse("accounts:profile"))
    assert page.status_code == 200 and b"Europe/Berlin" in page.content
    response = client.post(reverse("accounts:profile"), {"full_name": "Sam Seller", "time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    user = get_user_model().objects.get(pk=cast.sales.pk)
    assert (user.full_name, user.time_zone) == ("Sam Seller", "Asia/Tokyo")


def test_an_unknown_time_zone_is_refused_and_nothing_is_saved(cast, login):
    response = login(cast.sales).post(reverse("accounts:profile"), {"full_name": "New Name", "time_zone": "Mars/Base"})
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert get_user_model().objects.get(pk=cast.sales.pk).full_name != "New Name"


def test_times_are_shown_in_the_person_s_time_zone(cast, login):
    contact = make_contact(cast.owner, cast.workspace, first_name="Binned", last_name="Person")
    Contact.all_objects.filter(pk=contact.pk).update(deleted_at=datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    client = login(cast.owner)
    assert "2026-01-15 12:00" in client.get("/recycle-bin/").content.decode()  # UTC by default
    get_user_model().objects.filter(pk=cast.owner.pk).update(time_zone="Asia/Tokyo")
    assert "2026-01-15 21:00" in client.get("/recycle-bin/").content.decode()
