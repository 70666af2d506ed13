"""Swedish and Dutch for the demo club's catalogue and programme (the seed writes English).

Keyed by what the seed looks things up by: a reward's article number, a reward category's
slug, a product category's code, a tier's English name. ``rewards.demo`` fills in what is
still empty, so a text an editor changed in the admin is kept on the next seed.
"""

# slug -> (sv, nl)
REWARD_CATEGORIES = {
    "gift-cards": ("Presentkort", "Cadeaukaarten"),
    "tools": ("Verktyg", "Gereedschap"),
    "site-hut": ("Till bodan", "Voor de bouwkeet"),
    "workwear": ("Arbetskläder", "Werkkleding"),
    "experiences": ("Upplevelser", "Belevenissen"),
    "charity": ("Ge tillbaka", "Iets teruggeven"),
}

# code -> (sv, nl)
PRODUCT_CATEGORIES = {
    "FASTENERS": ("Infästning och beslag", "Bevestigingsmiddelen"),
    "HANDTOOLS": ("Handverktyg", "Handgereedschap"),
    "POWERTOOLS": ("Elverktyg", "Elektrisch gereedschap"),
    "HVAC": ("Värme och ventilation", "Verwarming en ventilatie"),
    "WORKWEAR": ("Arbetskläder och skydd", "Werkkleding en veiligheid"),
    "OWNBRAND": ("Egna märkets förbrukningsvaror", "Verbruiksartikelen van het eigen merk"),
}

# English name -> {language: (name, benefits)}
TIERS = {
    "Bronze": {
        "sv": ("Brons", "Poäng på varje köp och erbjudanden bara för medlemmar."),
        "nl": ("Brons", "Punten op elke aankoop en aanbiedingen alleen voor leden."),
    },
    "Silver": {
        "sv": ("Silver", "10 % fler poäng och förtur till nyheter."),
        "nl": ("Zilver", "10 % meer punten en als eerste toegang tot nieuwe producten."),
    },
    "Gold": {
        "sv": ("Guld", "25 % fler poäng, fri frakt och inbjudningar till evenemang."),
        "nl": ("Goud", "25 % meer punten, gratis bezorging en uitnodigingen voor evenementen."),
    },
    "Platinum": {
        "sv": ("Platina", "50 % fler poäng, ett eget kundteam och förtur i servicen."),
        "nl": ("Platina", "50 % meer punten, een vast accountteam en voorrang bij service."),
    },
}

# sku -> {language: (title, summary, description)}
REWARDS = {
    "GC-200": {
        "sv": (
            "Presentkort, 200 kr",
            "Till den stora varuhuskedjan, i butik och på nätet.",
            "Ett digitalt presentkort värt 200 kr. Koden syns på ordersidan så snart vi har skickat den; "
            "den gäller i två år.",
        ),
        "nl": (
            "Cadeaukaart, 200 SEK",
            "Voor de grote warenhuisketen, in de winkel en online.",
            "Een digitale cadeaukaart van 200 SEK. De code staat op de bestelpagina zodra we hem hebben "
            "verstuurd; hij is twee jaar geldig.",
        ),
    },
    "GC-500": {
        "sv": (
            "Presentkort, 500 kr",
            "Lagets favorit: 500 kr att handla för som ni vill.",
            "Ett digitalt presentkort värt 500 kr till varuhuskedjan, i butik och på nätet. Gäller i två år.",
        ),
        "nl": (
            "Cadeaukaart, 500 SEK",
            "De favoriet van het team: 500 SEK om naar eigen keuze te besteden.",
            "Een digitale cadeaukaart van 500 SEK voor de warenhuisketen, in de winkel en online. Twee jaar geldig.",
        ),
    },
    "GC-1000": {
        "sv": (
            "Presentkort, 1 000 kr",
            "Ett större tack till hela laget.",
            "Ett digitalt presentkort värt 1 000 kr till varuhuskedjan. Gäller i två år.",
        ),
        "nl": (
            "Cadeaukaart, 1 000 SEK",
            "Een groter bedankje voor het hele team.",
            "Een digitale cadeaukaart van 1 000 SEK voor de warenhuisketen. Twee jaar geldig.",
        ),
    },
    "FUEL-500": {
        "sv": (
            "Drivmedelskort, 500 kr",
            "Bränsle till servicebilen på alla stora stationer.",
            "En förbetald kod till ett drivmedelskort värt 500 kr, som gäller hos landets största stationskedjor.",
        ),
        "nl": (
            "Tankkaart, 500 SEK",
            "Brandstof voor de servicebus bij alle grote tankstations.",
            "Een vooruitbetaalde tankkaartcode van 500 SEK, geldig bij de grootste tankstationketens van het land.",
        ),
    },
    "CINEMA-2": {
        "sv": (
            "Biobiljetter för två",
            "Två biljetter till valfri film, valfri dag.",
            "En kod till två biobiljetter på valfri biograf i kedjan.",
        ),
        "nl": (
            "Bioscoopkaartjes voor twee",
            "Twee kaartjes voor elke film, op elke dag.",
            "Een code voor twee bioscoopkaartjes in alle bioscopen van de keten.",
        ),
    },
    "STREAM-12": {
        "sv": (
            "Musikstreaming, 12 månader",
            "Ett år reklamfri musik i byggradion.",
            "En kod till tolv månaders premiumstreaming av musik. Nya koder kommer varje månad.",
        ),
        "nl": (
            "Muziekstreaming, 12 maanden",
            "Een jaar muziek zonder reclame op de bouwradio.",
            "Een code voor twaalf maanden premium muziekstreaming. Elke maand komen er nieuwe codes bij.",
        ),
    },
    "DRILL-18V": {
        "sv": (
            "Sladdlös borrmaskin, 18 V",
            "Två batterier, laddare och väska.",
            "En professionell 18 V skruvdragare med två 4 Ah-batterier, snabbladdare och en stadig väska. "
            "För Silver-medlemmar och uppåt.",
        ),
        "nl": (
            "Accuboormachine, 18 V",
            "Twee accu's, een lader en een koffer.",
            "Een professionele 18V-schroefboormachine met twee 4Ah-accu's, een snellader en een stevige "
            "koffer. Voor leden vanaf Zilver.",
        ),
    },
    "LASER-LINE": {
        "sv": (
            "Linjelaser med stativ",
            "Grön krysslaser, 30 m räckvidd.",
            "En självnivellerande grön krysslaser med stativ och mottagare. För Guld-medlemmar och uppåt.",
        ),
        "nl": (
            "Lijnlaser met statief",
            "Groene kruislijnlaser, bereik 30 m.",
            "Een zelfnivellerende groene kruislijnlaser met statief en ontvanger. Voor leden vanaf Goud.",
        ),
    },
    "TOOLBAG-40": {
        "sv": (
            "Verktygsväska, 40 liter",
            "Vattentät botten, 28 fickor.",
            "En verktygsväska på 40 liter med gjuten vattentät botten, 28 fickor och vadderad axelrem.",
        ),
        "nl": (
            "Gereedschapstas, 40 liter",
            "Waterdichte bodem, 28 vakken.",
            "Een gereedschapstas van 40 liter met een gegoten waterdichte bodem, 28 vakken en een "
            "gevoerde schouderriem.",
        ),
    },
    "RADIO-SITE": {
        "sv": (
            "Byggradio med Bluetooth",
            "Går på verktygsbatterierna; damm- och stänktät.",
            "En tålig byggradio med DAB+, Bluetooth och USB-laddare som går på nät eller verktygsbatterier.",
        ),
        "nl": (
            "Bouwradio met Bluetooth",
            "Werkt op je gereedschapsaccu's; stof- en spatwaterdicht.",
            "Een robuuste bouwradio met DAB+, Bluetooth en een USB-lader, op netstroom of op gereedschapsaccu's.",
        ),
    },
    "HEADLAMP": {
        "sv": (
            "Laddbar pannlampa",
            "450 lumen, laddas med USB-C.",
            "En lätt, laddbar pannlampa med 450 lumen och rött ljusläge.",
        ),
        "nl": (
            "Oplaadbare hoofdlamp",
            "450 lumen, opladen via USB-C.",
            "Een lichte, oplaadbare hoofdlamp van 450 lumen met een rodelichtstand.",
        ),
    },
    "COFFEE-SITE": {
        "sv": (
            "Kaffemaskin till bodan",
            "Bönor till kopp, en knapp, byggd för damm.",
            "En robust helautomatisk kaffemaskin med 1,8 liters tank, gjord för byggbodar och verkstäder.",
        ),
        "nl": (
            "Koffiemachine voor de bouwkeet",
            "Van boon tot kop, één knop, gebouwd voor stof.",
            "Een robuuste volautomatische koffiemachine met een reservoir van 1,8 liter, gemaakt voor "
            "bouwketen en werkplaatsen.",
        ),
    },
    "ESPRESSO-PRO": {
        "sv": (
            "Espressomaskin av caféklass",
            "Den riktiga varan, till kontoret eller visningsrummet.",
            "En espressomaskin med dubbla pannor och kvarn, levererad och installerad, med en baristakurs "
            "för två av era medarbetare.",
        ),
        "nl": (
            "Espressomachine van caféniveau",
            "Het echte werk, voor kantoor of showroom.",
            "Een espressomachine met dubbele boiler en molen, geleverd en geïnstalleerd, met een "
            "baristacursus voor twee van je medewerkers.",
        ),
    },
    "THERMOS": {
        "sv": (
            "Termos i stål, 0,75 l",
            "Håller kaffet varmt i 24 timmar.",
            "En vakuumisolerad termos i stål med kopplock, i klubbens färger.",
        ),
        "nl": (
            "Stalen thermosfles, 0,75 l",
            "Houdt koffie 24 uur warm.",
            "Een vacuümgeïsoleerde stalen fles met bekerdop, in de kleuren van de club.",
        ),
    },
    "BEANS-3KG": {
        "sv": (
            "Kaffebönor, 3 kg",
            "Mellanrost, rättvisemärkt, till kaffemaskinen.",
            "Tre kilo rättvisemärkta, mellanrostade bönor. Högst två påsar per företag och månad.",
        ),
        "nl": (
            "Koffiebonen, 3 kg",
            "Medium branding, fairtrade, voor de koffiemachine.",
            "Drie kilo fairtrade koffiebonen met een medium branding. Hoogstens twee zakken per bedrijf per maand.",
        ),
    },
    "JACKET-WINTER": {
        "sv": (
            "Vinterjacka för arbete",
            "Vindtät, vattentät, med reflexdetaljer.",
            "En fodrad, vattentät vinterjacka för arbete med reflexdetaljer och hängfickor. Storlek S–XXL: "
            "skriv storleken i meddelandet.",
        ),
        "nl": (
            "Winterwerkjas",
            "Winddicht, waterdicht, met reflecterende details.",
            "Een gevoerde, waterdichte winterwerkjas met reflecterende details en holsterzakken. Maten "
            "S–XXL: zet de maat in de opmerking.",
        ),
    },
    "GLOVES-10": {
        "sv": (
            "Arbetshandskar, 10 par",
            "Nitrildoppade, för greppet i vätan.",
            "Tio par nitrildoppade monteringshandskar. Högst fem förpackningar per företag och månad.",
        ),
        "nl": (
            "Werkhandschoenen, 10 paar",
            "Met nitrilcoating, voor grip in de nattigheid.",
            "Tien paar montagehandschoenen met nitrilcoating. Hoogstens vijf pakken per bedrijf per maand.",
        ),
    },
    "CAPS-5": {
        "sv": (
            "Kepsar med tryck, 5 st",
            "Fem kepsar med ert företags logotyp.",
            "Fem kepsar broderade med ert företags logotyp. Skicka logotypen till er säljare efter beställningen.",
        ),
        "nl": (
            "Petten met logo, 5 stuks",
            "Vijf petten met het logo van je bedrijf.",
            "Vijf petten met het geborduurde logo van je bedrijf. Stuur het logo na je bestelling naar "
            "je accountmanager.",
        ),
    },
    "LUNCH-TEAM": {
        "sv": (
            "Lagets lunch för upp till 8",
            "På en restaurang nära er, på oss.",
            "En lunch för upp till åtta kollegor på en partnerrestaurang nära er arbetsplats. En gång per kvartal.",
        ),
        "nl": (
            "Teamlunch voor maximaal 8",
            "In een restaurant bij jou in de buurt, op onze kosten.",
            "Een lunch voor maximaal acht collega's in een partnerrestaurant bij jullie bouwplaats. Eén "
            "keer per kwartaal.",
        ),
    },
    "FACTORY-TOUR": {
        "sv": (
            "Fabriksbesök och produktutbildning",
            "En dag på fabriken med lunch och det nya sortimentet.",
            "Ett guidat besök på fabriken, ett praktiskt pass med det nya sortimentet och lunch. Skriv "
            "namnen på dem som kommer i meddelandet.",
        ),
        "nl": (
            "Fabrieksbezoek en producttraining",
            "Een dag in de fabriek met lunch en het nieuwe assortiment.",
            "Een rondleiding door de fabriek, een praktijksessie met het nieuwe assortiment en een lunch. "
            "Zet de namen van wie er komt in de opmerking.",
        ),
    },
    "TRACK-DAY": {
        "sv": (
            "Bandag på Mantorp Park",
            "Kör banan med instruktör.",
            "En dag på racerbanan för två, med instruktion, tidtagning och middag. För Guld-medlemmar och uppåt.",
        ),
        "nl": (
            "Circuitdag op Mantorp Park",
            "Rijd het circuit met een instructeur.",
            "Een dag op het racecircuit voor twee, met instructie, een sessie op tijd en een diner. Voor "
            "leden vanaf Goud.",
        ),
    },
    "COFFEE-TRUCK": {
        "sv": (
            "Kaffebil på er arbetsplats en förmiddag",
            "Baristakaffe och bullar till hela laget.",
            "En kaffebil parkerar på er arbetsplats en förmiddag och bjuder hela laget. Kan bokas från nästa vecka.",
        ),
        "nl": (
            "Koffietruck op je bouwplaats voor een ochtend",
            "Baristakoffie en gebak voor de hele ploeg.",
            "Een koffietruck staat een ochtend op jullie bouwplaats en trakteert de hele ploeg. Te boeken "
            "vanaf volgende week.",
        ),
    },
    "SPA-WEEKEND": {
        "sv": (
            "Spahelg för två",
            "Två nätter, middag och spa, bara i vinter.",
            "Två nätter för två på ett spahotell, med middag, frukost och spa. Ett vintererbjudande: lös "
            "in det innan det tar slut.",
        ),
        "nl": (
            "Spaweekend voor twee",
            "Twee nachten, diner en spa, alleen deze winter.",
            "Twee nachten voor twee in een spahotel, met diner, ontbijt en de spa. Een winteraanbieding: "
            "wissel hem in voordat hij afloopt.",
        ),
    },
    "DONATE-CHILD": {
        "sv": (
            "Gåva till Barncancerfonden, 250 kr",
            "Vi ger 250 kr i ert företags namn.",
            "Klubben skänker 250 kr till Barncancerfonden i ert företags namn och skickar kvittot till er.",
        ),
        "nl": (
            "Gift aan het Zweedse kinderkankerfonds, 250 SEK",
            "Wij geven 250 SEK op naam van je bedrijf.",
            "De club schenkt 250 SEK aan Barncancerfonden, het Zweedse kinderkankerfonds, op naam van je "
            "bedrijf en stuurt je het bewijs.",
        ),
    },
    "INVOICE-1000": {
        "sv": (
            "1 000 kr avdrag på nästa faktura",
            "Poäng rakt av det ni är skyldiga oss.",
            "En kredit på 1 000 kr på ert företags nästa faktura. Vårt affärssystem drar av den när fakturan "
            "skapas; beställningssidan visar när den har använts.",
        ),
        "nl": (
            "1 000 SEK korting op je volgende factuur",
            "Punten direct van wat je ons verschuldigd bent.",
            "Een tegoed van 1 000 SEK op de volgende factuur van je bedrijf. Ons ERP-systeem trekt het af bij het "
            "maken van de factuur; de bestelpagina toont wanneer het is verrekend.",
        ),
    },
    "GC-EUR-25": {
        "sv": (
            "Presentkort, 25 EUR",
            "Till varuhuskedjan i Nederländerna, i butik och på nätet.",
            "Ett digitalt presentkort värt 25 EUR. Koden syns på ordersidan så snart vi har skickat den; "
            "den gäller i två år.",
        ),
        "nl": (
            "Cadeaukaart, 25 EUR",
            "Voor de warenhuisketen in Nederland, in de winkel en online.",
            "Een digitale cadeaukaart van 25 EUR. De code staat op de bestelpagina zodra we hem hebben "
            "verstuurd; hij is twee jaar geldig.",
        ),
    },
    "DONATE-EUR": {
        "sv": (
            "Gåva till KWF Kankerbestrijding, 25 EUR",
            "Vi ger 25 EUR i ert företags namn.",
            "Klubben skänker 25 EUR till KWF Kankerbestrijding i ert företags namn och skickar kvittot till er.",
        ),
        "nl": (
            "Gift aan KWF Kankerbestrijding, 25 EUR",
            "Wij geven 25 EUR op naam van je bedrijf.",
            "De club schenkt 25 EUR aan KWF Kankerbestrijding op naam van je bedrijf en stuurt je het bewijs.",
        ),
    },
    "INVOICE-EUR-100": {
        "sv": (
            "100 EUR avdrag på nästa faktura",
            "Poäng rakt av det ni är skyldiga oss.",
            "En kredit på 100 EUR på ert företags nästa faktura. Vårt affärssystem drar av den när fakturan "
            "skapas; beställningssidan visar när den har använts.",
        ),
        "nl": (
            "100 EUR korting op je volgende factuur",
            "Punten direct van wat je ons verschuldigd bent.",
            "Een tegoed van 100 EUR op de volgende factuur van je bedrijf. Ons ERP-systeem trekt het af bij het "
            "maken van de factuur; de bestelpagina toont wanneer het is verrekend.",
        ),
    },
}
