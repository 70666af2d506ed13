"""The demo club's reward catalogue: 28 rewards of every kind, with pictures drawn by Pillow.

Called by ``rewards.demo.seed_points``. Rewards are looked up by article number (``sku``),
so a second run creates nothing; pictures and voucher codes are made only for a reward
created in this run. The pictures go through the same checks and re-encoding as an upload
(``rewards.catalogue.services.reward_image_add``).

Prices follow the programme's point value (1 point = 0.02 SEK, so 50 points per krona of
value), a little better for the club's own favourites. A few rewards are there to show
the catalogue's states: low stock (a fuel card with 3 codes, a site radio), out of stock (a
music subscription whose codes ran out), a tier requirement (Silver, Gold), one not yet
available and one available for a limited time, per-company limits, and premium rewards
that even a large customer has to save for.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from core.content_language import translations_fill
from rewards import demo_translations
from rewards.catalogue.services import reward_image_add
from rewards.models import LimitPeriod, Reward, RewardCategory, RewardKind, Tier, VoucherCode

PICTURE_SIZE = (800, 600)

# slug, name, two colours of the picture's background
CATEGORIES = [
    ("gift-cards", "Gift cards", ((31, 78, 121), (62, 142, 208))),
    ("tools", "Tools", ((176, 84, 20), (236, 146, 58))),
    ("site-hut", "For the site hut", ((35, 107, 66), (104, 176, 112))),
    ("workwear", "Workwear", ((55, 65, 81), (120, 134, 156))),
    ("experiences", "Experiences", ((88, 46, 122), (160, 104, 196))),
    ("charity", "Give back", ((150, 32, 48), (220, 92, 104))),
]


@dataclass(frozen=True)
class DemoReward:
    sku: str
    title: str
    category: str
    kind: str
    points: int
    value: int
    summary: str
    description: str
    stock: int | None = None
    codes: int = 0
    featured: bool = False
    tier: str = ""
    limit: tuple[int, str] | None = None
    extra: dict = field(default_factory=dict)
    currency: str = "SEK"  # a gift card's or invoice credit's money; a product's price tag


def _rewards(now: datetime) -> list[DemoReward]:
    voucher, physical, experience, donation = (
        RewardKind.VOUCHER,
        RewardKind.PHYSICAL,
        RewardKind.EXPERIENCE,
        RewardKind.DONATION,
    )
    return [
        DemoReward("GC-200", "Gift card, 200 SEK", "gift-cards", voucher, 10_000, 200,
                   "For the big department store chain, in store and online.",
                   "A digital gift card worth 200 SEK. The code appears on the order page as soon as we have sent it; "
                   "it is valid for two years.", codes=40),
        DemoReward("GC-500", "Gift card, 500 SEK", "gift-cards", voucher, 25_000, 500,
                   "The team's favourite: 500 SEK to spend as you like.",
                   "A digital gift card worth 500 SEK for the department store chain, in store and online. Valid for "
                   "two years.", codes=30, featured=True),
        DemoReward("GC-1000", "Gift card, 1 000 SEK", "gift-cards", voucher, 50_000, 1_000,
                   "A bigger thank-you for the whole team.",
                   "A digital gift card worth 1 000 SEK for the department store chain. Valid for two years.", codes=12),
        DemoReward("FUEL-500", "Fuel card, 500 SEK", "gift-cards", voucher, 25_000, 500,
                   "Fuel for the service van at every major station.",
                   "A prepaid fuel card code worth 500 SEK, accepted at the country's largest station chains.", codes=3),
        DemoReward("CINEMA-2", "Cinema tickets for two", "gift-cards", voucher, 13_000, 260,
                   "Two tickets for any film, any day.",
                   "A voucher code for two cinema tickets at any of the chain's cinemas.", codes=20),
        DemoReward("STREAM-12", "Music streaming, 12 months", "gift-cards", voucher, 55_000, 1_190,
                   "A year of ad-free music on the site radio.",
                   "A code for twelve months of premium music streaming. New codes arrive every month.", codes=0),
        DemoReward("DRILL-18V", "Cordless drill kit, 18 V", "tools", physical, 120_000, 2_490,
                   "Two batteries, a charger and a case.",
                   "A professional 18 V drill driver with two 4 Ah batteries, a fast charger and a sturdy case. "
                   "For Silver members and above.", stock=12, tier="Silver"),
        DemoReward("LASER-LINE", "Line laser with tripod", "tools", physical, 190_000, 3_990,
                   "Green cross-line laser, 30 m range.",
                   "A self-levelling green cross-line laser with a tripod and a receiver. For Gold members and above.",
                   stock=9, tier="Gold"),
        DemoReward("TOOLBAG-40", "Tool bag, 40 litres", "tools", physical, 27_000, 549,
                   "Waterproof base, 28 pockets.",
                   "A 40-litre tool bag with a moulded waterproof base, 28 pockets and a padded shoulder strap.",
                   stock=40),
        DemoReward("RADIO-SITE", "Site radio with Bluetooth", "tools", physical, 105_000, 2_190,
                   "Runs on your tool batteries; dust- and splash-proof.",
                   "A rugged site radio with DAB+, Bluetooth and a USB charger that runs on mains or tool batteries.",
                   stock=4),
        DemoReward("HEADLAMP", "Rechargeable head torch", "tools", physical, 14_000, 299,
                   "450 lumens, USB-C charging.",
                   "A light, rechargeable head torch with 450 lumens and a red light mode.", stock=60),
        DemoReward("COFFEE-SITE", "Coffee machine for the site hut", "site-hut", physical, 62_000, 1_290,
                   "Bean to cup, one button, built for dust.",
                   "A robust bean-to-cup coffee machine with a 1.8-litre tank, made for site huts and workshops.",
                   stock=12, featured=True),
        DemoReward("ESPRESSO-PRO", "Espresso machine, café grade", "site-hut", physical, 520_000, 11_000,
                   "The real thing, for the office or the showroom.",
                   "A dual-boiler espresso machine with a grinder, delivered and installed, with a barista course for "
                   "two of your staff.", stock=2),
        DemoReward("THERMOS", "Steel thermos, 0.75 l", "site-hut", physical, 11_000, 249,
                   "Keeps coffee hot for 24 hours.",
                   "A vacuum-insulated steel flask with a cup lid, in the club's colours.", stock=120),
        DemoReward("BEANS-3KG", "Coffee beans, 3 kg", "site-hut", physical, 20_000, 450,
                   "Medium roast, fair trade, for the coffee machine.",
                   "Three kilos of fair-trade medium-roast beans. At most two bags per company and month.",
                   limit=(2, LimitPeriod.MONTH)),
        DemoReward("JACKET-WINTER", "Winter work jacket", "workwear", physical, 70_000, 1_490,
                   "Windproof, waterproof, high-visibility details.",
                   "A padded, waterproof winter work jacket with reflective details and holster pockets. Sizes S–XXL: "
                   "put the size in the note.", stock=25),
        DemoReward("GLOVES-10", "Work gloves, 10 pairs", "workwear", physical, 17_000, 390,
                   "Nitrile-coated, for grip in the wet.",
                   "Ten pairs of nitrile-coated assembly gloves. At most five packs per company and month.",
                   limit=(5, LimitPeriod.MONTH)),
        DemoReward("CAPS-5", "Branded caps, 5 pieces", "workwear", physical, 12_000, 300,
                   "Five caps with your company's logo.",
                   "Five caps embroidered with your company's logo. Send the logo to your sales rep after ordering."),
        DemoReward("LUNCH-TEAM", "Team lunch for up to 8", "experiences", experience, 95_000, 2_000,
                   "At a restaurant near you, on us.",
                   "A lunch for up to eight colleagues at a partner restaurant near your site. Once per quarter.",
                   featured=True, limit=(1, LimitPeriod.QUARTER)),
        DemoReward("FACTORY-TOUR", "Factory visit and product training", "experiences", experience, 38_000, 800,
                   "A day at the factory with lunch and the new range.",
                   "A guided visit to the factory, a hands-on session with the new product range and lunch. "
                   "Put the names of those coming in the note.", stock=16,
                   extra={"event_starts_at": timedelta(days=21), "event_location": "Jönköping"}),
        DemoReward("TRACK-DAY", "Track day at Mantorp Park", "experiences", experience, 310_000, 6_500,
                   "Drive the circuit with an instructor.",
                   "A day on the race track for two, with instruction, a timed session and dinner. For Gold members "
                   "and above.", stock=10, tier="Gold",
                   extra={"event_starts_at": timedelta(days=60), "event_location": "Mantorp Park"}),
        DemoReward("COFFEE-TRUCK", "Coffee truck at your site for a morning", "experiences", experience, 140_000, 3_000,
                   "Barista coffee and pastries for the whole crew.",
                   "A coffee truck parks at your site for a morning and serves the whole crew. Bookable from next week.",
                   stock=8, extra={"available_from": timedelta(days=10)}),
        DemoReward("SPA-WEEKEND", "Spa weekend for two", "experiences", experience, 420_000, 8_500,
                   "Two nights, dinner and the spa, this winter only.",
                   "Two nights for two at a spa hotel, with dinner, breakfast and the spa. A winter offer: redeem it "
                   "before it ends.", stock=8, extra={"available_until": timedelta(days=45)}),
        DemoReward("DONATE-CHILD", "Donation to the Childhood Cancer Fund, 250 SEK", "charity", donation, 12_500, 250,
                   "We give 250 SEK in your company's name.",
                   "The club donates 250 SEK to Barncancerfonden in your company's name and sends you the receipt.",
                   extra={"charity_name": "Barncancerfonden"}),
        DemoReward("INVOICE-1000", "1 000 SEK off your next invoice", "gift-cards", RewardKind.INVOICE_CREDIT,
                   50_000, 1_000, "Points straight off what you owe us.",
                   "A credit of 1 000 SEK on your company's next invoice. Our ERP deducts it when the invoice is "
                   "made; the order page shows when it has been used."),
        # Money rewards are offered only in their own currency: the Dutch companies, who buy
        # in EUR, get theirs (a point is worth 0.0018 EUR).
        DemoReward("GC-EUR-25", "Gift card, 25 EUR", "gift-cards", voucher, 14_000, 25,
                   "For the department store chain in the Netherlands, in store and online.",
                   "A digital gift card worth 25 EUR. The code appears on the order page as soon as we have sent "
                   "it; it is valid for two years.", codes=8, currency="EUR"),
        DemoReward("INVOICE-EUR-100", "100 EUR off your next invoice", "gift-cards", RewardKind.INVOICE_CREDIT,
                   56_000, 100, "Points straight off what you owe us.",
                   "A credit of 100 EUR on your company's next invoice. Our ERP deducts it when the invoice is "
                   "made; the order page shows when it has been used.", currency="EUR"),
        # A donation is a sum in its currency too: the Dutch companies give theirs in EUR, to a
        # Dutch charity, and are not offered the Swedish one in SEK.
        DemoReward("DONATE-EUR", "Donation to the Dutch Cancer Society, 25 EUR", "charity", donation, 13_900, 25,
                   "We give 25 EUR in your company's name.",
                   "The club donates 25 EUR to KWF Kankerbestrijding in your company's name and sends you the "
                   "receipt.", extra={"charity_name": "KWF Kankerbestrijding"}, currency="EUR"),
    ]  # fmt: skip


def _gradient(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def _draw_icon(draw: ImageDraw.ImageDraw, kind: str, centre: tuple[int, int], unit: int, colour) -> None:
    """A simple white pictogram for the kind of reward, from shapes only."""
    x, y = centre
    white = (255, 255, 255)
    if kind == RewardKind.VOUCHER:  # a gift card with a ribbon and a bow
        draw.rounded_rectangle((x - 3 * unit, y - 2 * unit, x + 3 * unit, y + 2 * unit), radius=unit // 2, fill=white)
        ribbon_x = x + unit
        draw.rectangle((x - 3 * unit, y - 0.9 * unit, x + 3 * unit, y - 0.5 * unit), fill=colour)
        draw.rectangle((ribbon_x - 0.2 * unit, y - 2 * unit, ribbon_x + 0.2 * unit, y + 2 * unit), fill=colour)
        for side in (-1, 1):
            draw.ellipse(
                (
                    ribbon_x + side * 1.1 * unit - 0.55 * unit,
                    y - 1.55 * unit,
                    ribbon_x + side * 1.1 * unit + 0.55 * unit,
                    y + 0.15 * unit,
                ),
                outline=colour,
                width=max(3, unit // 5),
            )
        draw.rectangle((x - 2.5 * unit, y + 0.6 * unit, x - 0.4 * unit, y + 0.9 * unit), fill=(206, 212, 218))
        draw.rectangle((x - 2.5 * unit, y + 1.2 * unit, x - 1.2 * unit, y + 1.5 * unit), fill=(206, 212, 218))
    elif kind == RewardKind.PHYSICAL:  # a parcel
        draw.polygon(
            [(x, y - 3 * unit), (x + 3 * unit, y - 1.6 * unit), (x, y - 0.2 * unit), (x - 3 * unit, y - 1.6 * unit)],
            fill=white,
        )
        draw.polygon(
            [
                (x - 3 * unit, y - 1.3 * unit),
                (x - 0.2 * unit, y + 0.1 * unit),
                (x - 0.2 * unit, y + 3 * unit),
                (x - 3 * unit, y + 1.6 * unit),
            ],
            fill=(236, 240, 244),
        )
        draw.polygon(
            [
                (x + 3 * unit, y - 1.3 * unit),
                (x + 0.2 * unit, y + 0.1 * unit),
                (x + 0.2 * unit, y + 3 * unit),
                (x + 3 * unit, y + 1.6 * unit),
            ],
            fill=(214, 220, 228),
        )
    elif kind == RewardKind.EXPERIENCE:  # a star
        points = []
        for step in range(10):
            radius = 3 * unit if step % 2 == 0 else 1.25 * unit
            angle = math.pi / 2 + step * math.pi / 5
            points.append((x + radius * math.cos(angle), y - radius * math.sin(angle)))
        draw.polygon(points, fill=white)
    elif kind == RewardKind.INVOICE_CREDIT:  # an invoice with its lines
        draw.rectangle((x - 2 * unit, y - 2.6 * unit, x + 2 * unit, y + 2.6 * unit), fill=white)
        for row in range(4):
            top = y - 1.6 * unit + row * 1.1 * unit
            draw.rectangle((x - 1.3 * unit, top, x + 1.3 * unit, top + 0.35 * unit), fill=colour)
    else:  # a heart
        draw.ellipse((x - 2.6 * unit, y - 2.2 * unit, x + 0.2 * unit, y + 0.6 * unit), fill=white)
        draw.ellipse((x - 0.2 * unit, y - 2.2 * unit, x + 2.6 * unit, y + 0.6 * unit), fill=white)
        draw.polygon(
            [(x - 2.5 * unit, y - 0.4 * unit), (x + 2.5 * unit, y - 0.4 * unit), (x, y + 2.8 * unit)], fill=white
        )


def demo_picture(*, seed: str, kind: str, colours) -> bytes:
    """A PNG illustration: the category's gradient, soft circles and the kind's pictogram."""
    rng = random.Random(seed)
    top, bottom = colours
    picture = _gradient(PICTURE_SIZE, top, bottom)
    overlay = Image.new("RGBA", PICTURE_SIZE, (0, 0, 0, 0))
    shapes = ImageDraw.Draw(overlay)
    for _ in range(6):
        radius = rng.randint(60, 220)
        cx, cy = rng.randint(0, PICTURE_SIZE[0]), rng.randint(0, PICTURE_SIZE[1])
        shapes.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(255, 255, 255, rng.randint(18, 40)))
    picture = Image.alpha_composite(picture.convert("RGBA"), overlay).convert("RGB")
    draw = ImageDraw.Draw(picture)
    centre = (PICTURE_SIZE[0] // 2 + rng.randint(-40, 40), PICTURE_SIZE[1] // 2 + rng.randint(-20, 20))
    _draw_icon(draw, kind, centre, unit=52, colour=top)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=False, compress_level=1)
    return buffer.getvalue()


def seed_catalogue(summary, *, now: datetime) -> dict[str, Reward]:
    """The 28 demo rewards by article number, created with pictures and codes if missing."""
    categories = {}
    for position, (slug, name, colours) in enumerate(CATEGORIES):
        category, created = RewardCategory.objects.get_or_create(
            slug=slug, defaults={"name_en": name, "position": position}
        )
        summary.count("reward categories", created)
        categories[slug] = (category, colours)
    tiers = {tier.name_en: tier for tier in Tier.objects.all()}
    existing = {reward.sku: reward for reward in Reward.objects.all()}
    rewards: dict[str, Reward] = {}
    for spec in _rewards(now):
        reward = existing.get(spec.sku)
        if reward is not None:
            rewards[spec.sku] = reward
            summary.count("rewards", False)
            continue
        category, colours = categories[spec.category]
        moments = {
            name: now + offset if isinstance(offset, timedelta) else offset
            for name, offset in spec.extra.items()
            if name in ("event_starts_at", "available_from", "available_until")
        }
        reward = Reward.objects.create(
            sku=spec.sku,
            title_en=spec.title,
            summary_en=spec.summary,
            description_en=spec.description,
            category=category,
            kind=spec.kind,
            points_cost=spec.points,
            value=Decimal(spec.value),
            currency=spec.currency,
            stock=spec.stock,
            featured=spec.featured,
            tier_required=tiers.get(spec.tier) if spec.tier else None,
            company_limit=spec.limit[0] if spec.limit else None,
            limit_period=spec.limit[1] if spec.limit else LimitPeriod.YEAR,
            charity_name=spec.extra.get("charity_name", ""),
            event_location=spec.extra.get("event_location", ""),
            # Created before the two years of demo history, so the history can order them.
            created_at=now - timedelta(days=800 - len(rewards)),
            **moments,
        )
        upload = SimpleUploadedFile(
            f"{spec.sku}.png", demo_picture(seed=spec.sku, kind=spec.kind, colours=colours), "image/png"
        )
        reward_image_add(reward=reward, upload=upload, alt_text="")
        if spec.codes:
            rng = random.Random(spec.sku)
            VoucherCode.objects.bulk_create(
                VoucherCode(reward=reward, code=f"NSC-{spec.sku}-{rng.randrange(16**10):010X}", uploaded_at=now)
                for _ in range(spec.codes)
            )
        summary.count("rewards", True)
        rewards[spec.sku] = reward
    _translate(summary)
    return rewards


def _translate(summary) -> None:
    """Swedish and Dutch for the shelves and the rewards, where still missing."""
    shelves = {
        slug: {"sv": {"name": sv}, "nl": {"name": nl}} for slug, (sv, nl) in demo_translations.REWARD_CATEGORIES.items()
    }
    rewards = {
        sku: {
            language: dict(zip(("title", "summary", "description"), text, strict=True))
            for language, text in texts.items()
        }
        for sku, texts in demo_translations.REWARDS.items()
    }
    summary.count(
        "Swedish and Dutch texts of reward categories", translations_fill(RewardCategory, key="slug", texts=shelves)
    )
    summary.count("Swedish and Dutch texts of rewards", translations_fill(Reward, key="sku", texts=rewards))
