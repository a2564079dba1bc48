"""Whose row is this? Each data row is attributed to the region it names, never assumed to be ours.

A row names regions through its region columns (province, kabupaten/kota, kecamatan, desa: names or codes).
The most specific region named decides:
- at the dataset's level and inside the configured region → ours (`milik`);
- at the dataset's level elsewhere, or finer than the dataset's level → someone else's (`lain`): set aside,
  counted, never published, still used to check the table's total rows;
- coarser than the dataset's level (a province row in a kabupaten list, 'Kabupaten Katingan' under its
  kecamatan) → a total row of the table;
- names that cannot be resolved, or columns that disagree → a problem (`masalah`), never a guess.
A file without region columns is the OPD's own kabupaten-level table and belongs to the configured region.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from walidata.catalog import Dataset, Kolom
from walidata.sources.spreadsheet import RecordProblem, col_letter, render_problems
from walidata.sources.table import Table
from walidata.standardise.reference import LEVELS, TOTAL_LABELS, IndeksWilayah, Match, fold, split_kind

LEVEL_OF_ROLE = {"provinsi": "provinsi", "kabupaten_kota": "kabupaten", "kecamatan": "kecamatan", "desa": "desa"}
ROLE_WORD = {"provinsi": "provinsi", "kabupaten_kota": "kabupaten/kota", "kecamatan": "kecamatan", "desa": "desa"}
_CODE = re.compile(r"^\d{2}(?:\.\d{2}){0,2}(?:\.\d{4})?$|^\d{2,10}$")


class Attribution(NamedTuple):
    kind: str  # milik, lain, total, masalah
    kode: str | None  # ours: the row's code at the dataset's level; lain: the region it names (if known)
    nama: str  # the most specific name as written
    why: str | None = None  # lain: whose row it is; masalah: the reason, without the place
    conflict: bool = False  # masalah: the row's code and name columns disagree (its block may be misaligned)
    column: str | None = None  # the sheet column (letter) `why` is about; None: the row's or the sheet's as a whole

    def problem(self) -> RecordProblem:
        """(column, why): one problem of each record of the row."""
        return RecordProblem(self.column, self.why)

    def text(self) -> str | None:
        """`why` with its column, as the records' `masalah` and the set-aside rows' `alasan` show it."""
        return render_problems([self.problem()]) if self.why else None


def _text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return re.sub(r"\s+", " ", str(v).replace("\xa0", " ")).strip()


_DECISIONS: dict[tuple, dict[tuple, Attribution]] = {}


class Attributor:
    """Attributes the rows of one table; decisions are cached per distinct combination of region cells."""

    def __init__(self, ds: Dataset, table: Table, wilayah: IndeksWilayah, totals: set[str]):
        self.ds, self.wilayah, self.totals = ds, wilayah, totals | TOTAL_LABELS
        self.level = ds.tingkat_wilayah
        self.columns: list[tuple[str, Kolom, int]] = [
            (k.peran, k, table.columns[k.name]) for k in ds.kolom_wilayah if k.name in table.columns]
        self.sheet_kecamatan = None
        if ds.sumber.wilayah_dari == "sheet":
            self.sheet_kecamatan = wilayah.kecamatan_match(table.sheet)
        # Decisions repeat across the tables of a run (the same names in every sheet and file): one cache for
        # every table read the same way (same region, level, columns in the same places, same total labels).
        signature = (wilayah.kode, self.level, frozenset(self.totals), ds.sumber.wilayah_dari,
                     table.sheet if self.sheet_kecamatan else None,
                     tuple((r, k.sistem_kode, k.tanpa_awalan, c) for r, k, c in self.columns))
        if len(_DECISIONS) > 100_000:  # bounded: a long-lived worker reads many files
            _DECISIONS.clear()
        self._cache: dict[tuple, Attribution] = _DECISIONS.setdefault(signature, {})
        self._single = self.columns[0][2] if len(self.columns) == 1 else None

    def __call__(self, row: list) -> Attribution:
        if self._single is not None:  # one region column (the usual OPD table): its cell is the key
            c = self._single
            key = (row[c] if c < len(row) else "",)
        else:
            key = tuple(row[c] if c < len(row) else "" for _, _, c in self.columns)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._decide([_text(v) for v in key])
        return hit

    # -------------------------------------------------------------------------------------------- deciding

    def _decide(self, texts: list[str]) -> Attribution:
        r = self.wilayah
        if self.sheet_kecamatan is not None:
            m = self.sheet_kecamatan
            if m.kode:
                return Attribution("milik", m.kode, r.g.w[m.kode].nama)
            return Attribution("masalah", None, "", f"sheet: {m.why}")
        if not self.columns:  # the OPD's own table: its kabupaten's (or, at province level, its province's)
            return Attribution("milik", r.ours(self.level), r.g.w[r.ours(self.level)].nama)
        for text in texts:  # 'Jumlah', 'Total', 'INDONESIA' in any region column: a total row
            if text and fold(text) in self.totals:
                return Attribution("total", None, text)
        named: dict[str, tuple[str, str, str]] = {}  # level → (code, name as written, column letter)
        unsure: list[tuple[str, tuple[str, ...], Attribution]] = []  # ambiguous names another column may settle
        for (role, kolom, c), text in zip(self.columns, texts, strict=True):
            letter = col_letter(c)
            if not text:
                if named:  # 'Kamipang' with no desa: a subtotal row, checked against the rows it sums
                    break
                return Attribution("masalah", None, "", f"nama {ROLE_WORD[role]} kosong", column=letter)
            got = self._resolve(role, kolom, text, named)
            if isinstance(got, tuple) and len(got) == 3:  # ('ragu', candidates, problem)
                if all(self._outside(c) for c in got[1]):
                    # 'SUKABUMI' (Kabupaten or Kota, neither ours) read for Bogor: not ours whichever it is, so its
                    # kecamatan 'CARINGIN' is never looked up among ours (Bogor has a Caringin too)
                    return Attribution("lain", got[1][0], text, f"{got[2].why} (bukan wilayah kita)", column=letter)
                unsure.append((LEVEL_OF_ROLE[role], got[1], got[2]._replace(column=letter)))
                continue
            if isinstance(got, Attribution) and got.kind == "masalah" and (other := self._theirs(named)):
                # 'CILIINCING' under Jakarta Utara: whatever it is, it is not ours; set aside, not refused.
                return Attribution("lain", other, text, f"{r.g.w[other].label()} di luar {r.kabupaten.label()} "
                                                        f"(kolom {letter}: {got.why})")
            if isinstance(got, Attribution):
                return got._replace(column=letter) if got.kind == "masalah" else got
            level, code = got
            if level in named and named[level][0] != code:
                other = named[level]
                if self._outside(code) and self._outside(other[0]):
                    return Attribution("lain", code, text, f"kolom {letter} ({code}) dan kolom {other[2]} "
                                                           f"({other[0]}) bertentangan; keduanya di luar "
                                                           f"{self.wilayah.kabupaten.label()}", True)
                return Attribution("masalah", None, text, f"'{text}' ({code}) tidak sama dengan '{other[1]}' "
                                                          f"({other[0]}) di kolom {other[2]}", True, letter)
            named[level] = (code, text, letter)
        for level, candidates, problem in unsure:  # 'BANDUNG' beside code 3204: the code says which one
            if named.get(level, (None,))[0] not in candidates:
                other = self._theirs(named) or (
                    candidates[0] if all(self._outside(c) for c in candidates) else None)
                if other:  # 'BOGOR' in a row of Jawa Barat, read for Katingan: not ours either way
                    return Attribution("lain", other, problem.nama, f"{problem.why} (bukan wilayah kita)",
                                       column=problem.column)
                return problem
        return self._verdict(named) if named else unsure[0][2]

    def _resolve(self, role: str, kolom: Kolom, text: str, named: dict) -> tuple | Attribution:
        """(level, code) of one region cell; ('ragu', candidates, problem) for a name that may be several regions;
        or the row's attribution when the cell alone decides it."""
        r, g = self.wilayah, self.wilayah.g
        if _CODE.match(text.replace(" ", "")):  # '32.04.05', and '32. 04. 05' as some portals export it
            m = r.code_match(text.replace(" ", ""), kolom.sistem_kode)
            return (g.level[m.kode], m.kode) if m.kode else Attribution("masalah", None, text, m.why)
        prov = named.get("provinsi", (None,))[0]
        kab = named.get("kabupaten", (None,))[0]
        if role == "provinsi":
            m = r.provinsi_match(text)
        elif role == "kabupaten_kota":
            m = r.kabkota_match(text, prov, kolom.tanpa_awalan)
            if not m.kode and (p := r.provinsi_match(text)).kode:  # a province row in a kabupaten/kota list
                m = p
        elif role == "kecamatan":
            if kab is None and prov is not None and prov != r.provinsi.kode_kemendagri:
                return Attribution("lain", prov, text, f"baris provinsi {g.w[prov].nama}")
            scope = kab or r.kode
            m = r.kecamatan_match(text, scope)
            # 'Kabupaten Katingan' (or 'Katingan', where no kecamatan has that name) is the total of its kecamatan;
            # 'Bantul' in Kabupaten Bantul is its kecamatan Bantul.
            if scope == r.kode and r.is_kabupaten_total(text) and (
                    not m.kode or split_kind(text)[0] in ("kabupaten", "kota")):
                m = Match(r.kode)
            elif not m.kode and m.elsewhere and kab is None:  # names a kecamatan of another kabupaten
                return self._elsewhere(text, m)
        else:
            kec = named.get("kecamatan", (None,))[0]
            if kec is None:
                return Attribution("masalah", None, text, f"desa '{text}' tanpa kecamatan yang dikenal")
            if split_kind(text)[0] == "kecamatan" and r.kecamatan_match(text, g.ancestor(kec, "kabupaten")).kode == kec:
                return ("kecamatan", kec)  # 'Kecamatan Kamipang': a subtotal row in a village list
            m = Match(*r.resolve_desa(kec, text))
        if m.kode:
            return g.level[m.kode], m.kode
        problem = Attribution("masalah", None, text, m.why)
        return ("ragu", m.candidates, problem) if m.candidates else problem

    def _outside(self, code: str) -> bool:
        """Wholly outside ours: neither one of our own regions nor a region that contains ours."""
        g, ours = self.wilayah.g, self.wilayah.kode
        return not g.within(ours, code) and not g.within(code, ours)

    def _theirs(self, named: dict[str, tuple[str, str, str]]) -> str | None:
        """A region the row already names that lies wholly outside ours (another province or kabupaten)."""
        return next((code for code, _, _ in named.values() if self._outside(code)), None)

    def _elsewhere(self, text: str, m: Match) -> Attribution:
        kode = m.elsewhere[0] if len(m.elsewhere) == 1 else None
        return Attribution("lain", kode, text, m.why)

    def _verdict(self, named: dict[str, tuple[str, str, str]]) -> Attribution:
        """Decide from the most specific region the row names."""
        r, g = self.wilayah, self.wilayah.g
        finest = max(named, key=LEVELS.index)
        code, text, letter = named[finest]
        chain = {lv: g.ancestor(code, lv) for lv in LEVELS[:LEVELS.index(finest) + 1]}
        for lv, (c, _, col) in named.items():  # a kabupaten column and a kecamatan column must agree
            if chain.get(lv) != c:
                why = f"{g.w[code].label()} tidak berada di {g.w[c].label()} (kolom {col})"
                if self._outside(code) and self._outside(c):  # theirs either way; still a sign of shifted rows
                    return Attribution("lain", code, text, why, True)
                return Attribution("masalah", None, text, why, True, letter)
        want = LEVELS.index(self.level)
        have = LEVELS.index(finest)
        if have < want:
            return Attribution("total", code, text)
        if have > want:
            return Attribution("lain", code, text, f"baris tingkat {finest} ({g.w[code].label()}); dataset ini "
                                                   f"tingkat {self.level}")
        if r.is_ours(code):
            return Attribution("milik", code, text)
        return Attribution("lain", code, text, f"{g.w[code].label()} di luar {r.kabupaten.label()}")


# ------------------------------------------------------------------------ safety nets for forgetful catalogs

_MENTION = re.compile(r"(?=\b(provinsi|propinsi|prov|kabupaten|kab|kota)\s+((?:[a-z0-9]+\s*){1,5}))")


_LOOKS: dict[tuple[str, str], bool] = {}


def _seperti_wilayah(wilayah: IndeksWilayah, text: str) -> bool:
    key = (wilayah.kode, text)
    hit = _LOOKS.get(key)
    if hit is None:
        if len(_LOOKS) > 100_000:
            _LOOKS.clear()
        g = wilayah.g
        if not text or len(text) > 60:
            hit = False
        elif _CODE.match(text):
            hit = len(text.replace(".", "")) >= 4 and bool(g.code(text, "bps") or g.code(text, "kemendagri"))
        else:
            hit = bool(g.candidates("provinsi", text) or g.candidates("kabupaten", text)
                       or wilayah.kecamatan_match(text).kode)
        _LOOKS[key] = hit
    return hit


def check_kolom_wilayah(ds: Dataset, table: Table, wilayah: IndeksWilayah, sample: int = 300) -> None:
    """Refuse a table with an undeclared (or ignored) column whose values are mostly names or codes of regions:
    its rows would otherwise all be taken as the configured region's."""
    from walidata.sources.spreadsheet import SourceError

    # A column declared `abaikan` is checked too when nothing else names the rows' regions; beside a declared
    # region column (a BPS table's code with its label) it is what the catalog says: a restatement, not read.
    named = any(k.name in table.columns for k in ds.kolom_wilayah)
    ignored = [] if named else [table.columns[k.name] for k in ds.kolom_peran("abaikan") if k.name in table.columns]
    for c in [*table.extra_index, *ignored]:
        raw = dict.fromkeys(row[c] for _, row in table.rows[:sample] if c < len(row))
        values = [t for t in dict.fromkeys(_text(v) for v in raw) if t]
        hits = [v for v in values if _seperti_wilayah(wilayah, v)]
        if hits and len(hits) * 2 >= len(values):
            shown = ", ".join(f"'{v}'" for v in hits[:4])
            raise SourceError(table.file, f"kolom ini berisi nama atau kode wilayah ({shown}, …) tetapi katalog "
                                          f"tidak menyatakan perannya; tambahkan kolom ini di katalog dengan peran "
                                          f"provinsi, kabupaten_kota, kecamatan atau desa agar setiap baris dikenali "
                                          f"wilayahnya", sheet=table.sheet, row=table.header_row, column=col_letter(c))


def _province_words(wilayah: IndeksWilayah) -> re.Pattern:
    """Province names that say which province even without 'Provinsi' ('Jawa Barat', 'DIY', 'Kalteng'):
    official names of two words or more, and the short names in the synonym list."""
    g = wilayah.g
    if id(g) in _PROVINCE_RE:
        return _PROVINCE_RE[id(g)]
    names = {fold(w.nama): c for c, w in g.w.items() if g.level[c] == "provinsi" and " " in fold(w.nama)}
    names |= {k: codes[0] for k, codes in g.synonyms.items() if g.level[codes[0]] == "provinsi" and len(k) >= 3}
    _PROVINCE_NAMES.update(names)
    pattern = _PROVINCE_RE[id(g)] = re.compile(
        r"\b(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\b")
    return pattern


_PROVINCE_NAMES: dict[str, str] = {}
_PROVINCE_RE: dict[int, re.Pattern] = {}


def wilayah_judul(wilayah: IndeksWilayah, texts: list[str]) -> list[str]:
    """Codes of the provinces and kabupaten/kota that titles name: with a prefix ('Provinsi Jawa Barat',
    'Kab. Katingan', 'Kota Bandung'), or a province by a name that needs none ('Jawa Barat', 'DIY')."""
    found = []
    provinces = _province_words(wilayah)
    for text in texts:
        found += [_PROVINCE_NAMES[m.group(1)] for m in provinces.finditer(fold(text))]
        for m in _MENTION.finditer(fold(text)):
            words = m.group(2).split()
            for n in range(len(words), 0, -1):
                name = f"{m.group(1)} {' '.join(words[:n])}"
                hit = (wilayah.provinsi_match(name) if m.group(1).startswith("pro")
                       else wilayah.kabkota_match(name))
                if hit.kode:
                    found.append(hit.kode)
                    break
    return list(dict.fromkeys(found))


def check_titles(ds: Dataset, table: Table, wilayah: IndeksWilayah) -> None:
    """A table without region columns is taken as the configured region's own: refuse it when its title or
    sheet name says it is about another region, or about a whole province."""
    from walidata.sources.spreadsheet import SourceError

    if ds.kolom_wilayah or ds.sumber.wilayah_dari == "sheet":
        return
    named = wilayah_judul(wilayah, [*table.titles, table.sheet, table.file])
    ours = {wilayah.kode, wilayah.provinsi.kode_kemendagri}
    kab = [c for c in named if wilayah.g.level[c] == "kabupaten"]
    if not named or (kab == [wilayah.kode] and set(named) <= ours) or (
            ds.tingkat_wilayah == "provinsi" and named == [wilayah.provinsi.kode_kemendagri]):
        return
    shown = ", ".join(wilayah.g.w[c].label() for c in named)
    raise SourceError(table.file, f"judul tabel menyebut {shown}, bukan {wilayah.kabupaten.label()} saja; tabel "
                                  f"tanpa kolom wilayah dianggap milik {wilayah.kabupaten.nama}, jadi file ini ditolak "
                                  f"(nyatakan kolom wilayahnya di katalog bila barisnya per wilayah)",
                      sheet=table.sheet)


# A reporting unit below the kabupaten, named by a title, a sheet or a file name: 'Puskesmas Kasongan I',
# 'UPT Puskesmas Tumbang Samba', 'SDN 2 Kasongan', 'Kecamatan Katingan Hilir', 'Desa Galinggang'.
_UNIT = re.compile(r"\b(puskesmas|pkm|pustu|polindes|poskesdes|posyandu|uptd?|klinik|rsud|rumah sakit|sekolah|sdn?|"
                   r"smpn?|sman?|smkn?|mi|mts|man|tk|paud|kecamatan|kec|desa|kelurahan|kel)\.?\s+([a-z0-9][\w.'-]*)"
                   r"((?:\s+[a-z0-9][\w.'-]*){0,2})")
_NOT_A_NAME = {"dan", "di", "se", "menurut", "per", "yang", "dasar", "menengah", "pertama", "atas", "kejuruan",
               "negeri", "swasta", "kabupaten", "kab", "kota", "provinsi", "tahun", "bulan", "semester", "triwulan",
               "jumlah", "total", "data", "tiap", "setiap", "seluruh", "atau", "terhadap", "dalam", "pada", "dengan",
               "untuk", "sehat", "mandiri", "induk", "pembantu", "keliling", "rawat", "umum", "terpencil",
               "binaan", "siaga", "wilayah", "desa", "kelurahan", "kecamatan", "xlsx", "xls", "csv", "ods"}


def named_units(texts: list[str]) -> list[str]:
    """The units below a kabupaten that `texts` name ('puskesmas kasongan'), in order, without repeats."""
    found = []
    for text in texts:
        t = re.sub(r"[_\-]+", " ", fold(text))
        for m in _UNIT.finditer(t):
            if m.group(2) not in _NOT_A_NAME and not m.group(2).isdigit() or (
                    m.group(1).startswith(("sd", "smp", "sma", "smk")) and m.group(2).isdigit()):
                found.append(m.group(0).strip())
    return list(dict.fromkeys(found))


def check_unit(ds: Dataset, table: Table) -> None:
    """A table without region columns is the kabupaten's only when nothing in its title, sheet or file name names
    a smaller unit (a puskesmas, a school, a UPT, a kecamatan or desa): such a table is one unit's figures, not
    the kabupaten's. Refused unless the catalog says which breakdown carries the unit (`sumber.unit_pelapor`)."""
    from walidata.sources.spreadsheet import SourceError

    if ds.kolom_wilayah or ds.sumber.wilayah_dari == "sheet" or ds.sumber.unit_pelapor:
        return
    units = named_units([*table.titles, table.sheet, table.file])
    if units:
        shown = ", ".join(f"'{u}'" for u in units[:3])
        raise SourceError(table.file, f"judul, nama sheet atau nama file menyebut unit di bawah kabupaten ({shown}), "
                                      f"padahal tabel tanpa kolom wilayah dianggap angka seluruh kabupaten: angka satu "
                                      f"unit tidak diterbitkan sebagai angka kabupaten. Kirim tabel dengan kolom "
                                      f"kecamatan/desa, atau nyatakan di katalog rincian yang memuat unitnya "
                                      f"(sumber.unit_pelapor)", sheet=table.sheet)
