"""A tiny URL configuration exercising the API conventions on their own."""

from django.urls import include, path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

import sentimatrix.api.converters  # noqa: F401 - registers <objectid:...>
from sentimatrix.api.errors import ConflictError
from sentimatrix.api.fields import ObjectIdField


class EchoApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    class InputSerializer(serializers.Serializer):
        owner = ObjectIdField()
        name = serializers.CharField(max_length=10)

    def get(self, request, pk: str):
        return Response({"id": pk})

    def post(self, request, pk: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["name"] == "taken":
            raise ConflictError("That name is taken.")
        return Response({"owner": str(data.validated_data["owner"])}, status=201)


class BoomApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        raise RuntimeError("secret internals: password=hunter2")


urlpatterns = [
    path("api/v1/echo/<objectid:pk>", EchoApi.as_view()),
    path("api/v1/boom", BoomApi.as_view()),
    path("", include("sentimatrix.urls")),
]

handler400 = "sentimatrix.api.errors.handler400"
handler403 = "sentimatrix.api.errors.handler403"
handler404 = "sentimatrix.api.errors.handler404"
handler500 = "sentimatrix.api.errors.handler500"
