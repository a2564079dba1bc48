import pytest

from walidata.settings import PROJECT_ROOT, SettingsError, get_settings


def test_defaults(monkeypatch):
    for k in ("WALIDATA_WILAYAH", "WALIDATA_WAREHOUSE_URL", "WALIDATA_LAKE", "WALIDATA_INBOX"):
        monkeypatch.delenv(k, raising=False)
    s = get_settings()
    assert s.wilayah == "62.06"
    assert s.warehouse_url == f"duckdb:///{PROJECT_ROOT / 'data' / 'warehouse.duckdb'}"
    assert s.lake == PROJECT_ROOT / "data" / "lake"
    assert s.inbox == str(PROJECT_ROOT / "include" / "sample_data" / "inbox")


@pytest.mark.parametrize(
    "var, value, needle",
    [
        ("WALIDATA_WILAYAH", "6206", "WALIDATA_WILAYAH: '6206' is not a Kemendagri"),
        ("WALIDATA_WILAYAH", "62.99", "WALIDATA_WILAYAH='62.99' is not a kabupaten/kota code"),
        ("WALIDATA_WAREHOUSE_URL", "mysql://x/y", "backend 'mysql' is not supported"),
        ("WALIDATA_WAREHOUSE_URL", "postgresql+psycopg2://postgres@localhost/x", "psycopg 3 driver"),
        ("WALIDATA_WAREHOUSE_URL", "not a url", "WALIDATA_WAREHOUSE_URL: not a SQLAlchemy URL"),
    ],
)
def test_bad_values_get_a_clear_message(monkeypatch, var, value, needle):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as exc:
        get_settings()
    assert needle in str(exc.value)


@pytest.mark.parametrize("var", ["WALIDATA_REFERENCE", "WALIDATA_CATALOG", "WALIDATA_GX_ROOT", "WALIDATA_INBOX"])
def test_a_missing_folder_names_its_variable(monkeypatch, tmp_path, var):
    monkeypatch.setenv(var, str(tmp_path / "tidak-ada"))
    with pytest.raises(SettingsError) as exc:
        get_settings()
    assert f"{var}: folder {tmp_path / 'tidak-ada'} does not exist" in str(exc.value)


def test_a_reference_folder_without_its_files_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("WALIDATA_REFERENCE", str(tmp_path))
    with pytest.raises(SettingsError) as exc:
        get_settings()
    assert f"WALIDATA_REFERENCE: reference file {tmp_path / 'kode_bps_kabkota.csv'} does not exist" in str(exc.value)


def test_a_province_code_is_not_a_region(monkeypatch):
    monkeypatch.setenv("WALIDATA_WILAYAH", "62.00")
    with pytest.raises(SettingsError, match="is not a kabupaten/kota code"):
        get_settings()


def test_other_region_by_code(monkeypatch):
    monkeypatch.setenv("WALIDATA_WILAYAH", "62.71")
    assert get_settings().wilayah == "62.71"


def test_password_is_not_shown(monkeypatch):
    monkeypatch.setenv("WALIDATA_WAREHOUSE_URL", "postgresql+psycopg://walidata:rahasia@db/gudang")
    s = get_settings()
    assert "rahasia" not in s.redacted_url()


@pytest.mark.parametrize("value, days", [("", None), ("30", 30), ("0", 0)])
def test_raw_retention_is_unset_or_whole_days(monkeypatch, value, days):
    monkeypatch.setenv("WALIDATA_RAW_RETENTION_DAYS", value)
    assert get_settings().raw_retention_days == days


@pytest.mark.parametrize("value", ["-1", "tiga puluh", "1.5"])
def test_a_bad_raw_retention_names_its_variable(monkeypatch, value):
    monkeypatch.setenv("WALIDATA_RAW_RETENTION_DAYS", value)
    with pytest.raises(SettingsError, match="WALIDATA_RAW_RETENTION_DAYS: .* is not a whole number of days"):
        get_settings()


def test_the_reference_default_is_the_packages_own_folder_wherever_home_is(monkeypatch, tmp_path):
    """WALIDATA_HOME moved to a deployment folder without include/ (data, catalog, GX context of its own): the
    region codes still come from the package, and a relative WALIDATA_REFERENCE is still taken from the home."""
    home = tmp_path / "deploy"
    for folder in ("catalog", "great_expectations", "inbox"):
        (home / folder).mkdir(parents=True)
    for var, value in (("WALIDATA_HOME", home), ("WALIDATA_CATALOG", "catalog"), ("WALIDATA_GX_ROOT",
                       "great_expectations"), ("WALIDATA_INBOX", "inbox")):
        monkeypatch.setenv(var, str(value))
    monkeypatch.delenv("WALIDATA_REFERENCE", raising=False)
    s = get_settings()
    assert s.reference == PROJECT_ROOT / "include" / "reference"
    assert (s.reference / "wilayah_kabkota_indonesia.csv").is_file() and s.catalog == home / "catalog"
    (home / "ref").mkdir()
    monkeypatch.setenv("WALIDATA_REFERENCE", "ref")
    with pytest.raises(SettingsError, match=f"WALIDATA_REFERENCE: reference file {home / 'ref'}"):
        get_settings()
