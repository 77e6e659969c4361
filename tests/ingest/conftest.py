"""Ingest fixtures: messy files built in the test, and database row counts."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.jobs.rq_helpers import redis_db, redis_env, rq_worker  # noqa: F401 - the real RQ worker fixtures

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
TABLES = ("erp_productos", "erp_almacenes", "erp_inventario", "erp_ventas", "erp_ventas_detalle", "uploads")


def xlsx(rows: Sequence[Sequence[Any]], *, sheet: str = "Hoja1", merges: Sequence[str] = (),
         extra_sheets: dict[str, Sequence[Sequence[Any]]] | None = None) -> bytes:
    """An .xlsx with `rows` on one sheet (None = empty cell), optional merged ranges."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    for rng in merges:
        ws.merge_cells(rng)
    for name, other in (extra_sheets or {}).items():
        more = wb.create_sheet(name)
        for row in other:
            more.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xls_legacy(rows: Sequence[Sequence[Any]], *, sheet: str = "Hoja1") -> bytes:
    """A real BIFF8 .xls written by xlwt (dates with a date format, like Excel does)."""
    import datetime as dt

    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(sheet)
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                ws.write(r, c, value, date_style)
            else:
                ws.write(r, c, value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def encrypted_cfb() -> bytes:
    """A minimal, valid compound file holding an `EncryptedPackage` stream: how Excel stores a
    password-protected .xlsx. Handcrafted because olefile cannot write and Excel is not here."""
    end, free, fatsect, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    header = bytearray(512)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<I", header, 76, 0)  # DIFAT[0]: the FAT is sector 0
    for i in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * i, free)
    fat = bytearray(b"\xff" * 512)
    struct.pack_into("<II", fat, 0, fatsect, end)

    def entry(name: str, kind: int, child: int) -> bytes:
        raw = bytearray(128)
        encoded = (name + "\0").encode("utf-16-le")
        raw[0 : len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<III", raw, 68, nostream, nostream, child)
        struct.pack_into("<II", raw, 116, end, 0)
        return bytes(raw)

    empty = bytearray(128)
    struct.pack_into("<III", empty, 68, nostream, nostream, nostream)
    directory = entry("Root Entry", 5, 1) + entry("EncryptedPackage", 2, nostream) + bytes(empty) * 2
    return bytes(header) + bytes(fat) + directory


def zip_bomb() -> bytes:
    """An .xlsx-looking zip whose one member unpacks to 300 MB of zeros."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(300):
                member.write(chunk)
    return buf.getvalue()


@pytest.fixture
def counts(engine) -> Callable[[], dict[str, int]]:
    """Row counts of every table an upload can touch."""
    from core.models import metadata

    def _counts() -> dict[str, int]:
        with engine.connect() as conn:
            return {t: conn.execute(select(func.count()).select_from(metadata.tables[t])).scalar_one() for t in TABLES}

    return _counts


@pytest.fixture
def manager(users):
    """The manager account (uploads are for managers and admins)."""
    return users["manager"]


@pytest.fixture
def ingest(clean_db, manager):
    """Preview then load bytes as the manager; returns (preview, result)."""
    from core.ingest.load import load_preview
    from core.ingest.service import preview_upload

    def _ingest(data: bytes, filename: str, *, unknown: str = "create", **kwargs: Any):
        pv = preview_upload(manager, data, filename, **kwargs)
        return pv, load_preview(manager, pv, data, unknown=unknown)

    return _ingest
