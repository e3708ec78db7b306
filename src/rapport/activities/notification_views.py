"""Notifications (bell, page, preferences) and the calendar (week view, iCalendar feed)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from rapport.activities import mail, notify, selectors
from rapport.activities.forms import PreferencesForm
from rapport.activities.models import CalendarFeed
from rapport.core.decorators import workspace_required


@workspace_required
def bell(request: HttpRequest) -> HttpResponse:
    return render(request, "activities/_bell.html", {"unread": selectors.unread_count(request.actor)})


@workspace_required
def notification_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    items = list(selectors.notifications_for(actor)[:100])
    return render(request, "activities/notifications.html", {"items": items, "unread": selectors.unread_count(actor)})


@workspace_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    notify.mark_read(request.actor.workspace.pk, request.user.pk, ids)
    target = request.POST.get("go", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("activities:notifications")


@workspace_required
def preferences(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    current = notify.preferences(actor.workspace.pk, actor.user.pk)
    form = PreferencesForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            notify.set_preferences(actor.workspace.pk, actor.user.pk, form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Notification preferences saved.")
            return redirect("activities:preferences")
    return render(request, "activities/preferences.html", {"form": form}, status=400 if form.errors else 200)


@workspace_required
def calendar_week(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    today = timezone.localdate()
    try:
        start_day = date.fromisoformat(request.GET["week"]) if request.GET.get("week") else today
    except ValueError:
        start_day = today
    start_day -= timedelta(days=start_day.weekday())
    start = timezone.make_aware(datetime.combine(start_day, datetime.min.time()))
    week = selectors.calendar_week(actor, start)
    days = [{"date": start_day + timedelta(days=offset), "meetings": [], "tasks": []} for offset in range(7)]
    for key in ("meetings", "tasks"):
        for item in week[key]:  # each item's local time once (not once per day of the week, nor per filter)
            local = timezone.localtime(item.at)
            offset = (local.date() - start_day).days
            if 0 <= offset < 7:
                days[offset][key].append({"id": item.activity_id, "title": item.title, "time": f"{local:%H:%M}"})
    feed = CalendarFeed.objects.filter(workspace=actor.workspace, user=actor.user, revoked_at__isnull=True).first()
    return render(
        request,
        "activities/calendar.html",
        {
            "days": days,
            "prev": start_day - timedelta(days=7),
            "next": start_day + timedelta(days=7),
            "feed": feed,
            "new_token": request.session.pop("activities_feed_token", None),
        },
    )


@workspace_required
@require_POST
def feed_manage(request: HttpRequest) -> HttpResponse:
    if request.POST.get("action") == "revoke":
        mail.revoke_feeds(actor=request.actor)
        messages.success(request, "Calendar feed revoked: the old address no longer works.")
    else:
        request.session["activities_feed_token"] = mail.create_feed(actor=request.actor)
        messages.success(request, "New calendar feed created; copy its address now, it is shown once.")
    return redirect("activities:calendar")


def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The secret iCalendar feed (no login: calendar apps cannot log in; the token is the secret)."""
    from rapport.core.scoping import workspace_scope

    found = mail.feed_for_token(token)
    if found is None:
        raise Http404("No such calendar feed.")
    with workspace_scope(found.workspace_id):
        body = mail.feed_ics(found)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
