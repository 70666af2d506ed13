"""Swedish and Dutch versions of the demo's pages (the seed writes the English tree).

Keyed by the English page's slug. Every page gets a translation in each language with its
title and introduction; ``body`` is a list of paragraphs (or ``("heading", text)`` pairs),
rich-text fields are HTML. ``cms.demo`` copies the English page into the locale with
Wagtail's ``copy_for_translation`` and publishes it with these texts, once.
"""

_OFFER_BODY = {
    "sv": [
        "Beställ som vanligt via klubbens beställningskanaler: poängen kommer med köpet.",
        "Prata med din säljare om du vill ha hjälp att välja.",
    ],
    "nl": [
        "Bestel zoals altijd via de bestelkanalen van de club: de punten komen met de aankoop mee.",
        "Vraag je accountmanager als je hulp wilt bij het kiezen.",
    ],
}
_OFFER_TERMS = {
    "sv": "<p>Gäller beställningar som görs via klubbens beställningskanaler under perioden. Kan inte "
    "kombineras med andra kampanjer.</p>",
    "nl": "<p>Geldig voor bestellingen die in deze periode via de bestelkanalen van de club worden geplaatst. "
    "Niet te combineren met andere acties.</p>",
}
_ASK_REP = {"sv": "Fråga din säljare", "nl": "Vraag je accountmanager"}
_ORDER_NOW = {"sv": "Beställ nu", "nl": "Nu bestellen"}
_ARTICLE_BODY = {
    "sv": ["Priser, storlekar och leveranstider finns i sortimentet; din säljare hjälper dig att välja."],
    "nl": ["Prijzen, maten en levertijden staan in het assortiment; je accountmanager helpt je kiezen."],
}
# The points tips article's own body (the other articles share _ARTICLE_BODY's line).
POINTS_TIPS_BODY = {
    "en": [
        "Report every order with your customer number: points come with each purchase, also those placed by phone.",
        "Look at what is expiring on your dashboard and redeem before the date, or let a colleague choose a reward.",
        "Ask your sales rep about the running campaigns: extra points on a category add up quickly.",
    ],
    "sv": [
        "Uppge ert kundnummer vid varje order: poängen kommer med varje köp, även med dem ni gör per telefon.",
        "Se vad som förfaller på startsidan och lös in före datumet, eller låt en kollega välja en belöning.",
        "Fråga er säljare om pågående kampanjer: extrapoäng på en kategori växer snabbt.",
    ],
    "nl": [
        "Geef bij elke bestelling je klantnummer op: de punten komen met elke aankoop, ook met telefonische bestellingen.",
        "Bekijk op je dashboard wat er vervalt en wissel in vóór die datum, of laat een collega een beloning kiezen.",
        "Vraag je accountmanager naar de lopende acties: extra punten op een categorie tellen snel op.",
    ],
}
# The news categories' names in the other shipped languages (by slug).
NEWS_CATEGORIES = {
    "launches": {"sv": "Lanseringar", "nl": "Lanceringen"},
    "club-news": {"sv": "Klubbnytt", "nl": "Clubnieuws"},
    "tips": {"sv": "Tips", "nl": "Tips"},
}
_EVENT_BODY = {
    "sv": ["Anmäl dig med knappen på den här sidan; är evenemanget fullt hamnar du på väntelistan."],
    "nl": ["Meld je aan met de knop op deze pagina; is het evenement vol, dan kom je op de wachtlijst."],
}


def _offer(language: str, title: str, introduction: str, *, tiers: bool) -> dict:
    return {
        "title": title,
        "introduction": introduction,
        "body": _OFFER_BODY[language],
        "terms": _OFFER_TERMS[language],
        "cta_text": (_ASK_REP if tiers else _ORDER_NOW)[language],
    }


PAGES = {
    "club": {
        "sv": {
            "title": "Nordic Supply Club",
            "intro": "<p>Nordic Supplys kundklubb: poäng på varje köp, belöningar som ert lag väljer och "
            "erbjudanden som bara medlemmar ser.</p>",
            "member_welcome": "<p>Välkommen till klubben. Här är erbjudandena som gäller ert företag, nyheterna "
            "i sortimentet och var du träffar oss härnäst.</p>",
        },
        "nl": {
            "title": "Nordic Supply Club",
            "intro": "<p>De klantenclub van Nordic Supply: punten op elke aankoop, beloningen die je team "
            "kiest en aanbiedingen die alleen leden zien.</p>",
            "member_welcome": "<p>Welkom bij de club. Hier vind je de aanbiedingen voor je bedrijf, het "
            "nieuws uit het assortiment en waar je ons binnenkort kunt ontmoeten.</p>",
        },
    },
    "offers": {
        "sv": {
            "title": "Erbjudanden",
            "introduction": "Exklusiva erbjudanden för medlemsföretag. Vissa gäller bara högre nivåer: "
            "samla er uppåt.",
        },
        "nl": {
            "title": "Aanbiedingen",
            "introduction": "Exclusieve aanbiedingen voor aangesloten bedrijven. Sommige zijn alleen voor "
            "hogere niveaus: spaar je omhoog.",
        },
    },
    "power-tool-week": {
        "sv": _offer("sv", "Elverktygsveckan: tredubbla poäng på sladdlösa verktyg",
                     "Varje sladdlöst verktyg ni beställer den här månaden ger tredubbla poäng.", tiers=False),
        "nl": _offer("nl", "Week van het elektrisch gereedschap: driedubbele punten op accugereedschap",
                     "Elk accugereedschap dat je deze maand bestelt, levert driedubbele punten op.", tiers=False),
    },
    "gold-next-day-delivery": {
        "sv": _offer("sv", "Fri leverans nästa dag hela sommaren",
                     "Guld-medlemmar får varje order levererad nästa arbetsdag, utan kostnad.", tiers=True),
        "nl": _offer("nl", "De hele zomer gratis levering de volgende dag",
                     "Gouden leden krijgen elke bestelling de volgende werkdag gratis geleverd.", tiers=True),
    },
    "safety-gear-15": {
        "sv": _offer("sv", "15 % extra poäng på skyddsutrustning",
                     "Silver- och Guld-medlemmar får 15 % mer på hjälmar, handskar och hörselskydd.", tiers=True),
        "nl": _offer("nl", "15 % extra punten op veiligheidsuitrusting",
                     "Zilveren en gouden leden krijgen 15 % meer op helmen, handschoenen en gehoorbescherming.",
                     tiers=True),
    },
    "vinterkampanj-varmepumpar": {
        "sv": _offer("sv", "Vinterkampanj: dubbla poäng på värmepumpar",
                     "Beställ värmepumpar före årsskiftet och få dubbla poäng på hela ordern.", tiers=False),
        "nl": _offer("nl", "Winteractie: dubbele punten op warmtepompen",
                     "Bestel warmtepompen voor de jaarwisseling en krijg dubbele punten op de hele bestelling.",
                     tiers=False),
    },
    "site-hut-coffee": {
        "sv": {
            "title": "Gott kaffe i bodan",
            "introduction": "En helautomatisk maskin byggd för damm, och ert företags poäng kan betala den.",
            "body": ["Bönor till kopp, en knapp, byggd för damm: bodans nya bästa vän.",
                     "Beställ den med era poäng; vi levererar till den arbetsplats ni väljer."],
            "terms": "<p>Så länge lagret räcker.</p>",
            "cta_text": "Se kaffemaskinen",
        },
        "nl": {
            "title": "Goede koffie in de bouwkeet",
            "introduction": "Een volautomatische machine die tegen stof kan, en de punten van je bedrijf "
            "kunnen hem betalen.",
            "body": ["Van boon tot kop, één knop, gebouwd voor stof: de nieuwe beste vriend van de bouwkeet.",
                     "Bestel hem met je punten; we leveren op de bouwplaats die je kiest."],
            "terms": "<p>Zolang de voorraad strekt.</p>",
            "cta_text": "Bekijk de koffiemachine",
        },
    },
    "autumn-clearance": {
        "sv": {"title": "Höstrea (avslutad)", "introduction": "Erbjudandet är slut; det visas inte längre någonstans."},
        "nl": {"title": "Najaarsopruiming (afgelopen)",
               "introduction": "Deze aanbieding is afgelopen; ze staat nergens meer."},
    },
    "news": {
        "sv": {"title": "Nyheter och lanseringar", "introduction": "Det senaste i sortimentet och i klubben."},
        "nl": {"title": "Nieuws en lanceringen", "introduction": "Wat er nieuw is in het assortiment en de club."},
    },
    "new-cordless-range": {
        "sv": {"title": "Lansering: det nya sladdlösa 18 V-sortimentet",
               "introduction": "Lättare, starkare, ett batteri till allt.", "body": _ARTICLE_BODY["sv"]},
        "nl": {"title": "Lancering: het nieuwe 18V-accuassortiment",
               "introduction": "Lichter, sterker, één accu voor alles.", "body": _ARTICLE_BODY["nl"]},
    },
    "goteborg-warehouse": {
        "sv": {"title": "Vårt nya lager i Göteborg har öppnat",
               "introduction": "Snabbare leveranser till västra Sverige.", "body": _ARTICLE_BODY["sv"]},
        "nl": {"title": "Ons nieuwe magazijn in Göteborg is open",
               "introduction": "Snellere leveringen in West-Zweden.", "body": _ARTICLE_BODY["nl"]},
    },
    "nyhet-ventilation": {
        "sv": {"title": "Nyhet: energisnål ventilation för småhus",
               "introduction": "Nya FTX-aggregat i sortimentet från december.", "body": _ARTICLE_BODY["sv"]},
        "nl": {"title": "Nieuw: zuinige ventilatie voor woningen",
               "introduction": "Nieuwe units met warmteterugwinning in het assortiment vanaf december.",
               "body": _ARTICLE_BODY["nl"]},
    },
    "sustainability-report": {
        "sv": {"title": "Vår hållbarhetsrapport 2026", "introduction": "Mindre förpackningar, mer järnväg.",
               "body": _ARTICLE_BODY["sv"]},
        "nl": {"title": "Ons duurzaamheidsverslag 2026", "introduction": "Minder verpakking, meer vervoer per spoor.",
               "body": _ARTICLE_BODY["nl"]},
    },
    "poang-tips": {
        "sv": {"title": "Så får ditt företag ut mest av poängen",
               "introduction": "Tre tips från våra säljare om hur ni samlar snabbare.", "body": POINTS_TIPS_BODY["sv"]},
        "nl": {"title": "Zo haalt je bedrijf het meeste uit de punten",
               "introduction": "Drie tips van onze accountmanagers om sneller te sparen.", "body": POINTS_TIPS_BODY["nl"]},
    },
    "events": {
        "sv": {"title": "Evenemang", "introduction": "Träffa oss, lär dig något nytt, se fabriken."},
        "nl": {"title": "Evenementen", "introduction": "Ontmoet ons, leer iets nieuws, bekijk de fabriek."},
    },
    "trade-evening-goteborg": {
        "sv": {"title": "Vårens fackkväll i Göteborg", "introduction": "Demonstrationer, mat och det nya sortimentet.",
               "body": _EVENT_BODY["sv"]},
        "nl": {"title": "Voorjaarsvakavond in Göteborg", "introduction": "Demo's, eten en het nieuwe assortiment.",
               "body": _EVENT_BODY["nl"]},
    },
    "webinar-heat-pumps": {
        "sv": {"title": "Webbinarium: värmepumpar 2027", "introduction": "Vad de nya reglerna betyder för installatörer.",
               "body": _EVENT_BODY["sv"]},
        "nl": {"title": "Webinar: warmtepompen in 2027", "introduction": "Wat de nieuwe regels betekenen voor installateurs.",
               "body": _EVENT_BODY["nl"]},
    },
    "fabriksvisning": {
        "sv": {"title": "Fabriksvisning i Jönköping",
               "introduction": "Se hur verktygen tillverkas. Begränsat antal platser.", "body": _EVENT_BODY["sv"]},
        "nl": {"title": "Fabrieksbezoek in Jönköping",
               "introduction": "Zie hoe het gereedschap wordt gemaakt. Beperkt aantal plaatsen.",
               "body": _EVENT_BODY["nl"]},
    },
    "how-points-work": {
        "sv": {
            "title": "Så fungerar poängen",
            "introduction": "Ert företag samlar poäng på varje köp. Så här går det till, med dagens regler.",
            "faq": {
                "heading": "Vanliga frågor",
                "items": [
                    ("Vem i mitt företag kan lösa in poäng?", "<p>Ert företags administratör bestämmer vem som får lösa in.</p>"),
                    ("Förfaller poängen?", "<p>Ja, som beskrivs ovan: de äldsta poängen först.</p>"),
                    ("Vem kan jag fråga?", "<p>Din säljare eller klubbens kundtjänst.</p>"),
                ],
            },
        },
        "nl": {
            "title": "Zo werken de punten",
            "introduction": "Je bedrijf spaart punten op elke aankoop. Zo werkt het precies, met de regels van vandaag.",
            "faq": {
                "heading": "Veelgestelde vragen",
                "items": [
                    ("Wie in mijn bedrijf kan punten inwisselen?", "<p>De beheerder van je bedrijf bepaalt wie mag inwisselen.</p>"),
                    ("Vervallen punten?", "<p>Ja, zoals hierboven beschreven: de oudste punten eerst.</p>"),
                    ("Bij wie kan ik terecht?", "<p>Bij je accountmanager of de klantenservice van de club.</p>"),
                ],
            },
        },
    },
    "terms": {
        "sv": {
            "title": "Klubbens villkor",
            "introduction": "Klubbens regler, på vanlig svenska.",
            "body": [("heading", "Medlemskap"),
                     "Medlemskapet är avgiftsfritt och gäller företagskunder hos Nordic Supply."],
        },
        "nl": {
            "title": "Voorwaarden van de club",
            "introduction": "De regels van de club, in gewone taal.",
            "body": [("heading", "Lidmaatschap"),
                     "Het lidmaatschap is gratis en bedoeld voor zakelijke klanten van Nordic Supply."],
        },
    },
    "search": {
        "sv": {"title": "Sök", "introduction": "Hitta erbjudanden, nyheter och evenemang."},
        "nl": {"title": "Zoeken", "introduction": "Vind aanbiedingen, nieuws en evenementen."},
    },
}  # fmt: skip
