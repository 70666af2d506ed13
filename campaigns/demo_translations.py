"""Swedish and Dutch for the demo's campaigns, activities, challenges and badges (the seed
writes English). Keyed by the English title or name; ``campaigns.demo`` fills in what is still
empty, so an editor's own wording is kept on the next seed."""

_EVENT_DESCRIPTION = {
    "sv": "Kom till evenemanget; personalen bekräftar närvaron efteråt och ert företag får poängen.",
    "nl": "Kom naar het evenement; achteraf bevestigen we je aanwezigheid en krijgt je bedrijf de punten.",
}

# English title -> {language: (title, description)}
ACTIVITIES = {
    "Spring survey: how did we do?": {
        "sv": ("Vårens enkät: hur gick det?", "En fråga, en minut."),
        "nl": ("Voorjaarsenquête: hoe deden we het?", "Eén vraag, één minuut."),
    },
    "Review the new winter work jacket": {
        "sv": (
            "Recensera den nya vinterjackan",
            "Berätta för andra medlemmar vad du tycker om vinterjackan Nordic Pro.",
        ),
        "nl": (
            "Beoordeel de nieuwe winterwerkjas",
            "Vertel andere leden wat je van de winterwerkjas Nordic Pro vindt.",
        ),
    },
    "Show us your crew in our workwear": {
        "sv": (
            "Visa ert lag i våra arbetskläder",
            "Skicka ett foto av laget på arbetsplatsen till er säljare och berätta det här. Personalen bekräftar.",
        ),
        "nl": (
            "Laat je ploeg zien in onze werkkleding",
            "Stuur een foto van je team op de bouwplaats naar je accountmanager en meld het hier. Wij bevestigen het.",
        ),
    },
    "How are we doing?": {
        "sv": ("Hur går det för oss?", "Vår kvartalsfråga till alla medlemmar. Det tar en minut."),
        "nl": ("Hoe doen we het?", "Onze vraag aan alle leden, elk kwartaal. Het kost je een minuut."),
    },
    "Complete your profile": {
        "sv": ("Fyll i din profil", "Lägg till ditt namn och telefonnummer så att din säljare kan nå dig."),
        "nl": ("Vul je profiel aan", "Voeg je naam en telefoonnummer toe, zodat je accountmanager je kan bereiken."),
    },
    "Recommend a company": {
        "sv": (
            "Tipsa om ett företag",
            "Känner du ett företag som borde vara med i klubben? Tipsa oss: du får poäng när det gör sitt första köp.",
        ),
        "nl": (
            "Beveel een bedrijf aan",
            "Ken je een bedrijf dat bij de club hoort? Beveel het aan: je krijgt punten zodra het voor het eerst "
            "iets koopt.",
        ),
    },
    "Attend Webinar: heat pumps in 2027": {
        "sv": ("Delta i webbinariet: värmepumpar 2027", _EVENT_DESCRIPTION["sv"]),
        "nl": ("Neem deel aan het webinar: warmtepompen in 2027", _EVENT_DESCRIPTION["nl"]),
    },
    "Attend Spring trade evening in Göteborg": {
        "sv": ("Kom på vårens fackkväll i Göteborg", _EVENT_DESCRIPTION["sv"]),
        "nl": ("Kom naar de vakavond in Göteborg", _EVENT_DESCRIPTION["nl"]),
    },
}

# English title -> {language: (title, description)}
CHALLENGES = {
    "Buy from 3 product ranges this quarter": {
        "sv": (
            "Handla från 3 sortiment det här kvartalet",
            "Blanda fritt: infästning, verktyg, arbetskläder, VVS — vilka tre sortiment som helst räknas.",
        ),
        "nl": (
            "Koop dit kwartaal uit 3 productgroepen",
            "Wissel af: bevestiging, gereedschap, werkkleding, installatietechniek — elke drie groepen tellen.",
        ),
    },
    "Four orders this quarter": {
        "sv": ("Fyra beställningar det här kvartalet", "Beställ minst fyra gånger innan kvartalet är slut."),
        "nl": ("Vier bestellingen dit kwartaal", "Bestel minstens vier keer voordat het kwartaal voorbij is."),
    },
}

# English name -> {language: (name, description)}
BADGES = {
    "All-rounder": {
        "sv": ("Allrundare", "Handlat från tre sortiment under ett kvartal."),
        "nl": ("Allrounder", "Uit drie productgroepen gekocht in één kwartaal."),
    },
    "Regular": {
        "sv": ("Stamkund", "Fyra beställningar under ett kvartal."),
        "nl": ("Vaste klant", "Vier bestellingen in één kwartaal."),
    },
}

# English campaign name -> {language: (name, headline, description)}: what members read on
# the campaign's page, its banner and the notice of its start.
CAMPAIGNS = {
    "Own-brand triple points": {
        "sv": (
            "Tredubbla poäng på eget märke",
            "Tredubbla poäng på våra egna förbrukningsvaror i fyra veckor.",
            "Handskar, tejp, skruv och rengöringsmedel under vårt eget märke ger tredubbla poäng, nivåbonus inräknad.",
        ),
        "nl": (
            "Driedubbele punten op huismerk",
            "Driedubbele punten op onze eigen verbruiksartikelen, vier weken lang.",
            "Handschoenen, tape, schroeven en schoonmaakmiddelen van ons eigen merk leveren driedubbele punten op, "
            "niveaubonus inbegrepen.",
        ),
    },
    "Spring power tools boost": {
        "sv": (
            "Vårkampanj för elverktyg",
            "Dubbla poäng på alla elverktyg till slutet av månaden.",
            "Borrmaskiner, sågar och slipmaskiner ger dubbla poäng, nivåbonus inräknad.",
        ),
        "nl": (
            "Voorjaarsactie elektrisch gereedschap",
            "Dubbele punten op al het elektrisch gereedschap tot het einde van de maand.",
            "Boormachines, zagen en slijpmachines leveren dubbele punten op, niveaubonus inbegrepen.",
        ),
    },
    "Workwear weeks": {
        "sv": (
            "Arbetskläderveckor",
            "Dubbla poäng på arbetskläder och 1 000 extra poäng på din första beställning.",
            "Jackor, kängor och skyddsutrustning ger svenska medlemmar dubbla poäng till kampanjens slut.",
        ),
        "nl": (
            "Werkkledingweken",
            "Dubbele punten op werkkleding en 1.000 extra punten op je eerste bestelling.",
            "Jassen, schoenen en beschermingsmiddelen leveren Zweedse leden dubbele punten op tot het einde van de actie.",
        ),
    },
    "Autumn HVAC service": {
        "sv": (
            "Höstservice för VVS",
            "×1,5 poäng på värme och ventilation, och 2 000 extra poäng på beställningar från 50 000 SEK.",
            "Gör er redo för eldningssäsongen.",
        ),
        "nl": (
            "Najaarsservice klimaattechniek",
            "×1,5 punten op verwarming en ventilatie, en 2.000 extra punten op bestellingen vanaf 50.000 SEK.",
            "Maak je klaar voor het stookseizoen.",
        ),
    },
}


def campaign_texts(name: str) -> dict[str, str]:
    """The Swedish and Dutch columns of the demo campaign ``name``, for ``Campaign.objects.create``
    (before its purchases are replayed: their ledger entries name it in every language)."""
    return {
        f"{field}_{language}": text
        for language, texts in CAMPAIGNS.get(name, {}).items()
        for field, text in zip(("name", "headline", "description"), texts, strict=True)
    }
