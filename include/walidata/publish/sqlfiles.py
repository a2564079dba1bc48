"""SQL kept in `.sql` files a reader can open: the views (`publish/sql/`) and the migrations (`publish/migrations/`).

Placeholders: a view file may hold `{{name}}` (letters, digits, _). `render` fills each with a value built by
the code from identifiers checked and quoted by `warehouse.ident()` — a quoted name (`"x"`), a list of them
with commas and table aliases (`f."x", f."y"`), or a concatenation of quoted names and literals of checked
names (`'x=' || "x"`). Any other value (a quote inside a name, a semicolon, a keyword) is refused, and so is a
placeholder left unfilled or a value with no placeholder. Migration files take no placeholders.
Statements are separated by `;` at the end of a line; `--` comments are dropped before running.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# What a filled value may contain: quoted checked names (optionally alias-qualified), string literals of checked
# names with '=' or ';', commas, '||' and spaces. Nothing else reaches the SQL.
SAFE_VALUE = re.compile(r"""(?:\s+|,|\|\||(?:[a-z]\.)?"[a-z_][a-z0-9_]*"|'[a-z0-9_.=;]*')*""")


@functools.cache
def read(relative: str) -> str:
    """A SQL file under `publish/`, without its `--` comment lines."""
    text = (HERE / relative).read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def render(relative: str, **values: str) -> str:
    """The file with every `{{placeholder}}` filled by its value (see the module notes for what is allowed)."""
    sql = read(relative)
    wanted = set(PLACEHOLDER.findall(sql))
    if wanted != set(values):
        raise ValueError(f"{relative}: placeholders {sorted(wanted)}, values given for {sorted(values)}")
    for key, value in values.items():
        if not SAFE_VALUE.fullmatch(value):
            raise ValueError(f"{relative}: {{{{{key}}}}} = {value!r} is not built from quoted identifiers")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], sql)


def statements(sql: str) -> list[str]:
    """The statements of a file: split at a `;` that ends a line."""
    return [s.strip() for s in re.split(r";[ \t]*(?:\n|$)", sql) if s.strip()]


def run(conn: sa.Connection, sql: str) -> None:
    for statement in statements(sql):
        conn.exec_driver_sql(statement)
