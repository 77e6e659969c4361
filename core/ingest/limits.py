"""Caps on what an uploaded file may make us allocate, checked before allocating it.

Each number is far above what a real inventory or sales export needs (the Online Retail workbook
of the benchmark, 541,909 rows x 8 columns, is 4.3 million cells) and far below what would hurt
the server. The sandbox (core.ingest.sandbox) is the second line: whatever a cap misses still
runs in a child process with memory, CPU and wall-clock limits.
"""

from __future__ import annotations

from core.ingest.errors import IngestError

# A sheet, as the grid we build (row 1, column A up to its last cell): no inventory or sales
# report is wider than this; Excel itself stops at 16,384 columns and 1,048,576 rows.
MAX_COLS = 1_000
MAX_ROWS = 1_048_576
# Cells of every sheet read, counted as full grids (empty cells included): 10 million is twice
# the benchmark's workbook and stays under ~1 GB while read.
MAX_CELLS = 10_000_000
# Sheets (or HTML tables) looked at; a workbook with more is not an export of one report.
MAX_SHEETS = 50
# HTML spans: browsers clamp colspan to 1,000 and rowspan to 65,534 (HTML standard).
MAX_COLSPAN = 1_000
MAX_ROWSPAN = 65_534
# Zip containers (.xlsx, .ods): at most this many entries, this many bytes once unpacked, and no
# entry of 1 MiB or more that unpacks to more than MAX_RATIO times its packed size (a sheet of
# typed cells packs about 8-10x; repetitive XML may reach 50x; bombs pack 1,000x and more).
MAX_ZIP_ENTRIES = 10_000
MAX_UNPACKED_BYTES = 1024**3
MAX_RATIO = 100
RATIO_MIN_BYTES = 1024**2
# Text that title, header and total rules read: longer cells are not titles or headers.
MAX_TITLE_CHARS = 256


def col_letter(i: int) -> str:
    """Excel column letter (0 -> A)."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def check_grid(sheet: str, *, rows: int, cols: int) -> None:
    """Refuse a sheet whose grid (rows x cols, from A1) is wider or larger than the caps."""
    if cols > MAX_COLS:
        raise IngestError(
            f"La hoja «{sheet}» tiene datos hasta la columna {col_letter(cols - 1)} ({cols:,} columnas); el "
            f"máximo es {MAX_COLS:,}. Borre las celdas sobrantes a la derecha de la tabla (o copie solo la "
            "tabla a un libro nuevo) y vuelva a subirlo."
        )
    if rows > MAX_ROWS:
        raise IngestError(
            f"La hoja «{sheet}» tiene datos hasta la fila {rows:,}; el máximo es {MAX_ROWS:,} (el de Excel). "
            "El archivo está dañado o no es un reporte de inventario o ventas."
        )
    if rows * cols > MAX_CELLS:
        raise IngestError(
            f"La hoja «{sheet}» abarca {rows:,} filas por {cols:,} columnas ({rows * cols:,} celdas); el "
            f"máximo es {MAX_CELLS:,}. Borre las celdas sueltas lejos de la tabla (por ejemplo, en la "
            f"última fila o columna) o divida el archivo, y vuelva a subirlo."
        )


class CellBudget:
    """Cells left for the whole file: every sheet read takes its grid from it."""

    def __init__(self) -> None:
        self.left = MAX_CELLS

    def take(self, sheet: str, *, rows: int, cols: int) -> None:
        """Check one sheet's grid against the caps and what the earlier sheets used."""
        check_grid(sheet, rows=rows, cols=cols)
        self.left -= rows * cols
        if self.left < 0:
            raise IngestError(
                f"El libro tiene más de {MAX_CELLS:,} celdas entre todas sus hojas (al leer «{sheet}»). "
                "Suba solo la hoja con los datos, en un libro aparte."
            )


def check_sheet_count(count: int) -> None:
    """Refuse a workbook (or page) with more sheets (tables) than anyone exports at once."""
    if count > MAX_SHEETS:
        raise IngestError(
            f"El archivo tiene {count:,} hojas o tablas; el máximo es {MAX_SHEETS}. Suba solo la hoja con "
            "los datos, en un libro aparte."
        )
