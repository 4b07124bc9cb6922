"""Name, city, tax-id and comment pools for the demo generator: realistic CEE clients, valid check digits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INDUSTRIES = (
    "manufacturing",
    "retail",
    "construction",
    "it_services",
    "healthcare",
    "hospitality",
    "agriculture",
    "logistics",
    "professional_services",
)


@dataclass(frozen=True)
class CountryPool:
    """Everything needed to name clients of one country; surnames are (male form, female form) pairs."""

    surnames: tuple[tuple[str, str], ...]
    given_m: tuple[str, ...]
    given_f: tuple[str, ...]
    family_first: bool
    cities: tuple[str, ...]
    city_weights: tuple[float, ...]
    places: tuple[str, ...]
    words: tuple[str, ...]  # one word per INDUSTRIES entry, used in company names
    partners: str  # "{surname} <partners> <form>", e.g. "és Társa"
    small_forms: tuple[str, ...]  # repeated entries weight the draw
    large_forms: tuple[str, ...]


def _same(*names: str) -> tuple[tuple[str, str], ...]:
    """Surnames that do not change with gender."""
    return tuple((n, n) for n in names)


def _w(*weights: float) -> tuple[float, ...]:
    """Normalised city weights (the capital is usually heaviest)."""
    total = sum(weights)
    return tuple(w / total for w in weights)


POOLS: dict[str, CountryPool] = {
    "HU": CountryPool(
        surnames=_same(
            "Kovács", "Szabó", "Tóth", "Horváth", "Varga", "Kiss", "Molnár", "Németh", "Farkas", "Balogh",
            "Papp", "Takács", "Juhász", "Mészáros", "Simon", "Rácz", "Fekete", "Szilágyi", "Török", "Fehér",
            "Balázs", "Gál", "Szűcs", "Kocsis", "Pintér", "Fodor", "Szalai", "Bíró", "Király", "Lukács",
        ),
        given_m=("László", "István", "József", "Zoltán", "Gábor", "Péter", "Tamás", "Attila", "Balázs",
                 "Ádám", "Dávid", "Bence", "Máté", "Gergő", "Csaba", "Levente"),
        given_f=("Anna", "Katalin", "Éva", "Zsófia", "Eszter", "Réka", "Ildikó", "Erzsébet", "Judit",
                 "Krisztina", "Noémi", "Lilla", "Dóra", "Ágnes", "Tünde", "Boglárka"),
        family_first=True,
        cities=("Budapest", "Debrecen", "Szeged", "Miskolc", "Pécs", "Győr", "Nyíregyháza", "Kecskemét",
                "Székesfehérvár", "Szombathely", "Érd", "Sopron", "Eger", "Veszprém", "Zalaegerszeg"),
        city_weights=_w(40, 6, 6, 5, 5, 5, 4, 4, 4, 3, 3, 3, 3, 3, 2),
        places=("Balatoni", "Alföldi", "Dunántúli", "Tiszai", "Mátrai", "Bakonyi", "Mecseki", "Zempléni"),
        words=("Gépgyártó", "Kereskedelmi", "Építő", "Informatikai", "Egészségügyi", "Vendéglátó", "Agrár",
               "Logisztikai", "Tanácsadó"),
        partners="és Társa",
        small_forms=("Kft.", "Kft.", "Kft.", "Bt."),
        large_forms=("Kft.", "Zrt."),
    ),
    "RO": CountryPool(
        surnames=_same(
            "Popescu", "Ionescu", "Popa", "Pop", "Radu", "Dumitrescu", "Stan", "Stoica", "Gheorghe", "Matei",
            "Ciobanu", "Rusu", "Munteanu", "Constantin", "Ștefănescu", "Mureșan", "Lungu", "Diaconu", "Dobre",
            "Bălan", "Țurcanu", "Marinescu", "Sârbu", "Căpraru",
        ),
        given_m=("Ion", "Andrei", "Mihai", "Alexandru", "Ștefan", "Gheorghe", "Florin", "Adrian", "Cristian",
                 "Vasile", "Răzvan", "Bogdan", "Ionuț"),
        given_f=("Maria", "Elena", "Ioana", "Andreea", "Mihaela", "Ana", "Cristina", "Alexandra", "Ștefania",
                 "Oana", "Irina", "Mădălina", "Lăcrămioara"),
        family_first=True,
        cities=("București", "Cluj-Napoca", "Timișoara", "Iași", "Constanța", "Brașov", "Craiova", "Oradea",
                "Sibiu", "Târgu Mureș"),
        city_weights=_w(35, 12, 10, 8, 7, 7, 6, 6, 5, 4),
        places=("Carpați", "Dunărea", "Transilvania", "Moldova", "Banat", "Mureș", "Argeș", "Someș"),
        words=("Industrial", "Comerț", "Construct", "Soft", "Medical", "Turism", "Agro", "Transport",
               "Consulting"),
        partners="& Asociații",
        small_forms=("S.R.L.",),
        large_forms=("S.R.L.", "S.A."),
    ),
    "PL": CountryPool(
        surnames=(
            ("Nowak", "Nowak"), ("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"), ("Wójcik", "Wójcik"),
            ("Kowalczyk", "Kowalczyk"), ("Kamiński", "Kamińska"), ("Lewandowski", "Lewandowska"),
            ("Zieliński", "Zielińska"), ("Szymański", "Szymańska"), ("Woźniak", "Woźniak"),
            ("Dąbrowski", "Dąbrowska"), ("Kozłowski", "Kozłowska"), ("Jankowski", "Jankowska"),
            ("Mazur", "Mazur"), ("Kwiatkowski", "Kwiatkowska"), ("Krawczyk", "Krawczyk"),
            ("Kaczmarek", "Kaczmarek"), ("Piotrowski", "Piotrowska"), ("Grabowski", "Grabowska"),
        ),
        given_m=("Łukasz", "Piotr", "Krzysztof", "Tomasz", "Paweł", "Michał", "Marcin", "Grzegorz", "Jakub",
                 "Wojciech", "Mateusz", "Bartłomiej"),
        given_f=("Anna", "Katarzyna", "Małgorzata", "Agnieszka", "Joanna", "Magdalena", "Żaneta", "Ewa",
                 "Zofia", "Agata", "Jadwiga", "Bożena"),
        family_first=False,
        cities=("Warszawa", "Kraków", "Łódź", "Wrocław", "Poznań", "Gdańsk", "Szczecin", "Lublin",
                "Katowice", "Białystok"),
        city_weights=_w(30, 14, 9, 10, 9, 8, 5, 5, 6, 4),
        places=("Wisła", "Mazowsze", "Pomorze", "Śląsk", "Tatry", "Warta", "Bałtyk", "Podhale"),
        words=("Produkcja", "Handel", "Budownictwo", "Systemy IT", "Medica", "Hotelarstwo", "Agro",
               "Logistyka", "Doradztwo"),
        partners="i Wspólnicy",
        small_forms=("Sp. z o.o.",),
        large_forms=("Sp. z o.o.", "S.A."),
    ),
    "DE": CountryPool(
        surnames=_same("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
                       "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
                       "Zimmermann", "Krüger", "Hofmann", "Köhler"),
        given_m=("Jürgen", "Lukas", "Jonas", "Stefan", "Michael", "Thomas", "Andreas", "Jörg", "Björn"),
        given_f=("Anna", "Sophie", "Lena", "Katrin", "Julia", "Sabine", "Bärbel", "Käthe", "Brigitte"),
        family_first=False,
        cities=("Berlin", "München", "Hamburg", "Köln", "Frankfurt am Main", "Stuttgart", "Düsseldorf",
                "Nürnberg"),
        city_weights=_w(20, 18, 14, 12, 12, 10, 8, 6),
        places=("Rhein", "Isar", "Elbe", "Spree", "Main", "Allgäu"),
        words=("Maschinenbau", "Handel", "Bau", "IT-Systeme", "Medizintechnik", "Gastronomie", "Agrar",
               "Logistik", "Beratung"),
        partners="& Partner",
        small_forms=("GmbH",),
        large_forms=("GmbH", "AG"),
    ),
    "AT": CountryPool(
        surnames=_same("Gruber", "Huber", "Pichler", "Steiner", "Moser", "Mayer", "Hofer", "Leitner",
                       "Berger", "Fuchs", "Eder", "Wallner", "Reiter", "Wimmer", "Egger", "Brunner", "Pölzl",
                       "Höller"),
        given_m=("Florian", "Lukas", "Matthias", "Wolfgang", "Günther", "Jürgen", "Stefan", "Andreas"),
        given_f=("Anna", "Katharina", "Theresa", "Lena", "Elisabeth", "Rosemarie", "Birgit", "Maria"),
        family_first=False,
        cities=("Wien", "Graz", "Linz", "Salzburg", "Innsbruck", "Klagenfurt", "Sankt Pölten"),
        city_weights=_w(40, 15, 13, 10, 9, 7, 6),
        places=("Alpen", "Donau", "Tirol", "Kärnten", "Wachau", "Steiermark"),
        words=("Maschinenbau", "Handel", "Bau", "IT-Systeme", "Medizintechnik", "Gastronomie", "Agrar",
               "Logistik", "Beratung"),
        partners="& Partner",
        small_forms=("GmbH",),
        large_forms=("GmbH", "AG"),
    ),
    "SK": CountryPool(
        surnames=(("Horváth", "Horváthová"), ("Kováč", "Kováčová"), ("Varga", "Vargová"), ("Tóth", "Tóthová"),
                  ("Nagy", "Nagyová"), ("Baláž", "Balážová"), ("Molnár", "Molnárová"), ("Lukáč", "Lukáčová"),
                  ("Šimko", "Šimková"), ("Polák", "Poláková")),
        given_m=("Ján", "Peter", "Jozef", "Michal", "Martin", "Ľubomír", "Tomáš", "Marek"),
        given_f=("Mária", "Zuzana", "Katarína", "Jana", "Ľubica", "Eva", "Lucia", "Veronika"),
        family_first=False,
        cities=("Bratislava", "Košice", "Prešov", "Žilina", "Nitra", "Banská Bystrica", "Trnava"),
        city_weights=_w(40, 18, 10, 10, 8, 8, 6),
        places=("Tatry", "Váh", "Hron", "Orava", "Spiš", "Záhorie"),
        words=("Strojárne", "Obchod", "Stavebná", "Software", "Zdravie", "Hotel", "Agro", "Logistika",
               "Poradenstvo"),
        partners="a spol.",
        small_forms=("s.r.o.",),
        large_forms=("s.r.o.", "a.s."),
    ),
    "CZ": CountryPool(
        surnames=(("Novák", "Nováková"), ("Svoboda", "Svobodová"), ("Novotný", "Novotná"),
                  ("Dvořák", "Dvořáková"), ("Černý", "Černá"), ("Procházka", "Procházková"),
                  ("Kučera", "Kučerová"), ("Veselý", "Veselá"), ("Horák", "Horáková"), ("Němec", "Němcová")),
        given_m=("Jiří", "Jan", "Petr", "Josef", "Pavel", "Tomáš", "Martin", "Lukáš"),
        given_f=("Jana", "Marie", "Eva", "Hana", "Anna", "Lenka", "Kateřina", "Věra"),
        family_first=False,
        cities=("Praha", "Brno", "Ostrava", "Plzeň", "Liberec", "Olomouc", "České Budějovice",
                "Hradec Králové"),
        city_weights=_w(40, 15, 10, 8, 7, 7, 7, 6),
        places=("Vltava", "Morava", "Šumava", "Krkonoše", "Labe", "Beskydy"),
        words=("Strojírny", "Obchod", "Stavby", "Software", "Zdraví", "Hotel", "Agro", "Logistika",
               "Poradenství"),
        partners="a spol.",
        small_forms=("s.r.o.",),
        large_forms=("s.r.o.", "a.s."),
    ),
}

# NAV county codes (last two digits of a Hungarian tax number) of the HU cities above, in order.
_HU_COUNTY = np.array([41, 9, 6, 5, 2, 8, 15, 3, 7, 18, 13, 8, 10, 19, 20])


def _pick(rng: np.random.Generator, pool: tuple[str, ...], n: int) -> np.ndarray:
    """n uniform draws from a string pool as a numpy unicode array."""
    return np.array(pool)[rng.integers(0, len(pool), n)]


def _join(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise concatenation of unicode arrays and literals."""
    out = np.asarray(parts[0])
    for part in parts[1:]:
        out = np.char.add(out, part)
    return out


def cities(rng: np.random.Generator, country: str, n: int) -> np.ndarray:
    """Indices into the country's city pool, weighted so capitals dominate as in real client books."""
    pool = POOLS[country]
    return rng.choice(len(pool.cities), size=n, p=pool.city_weights)


def person_names(rng: np.random.Generator, country: str, female: np.ndarray) -> np.ndarray:
    """Personal names in the country's order (HU/RO family name first) with gendered surnames."""
    pool = POOLS[country]
    n = female.size
    idx = rng.integers(0, len(pool.surnames), n)
    male_form, female_form = (np.array(forms) for forms in zip(*pool.surnames, strict=True))
    sur = np.where(female, female_form[idx], male_form[idx])
    given = np.where(female, _pick(rng, pool.given_f, n), _pick(rng, pool.given_m, n))
    return _join(sur, " ", given) if pool.family_first else _join(given, " ", sur)


def company_names(
    rng: np.random.Generator, country: str, industry: np.ndarray, big: np.ndarray
) -> np.ndarray:
    """Company names from three local patterns, ending in a legal form that fits the company's size."""
    pool = POOLS[country]
    n = industry.size
    sur = np.array([s[0] for s in pool.surnames])[rng.integers(0, len(pool.surnames), n)]
    word = np.array(pool.words)[industry]
    form = np.where(big, _pick(rng, pool.large_forms, n), _pick(rng, pool.small_forms, n))
    pattern = rng.choice(3, size=n, p=(0.3, 0.4, 0.3))
    partners = _join(sur, f" {pool.partners} ", form)  # "Kovács és Társa Kft."
    surname_word = _join(sur, " ", word, " ", form)  # "Popescu Construct S.R.L."
    place_word = _join(_pick(rng, pool.places, n), " ", word, " ", form)  # "Balatoni Vendéglátó Kft."
    return np.select([pattern == 0, pattern == 1], [partners, surname_word], place_word)


def _digits_to_str(d: np.ndarray) -> np.ndarray:
    """Rows of digits (n, k) to zero-padded strings of length k."""
    k = d.shape[1]
    value = (d.astype(np.int64) * (10 ** np.arange(k - 1, -1, -1, dtype=np.int64))).sum(axis=1)
    return np.char.zfill(value.astype(str), k)


def _hu(rng: np.random.Generator, n: int, city: np.ndarray) -> np.ndarray:
    """Local Hungarian tax numbers 12345678-2-41: adószám core (weights 9,7,3,1 mod 10), VAT code, county."""
    d = rng.integers(0, 10, (n, 8))
    d[:, 0] = rng.integers(1, 3, n)  # real cores start with 1 or 2
    d[:, 7] = -(d[:, :7] * np.array([9, 7, 3, 1, 9, 7, 3])).sum(axis=1) % 10
    vat = np.array(["1", "2", "2", "2", "3"])[rng.integers(0, 5, n)]  # most firms are VAT payers (2)
    county = _HU_COUNTY[city]
    budapest = county == 41
    county = np.where(budapest, rng.integers(41, 44, n), county)  # three Budapest tax directorates
    return _join(_digits_to_str(d), "-", vat, "-", np.char.zfill(county.astype(str), 2))


def _ro(rng: np.random.Generator, n: int) -> np.ndarray:
    """Romanian CUI: 7-digit body and check digit (weights 7,5,3,2,1,7,5,3,2 on the body padded to 9)."""
    d = rng.integers(0, 10, (n, 8))
    d[:, 0] = rng.integers(1, 10, n)
    d[:, 7] = (10 * (d[:, :7] * np.array([3, 2, 1, 7, 5, 3, 2])).sum(axis=1)) % 11 % 10
    return _digits_to_str(d)


def _pl(rng: np.random.Generator, n: int) -> np.ndarray:
    """Polish NIP written 123-456-32-18; bodies whose mod-11 check would be 10 are drawn again."""
    d = rng.integers(0, 10, (n, 10))
    d[:, 0] = rng.integers(1, 10, n)
    weights = np.array([6, 5, 7, 2, 3, 4, 5, 6, 7])
    check = (d[:, :9] * weights).sum(axis=1) % 11
    while (bad := check == 10).any():  # about 1 in 11 bodies has no valid check digit
        d[bad, 8] = rng.integers(0, 10, int(bad.sum()))
        check = (d[:, :9] * weights).sum(axis=1) % 11
    d[:, 9] = check
    s = _digits_to_str(d)
    return np.array([f"{x[:3]}-{x[3:6]}-{x[6:8]}-{x[8:]}" for x in s.tolist()], dtype=str)


def _de(rng: np.random.Generator, n: int) -> np.ndarray:
    """German USt-IdNr DE + 8 digits + ISO 7064 MOD 11,10 check digit."""
    d = rng.integers(0, 10, (n, 9))
    d[:, 0] = rng.integers(1, 10, n)
    p = np.full(n, 5)
    for j in range(8):
        p = ((np.where(p == 0, 10, p) * 2) % 11 + d[:, j]) % 10
    d[:, 8] = (1 - (np.where(p == 0, 10, p) * 2) % 11) % 10
    return _join("DE", _digits_to_str(d))


def _at(rng: np.random.Generator, n: int) -> np.ndarray:
    """Austrian UID ATU + 7 digits + check digit (6 - Luhn checksum) mod 10."""
    d = rng.integers(0, 10, (n, 8))
    rev = d[:, 6::-1]  # Luhn runs from the rightmost body digit
    doubled = rev[:, 1::2] * 2
    luhn = (rev[:, 0::2].sum(axis=1) + (doubled // 10 + doubled % 10).sum(axis=1)) % 10
    d[:, 7] = (6 - luhn) % 10
    return _join("ATU", _digits_to_str(d))


def _cz(rng: np.random.Generator, n: int) -> np.ndarray:
    """Czech DIČ of a legal entity: CZ + 7 digits + mod-11 check (first digit not 9)."""
    d = rng.integers(0, 10, (n, 8))
    d[:, 0] = rng.integers(1, 9, n)
    c = (11 - (d[:, :7] * np.arange(8, 1, -1)).sum(axis=1)) % 11
    d[:, 7] = np.where(c == 0, 1, c) % 10
    return _join("CZ", _digits_to_str(d))


def _sk(rng: np.random.Generator, n: int) -> np.ndarray:
    """Slovak IČ DPH: SK + 10 digits divisible by 11, third digit in 2,3,4,7,8,9."""
    d = rng.integers(0, 10, (n, 10))
    d[:, 0] = 2
    d[:, 1] = rng.integers(0, 3, n)
    d[:, 2] = np.array([2, 3, 4, 7, 8, 9])[rng.integers(0, 6, n)]
    prefix = (d[:, :8] * (10 ** np.arange(7, -1, -1, dtype=np.int64))).sum(axis=1)
    first = (-prefix * 100) % 11  # smallest last-two-digit value making the number divisible by 11
    last = first + 11 * rng.integers(0, (99 - first) // 11 + 1)
    return _join("SK", (prefix * 100 + last).astype(str))


def tax_ids(rng: np.random.Generator, country: str, n: int, city: np.ndarray) -> np.ndarray:
    """n valid company tax ids of one country, written the way local CRMs hold them."""
    if n == 0:  # numpy's zfill cannot size an empty array
        return np.array([], dtype=str)
    match country:
        case "HU":
            return _hu(rng, n, city)
        case "RO":
            return _ro(rng, n)
        case "PL":
            return _pl(rng, n)
        case "DE":
            return _de(rng, n)
        case "AT":
            return _at(rng, n)
        case "CZ":
            return _cz(rng, n)
        case "SK":
            return _sk(rng, n)
    raise ValueError(f"no tax-id generator for {country}")


# Survey comments by language and sentiment (0 negative, 1 neutral, 2 positive); some contain commas
# on purpose so that CSV quoting is exercised downstream.
COMMENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "hu": (
        ("Lassú válaszidő, többször kellett érdeklődnöm.", "Túl drága a szolgáltatás.",
         "Hibás számlát kaptunk, sokáig tartott a javítás."),
        ("Rendben volt minden.", "Elfogadható, de lehetne gyorsabb."),
        ("Nagyon elégedett vagyok a szolgáltatással.", "Gyors, pontos és megbízható ügyintézés.",
         "Köszönjük a segítséget az év végi zárásnál!"),
    ),
    "ro": (
        ("Facturile au întârziat de mai multe ori.", "Prețul este prea mare.",
         "Răspunsurile vin greu, iar termenele nu sunt respectate."),
        ("Totul a fost în regulă.", "Acceptabil, dar se poate mai bine."),
        ("Foarte mulțumit de colaborare.", "Răspunsuri rapide și profesioniste.",
         "Mulțumim pentru ajutorul la închiderea anului!"),
    ),
    "pl": (
        ("Za długi czas odpowiedzi.", "Zbyt wysokie ceny.",
         "Błędy w fakturach, długo czekaliśmy na korektę."),
        ("Wszystko w porządku.", "Poprawnie, ale mogłoby być szybciej."),
        ("Bardzo dobra współpraca, polecam.", "Szybka i rzetelna obsługa.",
         "Dziękujemy za pomoc przy zamknięciu roku!"),
    ),
    "en": (
        ("Invoices were late twice.", "Too expensive for what we get.",
         "Slow replies, had to chase several times."),
        ("All fine.", "OK, but could be faster."),
        ("Great service, very responsive.", "Accurate, fast and reliable.",
         "Thanks for the help with year-end!"),
    ),
}
LANGUAGE = {"HU": "hu", "RO": "ro", "PL": "pl"}  # everyone else comments in English
