"""Rules every importer shares, whatever reads its file: where the header row is, and how a
duplicate key is reported.

* The header need not be the first row: the standards print each template with its title
  (e.g. "A.4.1 非营利性市场主体和非市场主体名录库") above the column names, and an exported
  list often has one too.  The header is the row among the first few that names the most of
  the template's columns; rows above it are ignored.
* A key repeated on many rows is reported with the count and the first few other rows, not
  with every row number (47 duplicates would otherwise make 47 long messages).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

HEADER_SEARCH_ROWS = 5  # a title row, a subtitle and blank rows may stand above the header
DUPLICATES_SHOWN = 5


def find_header_row(
    table: Sequence[Sequence[Any]], known: Callable[[Any], bool], *, limit: int = HEADER_SEARCH_ROWS
) -> int:
    """The 0-based index of the row, among the first ``limit``, with the most cells ``known``
    takes for a column title (the first of equals); -1 when no row has one."""
    best, best_row = 0, -1
    for i, row in enumerate(table[:limit]):
        count = sum(1 for value in row if known(value))
        if count > best:
            best, best_row = count, i
    return best_row


def _message(count: int, first: Sequence[int]) -> str:
    rows = "、".join(map(str, first))
    return f"与第{rows}行重复" if count <= len(first) else f"与其他{count}行重复（第{rows}行等）"


def duplicate_message(others: Iterable[int], *, shown: int = DUPLICATES_SHOWN) -> str:
    """与第3、7行重复; past ``shown`` rows: 与其他47行重复（第3、7、9、12、15行等）."""
    rows = sorted(set(others))
    return _message(len(rows), rows[:shown])


def duplicate_messages(rows: Iterable[int], *, shown: int = DUPLICATES_SHOWN) -> dict[int, str]:
    """The message of each row of a group that shares one key, by row number (the other rows
    of the group are the duplicates).  Linear in the group's size."""
    ordered = sorted(set(rows))
    head = ordered[: shown + 1]
    return {n: _message(len(ordered) - 1, [m for m in head if m != n][:shown]) for n in ordered}
