"""Print rows of plain data as an aligned table, CSV, TSV or JSON (data to stdout).

>>> write_rows([{"id": "X:1", "label": "acne"}], ["id", "label"], "csv")
id,label
X:1,acne
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

#: the formats of :func:`write_rows`
RowFormat = Literal["table", "csv", "tsv", "json"]
ROW_FORMATS: tuple[RowFormat, ...] = get_args(RowFormat)


def write_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], fmt: str) -> None:
    """Write ``rows`` in ``fmt``: ``table``, ``csv``, ``tsv`` or ``json``."""
    out = sys.stdout
    if fmt == "json":
        json.dump(
            [{c: r.get(c, "") for c in columns} for r in rows], out, indent=2, ensure_ascii=False
        )
        out.write("\n")
        return
    if fmt in ("csv", "tsv"):
        writer = csv.writer(out, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_text(r.get(c, "")) for c in columns] for r in rows])
        return
    cells = [[_text(r.get(c, "")) for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n")
    for row in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")


def _text(value: Any) -> str:
    return "" if value is None else str(value)
