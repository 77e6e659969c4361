"""How far the cells of an .xlsx sheet reach, read from its XML before calamine allocates the grid.

calamine holds a sheet as one dense grid from its first to its last cell (32 bytes a cell): two
values in A1 and XFD1048576 ask for 550 GB and abort the process. Its cell positions come from
each cell's ``r="B7"`` attribute, never from the ``<dimension>`` a file declares, so the scan
reads those attributes. It looks only for cells beyond the widest column seen so far, or beyond
the last row the cell budget allows for that width, with one regular expression that runs
at the speed of a byte search over the unpacked XML; an ordinary sheet names its columns in its
first row, so the scan restarts a few times within the first kilobyte and then reads through.
"""

from __future__ import annotations

import io
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile

from core.ingest.limits import MAX_CELLS, MAX_COLS, MAX_ROWS, check_grid, col_letter

CHUNK = 4 * 1024**2
# Sheets whose XML unpacks to more than this are left to calamine's own reading and the sandbox's
# memory limit: scanning costs ~0.35 s per 100 MB, and a file that large already holds
# millions of real cells (the benchmark's 24 MB workbook unpacks to 212 MB).
SCAN_MAX_BYTES = 128 * 1024**2
_PARTS_MAX_BYTES = 4 * 1024**2  # workbook.xml and its relations: a list of sheets
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OVERLAP = 32  # longer than any r="XFD1048576" attribute: a cell cut by a chunk's end is seen whole
_EARLY = 1024**2  # beyond this offset a wider column at least doubles the width assumed


def _wider(cols: int) -> str:
    """A regex for the column letters right of column `cols` (1-based): longer, or later in order."""
    value = col_letter(cols - 1)
    alts = [f"[A-Z]{{{len(value) + 1},}}"]
    for i, ch in enumerate(value):
        if ch != "Z":
            alts.append(value[:i] + f"[{chr(ord(ch) + 1)}-Z][A-Z]{{{len(value) - i - 1}}}")
    return "(?:" + "|".join(alts) + ")"


def _pattern(cols: int, rows: int) -> re.Pattern[bytes]:
    """Cells right of column `cols`, or whose row number has as many digits as `rows` or more (the
    caller compares those few with `rows`: a plain digit count keeps the expression fast)."""
    return re.compile(rf' r="(?:{_wider(cols)}[0-9]|[A-Z]+[0-9]{{{len(str(rows))},}})'.encode())


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


_REF = re.compile(rb' r="([A-Z]+)([0-9]+)"')


def check_sheet_xml(zf: zipfile.ZipFile, member: str, sheet: str) -> None:
    """Refuse the sheet (IngestError) if its cells reach beyond the column, row or cell caps."""
    cols = 1
    while True:
        wider = _scan(zf, member, sheet, cols)
        if wider is None:
            return
        cols = wider


def _scan(zf: zipfile.ZipFile, member: str, sheet: str, cols: int) -> int | None:
    """One pass assuming `cols` columns: the wider width to restart with, or None when all fit."""
    rows = min(MAX_ROWS, MAX_CELLS // cols)
    pattern = _pattern(cols, rows)
    offset, tail = 0, b""
    with zf.open(member) as fh:
        while chunk := fh.read(CHUNK):
            buf = tail + chunk
            for m in pattern.finditer(buf):
                ref = _REF.match(buf, m.start())
                if ref is None:
                    continue
                col, row = _col_number(ref.group(1).decode()), int(ref.group(2))
                if col > MAX_COLS or row > MAX_ROWS:
                    check_grid(sheet, rows=row, cols=col)
                if col > cols:
                    at = offset - len(tail) + m.start()
                    return col if at < _EARLY else min(MAX_COLS, max(col, 2 * cols))
                if row > rows:  # below the last row allowed at this width
                    check_grid(sheet, rows=row, cols=cols)
            tail = buf[-_OVERLAP:]
            offset += len(chunk)
    return None


def scan_workbook(data: bytes) -> None:
    """Check every worksheet of an .xlsx (the zip sniff already vetted) whose XML is small enough."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for sheet, member in _sheet_parts(zf):
            try:
                info = zf.getinfo(member)
            except KeyError:
                continue  # calamine will say the workbook is damaged
            if info.file_size <= SCAN_MAX_BYTES:
                check_sheet_xml(zf, member, sheet)


def _small_xml(zf: zipfile.ZipFile, name: str) -> ET.Element | None:
    """A small part of the package, parsed; None if absent, too large or broken (calamine decides)."""
    try:
        info = zf.getinfo(name)
        if info.file_size > _PARTS_MAX_BYTES:
            return None
        return ET.fromstring(zf.read(info))
    except (KeyError, ET.ParseError, zipfile.BadZipFile):
        return None


def _sheet_parts(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, zip member) of each worksheet, from xl/workbook.xml and its relations."""
    book, rels = _small_xml(zf, "xl/workbook.xml"), _small_xml(zf, "xl/_rels/workbook.xml.rels")
    if book is None or rels is None:
        return []
    targets = {r.get("Id"): r.get("Target") or "" for r in rels.iter(f"{_PKG_REL}Relationship")}
    parts = []
    for node in book.iter(f"{_MAIN}sheet"):
        target = targets.get(node.get(f"{_REL}id"))
        if target:
            member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            parts.append((node.get("name") or "Hoja", member))
    return parts
