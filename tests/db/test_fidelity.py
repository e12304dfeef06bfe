"""Every query shape the product uses, with exact expected answers.

The emulated engine can answer wrongly *silently* (``count()`` returned 0 before the
``$getField`` fix), so each test checks real numbers. ``test_each_fix_is_needed`` removes one
compatibility fix at a time and shows that at least one of these shapes then breaks.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import IntegrityError
from django.db.models import Avg, Count, F, Q
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from accounts.models import User
from sentimatrix.db import compat
from tests.fidelity_app.models import Category, Item, ItemInfo, Note, Shop

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def data() -> dict:
    alice = User.objects.create_user("alice@example.com", "pw-Alice-123", name="Alice")
    bob = User.objects.create_user("bob@example.com", "pw-Bob-12345", name="Bob")
    books, games = Category.objects.create(name="books"), Category.objects.create(name="games")
    north = Shop.objects.create(owner=alice, name="North Books")
    south = Shop.objects.create(owner=alice, name="South Games")
    west = Shop.objects.create(owner=bob, name="West Mixed")
    north.categories.add(books)
    south.categories.add(games)
    west.categories.add(books, games)
    base = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
    rows = [
        # shop, title, score, tags, platform, rank, days after base
        (north, "Dune", 0.9, ["scifi", "classic"], "amazon", 3, 0),
        (north, "Emma", 0.1, ["classic"], "amazon", 1, 1),
        (north, "Ubik", -0.4, ["scifi"], "steam", 2, 6),
        (south, "Doom", 0.5, ["shooter", "classic"], "steam", 5, 7),
        (south, "Myst", -0.2, ["puzzle"], "steam", 4, 35),
        (west, "Tetris", 0.7, ["puzzle", "classic"], "youtube", 9, 36),
    ]
    items = {}
    for shop, title, score, tags, platform, rank, days in rows:
        items[title] = Item.objects.create(
            shop=shop, title=title, score=score, tags=tags,
            meta=ItemInfo(platform=platform, rank=rank), created_at=base + dt.timedelta(days=days),
        )  # fmt: skip
    Note.objects.create(item=items["Dune"], shop=north, body="Great")
    Note.objects.create(item=items["Dune"], shop=north, body="Long")
    Note.objects.create(item=items["Doom"], shop=south, body="Loud")
    return {"alice": alice, "bob": bob, "shops": (north, south, west), "items": items, "cats": (books, games)}


def test_count_with_and_without_filters(data: dict) -> None:
    assert Item.objects.count() == 6
    assert Item.objects.filter(score__gt=0).count() == 4
    assert Item.objects.filter(title="nope").count() == 0
    assert Note.objects.filter(item__title="Dune").count() == 2


def test_exists(data: dict) -> None:
    assert Item.objects.filter(title="Myst").exists() is True
    assert Item.objects.filter(title="Quake").exists() is False


def test_filter_on_embedded_fields(data: dict) -> None:
    assert sorted(Item.objects.filter(meta__platform="steam").values_list("title", flat=True)) == [
        "Doom", "Myst", "Ubik",
    ]  # fmt: skip
    assert Item.objects.filter(meta__rank__gte=4).count() == 3


def test_select_related_and_filters_across_two_foreign_keys(data: dict) -> None:
    notes = Note.objects.select_related("item", "shop").filter(shop__owner__email="alice@example.com")
    assert notes.count() == 3
    pairs = sorted((note.item.title, note.shop.name) for note in notes)
    assert pairs == [("Doom", "South Games"), ("Dune", "North Books"), ("Dune", "North Books")]
    # the related objects keep their primary keys (the $addFields fix)
    assert {note.item.pk for note in notes} == {data["items"]["Dune"].pk, data["items"]["Doom"].pk}
    two_hops = Item.objects.filter(shop__owner=data["bob"]).values_list("title", flat=True)
    assert list(two_hops) == ["Tetris"]


def test_select_related_returns_the_related_object(data: dict) -> None:
    item = Item.objects.select_related("shop").get(title="Ubik")
    assert item.shop.pk == data["shops"][0].pk
    assert item.shop.name == "North Books"
    assert item.shop.owner_id == data["alice"].pk
    # ordering by a related field adds {"$addFields": {"<alias>": {"name": ...}}}: the related
    # document must keep its other fields (the addfields_nested_specs fix)
    ordered = list(Item.objects.select_related("shop").order_by("-shop__name", "title")[:2])
    assert [(i.title, i.shop.name, i.shop.pk) for i in ordered] == [
        ("Tetris", "West Mixed", data["shops"][2].pk), ("Doom", "South Games", data["shops"][1].pk),
    ]  # fmt: skip


def test_icontains_and_q_or(data: dict) -> None:
    assert Item.objects.filter(title__icontains="M").count() == 3  # Emma, Doom, Myst
    assert sorted(Item.objects.filter(Q(title="Dune") | Q(score__lt=0)).values_list("title", flat=True)) == [
        "Dune", "Myst", "Ubik",
    ]  # fmt: skip


def test_array_contains(data: dict) -> None:
    assert Item.objects.filter(tags__contains=["classic"]).count() == 4
    assert Item.objects.filter(tags__contains=["scifi", "classic"]).count() == 1


def test_values_annotate_grouped_by_embedded_field(data: dict) -> None:
    rows = Item.objects.values("meta__platform").annotate(n=Count("id"), avg=Avg("score")).order_by("meta__platform")
    got = [(row["meta__platform"], row["n"], round(row["avg"], 6)) for row in rows]
    assert got == [("amazon", 2, 0.5), ("steam", 3, round((-0.4 + 0.5 - 0.2) / 3, 6)), ("youtube", 1, 0.7)]


def test_annotate_count_reverse_fk_and_m2m(data: dict) -> None:
    by_item = dict(Item.objects.annotate(n=Count("notes")).values_list("title", "n"))
    assert by_item == {"Dune": 2, "Emma": 0, "Ubik": 0, "Doom": 1, "Myst": 0, "Tetris": 0}
    by_shop = dict(Shop.objects.annotate(n=Count("categories")).values_list("name", "n"))
    assert by_shop == {"North Books": 1, "South Games": 1, "West Mixed": 2}


def test_dates_by_day_week_month(data: dict) -> None:
    days = list(Item.objects.dates("created_at", "day"))
    assert days == [dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 8), dt.date(2026, 3, 9),
                    dt.date(2026, 4, 6), dt.date(2026, 4, 7)]  # fmt: skip
    # Django's weeks start on Monday (ISO); 2026-03-08 is a Sunday, so it belongs to 03-02's week.
    weeks = list(Item.objects.dates("created_at", "week"))
    assert weeks == [dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 4, 6)]
    months = list(Item.objects.dates("created_at", "month"))
    assert months == [dt.date(2026, 3, 1), dt.date(2026, 4, 1)]


def test_trunc_groupings_in_a_timezone(data: dict) -> None:
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")  # CET (+01:00) in early March
    rows = Item.objects.annotate(week=TruncWeek("created_at")).values("week").annotate(n=Count("id")).order_by("week")
    assert [(row["week"].date(), row["n"]) for row in rows] == [
        (dt.date(2026, 3, 2), 3), (dt.date(2026, 3, 9), 1), (dt.date(2026, 4, 6), 2),
    ]  # fmt: skip
    monthly = Item.objects.annotate(m=TruncMonth("created_at")).values("m").annotate(n=Count("id")).order_by("m")
    assert [(row["m"].month, row["n"]) for row in monthly] == [(3, 4), (4, 2)]
    with timezone.override(berlin):
        daily = Item.objects.annotate(d=TruncDay("created_at")).values("d").annotate(n=Count("id")).order_by("d")
        got = [(row["d"], row["n"]) for row in daily]
    # buckets start at local midnight in Berlin: 2026-03-02 00:00 CET is 2026-03-01 23:00 UTC
    assert got[0] == (dt.datetime(2026, 3, 2, tzinfo=berlin), 1)
    assert got[-1] == (dt.datetime(2026, 4, 7, tzinfo=berlin), 1)
    assert len(got) == 6


def test_distinct(data: dict) -> None:
    assert sorted(Item.objects.values_list("meta__platform", flat=True).distinct()) == ["amazon", "steam", "youtube"]


def test_ordering_by_embedded_field_with_slicing(data: dict) -> None:
    top = list(Item.objects.order_by("-meta__rank").values_list("title", flat=True)[:3])
    assert top == ["Tetris", "Doom", "Myst"]
    page_two = list(Item.objects.order_by("meta__rank").values_list("title", flat=True)[2:4])
    assert page_two == ["Dune", "Myst"]


def test_update_with_f_expression(data: dict) -> None:
    changed = Item.objects.filter(meta__platform="steam").update(score=F("score") + 1)
    assert changed == 3
    assert sorted(round(s, 6) for s in Item.objects.filter(meta__platform="steam").values_list("score", flat=True)) == [
        0.6, 0.8, 1.5,
    ]  # fmt: skip


def test_cascade_delete_counts(data: dict) -> None:
    deleted, per_model = data["shops"][0].delete()
    assert per_model == {"fidelity.Note": 2, "fidelity.Item": 3, "fidelity.Shop_categories": 1, "fidelity.Shop": 1}
    assert deleted == 7
    assert Item.objects.count() == 3


def test_bulk_create_a_few_thousand_rows(data: dict) -> None:
    shop = data["shops"][2]
    Item.objects.bulk_create(
        [Item(shop=shop, title=f"bulk-{n}", score=(n % 5) / 10, meta=ItemInfo(platform="reddit", rank=n)) for n in
         range(3000)]
    )  # fmt: skip
    assert Item.objects.filter(shop=shop).count() == 3001
    assert Item.objects.filter(meta__platform="reddit", score=0.4).count() == 600


def test_unique_index_violation_raises_integrity_error(data: dict) -> None:
    with pytest.raises(IntegrityError):
        Item.objects.create(shop=data["shops"][0], title="Dune")
    with pytest.raises(IntegrityError):
        User.objects.create_user("alice@example.com", "x-Password-1", name="Again")


def test_each_fix_is_needed(data: dict) -> None:
    """Without any one compatibility fix, at least one shape above gives a wrong answer or fails."""
    probes = {
        "getfield_expression_input": lambda: Item.objects.count() == 6,
        "type_bson_aliases": lambda: (
            dict(Item.objects.annotate(n=Count("notes")).values_list("title", "n"))["Dune"] == 2
        ),
        "datetrunc_options": lambda: len(list(Item.objects.dates("created_at", "week"))) == 3,
        "addfields_nested_specs": lambda: (
            Item.objects.select_related("shop").order_by("-shop__name")[0].shop.pk == data["shops"][2].pk
        ),
        "duplicate_key_error": lambda: _raises_integrity_error(
            lambda: Item.objects.create(shop=data["shops"][0], title="Dune")
        ),
    }
    for name, probe in probes.items():
        assert probe(), f"{name}: the probe must pass with every fix installed"
        with compat.disabled(name):
            try:
                broken = not probe()
            except Exception:  # noqa: BLE001 - raising is one way of being broken
                broken = True
        assert broken, f"removing the {name} fix changed nothing: the probe does not pin it"
    # Pinned by their own tests in test_compat.py (a validator and a thread race are not query shapes).
    assert set(probes) | {"jsonschema_validator", "single_document_atomicity", "lookup_stream_input"} == set(
        compat.fix_names()
    )


def _raises_integrity_error(create) -> bool:
    try:
        create()
    except IntegrityError:
        return True
    return False
