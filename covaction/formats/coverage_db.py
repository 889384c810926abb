"""coverage.py's `.coverage` data file, recognised by its SQLite header.

The file itself is read by coverage.py (`covaction.edges.coverage_data`), not parsed here.
"""

from __future__ import annotations

SQLITE_MAGIC = b"SQLite format 3\x00"


def sniff(head: bytes) -> bool:
    return head.startswith(SQLITE_MAGIC)
