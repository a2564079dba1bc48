from pathlib import Path

import pytest

from walidata.catalog import get_dataset, load_catalog, load_file

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "include" / "catalog"


def test_every_bundled_catalog_file_is_valid():
    datasets, errors = load_catalog(CATALOG)
    assert errors == []
    assert "disdukcapil.penduduk_kecamatan" in [d.id for d in datasets]


def test_dataset_model_exposes_what_the_dag_needs():
    ds = get_dataset(CATALOG, "disdukcapil.penduduk_kecamatan")
    assert ds.dag_id == "opd__disdukcapil__penduduk_kecamatan"
    assert ds.fact_table == "disdukcapil__penduduk_kecamatan"
    assert ds.kolom_rincian == ["jenis_kelamin"]
    assert ds.metadata.satuan == "jiwa"
    assert "Definisi" in ds.doc_md() and ds.metadata.definisi.split()[0] in ds.doc_md()


def _write(tmp_path, opd, name, text):
    p = tmp_path / opd / f"{name}.yaml"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def test_invalid_file_is_reported_with_file_and_field_and_others_still_load(tmp_path):
    good = (CATALOG / "disdukcapil" / "penduduk_kecamatan.yaml").read_text()
    _write(tmp_path, "disdukcapil", "penduduk_kecamatan", good)
    bad = good.replace("id: disdukcapil.penduduk_kecamatan", "id: disdukcapil.penduduk_rusak").replace(
        "satuan: jiwa", "satuan_typo: jiwa")
    bad_path = _write(tmp_path, "disdukcapil", "penduduk_rusak", bad)
    datasets, errors = load_catalog(tmp_path)
    assert [d.id for d in datasets] == ["disdukcapil.penduduk_kecamatan"]
    assert len(errors) == 1
    err = errors[0]
    assert err.dag_id == "opd__disdukcapil__penduduk_rusak"
    assert str(bad_path) in err.message
    assert "metadata.satuan" in err.message  # the missing field
    assert "metadata.satuan_typo" in err.message  # the unknown one


@pytest.mark.parametrize(
    "change, field",
    [
        (("jadwal_pemutakhiran: tahunan", "jadwal_pemutakhiran: kadang-kadang"), "metadata.jadwal_pemutakhiran"),
        (("rincian: {jenis_kelamin: P}", "rincian: {jenis_kelamin: X}"), "'perempuan'"),
        (("pola: '^(\\d{4})$'", "pola: '^\\d{4}$'"), "sumber.spreadsheet.periode.pola"),
        (("expectation: expect_column_values_to_be_between", "expectation: be_between"), "pemeriksaan.0.expectation"),
        (("peran: kecamatan", "peran: nilai"), "peran: kecamatan is needed"),
    ],
)
def test_wrong_values_name_the_field(tmp_path, change, field):
    text = (CATALOG / "disdukcapil" / "penduduk_kecamatan.yaml").read_text()
    assert change[0] in text
    p = _write(tmp_path, "disdukcapil", "penduduk_kecamatan", text.replace(change[0], change[1]))
    with pytest.raises(ValueError) as exc:
        load_file(p)
    assert str(p) in str(exc.value) and field in str(exc.value)


def test_id_must_match_the_file_place(tmp_path):
    text = (CATALOG / "disdukcapil" / "penduduk_kecamatan.yaml").read_text()
    p = _write(tmp_path, "bpbd", "penduduk_kecamatan", text)
    with pytest.raises(ValueError, match="must match the file's place"):
        load_file(p)


def test_not_yaml(tmp_path):
    p = _write(tmp_path, "x", "y", "id: [unclosed")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_file(p)


def test_the_catalog_loads_without_pandas_pyarrow_or_gx():
    # DAG parsing reads the catalog: it must stay light (checked in a fresh interpreter, nothing imported yet).
    import json
    import subprocess
    import sys

    code = ("import json, sys\n"
            "from walidata.catalog import Dataset, load_catalog\n"
            f"datasets, errors = load_catalog({str(CATALOG)!r})\n"
            "heavy = [m for m in ('pandas', 'pyarrow', 'great_expectations', 'sqlalchemy') if m in sys.modules]\n"
            "print(json.dumps({'n': len(datasets), 'errors': len(errors), 'heavy': heavy,"
            " 'model': all(isinstance(d, Dataset) for d in datasets)}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["heavy"] == [] and result["errors"] == 0 and result["n"] >= 1 and result["model"]


def test_an_id_too_long_for_the_warehouse_is_refused_in_the_catalog():
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from test_attribution import dataset

    with pytest.raises(ValueError, match="must fit in 63 characters"):
        dataset("kecamatan", [{"name": "k", "alias": ["k"], "peran": "kecamatan"},
                              {"name": "n", "alias": ["n"], "peran": "nilai"},
                              {"name": "t", "alias": ["t"], "peran": "periode"}],
                id="pemprov_dki.wilayah_administrasi_kecamatan_tahun_tetap_sekali", opd="pemprov_dki")


# ------------------------------------------------------- names that reach SQL: checked at catalog load

@pytest.mark.parametrize("change, field, why", [
    # A breakdown name becomes a column of fact/mart and is pasted into CREATE VIEW and UPDATE statements.
    (("jenis_kelamin", "'x; DROP TABLE fact.y; --'"), "field 'rincian.x; DROP TABLE fact.y; --",
     "is not a name the warehouse can use"),
    (("jenis_kelamin", "Jenis Kelamin"), "field 'rincian.Jenis Kelamin", "is not a name the warehouse can use"),
    (("jenis_kelamin", "j" * 64), "field 'rincian.", "is 64 characters long; a warehouse name may be at most 63"),
    (("jenis_kelamin", "nilai"), "field 'rincian'", "['nilai'] are already columns of every dataset's table"),
    (("variabel: jumlah_penduduk", "variabel: 'jumlah\"; DROP SCHEMA fact; --'"), "field 'variabel'",
     "is not a name the warehouse can use"),
    (("opd: disdukcapil", "opd: 'disdukcapil; --'"), "field 'opd'", "is not a name the warehouse can use"),
    (("name: laki_laki", "name: 'laki laki'"), "field 'kolom.1.name'", "is not a name the warehouse can use"),
])
def test_catalog_names_that_become_sql_identifiers_are_checked(tmp_path, change, field, why):
    text = (CATALOG / "disdukcapil" / "penduduk_kecamatan.yaml").read_text()
    assert change[0] in text
    p = _write(tmp_path, "disdukcapil", "penduduk_kecamatan", text.replace(change[0], change[1]))
    with pytest.raises(ValueError) as exc:
        load_file(p)
    assert str(p) in str(exc.value) and field in str(exc.value) and why in str(exc.value), str(exc.value)


def test_a_dataset_name_too_long_for_postgresql_fails_at_catalog_load_saying_how_long_it_may_be(tmp_path):
    # fact."disdukcapil__<name>__riwayat": 11 + 2 + 48 + 9 = 70 bytes, over PostgreSQL's 63.
    name = "penduduk_kecamatan_menurut_jenis_kelamin_dan_umr"
    assert len(name) == 48
    text = (CATALOG / "disdukcapil" / "penduduk_kecamatan.yaml").read_text().replace(
        "id: disdukcapil.penduduk_kecamatan", f"id: disdukcapil.{name}")
    p = _write(tmp_path, "disdukcapil", name, text)
    with pytest.raises(ValueError) as exc:
        load_file(p)
    msg = str(exc.value)
    assert str(p) in msg and "field 'id'" in msg
    assert f"fact.disdukcapil__{name}__riwayat would be 70 characters" in msg
    assert "the dataset name may be at most 41 characters" in msg
    # 41 characters fit exactly (63 bytes).
    ok = name[:41]
    _write(tmp_path, "disdukcapil", ok, text.replace(name, ok))
    assert len(f"{load_file(tmp_path / 'disdukcapil' / f'{ok}.yaml').fact_table}__riwayat") == 63


def test_only_an_ignored_column_may_be_personal(tmp_path):
    text = (CATALOG / "disdukcapil" / "penduduk_kecamatan.yaml").read_text()
    p = _write(tmp_path, "disdukcapil", "penduduk_kecamatan", text.replace(
        "    rincian: {jenis_kelamin: P}\n", "    rincian: {jenis_kelamin: P}\n    pribadi: true\n"))
    with pytest.raises(ValueError, match=r"field 'kolom\.2'.*pribadi: true is only for peran abaikan \(not nilai\)"):
        load_file(p)
    p.write_text(text.replace("  - name: jumlah\n", "  - name: nama_petugas\n    alias: [petugas]\n"
                                                    "    peran: abaikan\n    pribadi: true\n  - name: jumlah\n"))
    ds = load_file(p)
    assert [k.name for k in ds.kolom if k.pribadi] == ["nama_petugas"]


# ------------------------------------------------------------------ YAML 1.2 booleans (issue 20)

def test_yes_no_on_off_stay_words_and_only_true_false_are_booleans(tmp_path):
    """YAML 1.1 reads `name: no` (a table's 'No.' column), `alias: [off]` or `sinonim: {y: ya}` as booleans; the
    catalog is read with YAML 1.2's core rules, so they stay the words they are."""
    import yaml

    from walidata.catalog import SAFE_LOADER

    text = (CATALOG / "disdukcapil" / "penduduk_kecamatan.yaml").read_text()
    kolom = "kolom:\n  - {name: no, alias: [no, off, on, y, n, yes], peran: abaikan, wajib: false}\n"
    p = _write(tmp_path, "disdukcapil", "penduduk_kecamatan", text.replace("kolom:\n", kolom, 1))
    ds = load_file(p)
    no = ds.kolom[0]
    assert (no.name, no.alias, no.wajib) == ("no", ["no", "off", "on", "y", "n", "yes"], False)
    assert yaml.load("a: [true, False, TRUE, yes, No, ON]", Loader=SAFE_LOADER) == {
        "a": [True, False, True, "yes", "No", "ON"]}
    if hasattr(yaml, "CSafeLoader"):
        assert issubclass(SAFE_LOADER, yaml.CSafeLoader)  # libyaml's speed kept


def test_a_real_boolean_in_a_text_field_names_the_field(tmp_path):
    text = (CATALOG / "disdukcapil" / "penduduk_kecamatan.yaml").read_text()
    p = _write(tmp_path, "disdukcapil", "penduduk_kecamatan",
               text.replace("kolom:\n", "kolom:\n  - {name: true, alias: [no], peran: abaikan}\n", 1))
    with pytest.raises(ValueError) as exc:
        load_file(p)
    assert "field 'kolom.0.name': Input should be a valid string" in str(exc.value)
    assert "kolom.0.alias" not in str(exc.value)  # the word 'no' beside it is an alias, not a boolean


# ------------------------------------------------------------------ a fixed period (sumber.periode.dari: tetap)

def test_a_fixed_period_is_checked_at_load_with_the_readers_parser(tmp_path):
    text = (CATALOG / "disdukcapil" / "penduduk_kecamatan.yaml").read_text()
    old = "periode: {dari: sheet, pola: '^(\\d{4})$'}"
    assert old in text
    p = _write(tmp_path, "disdukcapil", "penduduk_kecamatan",
               text.replace(old, "periode: {dari: tetap, nilai: Semester 1 2025}"))
    assert load_file(p).sumber.periode.nilai == "Semester 1 2025"
    p.write_text(text.replace(old, "periode: {dari: tetap, nilai: Semester 3 2025}"))
    with pytest.raises(ValueError) as exc:
        load_file(p)
    msg = str(exc.value)
    assert "field 'sumber.spreadsheet.periode.nilai': 'Semester 3 2025' is not a period with its year" in msg
    assert "accepted forms: 2025; Semester 1 2025" in msg and "Triwulan III 2024" in msg and "2024-W39" in msg
