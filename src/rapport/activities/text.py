"""Rich text of notes and comments: sanitizing with nh3, finding @mentions, merge fields."""

from __future__ import annotations

import re
from typing import Any

import nh3
from django.contrib.auth import get_user_model

from rapport.core.models import Membership

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "blockquote", "code", "pre", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|[A-Za-z0-9._-]+)")
MERGE_RE = re.compile(r"\{\{\s*([a-z_]+)\.([a-z_]+)\s*\}\}")
MERGE_FIELDS = {
    "contact": ("first_name", "last_name", "full_name", "email", "job_title"),
    "company": ("name",),
    "sender": ("first_name", "last_name", "full_name", "email"),
}


def sanitize(html: str) -> str:
    """Scripts, styles and event handlers go; text and basic formatting stay readable."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        clean_content_tags={"script", "style"},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()


def plain_text(html: str) -> str:
    return nh3.clean(html or "", tags=set()).strip()


def mentioned_users(workspace_id: int, text: str) -> list:
    """Members named as ``@jane`` (email local part) or ``@jane@example.com`` in ``text``."""
    handles = {m.lower() for m in MENTION_RE.findall(plain_text(text))}
    if not handles:
        return []
    User = get_user_model()
    member_ids = Membership.objects.filter(workspace_id=workspace_id, is_active=True).values_list("user_id", flat=True)
    found = []
    for user in User.objects.filter(pk__in=member_ids).order_by("pk"):
        email = (user.email or "").lower()
        if email in handles or email.split("@")[0] in handles:
            found.append(user)
    return found


def check_merge_fields(text: str) -> list[str]:
    """The merge fields in ``text`` that do not exist (so the template is refused before sending)."""
    unknown = []
    for obj, attr in MERGE_RE.findall(text):
        if attr not in MERGE_FIELDS.get(obj, ()):
            unknown.append(f"{{{{ {obj}.{attr} }}}}")
    return unknown


def _user_value(user, attr: str) -> str:
    if attr == "full_name":
        return user.get_full_name() or user.email
    return str(getattr(user, attr, "") or "")


def merge(text: str, *, contact: Any = None, sender: Any = None) -> str:
    """Replaces ``{{ contact.first_name }}``-style fields; never evaluates anything else."""

    def value(match: re.Match) -> str:
        obj, attr = match.group(1), match.group(2)
        if obj == "contact" and contact is not None:
            if attr == "full_name":
                return str(contact)
            if attr == "email":
                return contact.primary_email
            return str(getattr(contact, attr, "") or "")
        if obj == "company" and contact is not None and contact.company_id:
            return contact.company.name
        if obj == "sender" and sender is not None:
            return _user_value(sender, attr)
        return ""

    return MERGE_RE.sub(value, text)
