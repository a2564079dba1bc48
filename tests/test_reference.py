import pytest

from walidata.reference import RegionIndex, all_wilayah, kabkota, normalise_name
from walidata.settings import PROJECT_ROOT

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
    katingan = RegionIndex(REF, "62.06")
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
    assert RegionIndex(REF, "62.06").kecamatan_code(written) == code


@pytest.mark.parametrize("written", ["Antah Berantah", "Katingan", "Mentawa Baru Ketapang", ""])
def test_unknown_names_are_not_guessed(written):
    assert RegionIndex(REF, "62.06").kecamatan_code(written) is None


def test_kabupaten_total_label():
    idx = RegionIndex(REF, "62.06")
    assert idx.is_kabupaten_total("Kabupaten Katingan") and idx.is_kabupaten_total("KAB. KATINGAN")
    assert len(idx.kecamatan) == 13


def test_normalise():
    assert normalise_name("Kec. Bukit  Raya") == "bukit raya"
