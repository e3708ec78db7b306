"""Tags: a workspace-level label with a colour, attachable to any business record.

Each record type that wants tags declares ``tagged_items = GenericRelation("tags.TaggedItem")``;
nothing here imports the record apps. Filtering by tag is an ``EXISTS`` over the unique index
``(workspace, tag, content_type, object_id)``.
"""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from rapport.core.models import Workspace, WorkspaceManager, WorkspaceScoped


class TagColour(models.TextChoices):
    """Named colours; each maps to a CSS class ``tag-<value>`` (the CSP forbids inline styles)."""

    GREY = "grey", "Grey"
    RED = "red", "Red"
    ORANGE = "orange", "Orange"
    YELLOW = "yellow", "Yellow"
    GREEN = "green", "Green"
    TEAL = "teal", "Teal"
    BLUE = "blue", "Blue"
    PURPLE = "purple", "Purple"
    PINK = "pink", "Pink"


class Tag(WorkspaceScoped):
    name = models.CharField(max_length=50)
    colour = models.CharField(max_length=12, choices=TagColour.choices, default=TagColour.GREY)

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "workspace",
                Lower("name"),
                condition=models.Q(deleted_at__isnull=True),
                name="tag_unique_name",
                violation_error_message="A tag with this name already exists.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def css_class(self) -> str:
        return f"tag tag-{self.colour}"


class TaggedItem(models.Model):
    """One tag on one record. Rows are replaced, never edited; the record's History says who tagged."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="items")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.BigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "tag", "content_type", "object_id"], name="taggeditem_unique_tag_record"
            )
        ]
        indexes = [models.Index(fields=["workspace", "content_type", "object_id"], name="taggeditem_record_idx")]

    def __str__(self) -> str:
        return f"{self.tag} on {self.content_type.model} {self.object_id}"
