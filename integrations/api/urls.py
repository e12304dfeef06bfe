from django.urls import path

import sentimatrix.api.converters  # noqa: F401 - registers <objectid:...>
from integrations.api import views_alerts, views_api_keys, views_webhooks

app_name = "integrations"

urlpatterns = [
    path("providers", views_api_keys.ProviderListApi.as_view(), name="providers"),
    path("api-keys", views_api_keys.ApiKeyListCreateApi.as_view(), name="api-key-list"),
    path("api-keys/<objectid:pk>", views_api_keys.ApiKeyDetailApi.as_view(), name="api-key-detail"),
    path("api-keys/<objectid:pk>/validate", views_api_keys.ApiKeyValidateApi.as_view(), name="api-key-validate"),
    path("projects/<objectid:pk>/alerts", views_alerts.ProjectAlertListApi.as_view(), name="project-alerts"),
    path("projects/<objectid:pk>/alert-rule", views_alerts.ProjectAlertRuleApi.as_view(), name="project-alert-rule"),
    path("webhook-events", views_webhooks.WebhookEventListApi.as_view(), name="webhook-events"),
    path("webhooks", views_webhooks.WebhookListCreateApi.as_view(), name="webhook-list"),
    path("webhooks/<objectid:pk>", views_webhooks.WebhookDetailApi.as_view(), name="webhook-detail"),
    path("webhooks/<objectid:pk>/enable", views_webhooks.WebhookEnableApi.as_view(), name="webhook-enable"),
    path("webhooks/<objectid:pk>/disable", views_webhooks.WebhookDisableApi.as_view(), name="webhook-disable"),
    path(
        "webhooks/<objectid:pk>/rotate-secret", views_webhooks.WebhookRotateSecretApi.as_view(), name="webhook-rotate"
    ),
    path("webhooks/<objectid:pk>/test", views_webhooks.WebhookTestApi.as_view(), name="webhook-test"),
    path("webhooks/<objectid:pk>/deliveries", views_webhooks.DeliveryListApi.as_view(), name="delivery-list"),
    path(
        "webhooks/<objectid:pk>/deliveries/<objectid:delivery_pk>",
        views_webhooks.DeliveryDetailApi.as_view(),
        name="delivery-detail",
    ),
    path(
        "webhooks/<objectid:pk>/deliveries/<objectid:delivery_pk>/redeliver",
        views_webhooks.DeliveryRedeliverApi.as_view(),
        name="delivery-redeliver",
    ),
]
