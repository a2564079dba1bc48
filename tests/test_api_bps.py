"""The BPS WebAPI connector (sources/bps.py): real BPS responses served over loopback HTTP (pytest-httpserver),
decoded by rebuilding the datacontent keys; list paging; the domain from the Kemendagri ↔ BPS crosswalk; and one
dataset end to end through the four stages against the bundled sample server."""

from __future__ import annotations

import copy
import csv
import json
import re
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, query
from walidata.catalog import Dataset, load_file
from walidata.publish.lake import Lake
from walidata.sources.api import Tujuan, read_item
from walidata.sources.bps import HEAD, BpsWebApi, daftar, decode_data
from walidata.sources.klien import ApiError, Batas, Klien, Respons
from walidata.sources.koneksi import Koneksi
from walidata.sources.spreadsheet import SourceError

REAL = ROOT / "tests" / "real" / "api"
SAMPLE_BPS = ROOT / "include" / "sample_data" / "api" / "bps" / "6209"
KEY = "KEY123"
BASE = "/bps/v1/api"


def _kode_kemendagri(kode_bps: str) -> str:
    """The Kemendagri code of a BPS code, read from the crosswalk (not derived from the BPS code)."""
    with open(ROOT / "include" / "reference" / "kode_bps_kabkota.csv", encoding="utf-8") as f:
        return next(r["kode_kemendagri"] for r in csv.DictReader(f) if r["kode_bps"] == kode_bps)


PINRANG = _kode_kemendagri("7315")  # Kabupaten Pinrang


def _kon(httpserver) -> Koneksi:
    return Koneksi("bps_webapi", httpserver.url_for(BASE).rstrip("/"), password=KEY, extra={"auth": "bps"})


def _ds(var=(), tabel_statis=None, **sumber) -> Dataset:
    """bps.ipm with another source: one value column per variable."""
    raw = yaml.safe_load((ROOT / "include" / "catalog" / "bps" / "ipm.yaml").read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    raw["sumber"] = {"kind": "bps_webapi", "periode": {"dari": "kolom"}, **sumber}
    if tabel_statis is not None:
        raw["sumber"]["tabel_statis"] = tabel_statis
    else:
        raw["sumber"]["var"] = list(var)
    values = [{"name": f"v{v}", "alias": [f"var {v}"], "peran": "nilai", "tipe": "decimal", "desimal": "titik",
               "aditif": False, "batas_penduduk": "tidak"} for v in var or [0]]
    raw["kolom"] = raw["kolom"][:3] + values
    return Dataset.model_validate(raw)


def _data_path(domain, var, th=None) -> str:
    return f"{BASE}/list/model/data/lang/ind/domain/{domain}/var/{var}/" + (f"th/{th}/" if th else "") + \
        f"key/{KEY}/"


def _list_path(model, domain, page, **filters) -> str:
    extra = "".join(f"{k}/{v}/" for k, v in filters.items())
    return f"{BASE}/list/model/{model}/lang/ind/domain/{domain}/{extra}page/{page}/key/{KEY}/"


def _paths(httpserver) -> list[str]:
    return [req.path for req, _ in httpserver.log]


def _data_body(var, vervar, tahun, content, turvar=None, turtahun=None, last_update="2025-01-02 03:04:05"):
    """A model=data response in the shape BPS sends (see tests/real/api/bps_data_*.json)."""
    return {"status": "OK", "data-availability": "available", "last_update": last_update,
            "var": [{"val": var, "label": f"Variabel {var}", "unit": "", "subj": "", "def": "", "note": ""}],
            "turvar": turvar if turvar is not None else [{"val": 0, "label": "Tidak Ada"}],
            "labelvervar": "Kabupaten/Kota", "vervar": vervar, "tahun": tahun,
            "turtahun": turtahun if turtahun is not None else [{"val": 0, "label": "Tahun"}],
            "datacontent": content}


def _respons(body, halaman="data var 1") -> Respons:
    return Respons(200, json.dumps(body).encode(), {}, {}, "bps_webapi uji", halaman)


def _klien(httpserver) -> Klien:
    return Klien(_kon(httpserver), "bps_webapi uji", Batas(ulang=0, timeout_baca=5))


def _grid(connector, ds, manifest) -> list[list]:
    halaman = read_item(Path(manifest["raw_path"]), manifest["file"])
    (sheet,) = connector.lembar(ds, halaman, manifest["file"])
    return sheet.grid


# ----------------------------------------------------------------------------- model=data, real responses


def test_the_real_pinrang_response_gives_every_figure_once_in_its_year(httpserver, tmp_path):
    raw = (REAL / "bps_data_7315_var31_penduduk_pinrang.json").read_bytes()
    body = json.loads(raw)
    httpserver.expect_request(_data_path(7315, 31)).respond_with_data(raw, content_type="application/json")
    ds, connector = _ds(var=[31]), BpsWebApi()
    (m,) = connector.fetch(ds, Tujuan(wilayah=PINRANG, kode_bps="7315", koneksi=_kon(httpserver)),
                           Lake(tmp_path / "lake"))
    assert _paths(httpserver) == [_data_path(7315, 31)] and PINRANG == "73.15"
    grid = _grid(connector, ds, m)
    assert grid[0] == [*HEAD, "var 31"]
    rows = [dict(zip(grid[0], r, strict=True)) for r in grid[1:]]
    # the keys, rebuilt here from the lists: vervar 7315 + var 31 + turvar 0 + tahun val + turtahun 0
    year_of_key = {f"7315310{t['val']}0": t["label"] for t in body["tahun"]}
    assert year_of_key["7315310990"] == "1999" and year_of_key["73153101000"] == "2000"
    assert set(year_of_key) == set(body["datacontent"])  # the real table is complete
    for key, value in body["datacontent"].items():
        hits = [r for r in rows if r["var 31"] == value]
        assert len(hits) == 1, (key, value)
        assert hits[0]["tahun"] == hits[0]["periode"] == year_of_key[key]
        assert (hits[0]["vervar_kode"], hits[0]["vervar"], hits[0]["turtahun_kode"]) == ("7315", "Pinrang", "0")
    assert len(rows) == len(body["datacontent"]) == 23
    by_year = {r["tahun"]: r["var 31"] for r in rows}
    assert by_year["1999"] == 308669 and by_year["2000"] == 311595 and by_year["2021"] == 407371
    with zipfile.ZipFile(m["raw_path"]) as z:  # the raw item: the body byte for byte, the key nowhere
        assert z.read("halaman_0001.json") == raw
        assert all(KEY.encode() not in z.read(n) for n in z.namelist())
        (req,) = json.loads(z.read("permintaan.json"))
        assert req["url"].endswith("/domain/7315/var/31/key/***/")


def test_the_real_empty_response_decodes_to_nothing_and_standardise_refuses_it(httpserver, tmp_path):
    """BPS says 'available' but gives `tahun: []` and `datacontent: []`. decode_data gives no row; fetch keeps
    the response as a raw item like any other (it is what BPS said); standardise then refuses the item ("no data
    rows under the header"), so the run fails with a message naming the source and the figures in force stay."""
    from walidata.standardise.records import standardise_files
    from walidata.standardise.reference import IndeksWilayah

    raw = (REAL / "bps_data_ihk_luwuk_palu_empty.json").read_bytes()
    assert list(decode_data(Respons(200, raw, {}, {}, "s", "data var 2"))) == []
    httpserver.expect_request(_data_path(7200, 2)).respond_with_data(raw, content_type="application/json")
    ds, connector = _ds(var=[2], domain="provinsi"), BpsWebApi()
    palu = _kode_kemendagri("7271")
    (m,) = connector.fetch(ds, Tujuan(wilayah=palu, kode_bps="7271", koneksi=_kon(httpserver)),
                           Lake(tmp_path / "lake"))
    assert m["halaman"] == 1 and m["penanda"] is None  # last_update is null
    assert _grid(connector, ds, m) == [[*HEAD, "var 2"]]  # the header alone
    with pytest.raises(SourceError, match="tidak ada baris data") as err:
        standardise_files(ds, [(Path(m["raw_path"]), m["file"])], IndeksWilayah(ROOT / "include" / "reference",
                                                                                  palu))
    assert "bps_webapi domain 7200 var 2" in str(err.value)


def test_a_missing_key_is_no_row_and_an_ellipsis_in_a_wide_grid():
    vervar = [{"val": 6209, "label": "Katingan"}]
    tahun = [{"val": 123, "label": "2023"}, {"val": 124, "label": "2024"}]
    one = _data_body(1, vervar, tahun, {"6209101230": 1.5, "6209101240": 1.75}, last_update=None)
    two = _data_body(2, vervar, tahun, {"6209201230": 20.5})  # BPS has not released 2024 for var 2
    assert [(row[4], col, v) for row, col, v in decode_data(_respons(two))] == [("2023", "var 2", 20.5)]
    ds = _ds(var=[1, 2])
    (sheet,) = BpsWebApi().lembar(ds, [_respons(one), _respons(two, "data var 2")], "uji")
    assert sheet.grid == [
        [*HEAD, "var 1", "var 2"],
        ["6209", "Katingan", "0", "Tidak Ada", "2023", "0", "Tahun", "2023", 1.5, 20.5],
        ["6209", "Katingan", "0", "Tidak Ada", "2024", "0", "Tahun", "2024", 1.75, "..."],
    ]


def test_several_regions_and_breakdowns_with_gaps_give_only_the_figures_bps_gave():
    vervar = [{"val": 6209010, "label": "Katingan Kuala"}, {"val": 6209020, "label": "Mendawai"}]
    turvar = [{"val": 1, "label": "Laki-laki"}, {"val": 2, "label": "Perempuan"}]
    tahun = [{"val": 124, "label": "2024"}]
    turtahun = [{"val": 1, "label": "Januari"}, {"val": 13, "label": "Tahunan"}]
    content = {"620901071111241": 10, "6209010711112413": 11, "620902071121241": 12}  # 3 of 8
    got = sorted((row[0], row[2], row[6], row[7], v) for row, _, v in
                 decode_data(_respons(_data_body(711, vervar, tahun, content, turvar, turtahun))))
    assert got == [("6209010", "1", "Januari", "Januari 2024", 10), ("6209010", "1", "Tahunan", "2024", 11),
                   ("6209020", "2", "Januari", "Januari 2024", 12)]


def test_codes_that_concatenate_to_the_same_key_are_refused():
    # vervar 1 + var 1 + turvar 10 + tahun 120 + turtahun 0 = "11101200" = vervar 11 + var 1 + turvar 0 + 120 + 0
    vervar = [{"val": 1, "label": "A"}, {"val": 11, "label": "B"}]
    turvar = [{"val": 0, "label": "Total"}, {"val": 10, "label": "Sepuluh"}]
    body = _data_body(1, vervar, [{"val": 120, "label": "2020"}], {"11101200": 5, "1101200": 6}, turvar)
    with pytest.raises(ApiError) as err:
        list(decode_data(_respons(body, "data var 1")))
    assert "11101200 ambigu" in str(err.value) and "data var 1" in str(err.value)


def test_empty_strings_in_place_of_lists_read_as_empty():
    body = _data_body(1, "", [{"val": 120, "label": "2020"}], [], turvar="", turtahun="")
    assert list(decode_data(_respons(body))) == []


# ----------------------------------------------------------------------------- list models


def _th_page2() -> dict:
    """Page 2 of 2 of the real th list (page 1 is tests/real/api/bps_list_th_page1.json: 10 of 15 items)."""
    return {"status": "OK", "data-availability": "available",
            "data": [{"page": 2, "pages": 2, "per_page": 10, "count": 5, "total": 15},
                     [{"th_id": i, "th": 1900 + i} for i in range(107, 102, -1)]]}


def test_daftar_reads_every_page(httpserver):
    page1 = json.loads((REAL / "bps_list_th_page1.json").read_text(encoding="utf-8"))
    httpserver.expect_request(_list_path("th", 7315, 1, var=31)).respond_with_json(page1)
    httpserver.expect_request(_list_path("th", 7315, 2, var=31)).respond_with_json(_th_page2())
    items = daftar(_klien(httpserver), "th", "7315", 10, var=31)
    assert [i["th_id"] for i in items] == list(range(117, 102, -1)) and len(items) == 15
    assert _paths(httpserver) == [_list_path("th", 7315, 1, var=31), _list_path("th", 7315, 2, var=31)]


def test_daftar_reads_three_pages_of_the_real_vervar_shape(httpserver):
    last = json.loads((REAL / "bps_list_vervar_7200_page2.json").read_text(encoding="utf-8"))
    item = last["data"][1][0]
    for n, codes in ((1, range(7201, 7210)), (2, [7210]), (3, None)):
        if codes is None:
            body = copy.deepcopy(last)
        else:
            body = copy.deepcopy(last)
            body["data"][1] = [{**item, "kode_ver_id": c, "vervar": f"Kab {c}", "item_ver_id": c - 7000}
                               for c in codes]
        body["data"][0].update(page=n, pages=3, count=len(body["data"][1]))
        httpserver.expect_request(_list_path("vervar", 7200, n)).respond_with_json(body)
    items = daftar(_klien(httpserver), "vervar", "7200", 3)
    assert [i["kode_ver_id"] for i in items] == [*range(7201, 7211), 7211, 7212, 7271, 9999]
    assert items[-3]["vervar"] == "Morowali Utara "  # as BPS wrote it
    assert len(httpserver.log) == 3


def test_list_not_available_is_an_empty_list(httpserver):
    httpserver.expect_request(_list_path("var", 6209, 1)).respond_with_data(
        (REAL / "bps_list_not_available.json").read_bytes(), content_type="application/json")
    assert daftar(_klien(httpserver), "var", "6209", 5) == []
    assert len(httpserver.log) == 1


def test_a_server_sending_page_1_again_is_a_pagination_loop(httpserver):
    page1 = json.loads((REAL / "bps_list_th_page1.json").read_text(encoding="utf-8"))
    httpserver.expect_request(re.compile(r".*/list/model/th/.*")).respond_with_json(page1)
    with pytest.raises(ApiError) as err:
        daftar(_klien(httpserver), "th", "7315", 10)
    assert "paginasi berulang" in str(err.value) and "list/th halaman 2" in str(err.value)
    assert len(httpserver.log) == 2


def test_the_same_items_under_a_new_page_number_are_a_pagination_loop(httpserver):
    page1 = json.loads((REAL / "bps_list_th_page1.json").read_text(encoding="utf-8"))
    again = copy.deepcopy(page1)
    again["data"][0]["page"] = 2
    httpserver.expect_request(_list_path("th", 7315, 1)).respond_with_json(page1)
    httpserver.expect_request(_list_path("th", 7315, 2)).respond_with_json(again)
    with pytest.raises(ApiError, match="paginasi berulang"):
        daftar(_klien(httpserver), "th", "7315", 10)


def test_more_pages_than_batas_halaman_is_an_error(httpserver):
    for n in (1, 2, 3):
        body = {"status": "OK", "data-availability": "available",
                "data": [{"page": n, "pages": 50, "per_page": 1, "count": 1, "total": 50}, [{"th_id": n, "th": n}]]}
        httpserver.expect_request(_list_path("th", 7315, n)).respond_with_json(body)
    with pytest.raises(ApiError) as err:
        daftar(_klien(httpserver), "th", "7315", 2)
    assert "lebih dari 2 halaman" in str(err.value) and "halaman 3" in str(err.value)
    assert len(httpserver.log) == 2  # the third page is never asked


def test_a_list_with_a_status_other_than_ok_is_an_error(httpserver):
    httpserver.expect_request(_list_path("var", 6209, 1)).respond_with_json({"status": "Error",
                                                                             "message": "Invalid domain"})
    with pytest.raises(ApiError, match="status BPS 'Error'"):
        daftar(_klien(httpserver), "var", "6209", 5)


# ----------------------------------------------------------------------------- model=data errors


def test_not_available_data_names_the_variable(httpserver, tmp_path):
    httpserver.expect_request(_data_path(6209, 999)).respond_with_data(
        (REAL / "bps_not_available.json").read_bytes(), content_type="application/json")
    with pytest.raises(ApiError) as err:
        BpsWebApi().fetch(_ds(var=[999]), Tujuan("62.06", "6209", _kon(httpserver)), Lake(tmp_path / "lake"))
    assert "var 999" in str(err.value) and "not-available" in str(err.value)
    assert not (tmp_path / "lake" / "raw").exists() or not any((tmp_path / "lake" / "raw").rglob("*.zip"))


def test_a_data_status_other_than_ok_is_an_error(httpserver, tmp_path):
    httpserver.expect_request(_data_path(6209, 651)).respond_with_json({"status": "Error", "data": "Invalid key"})
    with pytest.raises(ApiError) as err:
        BpsWebApi().fetch(_ds(var=[651]), Tujuan("62.06", "6209", _kon(httpserver)), Lake(tmp_path / "lake"))
    assert "status BPS 'Error'" in str(err.value) and "data var 651" in str(err.value)


# ----------------------------------------------------------------------------- static table


class _Cells(HTMLParser):
    """The text of each <td> per <tr>, spans ignored: an independent reading of the BPS HTML."""

    def __init__(self):
        super().__init__()
        self.rows, self.cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.rows[-1].append(" ".join(self.cell.replace("\xa0", " ").split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def test_the_real_static_table_becomes_a_grid(httpserver, tmp_path):
    import html

    raw = (REAL / "bps_view_statictable_7315_tenaga_kesehatan.json").read_bytes()
    path = f"{BASE}/view/model/statictable/lang/ind/domain/7315/id/23/key/{KEY}/"
    httpserver.expect_request(path).respond_with_data(raw, content_type="application/json")
    ds, connector = _ds(tabel_statis=23), BpsWebApi()
    (m,) = connector.fetch(ds, Tujuan(PINRANG, "7315", _kon(httpserver)), Lake(tmp_path / "lake"))
    assert _paths(httpserver) == [path] and m["penanda"] == "2015-09-27"
    (sheet,) = connector.lembar(ds, read_item(Path(m["raw_path"]), m["file"]), m["file"])
    grid = sheet.grid
    assert sheet.titles[0] == "Keadaan Tenaga Kesehatan Menurut Jenisnya di Kabupaten Pinrang Tahun 2014"
    # the header, as the HTML has it: 'Status' spans four columns, the first and 'Jumlah' two rows
    assert grid[3] == ["Tenaga Kesehatan", "Status", "", "", "", "Jumlah", ""]
    assert grid[4][1:5] == ["DIKBUD", "ABRI", "DEP. KESEHATAN", "SWASTA"]
    parser = _Cells()
    parser.feed(html.unescape(json.loads(raw)["data"]["table"]))
    ours = {r[0]: r for r in parser.rows if len(r) == 7 and r[0] and r[5] not in ("",)}
    assert ours["Dokter"][3] == "48" and ours["Penata Rawat Umum"][5] == "286"
    assert ours["J U M L A H/ T o t a l"][3:6] == ["814", "-", "814"]
    data_rows = [r for r in grid[5:] if r[0] in ours]
    assert len(data_rows) == 22 and [r[0] for r in data_rows] == list(ours)
    for r in data_rows:
        assert [str(c) for c in r[:6]] == ours[r[0]][:6], r[0]


# ----------------------------------------------------------------------------- domain and years


def _answer_any_data(httpserver):
    """model=data for any variable and domain: one figure for 2024 of the asked domain."""
    from werkzeug import Response

    def handler(request):
        m = re.search(r"/domain/(\d+)/var/(\d+)/", request.path)
        d, v = m[1], int(m[2])
        body = _data_body(v, [{"val": int(d), "label": f"Domain {d}"}], [{"val": 124, "label": "2024"}],
                          {f"{d}{v}01240": 1.0})
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request(re.compile(rf"{BASE}/list/model/data/.*")).respond_with_handler(handler)


def test_the_domain_is_the_crosswalk_bps_code_or_its_province(httpserver, tmp_path):
    ds = load_file(ROOT / "include" / "catalog" / "bps" / "kemiskinan.yaml")
    _answer_any_data(httpserver)
    lake = Lake(tmp_path / "lake")
    (m,) = BpsWebApi().fetch(ds, Tujuan(wilayah="62.06", kode_bps="6209", koneksi=_kon(httpserver)), lake)
    assert _paths(httpserver) == [_data_path(6209, v) for v in ds.sumber.var]
    assert m["file"] == "bps_webapi domain 6209 var 621+622+623"
    httpserver.clear_log()
    provinsi = ds.model_copy(update={"sumber": ds.sumber.model_copy(update={"domain": "provinsi"})})
    BpsWebApi().fetch(provinsi, Tujuan(wilayah="62.06", kode_bps="6209", koneksi=_kon(httpserver)), lake)
    assert _paths(httpserver) == [_data_path(6200, v) for v in ds.sumber.var]
    assert not any("/domain/6206/" in p for p in _paths(httpserver))


def test_a_region_without_a_bps_code_is_refused_before_any_request(httpserver, tmp_path):
    ds = load_file(ROOT / "include" / "catalog" / "bps" / "kemiskinan.yaml")
    with pytest.raises(ApiError, match="tidak punya kode BPS"):
        BpsWebApi().fetch(ds, Tujuan("62.06", None, _kon(httpserver)), Lake(tmp_path / "lake"))
    assert httpserver.log == []


def test_tahun_asks_one_period_per_year_through_the_th_list(httpserver, tmp_path):
    th = {"status": "OK", "data-availability": "available",
          "data": [{"page": 1, "pages": 1, "per_page": 10, "count": 4, "total": 4},
                   [{"th_id": 125, "th": 2025}, {"th_id": 124, "th": 2024}, {"th_id": 123, "th": "2023"},
                    {"th_id": 122, "th": 2022}]]}
    httpserver.expect_request(_list_path("th", 6209, 1, var=651)).respond_with_json(th)
    vervar = [{"val": 6209, "label": "Katingan"}]
    for th_id, year, value in ((123, "2023", 68.51), (124, "2024", 69.14)):
        body = _data_body(651, vervar, [{"val": th_id, "label": year}], {f"62096510{th_id}0": value})
        httpserver.expect_request(_data_path(6209, 651, th_id)).respond_with_json(body)
    ds, connector = _ds(var=[651], tahun=[2023, 2024]), BpsWebApi()
    (m,) = connector.fetch(ds, Tujuan("62.06", "6209", _kon(httpserver)), Lake(tmp_path / "lake"))
    assert _paths(httpserver) == [_list_path("th", 6209, 1, var=651), _data_path(6209, 651, 123),
                                  _data_path(6209, 651, 124)]
    assert [(r[4], r[-1]) for r in _grid(connector, ds, m)[1:]] == [("2023", 68.51), ("2024", 69.14)]


def test_tahun_none_of_which_bps_has_is_an_error(httpserver, tmp_path):
    th = json.loads((REAL / "bps_list_th_page1.json").read_text(encoding="utf-8"))
    th["data"][0].update(pages=1)
    httpserver.expect_request(_list_path("th", 6209, 1, var=651)).respond_with_json(th)
    with pytest.raises(ApiError) as err:
        BpsWebApi().fetch(_ds(var=[651], tahun=[2030]), Tujuan("62.06", "6209", _kon(httpserver)),
                          Lake(tmp_path / "lake"))
    assert "2030" in str(err.value) and "list/th var 651" in str(err.value)
    assert len(httpserver.log) == 1  # no data request


# ----------------------------------------------------------------------------- end to end on the sample


def _sample(var: int) -> tuple[dict, str]:
    """A sample response and its latest year, read here from the file."""
    body = json.loads((SAMPLE_BPS / f"data_var_{var}.json").read_text(encoding="utf-8"))
    return body, max(t["label"] for t in body["tahun"])


def test_bps_ipm_end_to_end_through_the_sample_server(tmp_path):
    from walidata.pipeline import run_dataset
    from walidata.sample_server import BPS_KEY, serve
    from walidata.settings import get_settings

    ipm, latest = _sample(651)
    rls, rls_latest = _sample(654)
    assert rls_latest == latest
    sparse = [t for t in rls["tahun"] if f"6209654{0}{t['val']}0" not in rls["datacontent"]]
    assert [t["label"] for t in sparse] == [latest]  # the sample: RLS of the latest year not yet released
    ipm_latest = ipm["datacontent"][f"62096510{next(t['val'] for t in ipm['tahun'] if t['label'] == latest)}0"]
    assert ipm_latest == 69.14
    gx = shutil.copytree(ROOT / "great_expectations", tmp_path / "gx", ignore=shutil.ignore_patterns("uncommitted"))
    warehouse = f"duckdb:///{tmp_path / 'w.duckdb'}"
    with serve():
        settings = get_settings(lake=tmp_path / "lake", warehouse_url=warehouse, gx_root=gx)
        out = run_dataset("bps.ipm", "uji-bps-1", settings)
    assert out["rows_loaded"] > 0
    rows = query(warehouse, "SELECT variabel, periode, nilai, status, kode_wilayah FROM fact.bps__ipm")
    got = {(v, p): (n, s) for v, p, n, s, _ in rows}
    assert {k for *_, k in rows} == {"62.06"}
    assert got[("rata_rata_lama_sekolah", latest)] == (None, "tidak_tersedia")
    assert got[("indeks_pembangunan_manusia", latest)] == (69.14, "tetap")
    years = sorted(t["label"] for t in ipm["tahun"])
    assert len(rows) == 4 * len(years) and {p for _, p in got} == set(years)
    for z in (tmp_path / "lake" / "raw").rglob("respons.zip"):  # the sample key is in no stored byte
        with zipfile.ZipFile(z) as f:
            assert all(BPS_KEY.encode() not in f.read(n) for n in f.namelist())


# ----------------------------------------------------------------------------- codes and periods BPS sends back


def _standardised(httpserver, tmp_path, ds, tujuan: Tujuan, body: dict):
    """One model=data response served at the domain Walidata asks, fetched and standardised like a run does."""
    from walidata.sources.bps import domain_of
    from walidata.standardise.records import standardise_files
    from walidata.standardise.reference import IndeksWilayah

    var = body["var"][0]["val"]
    httpserver.expect_request(_data_path(domain_of(ds, tujuan), var)).respond_with_json(body)
    (m,) = BpsWebApi().fetch(ds, tujuan, Lake(tmp_path / "lake"))
    return m, standardise_files(ds, [(Path(m["raw_path"]), m["file"])],
                                IndeksWilayah(ROOT / "include" / "reference", tujuan.wilayah))


def test_the_codes_of_a_province_s_domain_are_understood(httpserver, tmp_path):
    """Asked for domain 6200 (`domain: provinsi`), BPS answers with its kabupaten/kota and 9999, the table's total
    (as in the real vervar list of domain 7200: 9999 'Sulawesi Tengah'): Katingan's row is ours, Kotawaringin
    Barat's is set aside, 9999 is a total row, never 'tidak dikenal' nor ours."""
    vervar = [{"val": 6201, "label": "Kotawaringin Barat"}, {"val": 6209, "label": "Katingan"},
              {"val": 9999, "label": "Kalimantan Tengah"}]
    body = _data_body(192, vervar, [{"val": 124, "label": "2024"}],
                      {"620119201240": 4.1, "620919201240": 5.2, "999919201240": 5.1})
    ds = _ds(var=[192], domain="provinsi")
    _, out = _standardised(httpserver, tmp_path, ds, Tujuan("62.06", "6209", _kon(httpserver)), body)
    assert _paths(httpserver) == [_data_path(6200, 192)]
    records = out.frame()
    assert records[["kode_wilayah", "periode", "nilai"]].values.tolist() == [["62.06", "2024", 5.2]]
    assert records.masalah.isna().all()
    assert out.lain.column("kode_wilayah").to_pylist() == ["62.01"]
    assert out.akuntansi["total"] == 1 and out.akuntansi["masalah"] == 0


def test_a_province_code_in_bps_xx00_form_is_the_province(httpserver, tmp_path):
    """A province-level variable of domain 6200 names the province itself as 6200 (as the Pinrang table of domain
    7315 names 7315): Kalimantan Tengah, Kemendagri 62."""
    raw = yaml.safe_load((ROOT / "include" / "catalog" / "bps" / "ipm.yaml").read_text(encoding="utf-8"))
    ds = Dataset.model_validate({**_ds(var=[192], domain="provinsi").model_dump(exclude_unset=True),
                                 "tingkat_wilayah": "provinsi", "metadata": raw["metadata"]})
    body = _data_body(192, [{"val": 6200, "label": "Kalimantan Tengah"}], [{"val": 124, "label": "2024"}],
                      {"620019201240": 5.1})
    _, out = _standardised(httpserver, tmp_path, ds, Tujuan("62.06", "6209", _kon(httpserver)), body)
    records = out.frame()
    assert records[["kode_wilayah", "periode", "nilai"]].values.tolist() == [["62", "2024", 5.1]]
    assert records.masalah.isna().all()


def test_9999_of_a_province_s_domain_is_the_province_itself(httpserver, tmp_path):
    """In domain 6200 BPS writes the province's own figure under 9999 'Kalimantan Tengah' (the real vervar list of
    domain 7200 ends with 9999 'Sulawesi Tengah'): a province-level dataset publishes it as Kemendagri 62, and the
    kabupaten rows beside it are finer than the dataset: set aside, never summed into it."""
    raw = yaml.safe_load((ROOT / "include" / "catalog" / "bps" / "ipm.yaml").read_text(encoding="utf-8"))
    ds = Dataset.model_validate({**_ds(var=[192], domain="provinsi").model_dump(exclude_unset=True),
                                 "tingkat_wilayah": "provinsi", "metadata": raw["metadata"]})
    vervar = [{"val": 6209, "label": "Katingan"}, {"val": 9999, "label": "Kalimantan Tengah"}]
    body = _data_body(192, vervar, [{"val": 124, "label": "2024"}], {"620919201240": 5.2, "999919201240": 5.1})
    _, out = _standardised(httpserver, tmp_path, ds, Tujuan("62.06", "6209", _kon(httpserver)), body)
    records = out.frame()
    assert records[["kode_wilayah", "periode", "nilai"]].values.tolist() == [["62", "2024", 5.1]]
    assert records.masalah.isna().all() and out.akuntansi["disisihkan"] == 1


def test_semester_labels_and_their_yearly_figure_are_periods(httpserver, tmp_path):
    """Poverty tables give the semesters 61 'Semester 1 (Maret)' and 62 'Semester 2 (September)' beside 63
    'Tahunan' (not 13): each reaches the period parser with its year, the yearly one as the year itself."""
    turtahun = [{"val": 61, "label": "Semester 1 (Maret)"}, {"val": 62, "label": "Semester 2 (September)"},
                {"val": 63, "label": "Tahunan"}]
    body = _data_body(192, [{"val": 6209, "label": "Katingan"}], [{"val": 118, "label": "2018"}],
                      {"6209192011861": 5.5, "6209192011862": 5.3, "6209192011863": 5.4}, turtahun=turtahun)
    ds = _ds(var=[192])
    m, out = _standardised(httpserver, tmp_path, ds, Tujuan("62.06", "6209", _kon(httpserver)), body)
    periods = {row[HEAD.index("periode")] for row in _grid(BpsWebApi(), ds, m)[1:]}
    assert periods == {"Semester 1 (Maret) 2018", "Semester 2 (September) 2018", "2018"}
    records = out.frame()
    assert records.masalah.isna().all(), records.masalah.tolist()
    assert sorted(records[["periode", "nilai"]].values.tolist()) == [["2018", 5.4], ["2018-S1", 5.5],
                                                                     ["2018-S2", 5.3]]


# ----------------------------------------------------------------------------- bodies not in BPS's shape


def test_a_response_saved_under_a_wrapper_is_refused_naming_it(httpserver, tmp_path):
    """BPS documents no wrapper around its bodies: the real Pinrang response under {"result": …} is refused at
    fetch, at replay and in a list, naming the key, never as 'status BPS None'."""
    real = json.loads((REAL / "bps_data_7315_var31_penduduk_pinrang.json").read_text(encoding="utf-8"))
    httpserver.expect_request(_data_path(7315, 31)).respond_with_json({"result": real})
    with pytest.raises(ApiError) as err:
        BpsWebApi().fetch(_ds(var=[31]), Tujuan(PINRANG, "7315", _kon(httpserver)), Lake(tmp_path / "lake"))
    assert "respons BPS terbungkus di bawah kunci 'result'" in str(err.value) and "None" not in str(err.value)
    assert "data var 31" in str(err.value)
    with pytest.raises(ApiError, match="terbungkus di bawah kunci 'result'"):
        list(decode_data(_respons({"result": real})))  # a replayed item holding a wrapped body
    page1 = json.loads((REAL / "bps_list_th_page1.json").read_text(encoding="utf-8"))
    httpserver.expect_request(_list_path("th", 7315, 1)).respond_with_json({"respons": page1})
    with pytest.raises(ApiError, match="terbungkus di bawah kunci 'respons'"):
        daftar(_klien(httpserver), "th", "7315", 10)


def test_a_json_object_without_the_bps_keys_names_what_it_holds(httpserver, tmp_path):
    httpserver.expect_request(_data_path(6209, 651)).respond_with_json({"message": "Unauthenticated."})
    with pytest.raises(ApiError) as err:
        BpsWebApi().fetch(_ds(var=[651]), Tujuan("62.06", "6209", _kon(httpserver)), Lake(tmp_path / "lake"))
    assert "bukan bentuk BPS WebAPI" in str(err.value) and "'message'" in str(err.value)
