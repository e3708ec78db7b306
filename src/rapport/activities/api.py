"""/api/v1/activities/, tasks/, notes/, notifications/ — thin: parse, call services, serialize."""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from rapport.activities import notify, selectors, services
from rapport.activities.models import (
    Activity,
    ActivityKind,
    ActivityLink,
    CallDirection,
    CallOutcome,
    Notification,
    RecurrenceUnit,
    Task,
    TaskPriority,
    TaskStatus,
)
from rapport.api.permissions import IsWorkspaceMember, TokenScopePermission
from rapport.api.serializers import RecordSerializer
from rapport.api.viewsets import RecordViewSet


class TargetSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=[(t, t) for t in selectors.TARGET_TYPES])
    id = serializers.IntegerField(min_value=1)


class ActivitySerializer(RecordSerializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(
        choices=[c for c in ActivityKind.choices if c[0] in ("note", "call", "meeting", "email")]
    )
    targets = TargetSerializer(many=True, write_only=True, required=False)
    attendees = serializers.ListField(child=serializers.EmailField(), write_only=True, required=False)
    links = serializers.SerializerMethodField()
    call_direction = serializers.ChoiceField(choices=CallDirection.choices, required=False, allow_blank=True)
    call_outcome = serializers.ChoiceField(choices=CallOutcome.choices, required=False, allow_blank=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "subject",
            "body",
            "occurred_at",
            "is_private",
            "is_pinned",
            "owner",
            "call_direction",
            "call_duration_seconds",
            "call_outcome",
            "starts_at",
            "ends_at",
            "location",
            "event_type",
            "data",
            "targets",
            "attendees",
            "links",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["owner", "event_type", "data", "created_at", "updated_at"]

    def get_links(self, obj: Activity) -> list[dict[str, Any]]:
        return [{"type": link.target_type, "id": link.target_id} for link in obj.links.all()]


class NoteSerializer(ActivitySerializer):
    kind = serializers.ChoiceField(choices=[("note", "Note")], read_only=True, help_text="Always note.")

    class Meta(ActivitySerializer.Meta):
        fields = [
            "id",
            "kind",
            "subject",
            "body",
            "occurred_at",
            "is_private",
            "is_pinned",
            "owner",
            "targets",
            "links",
            "version",
            "created_at",
            "updated_at",
        ]


class ActivityViewSet(RecordViewSet):
    """Timeline entries the actor sees (private notes only their author's). Filter with ``?kind=`` and
    ``?target_type=&target_id=`` (a record's timeline)."""

    model = Activity
    serializer_class = ActivitySerializer
    ordering_fields = ("occurred_at", "created_at", "updated_at")
    ordering = ("-occurred_at", "-id")
    kinds: tuple[str, ...] | None = None

    def get_base_queryset(self) -> models.QuerySet:
        return Activity.objects.select_related("owner").prefetch_related(
            models.Prefetch("links", queryset=ActivityLink.objects.order_by("id"))
        )

    def get_queryset(self) -> models.QuerySet:
        queryset = super().get_queryset().filter(selectors.not_private_q(self.actor))
        if self.kinds:
            queryset = queryset.filter(kind__in=self.kinds)
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, description="note, call, meeting, email, task or event"),
            OpenApiParameter("target_type", str, description="contacts.contact, contacts.company or sales.deal"),
            OpenApiParameter("target_id", int),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def filter_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        if self.action == "list":
            params = self.request.query_params
            kind = params.get("kind")
            if kind:
                if kind not in ActivityKind.values:
                    raise serializers.ValidationError({"kind": [f"Use one of: {', '.join(ActivityKind.values)}."]})
                queryset = queryset.filter(kind=kind)
            if params.get("target_type") or params.get("target_id"):
                record = selectors.target_record(self.actor, params.get("target_type", ""), params.get("target_id"))
                # One link per (activity, record) (unique constraint): a plain join, no DISTINCT. By default
                # the page is ordered by the link's copy of occurred_at, so it is read from the index
                # activitylink_timeline (newest first, LIMIT 51) instead of sorting every entry of the record.
                queryset = queryset.filter(
                    links__workspace_id=self.actor.workspace.pk,
                    links__target_type=record._meta.label_lower,
                    links__target_id=record.pk,
                ).annotate(timeline_at=models.F("links__occurred_at"))
                if not params.get("ordering"):
                    self._ordering = ("-timeline_at", "-id")
        return super().filter_queryset(queryset)

    def create_record(self, serializer: serializers.BaseSerializer) -> Activity:
        data = dict(serializer.validated_data)
        if self.kinds and len(self.kinds) == 1:
            data["kind"] = self.kinds[0]  # /notes/ creates notes; its kind is read-only
        targets = [(t["type"], t["id"]) for t in data.pop("targets", [])]
        attendees = data.pop("attendees", [])
        return services.log_activity(actor=self.actor, data=data, targets=targets, attendees=attendees)

    def update_record(self, record: Activity, data: dict[str, Any], *, expected_version: int | None) -> Activity:
        data.pop("targets", None)
        data.pop("attendees", None)
        data.pop("kind", None)
        return services.update_activity(actor=self.actor, activity=record, data=data, expected_version=expected_version)

    def delete_record(self, record: Activity, *, expected_version: int | None) -> None:
        services.delete_activity(actor=self.actor, activity=record, expected_version=expected_version)

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer("InvitationsQueued", {"queued": serializers.IntegerField()}),
            400: None,
        },
        description="Email an .ics invitation (METHOD:REQUEST) to each attendee of this meeting not invited yet "
        "(never the organizer, nor a contact who may not be emailed). Needs the right to change the meeting.",
    )
    @action(detail=True, methods=["post"], url_path="send-invitations")
    def send_invitations(self, request: Request, pk: int | None = None) -> Response:
        activity = self.get_object()  # 404 when unseen; 403 (RecordWritePermission) when it may not be changed
        queued = services.send_meeting_invitations(actor=self.actor, activity=activity)
        return Response({"queued": queued})


class NoteViewSet(ActivityViewSet):
    """Notes only (rich text, sanitized; ``@name`` mentions notify members)."""

    serializer_class = NoteSerializer
    kinds = ("note",)
    send_invitations = None  # a note has no attendees: no /notes/{id}/send-invitations/ route


class TaskSerializer(RecordSerializer):
    id = serializers.IntegerField(read_only=True)
    assignee = serializers.IntegerField(source="assignee_id", required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=TaskPriority.choices, required=False)
    recurrence_unit = serializers.ChoiceField(choices=RecurrenceUnit.choices, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=TaskStatus.choices, read_only=True)
    targets = TargetSerializer(many=True, write_only=True, required=False)
    activity = serializers.IntegerField(source="activity_id", read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "due_at",
            "priority",
            "status",
            "assignee",
            "remind_at",
            "reminder_sent_at",
            "completed_at",
            "recurrence_unit",
            "recurrence_interval",
            "activity",
            "targets",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["reminder_sent_at", "completed_at", "created_at", "updated_at"]


class TaskViewSet(RecordViewSet):
    """Tasks assigned to the actor or on activities they see. ``POST /tasks/{id}/complete/`` marks one done
    (a repeating task returns its next occurrence)."""

    model = Task
    serializer_class = TaskSerializer
    ordering_fields = ("created_at", "updated_at")
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> models.QuerySet:
        return selectors.visible_tasks(self.actor)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, description="open, done or cancelled"),
            OpenApiParameter("mine", bool, description="Only tasks assigned to me"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def filter_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        if self.action == "list":
            wanted = self.request.query_params.get("status")
            if wanted:
                if wanted not in TaskStatus.values:
                    raise serializers.ValidationError({"status": ["Use open, done or cancelled."]})
                queryset = queryset.filter(status=wanted)
            if self.request.query_params.get("mine") in ("1", "true"):
                queryset = queryset.filter(assignee_id=self.actor.user.pk)
        return super().filter_queryset(queryset)

    def create_record(self, serializer: serializers.BaseSerializer) -> Task:
        data = dict(serializer.validated_data)
        targets = [(t["type"], t["id"]) for t in data.pop("targets", [])]
        if "assignee_id" in data:
            data["assignee"] = data.pop("assignee_id")
        else:
            data["assignee"] = self.actor.user.pk
        return services.create_task(actor=self.actor, data=data, targets=targets)

    def update_record(self, record: Task, data: dict[str, Any], *, expected_version: int | None) -> Task:
        data.pop("targets", None)
        if "assignee_id" in data:
            data["assignee"] = data.pop("assignee_id")
        return services.update_task(actor=self.actor, task=record, data=data, expected_version=expected_version)

    def delete_record(self, record: Task, *, expected_version: int | None) -> None:
        services.delete_task(actor=self.actor, task=record, expected_version=expected_version)

    @extend_schema(request=None, responses={200: TaskSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: int | None = None) -> Response:
        task = self.get_object()
        following = services.complete_task(actor=self.actor, task=task)
        task.refresh_from_db()
        body = self.get_serializer(task).data
        if following is not None:
            body = {**body, "next": self.get_serializer(following).data}
        return Response(body)


class NotificationSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True)
    read = serializers.BooleanField(required=False, write_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "url", "actor", "activity", "created_at", "read_at", "read"]
        read_only_fields = ["kind", "title", "url", "actor", "activity", "created_at", "read_at"]


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """My notifications, newest first. PATCH ``{"read": true}`` marks one read; ``POST read-all/`` all."""

    serializer_class = NotificationSerializer
    permission_classes = [IsWorkspaceMember, TokenScopePermission]
    lookup_value_converter = "int"
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_queryset(self) -> models.QuerySet:
        actor = self.request._request.actor
        queryset = selectors.notifications_for(actor)
        if self.request.query_params.get("unread") in ("1", "true"):
            queryset = queryset.filter(read_at__isnull=True)
        return queryset

    @extend_schema(parameters=[OpenApiParameter("unread", bool, description="Only unread notifications")])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        note = serializer.instance
        actor = self.request._request.actor
        if serializer.validated_data.get("read") is True:
            notify.mark_read(actor.workspace.pk, actor.user.pk, [note.pk])
        elif serializer.validated_data.get("read") is False:
            Notification.objects.filter(pk=note.pk).update(read_at=None)
        note.refresh_from_db()

    @extend_schema(
        request=None,
        responses={200: inline_serializer("NotificationsMarkedRead", {"marked_read": serializers.IntegerField()})},
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        actor = request._request.actor
        count = notify.mark_read(actor.workspace.pk, actor.user.pk)
        return Response({"marked_read": count}, status=status.HTTP_200_OK)
