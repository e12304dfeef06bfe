"""Contrib apps with ObjectId primary keys (their own migrations live in ``mongo_migrations``)."""

from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig

OBJECT_ID_PK = "django_mongodb_backend.fields.ObjectIdAutoField"


class MongoAdminConfig(AdminConfig):
    default_auto_field = OBJECT_ID_PK
    default_site = "sentimatrix.admin_site.SentimatrixAdminSite"


class MongoAuthConfig(AuthConfig):
    default_auto_field = OBJECT_ID_PK


class MongoContentTypesConfig(ContentTypesConfig):
    default_auto_field = OBJECT_ID_PK
