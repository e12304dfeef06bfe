"""API keys (``/api/v1/api-keys``) and the provider catalogue (``/api/v1/providers``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.api.serializers import ApiKeyOutputSerializer
from integrations.providers import catalogue
from integrations.selectors import api_key_get, api_key_list
from integrations.services import api_key_create, api_key_delete, api_key_rename, api_key_validate
from sentimatrix.api.pagination import PageNumberPagination
from sentimatrix.api.permissions import IsActiveUser


class ApiKeyListCreateApi(generics.ListAPIView):
    """List your stored keys (masked only) or store a new one."""

    permission_classes = [IsActiveUser]
    pagination_class = PageNumberPagination
    serializer_class = ApiKeyOutputSerializer
    filter_backends: list = []

    class ApiKeyCreateInputSerializer(serializers.Serializer):
        provider = serializers.CharField(max_length=32)
        name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
        key = serializers.CharField(max_length=512, write_only=True, trim_whitespace=True)

    class ApiKeyFilterSerializer(serializers.Serializer):
        provider = serializers.CharField(max_length=32, required=False)

    def get_queryset(self):  # noqa: ANN201 - DRF hook
        filters = self.ApiKeyFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return api_key_list(user=self.request.user, provider=filters.validated_data.get("provider"))

    @extend_schema(request=ApiKeyCreateInputSerializer, responses={201: ApiKeyOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.ApiKeyCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        api_key = api_key_create(actor=request.user, **data.validated_data)
        return Response(ApiKeyOutputSerializer(api_key).data, status=status.HTTP_201_CREATED)


class ApiKeyDetailApi(APIView):
    permission_classes = [IsActiveUser]

    class ApiKeyUpdateInputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100)

    @extend_schema(responses=ApiKeyOutputSerializer)
    def get(self, request: Request, pk: str) -> Response:
        return Response(ApiKeyOutputSerializer(api_key_get(user=request.user, api_key_id=pk)).data)

    @extend_schema(request=ApiKeyUpdateInputSerializer, responses=ApiKeyOutputSerializer)
    def patch(self, request: Request, pk: str) -> Response:
        api_key = api_key_get(user=request.user, api_key_id=pk)
        data = self.ApiKeyUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        api_key = api_key_rename(actor=request.user, api_key=api_key, name=data.validated_data["name"])
        return Response(ApiKeyOutputSerializer(api_key).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: str) -> Response:
        api_key_delete(actor=request.user, api_key=api_key_get(user=request.user, api_key_id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiKeyValidateApi(APIView):
    """Ask the provider whether the key works (one cheap call). A refused key is 200 with is_valid false."""

    permission_classes = [IsActiveUser]

    @extend_schema(request=None, responses=ApiKeyOutputSerializer)
    def post(self, request: Request, pk: str) -> Response:
        api_key = api_key_get(user=request.user, api_key_id=pk)
        api_key, _ = api_key_validate(actor=request.user, api_key=api_key)
        return Response(ApiKeyOutputSerializer(api_key).data)


class _PriceSerializer(serializers.Serializer):
    input_per_mtok = serializers.FloatField()
    output_per_mtok = serializers.FloatField()
    cached_input_per_mtok = serializers.FloatField(allow_null=True)
    effective_from = serializers.DateField()
    source = serializers.CharField()
    confirmed = serializers.BooleanField()


class _ModelSerializer(serializers.Serializer):
    id = serializers.CharField()
    context_window = serializers.IntegerField()
    max_output = serializers.IntegerField()
    supports_temperature = serializers.BooleanField()
    reasoning = serializers.BooleanField()
    structured_output = serializers.CharField()
    status = serializers.CharField()
    price = _PriceSerializer(allow_null=True)
    unconfirmed = serializers.ListField(child=serializers.CharField())
    note = serializers.CharField(allow_blank=True)


class _LLMProviderSerializer(serializers.Serializer):
    id = serializers.CharField()
    display_name = serializers.CharField()
    kind = serializers.CharField()
    api_style = serializers.CharField()
    default_base_url = serializers.CharField()
    requires_key = serializers.BooleanField()
    structured_output = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    models = _ModelSerializer(many=True)


class _ServiceProviderSerializer(serializers.Serializer):
    id = serializers.CharField()
    display_name = serializers.CharField()
    kind = serializers.CharField()
    default_base_url = serializers.CharField()
    requires_key = serializers.BooleanField()
    auth = serializers.CharField()
    note = serializers.CharField(allow_blank=True)


class ProviderCatalogueSerializer(serializers.Serializer):
    catalogue_date = serializers.DateField()
    llm = _LLMProviderSerializer(many=True)
    scraping = _ServiceProviderSerializer(many=True)
    platform = _ServiceProviderSerializer(many=True)


class ProviderListApi(APIView):
    """LLM providers with models, context limits and dated prices; scraping providers; platform data keys."""

    permission_classes = [AllowAny]  # public reference data; nothing tenant-specific or secret
    authentication_classes: list = []

    @extend_schema(responses=ProviderCatalogueSerializer)
    def get(self, request: Request) -> Response:
        return Response(catalogue().as_public_dict())
