from django.conf import settings
from django.db import models
from django.utils import timezone
from django_mongodb_backend.fields import ArrayField, EmbeddedModelField
from django_mongodb_backend.models import EmbeddedModel


class ItemInfo(EmbeddedModel):
    platform = models.CharField(max_length=20)
    rank = models.IntegerField(default=0)


class Category(models.Model):
    name = models.CharField(max_length=50)


class Shop(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fidelity_shops")
    name = models.CharField(max_length=100)
    categories = models.ManyToManyField(Category, related_name="shops")


class Item(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="items")
    title = models.CharField(max_length=200)
    score = models.FloatField(default=0)
    tags = ArrayField(models.CharField(max_length=30), default=list)
    meta = EmbeddedModelField(ItemInfo, null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "title"], name="fidelity_item_unique_title")]


class Note(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="notes")
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="notes")
    body = models.TextField()
