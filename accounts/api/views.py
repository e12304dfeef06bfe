from __future__ import annotations

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sentimatrix.api.permissions import IsActiveUser


class MeApi(APIView):
    permission_classes = [IsActiveUser]

    class OutputSerializer(serializers.Serializer):
        id = serializers.CharField(read_only=True)
        email = serializers.EmailField()
        name = serializers.CharField()
        plan = serializers.CharField()
        status = serializers.CharField()

    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(request.user).data)
