"""Demo content for ``manage.py seed_demo``: the page tree, in English and Swedish.

Every page is looked up by its slug under its parent before it is created, and every
image by its title, so running the seed again changes nothing. Images are drawn with
Pillow (a gradient and a label), so the demo needs no files and no network.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta

from django.core.files.images import ImageFile
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Locale, Page, Site

from core.models import Branding
from rewards.models import Reward

from . import demo_translations, points
from .models import (
    ArticlePage,
    EventIndexPage,
    EventPage,
    HomePage,
    HowPointsWorkPage,
    NewsCategory,
    NewsIndexPage,
    OfferAudience,
    OfferCallToAction,
    OfferIndexPage,
    OfferPage,
    SearchPage,
    StandardPage,
)

PALETTE = [("#0b5394", "#073763"), ("#7a4b00", "#3d2600"), ("#1e6b3a", "#0d3a1f"), ("#6b1e5a", "#3a0d30")]


def _hex(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def demo_image(title: str, *, palette_index: int = 0, size=(1280, 720)):
    """A Wagtail image with a gradient and the title on it; created once per title."""
    from PIL import Image as PILImage
    from PIL import ImageDraw, ImageFont

    Image = get_image_model()
    existing = Image.objects.filter(title=title).first()
    if existing is not None:
        return existing, False
    start, end = (_hex(c) for c in PALETTE[palette_index % len(PALETTE)])
    width, height = size
    picture = PILImage.new("RGB", size)
    draw = ImageDraw.Draw(picture)
    for x in range(width):
        mix = x / (width - 1)
        draw.line([(x, 0), (x, height)], fill=tuple(round(a + (b - a) * mix) for a, b in zip(start, end, strict=True)))
    for ring in range(6):  # a few soft circles, so the cards do not all look alike
        radius = 80 + ring * 60
        draw.ellipse(
            [width - 200 - radius, height // 2 - radius, width - 200 + radius, height // 2 + radius],
            outline=(255, 255, 255),
            width=2,
        )
    try:  # DejaVu draws å, ä and ö; Pillow's built-in font does not
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", 56)
    except OSError:
        font = ImageFont.load_default(size=56)
    draw.text((64, height - 160), title[:34], fill=(255, 255, 255), font=font)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=85)
    slug = "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-")[:60]
    image = Image(title=title, file=ImageFile(io.BytesIO(buffer.getvalue()), name=f"demo-{slug}.jpg"))
    image.save()
    return image, True


def _stream(*blocks) -> str:
    return json.dumps([{"type": kind, "value": value} for kind, value in blocks])


def _paragraphs(*texts) -> list[tuple[str, str]]:
    return [("paragraph", f"<p>{text}</p>") for text in texts]


def _child(parent: Page, model, slug: str, summary, **fields):
    existing = parent.get_children().filter(slug=slug).first()
    if existing is not None:
        return existing.specific
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    # Published, not only saved: a page with a newer draft shows "LIVE + DRAFT" in the admin.
    page.save_revision(log_action=False).publish(log_action=False)
    summary.count("pages", True)
    return page


def _seed_branding() -> None:

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return
    branding = Branding.for_site(site)
    if not branding.footer_text and not branding.contact_email:
        branding.footer_text_en = "A customer club for businesses by Nordic Supply AB"
        branding.footer_text_sv = "En kundklubb för företag från Nordic Supply AB"
        branding.footer_text_nl = "Een klantenclub voor bedrijven van Nordic Supply AB"
        branding.contact_email = "club@nordicsupply.example"
        branding.contact_phone = "+46 31 555 01 00"
        branding.save()


def _catalogue_reward(sku: str):
    """A reward of the demo catalogue (``rewards.catalogue.demo``), or None before it exists."""
    return Reward.objects.filter(sku=sku).first()


def seed_content(summary) -> None:
    """Build the content tree under the home page. Idempotent."""
    home = HomePage.objects.first()
    if home is None:
        return
    now = timezone.now()
    if not home.member_welcome:
        home.member_welcome = (
            "<p>Welcome to the club. Here are the offers open to your company, what is new in the range, "
            "and where to meet us next.</p>"
        )
        home.save_revision(log_action=False).publish(log_action=False)

    _seed_branding()
    images = {}
    for index, title in enumerate(
        [
            "Power tool week",
            "Next-day delivery",
            "Safety gear",
            "Värmepumpar",
            "Autumn clearance",
            "New cordless range",
            "Warehouse Göteborg",
            "Trade evening",
            "Webinar",
            "Factory tour",
            "Nyhet: ventilation",
            "Sustainability report",
            "Site hut coffee",
        ]
    ):
        images[title], created = demo_image(title, palette_index=index)
        summary.count("images", created)

    tiers = {info.name.lower(): info for info in points.all_tiers()}
    offers = _child(
        home,
        OfferIndexPage,
        "offers",
        summary,
        title="Offers",
        introduction="Exclusive offers for member companies. Some are for higher tiers only: earn your way up.",
    )
    offer_rows = [
        (
            "power-tool-week",
            "Power tool week: triple points on cordless tools",
            "Every cordless tool you order this month earns triple points.",
            "Power tool week",
            None,
            True,
            30,
        ),
        (
            "gold-next-day-delivery",
            "Free next-day delivery all summer",
            "Gold members get every order delivered the next working day, free of charge.",
            "Next-day delivery",
            ["gold"],
            True,
            90,
        ),
        (
            "safety-gear-15",
            "15 % extra points on safety gear",
            "Silver and Gold members earn 15 % more on helmets, gloves and hearing protection.",
            "Safety gear",
            ["silver", "gold"],
            False,
            60,
        ),
        (
            "vinterkampanj-varmepumpar",
            "Winter campaign: double points on heat pumps",
            "Order heat pumps before the turn of the year and earn double points on the whole order.",
            "Värmepumpar",
            None,
            False,
            45,
        ),
    ]
    for slug, title, intro, image_title, tier_names, featured, days in offer_rows:
        wanted_tiers = [tiers[name] for name in (tier_names or []) if name in tiers]
        if tier_names and not wanted_tiers:
            continue  # tier offers wait until the points programme has those tiers
        offer = _child(
            offers,
            OfferPage,
            slug,
            summary,
            title=title,
            introduction=intro,
            listing_image=images[image_title],
            valid_from=now - timedelta(days=2),
            # Offers end at the close of a day, not at the minute the demo was seeded.
            valid_until=timezone.localtime(now + timedelta(days=days)).replace(
                hour=23, minute=59, second=0, microsecond=0
            ),
            audience=OfferAudience.TIERS if tier_names else OfferAudience.ALL_MEMBERS,
            featured=featured,
            body=_stream(
                *_paragraphs(
                    "Order through the club's ordering channels as usual: the points arrive with the purchase.",
                    "Talk to your sales rep if you want help choosing.",
                )
            ),
            terms="<p>Valid for orders placed through the club's ordering channels during the period. "
            "Cannot be combined with other campaigns.</p>",
            cta_kind=OfferCallToAction.SALES_REP if tier_names else OfferCallToAction.REWARD,
            cta_text="Ask your sales rep" if tier_names else "Order now",
            cta_url="" if tier_names else "https://shop.example.com/",
        )
        if wanted_tiers and not offer.tiers.exists():
            offer.tiers.set([info.pk for info in wanted_tiers])
            offer.save()  # a ParentalManyToManyField is written on save
            offer.save_revision(log_action=False).publish(log_action=False)
    # An offer whose button opens a catalogue reward (and shows how close the company is to it).
    coffee_machine = _catalogue_reward("COFFEE-SITE")
    if coffee_machine is not None:
        _child(
            offers,
            OfferPage,
            "site-hut-coffee",
            summary,
            title="Good coffee for the site hut",
            introduction="A bean-to-cup machine built for dust, and your company's points can pay for it.",
            listing_image=images["Site hut coffee"],
            valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=75),
            audience=OfferAudience.ALL_MEMBERS,
            featured=True,
            body=_stream(
                *_paragraphs(
                    "Bean to cup, one button, built for dust: the site hut's new best friend.",
                    "Order it with your points; we deliver it to the site you choose.",
                )
            ),
            terms="<p>While stocks last.</p>",
            cta_kind=OfferCallToAction.REWARD,
            cta_text="See the coffee machine",
            cta_reward=coffee_machine,
        )
    _child(
        offers,
        OfferPage,
        "autumn-clearance",
        summary,
        title="Autumn clearance (ended)",
        introduction="This offer has ended; it no longer appears anywhere.",
        listing_image=images["Autumn clearance"],
        valid_from=now - timedelta(days=60),
        valid_until=now - timedelta(days=1),
        cta_kind=OfferCallToAction.REWARD,
        cta_url="https://shop.example.com/",
    )

    categories = {}
    for slug, name in [("launches", "Launches"), ("club-news", "Club news"), ("tips", "Tips")]:
        names = {
            "name_en": name,
            **{f"name_{code}": text for code, text in demo_translations.NEWS_CATEGORIES[slug].items()},
        }
        categories[slug], created = NewsCategory.objects.get_or_create(slug=slug, defaults=names)
        summary.count("news categories", created)
    news = _child(
        home,
        NewsIndexPage,
        "news",
        summary,
        title="News and launches",
        introduction="What is new in the range and the club.",
    )
    article_rows = [
        (
            "new-cordless-range",
            "Launch: the new 18 V cordless range",
            "Lighter, stronger, one battery for all.",
            "New cordless range",
            True,
            ["launches"],
            ["tools", "cordless"],
            1,
        ),
        (
            "goteborg-warehouse",
            "Our new warehouse in Göteborg is open",
            "Faster deliveries to western Sweden.",
            "Warehouse Göteborg",
            False,
            ["club-news"],
            ["delivery"],
            6,
        ),
        (
            "nyhet-ventilation",
            "New: energy-saving ventilation for homes",
            "New heat-recovery units in the range from December.",
            "Nyhet: ventilation",
            True,
            ["launches"],
            ["ventilation"],
            9,
        ),
        (
            "sustainability-report",
            "Our sustainability report 2026",
            "Less packaging, more rail freight.",
            "Sustainability report",
            False,
            ["club-news"],
            ["sustainability"],
            14,
        ),
        (
            "poang-tips",
            "How your company gets the most out of its points",
            "Three tips from our sales reps on collecting faster.",
            "Power tool week",
            False,
            ["tips"],
            ["points"],
            20,
        ),
    ]
    for slug, title, intro, image_title, is_launch, category_slugs, tags, days_ago in article_rows:
        if news.get_children().filter(slug=slug).exists():
            continue
        article = ArticlePage(
            slug=slug,
            title=title,
            introduction=intro,
            listing_image=images[image_title],
            date=(now - timedelta(days=days_ago)).date(),
            is_launch=is_launch,
            body=_stream(
                *_paragraphs(
                    *demo_translations.POINTS_TIPS_BODY["en"]
                    if slug == "poang-tips"
                    else [
                        "Prices, sizes and delivery times are in the product range; your sales rep can help you choose."
                    ]
                )
            ),
        )
        article.categories = [categories[s] for s in category_slugs]
        news.add_child(instance=article)
        article.tags.add(*tags)
        article.save()
        article.save_revision(log_action=False).publish(log_action=False)
        summary.count("pages", True)

    events = _child(
        home,
        EventIndexPage,
        "events",
        summary,
        title="Events",
        introduction="Meet us, learn something, see the factory.",
    )
    local_evening = timezone.localtime(now).replace(hour=17, minute=30, second=0, microsecond=0)
    event_rows = [
        (
            "trade-evening-goteborg",
            "Spring trade evening in Göteborg",
            "Demos, food and the new range.",
            "Trade evening",
            {"location": "Nordic Supply, Ringögatan 12, Göteborg", "capacity": 40},
            21,
        ),
        (
            "webinar-heat-pumps",
            "Webinar: heat pumps in 2027",
            "What the new rules mean for installers.",
            "Webinar",
            {"online_url": "https://meet.example.com/heat-pumps", "capacity": 200},
            10,
        ),
        (
            "fabriksvisning",
            "Factory tour in Jönköping",
            "See how the tools are made. Places are limited.",
            "Factory tour",
            {"location": "Fabriksgatan 3, Jönköping", "capacity": 12},
            35,
        ),
    ]
    for slug, title, intro, image_title, extra, days_ahead in event_rows:
        starts_at = local_evening + timedelta(days=days_ahead)
        _child(
            events,
            EventPage,
            slug,
            summary,
            title=title,
            introduction=intro,
            listing_image=images[image_title],
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=3),
            body=_stream(
                *_paragraphs("Sign up with the button on this page; if the event is full, you join the waiting list.")
            ),
            **extra,
        )

    faq = {
        "heading": "Frequently asked questions",
        "items": [
            {
                "question": "Who in my company can redeem points?",
                "answer": "<p>Your company admin decides who may redeem.</p>",
            },
            {"question": "Do points expire?", "answer": "<p>Yes, as described above: oldest points first.</p>"},
            {"question": "Who can I ask?", "answer": "<p>Your sales rep or the club's customer service.</p>"},
        ],
    }
    _child(
        home,
        HowPointsWorkPage,
        "how-points-work",
        summary,
        title="How points work",
        introduction="Your company earns points on every purchase. Here is exactly how, with today's rules.",
        body=_stream(("faq", faq)),
    )
    _child(
        home,
        StandardPage,
        "terms",
        summary,
        title="Club terms",
        introduction="The rules of the club, in plain language.",
        body=_stream(
            ("heading", "Membership"),
            *_paragraphs("Membership is for business customers of Nordic Supply and is free of charge."),
        ),
    )
    _child(home, SearchPage, "search", summary, title="Search", introduction="Find offers, news and events.")
    translate_pages(summary, home)


def _translated_fields(page: Page, texts: dict) -> dict:
    """The field values of a translation from its ``demo_translations`` entry."""
    fields = {}
    for name, value in texts.items():
        if name == "body":
            blocks = [item if isinstance(item, tuple) else ("paragraph", f"<p>{item}</p>") for item in value]
            fields["body"] = _stream(*blocks)
        elif name == "faq":
            items = [{"question": question, "answer": answer} for question, answer in value["items"]]
            fields["body"] = _stream(("faq", {"heading": value["heading"], "items": items}))
        else:
            fields[name] = value
    return fields


def translate_pages(summary, home: Page) -> None:
    """The Swedish and Dutch page trees: every page of the English tree copied into each
    locale (Wagtail's ``copy_for_translation``, as the admin's "Translate" does), given its
    texts from ``demo_translations`` and published. A page translated already is left as it
    is, so a second run, or a page marketing translated themselves, changes nothing. Parents
    come before their children (tree order), so every copy finds its translated parent."""
    for language in ("sv", "nl"):
        locale, _created = Locale.objects.get_or_create(language_code=language)
        translated = set(Page.objects.filter(locale=locale).values_list("translation_key", flat=True))
        for page in Page.objects.filter(path__startswith=home.path, locale=home.locale).order_by("path").specific():
            if page.translation_key in translated:
                continue
            texts = demo_translations.PAGES.get(page.slug, {}).get(language)
            if texts is None:
                continue
            copy = page.copy_for_translation(locale)
            for name, value in _translated_fields(copy, texts).items():
                setattr(copy, name, value)
            copy.save()
            if page.live:
                copy.save_revision(log_action=False).publish(log_action=False)
            summary.count(f"pages in {language}", True)
