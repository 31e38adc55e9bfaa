"""Malformed CSV uploads, each with a piece of the one-line message it must get.

Shared by the unit suite (tests/test_bad_csv.py, through optviz.data) and the browser
suite (tests/e2e/test_bad_uploads.py, through the trainer page's uploader). The row and
size caps are the real ones (OPTVIZ_MAX_ROWS, OPTVIZ_MAX_UPLOAD_MB as configured).
"""

from optviz import data

HEADER = b"speed,angle,noise\n"
ROWS = b"".join(f"{i * 1.5},{i * 7 % 5},{100 - i * i / 3:.4f}\n".encode() for i in range(12))


def with_row(row: bytes, at: int = 5) -> bytes:
    """The good table with spreadsheet row `at` (the header is row 1) replaced by `row`."""
    lines = (HEADER + ROWS).splitlines(keepends=True)
    lines[at - 1] = row + b"\n"
    return b"".join(lines)


def too_many_rows() -> bytes:
    return HEADER + b"".join(b"%d,%d,%d\n" % (i, i % 7, i % 11) for i in range(data.MAX_ROWS + 1))


def too_large() -> bytes:
    filler = b"1,2,3\n" * (data.MAX_BYTES // 6 + 1)
    return HEADER + filler


# name: (content, a piece of the message); a callable content is built on use (large).
BAD_CSVS = {
    "empty": (b"", "the file is empty"),
    "blank lines": (b"\n \r\n\t\n", "the file is empty"),
    "only a BOM": (b"\xef\xbb\xbf", "the file is empty"),
    "only delimiters": (b",,,\n,,\n", "the file is empty"),
    "mixed delimiters": (b",,,\n;;;\n", "the file has 1 column"),
    "header only": (HEADER, "the file has 0 data rows; at least 10 are needed"),
    "BOM and header only": (b"\xef\xbb\xbf" + HEADER.replace(b"\n", b"\r\n"),
                            "the file has 0 data rows"),
    "too few rows": (HEADER + ROWS[:ROWS.index(b"\n") + 1] * 9, "9 data rows"),
    "text in a cell": (with_row(b"fast,1,2"), "row 5, column 'speed': 'fast' is not a number"),
    "decimal commas": (b"a;b\n" + b"1,5;2\n" * 12, "'1,5' is not a number (use a point"),
    "short row": (with_row(b"1,2"), "row 5 has 2 values but the header has 3 columns"),
    "long row": (with_row(b"1,2,3,4"), "row 5 has 4 values but the header has 3 columns"),
    "NaN": (with_row(b"1,nan,2"), "row 5, column 'angle' is NaN"),
    "inf": (with_row(b"1,2,-inf"), "row 5, column 'noise': '-inf' is not a finite number"),
    "overflow": (with_row(b"1e999,2,3"), "'1e999' is not a finite number"),
    "400 digits": (with_row(b"9" * 400 + b",2,3"), "is not a finite number"),
    "empty cell": (with_row(b"1,,2"), "row 5, column 'angle' is empty"),
    "one column": (b"speed\n" + b"1\n" * 12, "the file has 1 column; at least 2 are needed"),
    "no header": (ROWS, "the first row must be a header naming the columns"),
    "duplicate names": (HEADER.replace(b"noise", b"speed") + ROWS, "two columns are named"),
    "unnamed column": (HEADER.replace(b"angle", b"") + ROWS, "column 2 has no name"),
    "constant column": (b"a,b,c\n" + b"".join(b"%d,7,%d\n" % (i, i * i) for i in range(12)),
                        "column 'b' is constant"),
    "huge cell": (with_row(b"1," + b"x" * 200_000 + b",2"),
                  "row 5 has a cell longer than 131,072 characters"),
    "huge header name": (b"a," + b"n" * 5_000 + b"\n1,x\n",
                         "column '" + "n" * 27 + "...': 'x' is not a number"),
    "binary junk": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
                    "the file is not UTF-8 text"),
    "NUL bytes": (b"a,b\n" + b"1,\x002\n" * 12, "the file looks binary, not like CSV text"),
    "Latin-1": (b"vitesse,bruit\n" + "élevée,1\n".encode("latin-1") * 12,
                "the file is not UTF-8 text (see row 2); save it as CSV UTF-8"),
    "UTF-16": ("a,b\n1,2\n".encode("utf-16"), "the file is not UTF-8 text"),
    "HTML page": (b"<html><body><p>Not a table</p></body></html>\n" * 20,
                  "the file has 1 column"),
    "too many rows": (too_many_rows, f"more than {data.MAX_ROWS:,} rows"),
    "over the size limit": (too_large,
                            f"; the limit is {data.MAX_BYTES / (1024 * 1024):.1f} MB"),
}


def content(name: str) -> bytes:
    raw = BAD_CSVS[name][0]
    return raw() if callable(raw) else raw
