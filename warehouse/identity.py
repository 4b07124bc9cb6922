"""Client identity: tax ids in one EU VAT form and name keys for matching clients across sources.

Tax ids are checked offline with python-stdnum (check digits and formats, no VIES lookup), so a
normalised id is well formed, not proof that the client is VAT-registered. A value that does not
validate is never repaired or guessed: it comes back as `(None, "invalid_tax_id")`.
"""

import re
import unicodedata

from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidComponent, ValidationError
from stdnum.hu import anum
from stdnum.pl import nip
from stdnum.ro import cui

INVALID_TAX_ID = "invalid_tax_id"

# EU VAT prefixes = ISO codes of the member states, except Greece which uses EL; XI (Northern Ireland)
# and the OSS prefixes EU/IM that stdnum.eu.vat also knows are left out: they are not EU countries.
EU_VAT_PREFIXES = frozenset(cc.upper() for cc in eu_vat.MEMBER_STATES - {"gr", "xi"}) | {"EL"}
# Greece's ISO code is GR, and sources write both, so either spelling means Greece.
_PREFIX_ALIASES = {"GR": "EL"}

# Separators people type inside tax ids: any Unicode space (NBSP from spreadsheets), dots, ASCII and typographic dashes.
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015]")

# Hungarian adószám = törzsszám (8) + VAT code (1) + county/tax-directorate code (2); stdnum only knows the
# törzsszám (hu.anum), so the other two parts are checked against the code lists here.
_HU_VAT_CODES = frozenset("12345")
_HU_COUNTY_CODES = frozenset(f"{n:02d}" for n in [*range(2, 21), *range(22, 45), 51])


def _hungarian(number: str) -> str:
    """The törzsszám of an 8-digit anum or an 11-digit adószám; raises ValidationError when not valid."""
    if re.fullmatch(r"[0-9]{11}", number):
        if number[8] not in _HU_VAT_CODES or number[9:] not in _HU_COUNTY_CODES:
            raise InvalidComponent()
        number = number[:8]
    return anum.validate(number)


def _national(prefix: str, number: str) -> str:
    """The compact national number for an EU VAT prefix; raises ValidationError when not valid."""
    if prefix == "HU":
        return _hungarian(number)
    if prefix == "RO":
        # cui, not eu.vat (ro.cf), which would also accept a 13-digit CNP, a personal number, as a tax id.
        return cui.validate(number)
    if prefix == "PL":
        return nip.validate(number)
    return eu_vat.validate(prefix + number)[len(prefix) :]


def normalise_tax_id(value: str | None, country: str | None) -> tuple[str | None, str | None]:
    """A tax id as `<EU VAT prefix><compact number>` (e.g. HU12892312), or a problem code when it does not validate."""
    compact = _SEPARATORS.sub("", value or "").upper()
    if not compact:
        return None, None
    head = _PREFIX_ALIASES.get(compact[:2], compact[:2])
    if head in EU_VAT_PREFIXES:
        # A written prefix states the country outright, so it wins over the country column.
        prefix, number = head, compact[2:]
        if _PREFIX_ALIASES.get(number[:2], number[:2]) == prefix:
            # stdnum's compact would quietly drop a second copy ("HUHU…"); a doubled prefix is a typo, not an id.
            return None, INVALID_TAX_ID
    else:
        country_code = (country or "").strip().upper()
        prefix, number = _PREFIX_ALIASES.get(country_code, country_code), compact
        if prefix not in EU_VAT_PREFIXES:
            return None, INVALID_TAX_ID
    try:
        return prefix + _national(prefix, number), None
    except ValidationError:
        return None, INVALID_TAX_ID


# Romanian text often carries ş/ţ with cedilla (legacy code pages) where the correct letters are ș/ț with
# comma below; mapping them makes both spellings of one name give one key. Case is kept (Ş→Ș, Ţ→Ț).
RO_CEDILLA = str.maketrans({"\u015f": "\u0219", "\u0163": "\u021b", "\u015e": "\u0218", "\u0162": "\u021a"})

# The listed ASCII punctuation plus typographic quotes and dashes, common in HU/PL/RO names ("Alfa „Bau” Kft.").
_PUNCTUATION = re.compile(r"[.,;:'\"()/&\-\u2010-\u2015\u2018\u2019\u201a\u201c\u201d\u201e\u00ab\u00bb]")

# Company forms as they read after punctuation became spaces ("S.R.L." → "s r l", "Sp. z o.o." → "sp z o o").
_COMPANY_FORMS = (
    *("kft", "zrt", "nyrt", "bt", "kkt", "ev", "e v"),  # Hungarian
    *("srl", "s r l", "sa", "s a", "snc", "s n c", "pfa", "p f a", "ii", "i i"),  # Romanian
    *("sp z o o", "spzoo", "sp zoo", "sp j", "spj", "sp k", "spk"),  # Polish (S.A. is with the Romanian)
    *("gmbh", "ag", "ltd", "limited", "s r o", "sro", "a s", "d o o", "doo", "sas", "sarl"),  # other EU
    *("bv", "b v", "nv", "n v", "oy", "ab"),
)
# Longest first, so a multi-word form is removed whole even if a shorter form matches its last word.
_FORM_TOKENS = sorted((tuple(form.split()) for form in _COMPANY_FORMS), key=len, reverse=True)


def _strip_company_forms(tokens: list[str]) -> list[str]:
    """The name tokens without trailing company forms, repeated so "Alfa Kft. Ltd" loses both."""
    stripped = True
    while stripped:
        stripped = False
        for form in _FORM_TOKENS:
            if len(tokens) >= len(form) and tuple(tokens[-len(form) :]) == form:
                tokens = tokens[: -len(form)]
                stripped = True
                break
    return tokens


def name_match_key(name: str | None) -> str | None:
    """A key for matching client names across sources; diacritics stay, so Kovács and Kovacs are NOT merged."""
    if name is None:
        return None
    # NFC first so decomposed s + U+0327 becomes ş and the cedilla table sees it.
    text = unicodedata.normalize("NFC", name).translate(RO_CEDILLA)
    # casefold can decompose (e.g. ǰ), so compose again before comparing.
    text = unicodedata.normalize("NFC", text.casefold())
    # str.split() splits on every Unicode space, NBSP (U+00A0) and narrow NBSP (U+202F) included.
    tokens = _strip_company_forms(_PUNCTUATION.sub(" ", text).split())
    return " ".join(tokens) or None
