"""Serializers: the base for business records, fields scoped to the workspace, and the core endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rapport.core.models import Membership, Team
from rapport.core.permissions import visible
from rapport.core.roles import Role
from rapport.core.scoping import active_workspace_id

_LIVE_ROWS = models.Q(deleted_at__isnull=True)
# Keys the browsable API's HTML forms add to the body; they are not record fields.
_FORM_PLUMBING = frozenset({"csrfmiddlewaretoken"})


def _request_actor(serializer_field) -> Any:
    request = serializer_field.context.get("request")
    return getattr(request._request, "actor", None) if request is not None else None


class MemberField(serializers.PrimaryKeyRelatedField):
    """A user id that must name an active member of the request's workspace (no other user is findable)."""

    default_error_messages = {
        "does_not_exist": "No member with id {pk_value} in this workspace.",
    }

    def get_queryset(self) -> models.QuerySet:
        actor = _request_actor(self)
        users = get_user_model().objects.all()
        if actor is None:
            return users.none()
        return users.filter(memberships__workspace_id=actor.workspace.pk, memberships__is_active=True)


class VisibleRecordField(serializers.PrimaryKeyRelatedField):
    """A reference to a business record the actor can see (others answer "does not exist")."""

    def __init__(self, model: type[models.Model], **kwargs: Any):
        self.model = model
        if not kwargs.get("read_only"):
            # A bare QuerySet (no manager call) so declaring the field needs no active workspace;
            # get_queryset() builds the real, scoped one per request.
            kwargs.setdefault("queryset", models.QuerySet(model=model))
        super().__init__(**kwargs)

    def get_queryset(self) -> models.QuerySet:
        actor = _request_actor(self)
        if actor is None:
            return models.QuerySet(model=self.model).none()
        return visible(self.model.objects.all(), actor)


class RecordSerializer(serializers.ModelSerializer):
    """Base of business-record serializers.

    - an input key that is not a field of the serializer is an error (never silently dropped);
      read-only fields sent back unchanged are accepted and ignored;
    - ``create()`` builds the record in the active workspace and runs ``full_clean()`` (model and
      unique-constraint validation) before saving, so bad input is a 400, not a database error;
    - updates do not go through ``save()``: RecordViewSet.update_record() calls the service.
    """

    version = serializers.IntegerField(read_only=True, help_text="Increases on every change; also sent as ETag.")

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields) - _FORM_PLUMBING)
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown}, code="unknown_field")
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        self.check_unique_constraints(attrs)
        return attrs

    def check_unique_constraints(self, attrs: dict[str, Any]) -> None:
        """Report a clash with a workspace-unique constraint as an error on its field, not a database error.

        Covers unique constraints over the workspace plus serializer fields, unconditional or
        limited to live rows (the ``deleted_at__isnull=True`` convention); full_clean() catches the rest.
        """
        model = self.Meta.model
        for constraint in model._meta.constraints:
            if not isinstance(constraint, models.UniqueConstraint) or not constraint.fields:
                continue
            if constraint.condition is not None and constraint.condition != _LIVE_ROWS:
                continue
            fields = [name for name in constraint.fields if name != "workspace"]
            if not fields or not set(fields) <= set(self.fields):
                continue
            values = {}
            for name in fields:
                if name in attrs:
                    values[name] = attrs[name]
                elif self.instance is not None:
                    values[name] = getattr(self.instance, name)
            if len(values) != len(fields):
                continue
            manager = model.objects if constraint.condition is not None else model.all_objects
            clashes = manager.filter(**values)
            if self.instance is not None:
                clashes = clashes.exclude(pk=self.instance.pk)
            if clashes.exists():
                noun = model._meta.verbose_name
                raise serializers.ValidationError(
                    {fields[-1]: [f"A {noun} with this {' and '.join(fields)} already exists."]}, code="unique"
                )

    def create(self, validated_data: dict[str, Any]) -> models.Model:
        model = self.Meta.model
        many_to_many = {
            field.name: validated_data.pop(field.name)
            for field in model._meta.many_to_many
            if field.name in validated_data
        }
        instance = model(**validated_data)
        instance.workspace_id = active_workspace_id()
        instance.full_clean()
        instance.save()
        for name, value in many_to_many.items():
            getattr(instance, name).set(value)
        return instance

    def update(self, instance: models.Model, validated_data: dict[str, Any]) -> models.Model:
        raise NotImplementedError("Record updates go through RecordViewSet.update_record() and a service.")


# --- core endpoints ---------------------------------------------------------------------------


class UserSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    full_name = serializers.CharField(read_only=True)


class TeamSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class WorkspaceSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)


class TokenSummarySerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    prefix = serializers.CharField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)


class MeSerializer(serializers.Serializer):
    user = UserSummarySerializer(read_only=True)
    workspace = WorkspaceSummarySerializer(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    team = TeamSummarySerializer(read_only=True, allow_null=True)
    scopes = serializers.ListField(child=serializers.CharField(), read_only=True)
    authentication = serializers.ChoiceField(choices=["token", "session"], read_only=True)
    token = TokenSummarySerializer(read_only=True, allow_null=True, help_text="The token used; null for sessions.")


def live_team(membership: Membership) -> Team | None:
    team = membership.team
    return team if team is not None and team.deleted_at is None else None


class MemberSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)
    team = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "team", "created_at"]
        read_only_fields = fields

    @extend_schema_field(TeamSummarySerializer(allow_null=True))
    def get_team(self, membership: Membership) -> dict[str, Any] | None:
        team = live_team(membership)
        return {"id": team.pk, "name": team.name} if team else None


class TeamSerializer(RecordSerializer):
    manager = MemberField(
        allow_null=True, required=False, help_text="User id of the team's manager (a member of the workspace)."
    )

    class Meta:
        model = Team
        fields = ["id", "name", "manager", "version", "created_at", "updated_at"]
        read_only_fields = ["id", "version", "created_at", "updated_at"]
