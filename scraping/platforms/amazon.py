"""Amazon products (docs/platforms.md section 7).

URL parsing finds the ASIN and the marketplace. There is no official reviews API and, since late
2024, ``/product-reviews/`` sits behind a sign-in wall, so the default path reads the "Top reviews"
on the product page ``/dp/{ASIN}`` (direct HTTP or ScraperAPI) and parses them with selectolax.
The full history needs ``context.provider == "apify"`` (an Amazon reviews actor).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit, urlunsplit

import httpx
from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraping.platforms import base
from scraping.platforms._commerce import (
    apify_pages,
    as_text,
    first_present,
    parse_localized_date,
    parse_rating,
    stable_id,
    utc_from_value,
    with_input_overrides,
    within_window,
)
from scraping.platforms.http import make_client
from scraping.providers.direct import FetchedPage, fetch_page
from scraping.providers.scraperapi import ScraperApiClient

DEFAULT_ACTOR = "junglee~amazon-reviews-scraper"

# Marketplace TLD -> (ISO country, Accept-Language). Store GB, not UK.
MARKETPLACES: Mapping[str, tuple[str, str]] = {
    "com": ("US", "en-US,en;q=0.9"),
    "ca": ("CA", "en-CA,en;q=0.9,fr-CA;q=0.5"),
    "com.mx": ("MX", "es-MX,es;q=0.9"),
    "com.br": ("BR", "pt-BR,pt;q=0.9"),
    "co.uk": ("GB", "en-GB,en;q=0.9"),
    "de": ("DE", "de-DE,de;q=0.9,en;q=0.5"),
    "fr": ("FR", "fr-FR,fr;q=0.9"),
    "it": ("IT", "it-IT,it;q=0.9"),
    "es": ("ES", "es-ES,es;q=0.9"),
    "nl": ("NL", "nl-NL,nl;q=0.9"),
    "se": ("SE", "sv-SE,sv;q=0.9"),
    "pl": ("PL", "pl-PL,pl;q=0.9"),
    "com.tr": ("TR", "tr-TR,tr;q=0.9"),
    "com.be": ("BE", "fr-BE,nl-BE;q=0.9"),
    "ie": ("IE", "en-IE,en;q=0.9"),
    "ae": ("AE", "en-AE,ar-AE;q=0.9"),
    "sa": ("SA", "ar-SA,en;q=0.5"),
    "eg": ("EG", "ar-EG,en;q=0.5"),
    "in": ("IN", "en-IN,en;q=0.9"),
    "co.jp": ("JP", "ja-JP,ja;q=0.9"),
    "com.au": ("AU", "en-AU,en;q=0.9"),
    "sg": ("SG", "en-SG,en;q=0.9"),
    "co.za": ("ZA", "en-ZA,en;q=0.9"),
}
# Default product-page roots, keyed as in ``FetchContext.base_urls`` ("amazon_us", "amazon_gb", ...);
# a key in the context overrides one marketplace (a local fixture server in tests).
PROVIDER_BASE_URLS: Mapping[str, str] = {
    f"amazon_{country.lower()}": f"https://www.amazon.{tld}" for tld, (country, _) in MARKETPLACES.items()
}
# amazon.cn closed its retail marketplace in 2019: recognized so the user gets a reason, not "unknown site".
_CLOSED_MARKETPLACES = {"cn": "amazon.cn closed its retail marketplace in 2019 and has no reviews to collect"}

_AMAZON_HOST = re.compile(
    r"^(?:[a-z0-9-]+\.)*amazon\."
    r"(?P<tld>com\.mx|com\.br|com\.tr|com\.be|com\.au|co\.uk|co\.jp|co\.za|com|ca|de|fr|it|es|nl|se|pl|ie|ae|sa|eg|in|sg|cn)$"
)
_SHORT_HOSTS = frozenset({"amzn.to", "amzn.eu", "amzn.asia", "amzn.com", "a.co", "www.amzn.to", "www.a.co"})
_ASIN_PATH = re.compile(
    r"/(?:dp|gp/product|gp/aw/d|gp/product-reviews|product-reviews|exec/obidos/ASIN|exec/obidos/tg/detail/-"
    r"|o/ASIN|gp/offer-listing|dp/product)/(?P<cand>[A-Za-z0-9]{10})(?=[/?#&]|$)",
    re.IGNORECASE,
)
_ASIN = re.compile(r"^(?:B0[0-9A-Z]{8}|[0-9]{9}[0-9X])$")
_QUERY_ASIN_KEYS = ("asin", "creativeasin")


# --- URL parsing -------------------------------------------------------------------------------


def parse_url(parts: SplitResult) -> base.ParsedTarget | None:
    """Parse an Amazon product URL; None when the host is not Amazon's.

    ``platform_data``: ``asin`` (upper-case), ``marketplace`` (ISO country, ``GB`` for .co.uk),
    ``domain`` (``amazon.de``); short links give ``short_url`` and ``needs_resolution``.
    """
    host = (parts.hostname or "").rstrip(".").lower()
    if host in _SHORT_HOSTS:
        short_url = urlunsplit(("https", host, parts.path, parts.query, ""))
        return base.ParsedTarget(
            platform=base.Platform.AMAZON,
            detected_type="product",
            canonical_url=short_url,
            platform_data={"short_url": short_url},
            needs_resolution=True,
        )
    match = _AMAZON_HOST.match(host)
    if not match:
        return None
    tld = match.group("tld")
    if tld in _CLOSED_MARKETPLACES:
        raise base.UrlParseError(_CLOSED_MARKETPLACES[tld])
    asin = _asin_from(parts)
    if asin is None:
        raise base.UrlParseError(_why_no_asin(parts.path))
    country = MARKETPLACES[tld][0]
    domain = f"amazon.{tld}"
    return base.ParsedTarget(
        platform=base.Platform.AMAZON,
        detected_type="product",
        canonical_url=f"https://www.{domain}/dp/{asin}",
        platform_data={"asin": asin, "marketplace": country, "domain": domain},
    )


def _asin_from(parts: SplitResult) -> str | None:
    for candidate in _ASIN_PATH.finditer(unquote(parts.path)):
        asin = candidate.group("cand").upper()
        if _ASIN.match(asin):
            return asin
    for key, value in parse_qsl(parts.query):
        if key.lower() in _QUERY_ASIN_KEYS and _ASIN.match(value.upper()):
            return value.upper()
    return None


def _why_no_asin(path: str) -> str:
    if path.startswith("/s") and (path == "/s" or path.startswith("/s/")):
        return "This Amazon link is a search page; open the product and copy its link (it contains /dp/ and the ASIN)"
    if re.search(r"/(?:dp|gp/product|product-reviews)/", path, re.IGNORECASE):
        return "The product code in this Amazon link is not a valid ASIN (10 characters, e.g. B0CWXNS552)"
    return "This Amazon link is not a product page; open the product and copy its link (it contains /dp/)"


# --- fetching ----------------------------------------------------------------------------------

LOGIN_WALL_MESSAGE = (
    "Amazon answered with a {what} instead of the product page: Amazon's review pages sit behind a "
    "login wall and it blocks automated access; configure a scraping provider (ScraperAPI for the "
    "product page's top reviews, Apify for the full history)"
)


def fetch_pages(
    target: base.ParsedTarget,
    options: base.FetchOptions,
    context: base.FetchContext,
    cursor: str | None = None,
) -> Iterator[base.Page]:
    """Product reviews: the product page's top reviews (one page), or the Apify actor's pages."""
    if target.needs_resolution:
        raise base.FetchError("This Amazon short link must be resolved before its reviews can be fetched")
    if context.provider == "apify":
        yield from _fetch_apify(target, options, context, cursor)
        return
    if cursor is not None:
        raise base.FetchError("The Amazon product page has no further pages; this cursor belongs to another provider")
    url = product_url(target, context)
    marketplace = str(target.platform_data["marketplace"])
    with make_client(context) as client:
        if context.provider == "scraperapi":
            scraper = ScraperApiClient.from_context(context)
            options_map = context.provider_options
            try:
                page = scraper.fetch(
                    client,
                    url,
                    context=context,
                    country_code=str(options_map.get("country_code") or marketplace).lower(),
                    render=bool(options_map.get("render", False)),
                    premium=bool(options_map.get("premium", False)),
                )
            except base.NotFoundError as exc:
                raise base.NotFoundError(_not_found_message(target), status_code=exc.status_code) from None
        else:
            page = _fetch_direct(client, url, marketplace, context, target)
    block = detect_block(page)
    if block is not None:
        raise base.BlockedError(LOGIN_WALL_MESSAGE.format(what=block), status_code=page.status_code)
    reviews = parse_product_page(page.text, target, source=page.source)
    reviews = [review for review in reviews if within_window(review, options)][: options.max_results]
    yield base.Page(reviews=reviews, cursor=None, requests_made=1, target_info=product_info(page.text))


def product_url(target: base.ParsedTarget, context: base.FetchContext) -> str:
    """``/dp/{ASIN}`` on the marketplace's domain, or on ``base_urls["amazon_<marketplace>"]``."""
    key = f"amazon_{str(target.platform_data['marketplace']).lower()}"
    root = context.base_urls.get(key) or PROVIDER_BASE_URLS.get(key) or f"https://www.{target.platform_data['domain']}"
    return f"{root.rstrip('/')}/dp/{target.platform_data['asin']}"


def _not_found_message(target: base.ParsedTarget) -> str:
    return (
        f"Amazon has no product {target.platform_data['asin']} on {target.platform_data['domain']}; "
        "check the link and the marketplace"
    )


def _fetch_direct(
    client: httpx.Client, url: str, marketplace: str, context: base.FetchContext, target: base.ParsedTarget
) -> FetchedPage:
    language = next((lang for cc, lang in MARKETPLACES.values() if cc == marketplace), "en-US,en;q=0.9")
    headers = {"Accept": "text/html,application/xhtml+xml", "Accept-Language": language}
    # Amazon's 503 is a bot block, not an outage: retrying it only digs deeper, so one attempt here
    # (a TransientError still lets the task retry later if it was a real transport failure).
    single = dataclasses.replace(context, max_attempts=1)
    try:
        page = fetch_page(client, url, context=single, headers=headers)
    except base.TransientError as exc:
        if exc.status_code == 503:
            raise base.BlockedError(LOGIN_WALL_MESSAGE.format(what="503 robot check"), status_code=503) from None
        raise
    if page.status_code == 404:
        raise base.NotFoundError(_not_found_message(target), status_code=404)
    if page.status_code in (401, 403):
        raise base.BlockedError(
            LOGIN_WALL_MESSAGE.format(what=f"HTTP {page.status_code}"), status_code=page.status_code
        )
    if page.status_code >= 400:
        raise base.FetchError(
            f"Amazon answered HTTP {page.status_code} for the product page", status_code=page.status_code
        )
    return page


def detect_block(page: FetchedPage) -> str | None:
    """ "captcha" / "sign-in page" when Amazon served a block instead of the product page, else None.

    Runs on every 200 too (ScraperAPI bodies included): a captcha often comes back as 200. The nav
    bar of a normal page links to /ap/signin, so only the sign-in form or a final /ap/signin URL
    count as the wall.
    """
    text = page.text
    if "/errors/validateCaptcha" in text or "Enter the characters you see below" in text:
        return "captcha"
    final_path = urlsplit(page.url).path
    if final_path.startswith("/ap/signin") or (page.location and "/ap/signin" in page.location):
        return "sign-in page"
    if 'name="signIn"' in text or re.search(r"<title>\s*Amazon Sign-In\s*</title>", text, re.IGNORECASE):
        return "sign-in page"
    if page.status_code == 503:
        return "503 robot check"
    return None


# --- product page parsing ----------------------------------------------------------------------

_NO_REVIEWS_MARKERS = (
    'id="cm-cr-dp-no-reviews-message"',
    "cm-cr-dp-no-reviews-message",
    'data-hook="cr-dp-no-reviews"',
    "No customer reviews",
)
_REVIEW_ID = re.compile(r"R[0-9A-Z]{8,}")
_STAR_CLASS = re.compile(r"a-star(?:-mini)?-(\d)(?:-(\d))?\b")
# Languages that put the scale before the rating: "5つ星のうち4.0", "5 yıldız üzerinden 4,0".
_SCALE_FIRST_MARKERS = ("のうち", "üzerinden")
_DIGITS = re.compile(r"\d+")


def parse_product_page(html: str, target: base.ParsedTarget, *, source: str) -> list[base.Review]:
    """Review cards on a product page (``[data-hook="review"]``), normalized.

    An empty list when the page says the product has no reviews; ``SchemaDriftError`` when a page
    that is not blocked has no cards and no such message (the layout changed).
    """
    tree = LexborHTMLParser(html)
    cards = tree.css('[data-hook="review"]')
    if not cards:
        if any(marker in html for marker in _NO_REVIEWS_MARKERS):
            return []
        raise base.SchemaDriftError(
            "Amazon product page: no review cards and no 'no reviews' message; the page layout may have changed"
        )
    domain = str(target.platform_data["domain"])
    reviews = []
    seen: set[str] = set()
    for card in cards:
        review = _review_from_card(card, domain, source)
        if review.platform_id not in seen:  # "top reviews" and "from other countries" can repeat one
            seen.add(review.platform_id)
            reviews.append(review)
    return reviews


def product_info(html: str) -> dict[str, Any]:
    """The product's title, average rating and rating count as the page shows them (when present)."""
    tree = LexborHTMLParser(html)
    info: dict[str, Any] = {}
    title = _text(tree.css_first("#productTitle"))
    if title:
        info["title"] = title
    average = _text(tree.css_first('[data-hook="rating-out-of-text"]'))
    if average:
        info["rating"] = parse_rating(average)
    total = _text(tree.css_first('[data-hook="total-review-count"]'))
    digits = re.sub(r"[^\d]", "", total)
    if digits:
        info["review_count"] = int(digits)
    return info


def _review_from_card(card: LexborNode, domain: str, source: str) -> base.Review:
    title = _title_of(card)
    body = _body_of(card)
    author = _text(card.css_first(".a-profile-name"))
    date_raw = _text(card.css_first('[data-hook="review-date"]'))
    rating = _rating_of(card)
    id_match = _REVIEW_ID.search(card.attributes.get("id") or "")
    review_id = id_match.group(0) if id_match else stable_id(domain, author, date_raw, title, body)
    extra: dict[str, Any] = {"date_raw": date_raw, "verified": card.css_first('[data-hook="avp-badge"]') is not None}
    helpful = _text(card.css_first('[data-hook="helpful-vote-statement"]'))
    if helpful:
        digits = _DIGITS.search(helpful.replace(",", "").replace(".", ""))
        # "One person found this helpful" has no digits: that statement itself means one vote.
        extra["helpful_votes"] = int(digits.group(0)) if digits else 1
    variant = _text(card.css_first('[data-hook="format-strip"]'))
    if variant:
        extra["variant"] = variant
    if title == "" and body == "" and rating is None:
        raise base.SchemaDriftError("Amazon review card without title, body or rating; the layout may have changed")
    return base.Review(
        platform=base.Platform.AMAZON,
        platform_id=review_id,
        text=body,
        title=title,
        author=author,
        rating=rating,
        rating_scale="1-5",
        date=parse_localized_date(date_raw),
        url=f"https://www.{domain}/gp/customer-reviews/{review_id}/" if id_match else "",
        source=source,
        extra=extra,
    )


def _text(node: LexborNode | None) -> str:
    if node is None:
        return ""
    return " ".join((node.text(separator=" ") or "").split())


def _title_of(card: LexborNode) -> str:
    node = card.css_first('[data-hook="review-title"]') or card.css_first('[data-hook="reviewTitle"]')
    if node is None:
        return ""
    original = node.css_first(".cr-original-review-content")
    if original is not None:
        return _text(original)
    # The anchor also holds the star label (".a-icon-alt") and empty spacer spans; the title is the
    # last span with text (document order puts nested spans after their parent).
    spans = [span for span in node.css("span") if "a-icon-alt" not in (span.attributes.get("class") or "")]
    texts = [text for text in (_text(span) for span in spans) if text]
    if texts:
        return texts[-1]
    return _text(node)


def _body_of(card: LexborNode) -> str:
    node = card.css_first('[data-hook="review-body"]') or card.css_first('[data-hook="reviewRichContentContainer"]')
    if node is None:
        return ""
    original = node.css_first(".cr-original-review-content")
    if original is not None:
        return _text(original)
    # Drop the "Read more" expander controls and hidden translations before reading the text.
    for junk in node.css(".a-expander-prompt, .a-expander-header, .cr-translated-review-content, script, style"):
        junk.decompose()
    return _text(node)


def _rating_of(card: LexborNode) -> float | None:
    icon = card.css_first('[data-hook="review-star-rating"]') or card.css_first('[data-hook="cmps-review-star-rating"]')
    if icon is None:
        return None
    label = _text(icon.css_first(".a-icon-alt")) or _text(icon)
    numbers = re.findall(r"\d+(?:[.,]\d+)?", label)
    if numbers:
        pick = numbers[-1] if any(marker in label for marker in _SCALE_FIRST_MARKERS) else numbers[0]
        return float(pick.replace(",", "."))
    star_class = _STAR_CLASS.search(icon.attributes.get("class") or "")
    if star_class:  # "a-star-4-5" = 4.5: the class survives even when the label is localized oddly
        return float(f"{star_class.group(1)}.{star_class.group(2) or 0}")
    return None


# --- Apify (full history) ----------------------------------------------------------------------


def actor_input(target: base.ParsedTarget, options: base.FetchOptions, context: base.FetchContext) -> dict[str, Any]:
    """Input for the Amazon reviews actor (field names per its input schema: pin the build).
    ``context.provider_options["actor_input"]["amazon"]`` is merged on top."""
    run_input: dict[str, Any] = {
        "productUrls": [{"url": target.canonical_url}],
        "maxReviews": options.max_results,
        "sort": options.sort_by or "recent",
    }
    return with_input_overrides(run_input, context, base.Platform.AMAZON)


def _fetch_apify(
    target: base.ParsedTarget, options: base.FetchOptions, context: base.FetchContext, cursor: str | None
) -> Iterator[base.Page]:
    yield from apify_pages(
        target=target,
        options=options,
        context=context,
        cursor=cursor,
        platform=base.Platform.AMAZON,
        label="Amazon",
        default_actor=DEFAULT_ACTOR,
        run_input=actor_input(target, options, context),
        mapper=lambda item: review_from_apify(item, target),
    )


def review_from_apify(item: Mapping[str, Any], target: base.ParsedTarget) -> base.Review | None:
    """Map one Amazon reviews actor item; None for rows that are not reviews."""
    text = as_text(first_present(item, "reviewDescription", "text", "reviewText"))
    title = as_text(first_present(item, "reviewTitle", "title"))
    rating = parse_rating(first_present(item, "ratingScore", "rating", "stars"))
    review_id = first_present(item, "reviewId", "id")
    if review_id is None and not text and not title and rating is None:
        return None
    date_raw = as_text(first_present(item, "date", "reviewedIn"))
    date = utc_from_value(item.get("date")) or parse_localized_date(date_raw)
    if date is None and item.get("reviewedIn"):
        date = parse_localized_date(str(item["reviewedIn"]))
    domain = str(target.platform_data.get("domain") or "amazon.com")
    platform_id = str(review_id) if review_id else stable_id(domain, item.get("reviewUrl"), date_raw, title, text)
    extra: dict[str, Any] = {"date_raw": date_raw}
    if item.get("isVerified") is not None:
        extra["verified"] = bool(item["isVerified"])
    if item.get("variant"):
        extra["variant"] = item["variant"]
    return base.Review(
        platform=base.Platform.AMAZON,
        platform_id=platform_id,
        text=text,
        title=title,
        author=as_text(first_present(item, "userName", "reviewerName", "author", "profileName", "reviewer")),
        rating=rating,
        rating_scale="1-5",
        date=date,
        url=str(
            item.get("reviewUrl") or (f"https://www.{domain}/gp/customer-reviews/{review_id}/" if review_id else "")
        ),
        source="apify",
        extra=extra,
    )
