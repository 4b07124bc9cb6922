"""Tax ids normalise to one EU VAT form or are refused; name keys match one client spelt several ways."""

from stdnum.at import uid
from stdnum.cz import dic
from stdnum.iso7064 import mod_11_10
from stdnum.ro import cui

from warehouse.identity import RO_CEDILLA, name_match_key, normalise_tax_id

INVALID = (None, "invalid_tax_id")


def test_hungarian_adoszam_11_digits():
    # 12892312 is stdnum.hu.anum's doc example: weights 9,7,3,1,9,7,3,1 give 9+14+24+9+18+21+3+2 = 100 ≡ 0 (mod 10);
    # VAT code 2 (general VAT) and county 41 are in the allowed lists, and the EU form keeps only the törzsszám.
    assert normalise_tax_id("12892312-2-41", "HU") == ("HU12892312", None)
    # same number without dashes, and the country is case-insensitive
    assert normalise_tax_id("12892312241", "hu") == ("HU12892312", None)
    # a HU prefix makes the country column unnecessary
    assert normalise_tax_id("HU 12892312-2-41", None) == ("HU12892312", None)
    # VAT code 6 does not exist (only 1-5)
    assert normalise_tax_id("12892312-6-41", "HU") == INVALID
    # county codes skip 21 and start at 02
    assert normalise_tax_id("12892312-2-21", "HU") == INVALID
    assert normalise_tax_id("12892312-2-01", "HU") == INVALID
    # törzsszám check digit broken: 100 - 2 + 3 = 101 ≢ 0 (mod 10)
    assert normalise_tax_id("12892313-2-41", "HU") == INVALID


def test_hungarian_anum_8_digits():
    assert normalise_tax_id("12892312", "HU") == ("HU12892312", None)  # checksum 100 ≡ 0, see above
    assert normalise_tax_id("hu12892312", None) == ("HU12892312", None)  # the prefix is case-insensitive
    # hand-made: 1·9+2·7+3·3+4·1+5·9+6·7+7·3 = 144, so the 8th digit is 6 to reach 150 ≡ 0 (mod 10)
    assert normalise_tax_id("1234 5676", "HU") == ("HU12345676", None)
    assert normalise_tax_id("12345677", "HU") == INVALID  # 151 ≢ 0 (mod 10)


def test_romanian_cui():
    # 18547290 is stdnum.ro.cui's doc example: 001854729 · (7,5,3,2,1,7,5,3,2) = 111; 1110 mod 11 = 10, mod 10 = 0
    assert normalise_tax_id("RO18547290", None) == ("RO18547290", None)
    assert normalise_tax_id("18547290", "RO") == ("RO18547290", None)  # no prefix: the country decides
    assert normalise_tax_id("ro 185 472 90", "HU") == ("RO18547290", None)  # the written prefix beats the country
    # hand-made: 001234567 · weights = 3+4+3+28+25+18+14 = 95; 950 mod 11 = 4, so the check digit is 4
    assert cui.calc_check_digit("1234567") == "4"
    assert normalise_tax_id("1234567-4", "RO") == ("RO12345674", None)
    assert normalise_tax_id("RO18547291", None) == INVALID  # check digit must be 0
    # a CNP (personal number, valid per stdnum.ro.cnp) is not a company CUI and is refused
    assert normalise_tax_id("1630615123457", "RO") == INVALID


def test_polish_nip():
    # 8567346215 is stdnum.pl.nip's doc example: 48+25+42+14+9+16+30+12+7-5 = 198 = 18·11
    assert normalise_tax_id("856-734-62-15", "PL") == ("PL8567346215", None)
    assert normalise_tax_id("PL8567346215", None) == ("PL8567346215", None)
    assert normalise_tax_id("PL 856 734 62 15", None) == ("PL8567346215", None)
    assert normalise_tax_id("8567346215", "pl") == ("PL8567346215", None)
    assert normalise_tax_id("856-734-62-16", "PL") == INVALID  # 198 - 1 = 197 ≢ 0 (mod 11)
    # 123456789x: weighted sum 230 ≡ 10 (mod 11), so no single check digit fits
    assert normalise_tax_id("1234567890", "PL") == INVALID
    assert normalise_tax_id("PL856734621", None) == INVALID  # nine digits


def test_other_eu_vat_numbers():
    # DE: ISO 7064 mod 11,10 over the first 8 digits of stdnum.de.vat's example
    assert mod_11_10.calc_check_digit("13669597") == "6"
    assert normalise_tax_id("DE 136 695 976", None) == ("DE136695976", None)
    assert normalise_tax_id("136.695.976", "de") == ("DE136695976", None)
    assert normalise_tax_id("DE136695978", None) == INVALID  # wrong check digit (stdnum's own counter-example)
    # AT: the U belongs to the number, the check digit comes from stdnum
    assert uid.calc_check_digit("U1358562") == "7"
    assert normalise_tax_id("ATU13585627", None) == ("ATU13585627", None)
    assert normalise_tax_id("U 1358 5627", "AT") == ("ATU13585627", None)
    # SK: stdnum.sk.dph's example, 2022749619 divisible by 11
    assert normalise_tax_id("SK 202 274 96 19", None) == ("SK2022749619", None)
    # CZ: legal-entity DIČ, check digit from stdnum
    assert dic.calc_check_digit_legal("2512389") == "1"
    assert normalise_tax_id("CZ25123891", None) == ("CZ25123891", None)
    assert normalise_tax_id("CZ25123890", None) == INVALID
    # Greece is EL in VAT, whether written GR or EL (stdnum.gr.vat's example)
    assert normalise_tax_id("GR 094259216", None) == ("EL094259216", None)
    assert normalise_tax_id("094259216", "GR") == ("EL094259216", None)


def test_empty_tax_id_is_no_problem():
    assert normalise_tax_id(None, "HU") == (None, None)  # nothing given, nothing wrong
    assert normalise_tax_id("", None) == (None, None)
    assert normalise_tax_id(" -.\u00a0", "PL") == (None, None)  # separators only


def test_prefix_and_country_decide_never_guess():
    # a PL number read as Hungarian: 10 digits is neither an anum (8) nor an adószám (11)
    assert normalise_tax_id("8567346215", "HU") == INVALID
    # valid somewhere, but with neither prefix nor country there is nothing to check it against
    assert normalise_tax_id("8567346215", None) == INVALID
    # a country outside the EU is not validated
    assert normalise_tax_id("12892312", "US") == INVALID
    # CH is no EU prefix, so the value is read as a German number and fails
    assert normalise_tax_id("CHE-123.456.789", "DE") == INVALID
    # XI (Northern Ireland) is known to stdnum.eu.vat but is not an EU country
    assert normalise_tax_id("XI980780684", None) == INVALID
    # a doubled prefix is refused although stdnum's compact would drop the second copy
    assert normalise_tax_id("HU HU12892312", None) == INVALID
    # the prefix wins over a disagreeing country column
    assert normalise_tax_id("PL8567346215", "HU") == ("PL8567346215", None)


def test_name_key_hungarian_forms():
    assert name_match_key("Alfa Kft.") == name_match_key("ALFA  kft") == "alfa"  # case, dot, double space
    assert name_match_key("Beta Zrt.") == "beta"
    assert name_match_key("Gamma Nyrt") == "gamma"
    assert name_match_key("Kovács Anna e.v.") == "kovács anna"  # e.v. is "e v" after punctuation
    assert name_match_key("Bt Trans Kft") == "bt trans"  # only forms at the end go


def test_name_key_romanian_forms_and_cedilla():
    # cedilla ş/ţ (legacy) and comma-below ș/ț (correct) spellings meet; S.R.L. and SRL both go
    assert name_match_key("Construcţii Bucureşti S.R.L.") == name_match_key("Construcții București SRL")
    assert name_match_key("Construcții București SRL") == "construcții bucurești"
    assert name_match_key("ŞANTIER ŢARA S.A.") == "șantier țara"  # capitals map too, then casefold
    assert name_match_key("s\u0327antier") == "șantier"  # decomposed s + combining cedilla, composed by NFC
    assert "Ş ş Ţ ţ".translate(RO_CEDILLA) == "\u0218 \u0219 \u021a \u021b"  # case kept by the table
    assert name_match_key("Ion Pop PFA") == "ion pop"


def test_name_key_polish_and_other_eu_forms():
    assert name_match_key("Kowalski Sp. z o.o.") == "kowalski"
    assert name_match_key("Kowalski spzoo") == "kowalski"
    assert name_match_key("Nowak Sp.j.") == name_match_key("Nowak sp. k.") == "nowak"
    assert name_match_key("Müller GmbH") == "müller"
    assert name_match_key("Acme Ltd.") == name_match_key("Acme Limited") == "acme"
    assert name_match_key("Alfa Kft. Ltd") == "alfa"  # stripped repeatedly
    assert name_match_key("Alfa & Omega (Budapest) Kft.") == "alfa omega budapest"  # punctuation to spaces


def test_name_key_whitespace_diacritics_and_empty():
    assert name_match_key("Alfa\u00a0Kft.") == "alfa"  # no-break space from a spreadsheet
    assert name_match_key(" Alfa\u202fBeta\t\nKft ") == "alfa beta"  # narrow NBSP, tab, newline
    assert name_match_key("Kovács Kft") != name_match_key("Kovacs Kft")  # diacritics are kept on purpose
    assert name_match_key(None) is None
    assert name_match_key("  Kft. ") is None  # nothing left after the form
