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


# Markdown that a renderer turns into markup: emphasis, code, links and images, tables, strike-through, headings.
_MARKDOWN = re.compile(r"([\\`*_\[\]|~#!])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_HTML_CHARS = re.compile("[&<>\"']")


def for_markdown(text) -> str:
    """Catalog (or other outside) text for one line or table cell of a Markdown page that gets rendered:
    HTML special characters as entities (`<script>`, `<img onerror=…>` and autolinks `<http://…>` are shown,
    never run or followed), Markdown punctuation backslash-escaped (no link, image, emphasis, code span or extra
    table column), line breaks as spaces (no new block: heading, list, code, HTML block), a leading `-`, `+`,
    `=` escaped (no list or heading underline), control characters as `\\xNN`. None becomes ''."""
    if text is None:
        return ""
    text = " ".join(visible(str(text)).split())
    text = _MARKDOWN.sub(r"\\\1", text)  # first: the entities below hold a '#' that must stay one
    text = _HTML_CHARS.sub(lambda m: _HTML[m.group()], text)
    return "\\" + text if text.startswith(("-", "+", "=")) else text


# `@channel`, `@here`, `@everyone` (and any @name) notify people in Slack and Teams; '@' becomes the full-width
# '＠' (U+FF20): visible and read the same by a person, a mention for no chat program.
AT_SIGN = "\uff20"


def for_chat(text) -> str:
    """Text for a chat webhook (Slack, Teams, a relay): `&`, `<`, `>` escaped as Slack requires (`&amp;`, `&lt;`,
    `&gt;`), so `<!channel>`, `<!here>`, `<!everyone>`, `<@U123>`, `<#C123>`, `<!subteam^…>`, links `<url|text>`
    and Teams' `<at>…</at>` are text, not mentions or links; every '@' written as '＠' (U+FF20), so `@channel`,
    `@here`, `@everyone` never notify either; control characters as `\\xNN`. None stays None."""
    if text is None:
        return None
    text = visible(str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("@", AT_SIGN)
