"""The navigation link to the export page, for the users who may export or import (base.html loads it: the shared
navigation list lives in zhucun/context_processors.py)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from zhucun.scope import Action, user_can

register = template.Library()


@register.simple_tag(takes_context=True)
def exports_nav_item(context) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    if not (user_can(user, Action.EXPORT) or user_can(user, Action.MANAGE)):
        return ""
    url = reverse("exports:index")
    if request.path.startswith(url):
        return format_html('<li><a href="{}" aria-current="page">导入导出</a></li>', url)
    return format_html('<li><a href="{}">导入导出</a></li>', url)
