from django import template

from rapport.core.registry import registry

register = template.Library()


@register.simple_tag
def nav_items():
    return registry.nav
