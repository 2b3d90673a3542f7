"""Project-wide pieces of the REST API: service errors as DRF responses, who am I, a token for scripts, and the
OpenAPI schema with its Swagger UI."""

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.plumbing import build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from zhucun import two_factor
from zhucun.filters import AreaFilter
from zhucun.models import UserRole
from zhucun.scope import Action, scope_for
from zhucun.signals import client_ip

# -- errors -------------------------------------------------------------------------------------------------


def validation_error_detail(error: DjangoValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as DRF's 400 body: {field: [messages]}, the rest under "non_field_errors"."""
    if hasattr(error, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in error.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}


def exception_handler(exc, context):
    """DRF's handler, plus: django ValidationError (raised by services) → 400 with per-field errors, and django
    PermissionDenied → 403 keeping the service's Chinese message."""
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(validation_error_detail(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


# -- who am I -----------------------------------------------------------------------------------------------


class RoleSerializer(serializers.Serializer):
    role = serializers.CharField()
    role_display = serializers.CharField(source="get_role_display")
    area = serializers.CharField(source="area_id", allow_null=True)
    area_name = serializers.SerializerMethodField()
    unit = serializers.IntegerField(source="unit_id", allow_null=True)
    unit_name = serializers.SerializerMethodField()
    team = serializers.IntegerField(source="team_id", allow_null=True)
    team_name = serializers.SerializerMethodField()

    def get_area_name(self, role) -> str | None:
        return role.area.name if role.area_id else None

    def get_unit_name(self, role) -> str | None:
        return role.unit.name if role.unit_id else None

    def get_team_name(self, role) -> str | None:
        return role.team.name if role.team_id else None


class ScopeSerializer(serializers.Serializer):
    everything = serializers.BooleanField(help_text="不受范围限制（系统超级用户）")
    areas = serializers.ListField(child=serializers.CharField(), source="area_prefixes", help_text="地区代码")
    units = serializers.ListField(child=serializers.IntegerField(), source="unit_ids", help_text="派驻单位")
    teams = serializers.ListField(child=serializers.IntegerField(), source="team_ids", help_text="工作队")


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    is_superuser = serializers.BooleanField()
    roles = RoleSerializer(many=True)
    scopes = serializers.DictField(
        child=ScopeSerializer(), help_text="每个操作（view、manage、decide_leave ……）可作用的范围；空范围即无权执行。"
    )


class MeView(APIView):
    """The user's roles and, per action, where they may take it: what a client needs to show the right menus."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer, summary="当前用户的角色和范围")
    def get(self, request):
        user = request.user
        roles = UserRole.objects.filter(user=user).select_related("area", "unit", "team").order_by("pk")
        data = {
            "username": user.get_username(),
            "name": user.get_full_name() or user.get_username(),
            "is_superuser": user.is_superuser,
            "roles": roles,
            "scopes": {action.value: scope_for(user, action) for action in Action},
        }
        return Response(MeSerializer(data).data)


# -- token for scripts ---------------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label="用户名")
    password = serializers.CharField(label="密码", style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(
        label="动态验证码",
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="验证器中的 6 位验证码或一个恢复码；启用双因素验证的账号（管理员、审计等）必填。",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="请求头：Authorization: Token <token>")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class TokenView(APIView):
    """Exchange a username and password for an API token. Goes through `authenticate(request=...)` like the
    login page, so django-axes counts the failures and locks the username+address out, and the login signals
    log every attempt. A user who owes a second factor (zhucun/two_factor.py) must send `otp` too: the token is
    never a way around it; a wrong code counts as a failed login."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="用户名或密码错误，或缺少、输错动态验证码（otp）"),
            429: OpenApiResponse(ErrorSerializer, description="失败次数过多，暂时锁定"),
        },
        summary="用用户名和密码换取令牌",
        auth=[],
    )
    def post(self, request):
        form = TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        django_request = request._request
        user = authenticate(
            request=django_request,
            username=form.validated_data["username"],
            password=form.validated_data["password"],
        )
        if getattr(django_request, "axes_locked_out", False):
            # AxesMiddleware would swap this response for the HTML lock-out page; the API answers in JSON.
            django_request.axes_locked_out = False
            return Response(
                {"detail": "登录失败次数过多，该账号已被暂时锁定，请稍后再试。"},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        if user is None:
            raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: ["用户名或密码错误。"]})
        device = self.second_factor(django_request, user, form.validated_data.get("otp", ""))
        if getattr(django_request, "axes_locked_out", False):
            django_request.axes_locked_out = False
            return Response(
                {"detail": "登录失败次数过多，该账号已被暂时锁定，请稍后再试。"},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        user_logged_in.send(sender=type(user), request=django_request, user=user)
        if device is not None:
            two_factor.logger.info(
                "two-factor verified (api token): username=%r ip=%s", user.get_username(), client_ip(django_request)
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @staticmethod
    def second_factor(django_request, user, code: str):
        """None when the user owes no second factor; else the device that accepted `code`, or a 400 on `otp`
        (a wrong code is also a failed login for django-axes: the caller answers 429 when that locked it)."""
        if not two_factor.enforced() or not (two_factor.has_authenticator(user) or two_factor.is_required(user)):
            return None
        if not two_factor.has_authenticator(user):
            raise ValidationError({"otp": ["该账号须先在网页上绑定验证器（双因素验证），然后才能获取令牌。"]})
        if not code.strip():
            raise ValidationError({"otp": ["请填写验证器中的 6 位动态验证码。"]})
        wait = two_factor.throttled_seconds(user)
        if wait:
            raise ValidationError({"otp": [f"尝试过于频繁，请 {wait} 秒后再试。"]})
        device = two_factor.check_code(user, code)
        if device is None:
            if two_factor.record_failure(django_request, user):
                return None
            raise ValidationError({"otp": ["动态验证码不正确。"]})
        return device


# -- schema and docs ----------------------------------------------------------------------------------------


class SchemaView(SpectacularAPIView):
    """OpenAPI 3 at /api/schema/, for signed-in users (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"])."""


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI at /api/docs/ from the vendored copy (SWAGGER_UI_DIST); the split view serves its start-up
    script as a file, since the Content Security Policy forbids inline scripts."""

    url_name = "api-schema"

    def handle_exception(self, exc):
        # A person opening the docs signed out is sent to the login page rather than shown a bare 403.
        if isinstance(exc, NotAuthenticated | AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


class FilterSetExtension(DjangoFilterExtension):
    """drf-spectacular reads a filter's type off the model field of the same name; the `area` drill-down filters
    by a code prefix along a path (`village_id`, `team__village_id` ...), so it is described here instead."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        if isinstance(filter_field, AreaFilter):
            return [
                build_parameter_type(
                    name=field_name,
                    location=OpenApiParameter.QUERY,
                    schema=build_basic_type(OpenApiTypes.STR),
                    description=f"{filter_field.label}：地区代码（地市4位、县6位、乡镇9位），须在本人范围内",
                )
            ]
        return super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
