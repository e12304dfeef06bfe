from django.urls import path

import sentimatrix.api.converters  # noqa: F401 - registers <objectid:...>
from integrations.api import views_api_keys

app_name = "integrations"

urlpatterns = [
    path("providers", views_api_keys.ProviderListApi.as_view(), name="providers"),
    path("api-keys", views_api_keys.ApiKeyListCreateApi.as_view(), name="api-key-list"),
    path("api-keys/<objectid:pk>", views_api_keys.ApiKeyDetailApi.as_view(), name="api-key-detail"),
    path("api-keys/<objectid:pk>/validate", views_api_keys.ApiKeyValidateApi.as_view(), name="api-key-validate"),
]
