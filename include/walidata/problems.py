"""A problem found in an OPD's data, as a record that travels from the reader to the feedback workbook.

Every stage reports what it finds as `Problem`s: the place (file, sheet, row, column), the region and the value
found there, the check that saw it, why, and how severe it is. Text is made from them only at the edges (the
task log, the terminal, `audit.load_log.pesan`, the OPD's workbook), by `render`; nothing parses that text back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

SEVERITIES = ("critical", "warning")  # critical blocks publishing (or rejects the row); warning is reported
LABEL = {"critical": "kritis", "warning": "peringatan"}  # how an OPD reads a severity


@dataclass(frozen=True)
class Problem:
    reason: str  # alasan, in Indonesian, without the place (the place has its own fields)
    check: str = ""  # the expectation that saw it (audit.hasil_validasi.pemeriksaan), or the reader's step
    severity: str = "critical"
    file: str | None = None
    sheet: str | None = None
    row: int | None = None  # the row number in the OPD's sheet (1-based, as the spreadsheet shows it)
    column: str | None = None  # the column letter in the OPD's sheet
    region: str | None = None  # the region as the OPD wrote it (or its code when no name is known)
    value: object = None  # the figure found there, when there is one
    record: int | None = None  # the record it rejects (standardise's record id), None for a dataset-wide problem

    def __post_init__(self):
        """Every text of a problem is made safe once, where it is made: a NIK in it, in any spelling, is masked."""
        from walidata.sources.privacy import mask_message

        for name in ("reason", "file", "sheet", "region", "value"):
            v = getattr(self, name)
            if v.__class__ is str:
                masked = mask_message(v)
                if masked is not v:
                    object.__setattr__(self, name, masked)

    def place(self) -> str:
        """'file F, sheet 'S', baris R, kolom C' (the parts that are known; an OPD reads it)."""
        parts = []
        if self.file is not None:
            parts.append(f"file {self.file}")
        if self.sheet is not None:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"baris {self.row}")
        if self.column:
            parts.append(f"kolom {self.column}")
        return ", ".join(parts)

    def render(self) -> str:
        """One line: the place, then why; a warning says so first."""
        where = self.place()
        text = f"{where}: {self.reason}" if where else self.reason
        return f"peringatan: {text}" if self.severity == "warning" else text

    def as_dict(self) -> dict:
        d = asdict(self)
        if d["value"] is not None and not isinstance(d["value"], int | float | str | bool):
            d["value"] = str(d["value"])
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Problem:
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__ if k in d})
