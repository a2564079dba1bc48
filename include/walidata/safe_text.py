"""Text we write for a person, made safe for where it goes: a spreadsheet cell, a CSV field, a terminal line.

Every workbook and CSV the project writes passes its cells through `for_cell`; every line printed to a
terminal or a log from OPD-supplied text passes through `for_terminal`. One place, so the rules are the same
everywhere (OWASP CSV injection; control characters that move the cursor, ring the bell or end a string).
"""

from __future__ import annotations

import re

# OWASP "CSV injection": a cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# C0 and C1 control characters, except the three that are ordinary layout in a cell (tab, LF, CR).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# For one terminal line, tab/LF/CR are shown escaped too: a value must not start a new line or rewrite one.
_CONTROL_LINE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_TERMINAL_KEEP = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escaped(m: re.Match) -> str:
    return f"\\x{ord(m.group()):02x}"


def control_chars(text: str) -> list[str]:
    """The control characters in `text` (not tab, LF or CR), each shown as `\\xNN`."""
    return [f"\\x{ord(c):02x}" for c in _CONTROL.findall(text)]


def visible(text: str) -> str:
    """`text` with every control character (not tab, LF or CR) written as `\\xNN`."""
    return _CONTROL.sub(_escaped, text)


def for_terminal(text: str, one_line: bool = False) -> str:
    """Text for a terminal or a log: control characters (ESC, BEL, NUL, …) shown as `\\xNN`, never sent raw.

    Line breaks stay unless `one_line` (then they are shown as `\\x0a`, so a value cannot fake a new line)."""
    pattern = _CONTROL_LINE if one_line else _TERMINAL_KEEP
    return pattern.sub(_escaped, str(text))


def for_cell(v):
    """A value for a workbook cell or a CSV field: text that a spreadsheet would run as a formula gets a
    leading apostrophe, and control characters (which a worksheet cannot hold) are shown as `\\xNN`.
    Numbers, dates and None pass unchanged."""
    if not isinstance(v, str):
        return v
    v = visible(v)
    return "'" + v if v.startswith(FORMULA_START) else v
