"""URL intake for Amazon, Google Maps, Trustpilot and Yelp (docs/platforms.md sections 6.1, 7.1, 7b)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from scraping.platforms import amazon, google, trustpilot, yelp
from scraping.platforms.base import ParsedTarget, UrlParseError


def parse(module, url: str) -> ParsedTarget | None:
    return module.parse_url(urlsplit(url))


# --- Amazon ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "asin", "marketplace", "domain"),
    [
        (
            "https://www.amazon.com/Apple-MX532LL-A-AirTag/dp/B0CWXNS552/ref=sr_1_1?crid=2X&th=1",
            "B0CWXNS552",
            "US",
            "amazon.com",
        ),
        ("https://www.amazon.co.uk/gp/product/B07XJ8C8F5?psc=1", "B07XJ8C8F5", "GB", "amazon.co.uk"),
        (
            "https://www.amazon.de/-/en/product-reviews/B0FQP6YQJG/ref=cm_cr_dp_d_show_all_btm?ie=UTF8&reviewerType=all_reviews",
            "B0FQP6YQJG",
            "DE",
            "amazon.de",
        ),
        ("https://www.amazon.co.jp/gp/aw/d/4088820401", "4088820401", "JP", "amazon.co.jp"),
        ("https://amazon.com.mx/dp/B08N5WRWNW", "B08N5WRWNW", "MX", "amazon.com.mx"),
        ("https://www.amazon.com.be/fr/dp/B09B8V1LZ3", "B09B8V1LZ3", "BE", "amazon.com.be"),
        (
            "https://www.amazon.in/gp/customer-reviews/R2ABCDEF123456/ref=cm_cr_arp_d_rvw_ttl?ie=UTF8&ASIN=B0BDHWDR12",
            "B0BDHWDR12",
            "IN",
            "amazon.in",
        ),
        ("https://smile.amazon.com/dp/B07FZ8S74R", "B07FZ8S74R", "US", "amazon.com"),
        ("https://www.amazon.com/dp/b07fz8s74r", "B07FZ8S74R", "US", "amazon.com"),
        ("https://www.amazon.fr/Some-Long-Slug-Here/dp/B0C1234567/", "B0C1234567", "FR", "amazon.fr"),
        ("https://www.amazon.com.br/dp/B0D9ZZZZZZ?th=1&psc=1", "B0D9ZZZZZZ", "BR", "amazon.com.br"),
        ("https://www.amazon.ca/exec/obidos/ASIN/0316769487", "0316769487", "CA", "amazon.ca"),
        ("https://www.amazon.com.au/dp/product/B0BSHF7WHW", "B0BSHF7WHW", "AU", "amazon.com.au"),
        (
            "https://www.amazon.com/gp/product/B0CWXNS552/ref=ox_sc_act_title_1?smid=ATVPDKIKX0DER",
            "B0CWXNS552",
            "US",
            "amazon.com",
        ),
        ("https://www.amazon.co.uk/dp/043942089X", "043942089X", "GB", "amazon.co.uk"),
        ("https://www.amazon.sa/-/en/dp/B0CHX1W1XY", "B0CHX1W1XY", "SA", "amazon.sa"),
        ("https://WWW.AMAZON.DE./dp/B0FQP6YQJG", "B0FQP6YQJG", "DE", "amazon.de"),
        ("https://www.amazon.com/%64p/B0CWXNS552", "B0CWXNS552", "US", "amazon.com"),
    ],
)
def test_amazon_product_urls(url: str, asin: str, marketplace: str, domain: str) -> None:
    target = parse(amazon, url)
    assert target is not None
    assert target.platform == "amazon"
    assert target.detected_type == "product"
    assert target.needs_resolution is False
    assert dict(target.platform_data) == {"asin": asin, "marketplace": marketplace, "domain": domain}
    assert target.canonical_url == f"https://www.{domain}/dp/{asin}"


@pytest.mark.parametrize(
    "url", ["https://amzn.to/3xYzAbC", "https://a.co/d/7hJk2Lm", "https://amzn.eu/d/4f2Kq9x", "https://amzn.asia/d/abc"]
)
def test_amazon_short_links_need_resolution(url: str) -> None:
    target = parse(amazon, url)
    assert target is not None
    assert target.needs_resolution is True
    assert target.platform_data["short_url"] == url


@pytest.mark.parametrize(
    ("url", "reason_part"),
    [
        ("https://www.amazon.com/s?k=headphones", "search page"),
        ("https://www.amazon.com/dp/bestseller", "not a valid ASIN"),
        ("https://www.amazon.com/dp/HELLOWORLD", "not a valid ASIN"),
        ("https://www.amazon.com/gp/help/customer/display.html?nodeId=508088", "not a product page"),
        ("https://www.amazon.cn/dp/B0CWXNS552", "closed"),
    ],
)
def test_amazon_invalid_urls_say_what_to_fix(url: str, reason_part: str) -> None:
    with pytest.raises(UrlParseError) as excinfo:
        parse(amazon, url)
    assert reason_part in excinfo.value.reason


@pytest.mark.parametrize(
    "url",
    [
        "https://www.amazon.com.evil.example/dp/B0CWXNS552",
        "https://amazon.com-deals.example/dp/B0CWXNS552",
        "https://notamazon.com/dp/B0CWXNS552",
        "https://www.tripadvisor.com/Restaurant_Review-g1-d2.html",
        "ftp://example.com/file",
    ],
)
def test_amazon_lookalike_and_foreign_hosts_are_not_amazon(url: str) -> None:
    assert parse(amazon, url) is None


# --- Google Maps -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.google.com/maps/place/Good+Thanks+Cafe/data=!4m7!3m6!1s0x89c259a31b639d95:0x90a673b3e3ed8540"
            "!8m2!3d40.7197434!4d-73.9895105!16s%2Fg%2F11ghtdlp63!19sChIJlZ1jG6NZwokRQIXt47NzppA?authuser=0&hl=en&rclk=1",
            {"place_id": "ChIJlZ1jG6NZwokRQIXt47NzppA", "cid": "10423145604055926080", "name": "Good Thanks Cafe"},
        ),
        (
            "https://www.google.com/maps/place/The+White+House/@38.8976763,-77.0365298,17z/data=!4m6!3m5"
            "!1s0x89b7b7bcdecbb1df:0x715969d86d0b76bf!8m2!3d38.8976763!4d-77.0365298!16zL20vMDgxc3E",
            {"place_id": "ChIJ37HL3ry3t4kRv3YLbdhpWXE", "place_id_derived": True, "cid": "8167675777476425407"},
        ),
        (
            "https://www.google.co.uk/maps/place/X/data=!3m1!4b1!4m6!3m5!1s0x48761b3333333333:0x1234567890abcdef!8m2",
            {"place_id": "ChIJMzMzMzMbdkgR782rkHhWNBI", "place_id_derived": True, "cid": "1311768467294899695"},
        ),
        (
            "https://www.google.com/maps/reviews/data=!4m8!14m7!1m6!2m5!1sChdDSUhNMG9nS0VJQ0FnSUNPcmE2YXRRRRAB!2m1"
            "!1s0x0:0x6cc8dba851799f09!3m1",
            {"cid": "7838756667406262025"},
        ),
        ("https://maps.google.com/?cid=17052420744237416180", {"cid": "17052420744237416180"}),
        ("https://www.google.com/maps?cid=7903389768945169636&hl=de", {"cid": "7903389768945169636"}),
        (
            "https://www.google.com/maps/search/?api=1&query=Google&query_place_id=ChIJN1t_tDeuEmsRUsoyG83frY4",
            {"place_id": "ChIJN1t_tDeuEmsRUsoyG83frY4"},
        ),
        (
            "https://www.google.com/maps/place/?q=place_id:ChIJN1t_tDeuEmsRUsoyG83frY4",
            {"place_id": "ChIJN1t_tDeuEmsRUsoyG83frY4"},
        ),
        (
            "https://search.google.com/local/writereview?placeid=ChIJN1t_tDeuEmsRUsoyG83frY4",
            {"place_id": "ChIJN1t_tDeuEmsRUsoyG83frY4"},
        ),
        (
            "https://maps.google.de/maps?ftid=0x89c259a31b639d95:0x90a673b3e3ed8540",
            {"place_id": "ChIJlZ1jG6NZwokRQIXt47NzppA", "place_id_derived": True, "cid": "10423145604055926080"},
        ),
    ],
)
def test_google_place_urls(url: str, expected: dict) -> None:
    target = parse(google, url)
    assert target is not None
    assert (target.platform, target.detected_type, target.needs_resolution) == ("google", "place", False)
    for key, value in expected.items():
        assert target.platform_data[key] == value
    if "place_id" not in expected:
        assert "place_id" not in target.platform_data  # CID only: the review id token is never taken
        assert target.canonical_url == f"https://maps.google.com/?cid={expected['cid']}"
    else:
        assert target.canonical_url.endswith(f"place_id:{expected['place_id']}")


def test_google_place_url_keeps_the_place_position_over_the_viewport() -> None:
    target = parse(
        google,
        "https://www.google.com/maps/place/Good+Thanks+Cafe/@40.0,-74.0,17z/data=!3m1!4b1!4m6!3m5"
        "!1s0x89c259a31b639d95:0x90a673b3e3ed8540!8m2!3d40.7197434!4d-73.9895105",
    )
    assert target is not None
    assert (target.platform_data["lat"], target.platform_data["lng"]) == (40.7197434, -73.9895105)


@pytest.mark.parametrize(
    "url",
    [
        "https://maps.app.goo.gl/Tz1mH3K6bqVZyQ8X7",
        "https://goo.gl/maps/abc123XYZ",
        "https://g.page/r/CZ9sS8x3abcdEBM/review",
    ],
)
def test_google_short_links_need_resolution(url: str) -> None:
    target = parse(google, url)
    assert target is not None
    assert target.needs_resolution is True
    assert target.platform_data == {"short_url": url}


def test_google_name_only_place_needs_resolution_with_hint() -> None:
    target = parse(google, "https://www.google.com/maps/place/Joe's+Pizza/@40.7305,-74.0021,17z")
    assert target is not None
    assert target.needs_resolution is True
    assert dict(target.platform_data) == {"name": "Joe's Pizza", "lat": 40.7305, "lng": -74.0021}


@pytest.mark.parametrize(
    ("url", "reason_part"),
    [
        ("https://www.google.com/maps/search/pizza+near+me/@40.7,-74.0,14z", "search results"),
        ("https://www.google.com/maps/@40.7127753,-74.0059728,12z", "map position"),
        ("https://www.google.com/maps/dir/Home/Work/", "directions"),
        ("https://www.google.com/search?q=pizza", "not a Google Maps place"),
        ("https://www.google.com/maps/place/?q=place_id:ChIJshort", "truncated"),
        ("https://maps.google.com/?cid=12x4", "not a valid place number"),
        ("https://goo.gl/abcdef", "not Google Maps places"),
    ],
)
def test_google_invalid_urls_say_what_to_fix(url: str, reason_part: str) -> None:
    with pytest.raises(UrlParseError) as excinfo:
        parse(google, url)
    assert reason_part in excinfo.value.reason


@pytest.mark.parametrize(
    "url",
    [
        "https://www.google.com.evil.example/maps/place/?q=place_id:ChIJN1t_tDeuEmsRUsoyG83frY4",
        "https://maps.googleusercontent.example/?cid=1",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    ],
)
def test_google_lookalike_hosts_are_not_google(url: str) -> None:
    assert parse(google, url) is None


# --- Trustpilot --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "slug", "locale"),
    [
        ("https://www.trustpilot.com/review/www.bestbuy.com", "www.bestbuy.com", None),
        ("https://de.trustpilot.com/review/zalando.de?page=3", "zalando.de", "de"),
        ("https://uk.trustpilot.com/review/www.asos.com", "www.asos.com", "uk"),
        ("https://trustpilot.com/review/Booking.com/", "booking.com", None),
        ("https://www.trustpilot.com/review/github.com?languages=all&stars=1", "github.com", None),
        ("https://fr.trustpilot.com/review/www.cdiscount.com#reviews", "www.cdiscount.com", "fr"),
        ("http://www.trustpilot.com/review/my-shop.co.uk", "my-shop.co.uk", None),
        ("https://www.trustpilot.com/review/amazon.com/location", "amazon.com", None),
    ],
)
def test_trustpilot_business_urls(url: str, slug: str, locale: str | None) -> None:
    target = parse(trustpilot, url)
    assert target is not None
    assert (target.platform, target.detected_type, target.needs_resolution) == ("trustpilot", "business", False)
    assert dict(target.platform_data) == {"slug": slug, "locale": locale}
    assert target.canonical_url == f"https://www.trustpilot.com/review/{slug}"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.trustpilot.com/categories/electronics",
        "https://www.trustpilot.com/search?query=shoes",
        "https://www.trustpilot.com/review/",
        "https://www.trustpilot.com/review/localhost",
        "https://www.trustpilot.com/users/5f1234567890abcdef123456",
    ],
)
def test_trustpilot_non_business_pages_are_invalid(url: str) -> None:
    with pytest.raises(UrlParseError) as excinfo:
        parse(trustpilot, url)
    assert "/review/" in excinfo.value.reason


@pytest.mark.parametrize(
    "url", ["https://www.trustpilot.com.evil.example/review/zalando.de", "https://trustpilot.co/review/zalando.de"]
)
def test_trustpilot_lookalike_hosts_are_not_trustpilot(url: str) -> None:
    assert parse(trustpilot, url) is None


# --- Yelp --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "slug", "domain"),
    [
        ("https://www.yelp.com/biz/tartine-bakery-san-francisco", "tartine-bakery-san-francisco", "yelp.com"),
        ("https://m.yelp.com/biz/tartine-bakery-san-francisco?hrid=abc", "tartine-bakery-san-francisco", "yelp.com"),
        ("https://www.yelp.co.uk/biz/dishoom-london-3", "dishoom-london-3", "yelp.co.uk"),
        ("https://www.yelp.de/biz/caf%C3%A9-einstein-berlin", "café-einstein-berlin", "yelp.de"),
        ("https://yelp.ca/biz/schwartzs-montreal?osq=smoked+meat", "schwartzs-montreal", "yelp.ca"),
        ("https://www.yelp.com.au/biz/bills-sydney-2#reviews", "bills-sydney-2", "yelp.com.au"),
        ("https://www.yelp.com/biz/katzs-delicatessen-new-york/", "katzs-delicatessen-new-york", "yelp.com"),
        ("https://www.yelp.fr/biz/le-comptoir-paris_2", "le-comptoir-paris_2", "yelp.fr"),
    ],
)
def test_yelp_business_urls(url: str, slug: str, domain: str) -> None:
    target = parse(yelp, url)
    assert target is not None
    assert (target.platform, target.detected_type, target.needs_resolution) == ("yelp", "business", False)
    assert dict(target.platform_data) == {"slug": slug, "domain": domain}
    assert target.canonical_url.startswith(f"https://www.{domain}/biz/")


def test_yelp_canonical_url_re_encodes_the_decoded_slug() -> None:
    target = parse(yelp, "https://www.yelp.de/biz/caf%C3%A9-einstein-berlin")
    assert target is not None
    assert target.canonical_url == "https://www.yelp.de/biz/caf%C3%A9-einstein-berlin"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.yelp.com/search?find_desc=pizza",
        "https://www.yelp.com/",
        "https://www.yelp.com/user_details?userid=abc",
        "https://www.yelp.com/biz/",
    ],
)
def test_yelp_non_business_pages_are_invalid(url: str) -> None:
    with pytest.raises(UrlParseError) as excinfo:
        parse(yelp, url)
    assert "/biz/" in excinfo.value.reason


@pytest.mark.parametrize(
    "url",
    ["https://www.yelp.com.evil.example/biz/tartine", "https://yelp.example/biz/tartine", "https://www.yelp.nl/biz/x"],
)
def test_yelp_lookalike_and_unlisted_hosts_are_not_yelp(url: str) -> None:
    assert parse(yelp, url) is None
