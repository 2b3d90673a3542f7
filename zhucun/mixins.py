"""The scope for pages and the API, applied once here so no view filters by hand.

Pages: `ScopedObjectMixin` on Django's generic views. API: `ScopedViewSet` for DRF. Both read the
visible queryset (out of scope → 404) and check the action on the object for writes (→ 403).
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied

from zhucun.scope import Action, user_can


def check_action(user, action: Action, obj) -> None:
    """403 unless the user may take `action` on this (visible) object."""
    if action != Action.VIEW and not type(obj).objects.visible_to(user, action).filter(pk=obj.pk).exists():
        raise PermissionDenied("您没有权限执行此操作。")


class ScopedObjectMixin(LoginRequiredMixin):
    """For ListView / DetailView / UpdateView ...: `get_queryset` is the model's (or `base_queryset()`'s) rows
    visible to the user; `object_action` is checked on the object (403); `view_action` on the user (403)."""

    view_action: Action = Action.VIEW
    object_action: Action = Action.VIEW

    def base_queryset(self):
        return self.model.objects.all()

    def get_queryset(self):
        return self.base_queryset().visible_to(self.request.user)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_can(request.user, self.view_action):
            raise PermissionDenied("您没有权限访问此页面。")
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        check_action(self.request.user, self.object_action, obj)
        return obj


class ScopedViewSet(viewsets.GenericViewSet):
    """Viewsets declare `queryset`, `serializer_class`, `filterset_class`; this base keeps them in scope.

    `action_permissions` maps a viewset action (`update`, `approve` ...) to the scope action it needs on
    the object; unlisted unsafe actions need MANAGE. Listing and reading need VIEW.
    """

    action_permissions: dict[str, Action] = {}

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)

    def scope_action(self) -> Action:
        if self.action in self.action_permissions:
            return self.action_permissions[self.action]
        return Action.VIEW if self.request.method in ("GET", "HEAD", "OPTIONS") else Action.MANAGE

    def check_object_permissions(self, request, obj):
        super().check_object_permissions(request, obj)
        try:
            check_action(request.user, self.scope_action(), obj)
        except PermissionDenied as error:
            raise ApiPermissionDenied(str(error)) from None


class ServiceWriteMixin:
    """API writes through the app's services: `create_service(actor=..., **data)` and
    `update_service(actor=..., <update_argument>=instance, **data)`, named on the viewset with staticmethod.
    The answer is the row read back through the viewset's own (scoped, annotated) queryset."""

    create_service = None
    update_service = None
    update_argument = ""

    def perform_create(self, serializer):
        created = self.create_service(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=created.pk)

    def perform_update(self, serializer):
        target = {self.update_argument: serializer.instance}
        updated = self.update_service(actor=self.request.user, **target, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=updated.pk)
