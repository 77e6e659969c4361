"""Detect a file's real format from its bytes (never its extension) and refuse unsafe ones."""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass
from typing import Literal

from core.ingest.errors import IngestError
from core.ingest.limits import MAX_RATIO, MAX_UNPACKED_BYTES, MAX_ZIP_ENTRIES, RATIO_MIN_BYTES

log = logging.getLogger(__name__)

Format = Literal["xlsx", "xls", "ods", "html", "xml2003", "csv"]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_NOT_SHEETS = {
    b"\x89PNG": "una imagen PNG",
    b"\xff\xd8\xff": "una imagen JPEG",
    b"GIF8": "una imagen GIF",
    b"BM": "una imagen BMP",
    b"%PDF": "un documento PDF",
    b"RIFF": "un archivo multimedia",
    b"\x1f\x8b": "un archivo comprimido gzip",
    b"Rar!": "un archivo comprimido RAR",
    b"7z\xbc\xaf": "un archivo comprimido 7z",
    b"MZ": "un programa ejecutable",
}


@dataclass(frozen=True)
class Sniffed:
    """What a file really is: its format, text encoding and a note when the extension lied."""

    fmt: Format
    encoding: str | None = None
    note: str | None = None


def sniff(data: bytes, filename: str, *, max_mb: float) -> Sniffed:
    """Return the real format of `data`, or raise IngestError with the reason it is refused."""
    if not data or not data.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise IngestError("El archivo está vacío.")
    # Decimal megabytes (1 MB = 1,000,000 bytes), as Streamlit's uploader shows file sizes.
    size_mb = len(data) / 1_000_000
    if size_mb > max_mb:
        raise IngestError(
            f"El archivo pesa {size_mb:.1f} MB y el límite es {max_mb:g} MB (UPLOAD_MAX_MB)."
        )
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _sniff_zip(data)
    if data.startswith(OLE_MAGIC):
        return _sniff_ole(data)
    for magic, what in _NOT_SHEETS.items():
        if data.startswith(magic):
            raise IngestError(
                f"El archivo no es una hoja de cálculo: es {what}"
                + (f" con extensión .{ext}." if ext else ".")
            )
    return _sniff_text(data, ext)


def _sniff_zip(data: bytes) -> Sniffed:
    """An .xlsx/.xlsm/.ods zip: check it is a workbook and not a zip bomb."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise IngestError("El archivo de Excel está dañado (el contenedor zip no se puede abrir).") from exc
    _check_bomb(infos)
    names = {i.filename for i in infos}
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return Sniffed("xlsx")
    if "mimetype" in names and b"opendocument.spreadsheet" in zf.read("mimetype"):
        return Sniffed("ods")
    raise IngestError("El archivo es un .zip pero no contiene un libro de Excel.")


def _check_bomb(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip that unpacks to too much, or too many times its size (each entry and in all).

    Ratios are checked from RATIO_MIN_BYTES unpacked (a tiny part may pack very well and harm
    nothing); the declared sizes are what zipfile and calamine stop at, so they are what counts.
    """
    if len(infos) > MAX_ZIP_ENTRIES:
        raise IngestError(f"El archivo de Excel contiene {len(infos):,} partes; un libro normal tiene unas "
                          "decenas. Se rechazó por seguridad.")
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    worst = max((i.file_size / max(i.compress_size, 1) for i in infos if i.file_size >= RATIO_MIN_BYTES),
                default=0.0)
    if total >= RATIO_MIN_BYTES:
        worst = max(worst, total / max(packed, 1))
    if total > MAX_UNPACKED_BYTES or worst > MAX_RATIO:
        raise IngestError(
            f"El archivo se expande a {total / 1024**2:,.0f} MB al descomprimirlo"
            + (f" ({worst:,.0f} veces su tamaño)" if worst > MAX_RATIO else "")
            + f"; el máximo es {MAX_UNPACKED_BYTES / 1024**2:,.0f} MB y {MAX_RATIO} veces. Se rechazó por "
            "seguridad (posible bomba zip): ábralo en Excel y guárdelo de nuevo, o exporte solo los datos."
        )


def _sniff_ole(data: bytes) -> Sniffed:
    """A compound (OLE2) file: legacy .xls, or an encrypted .xlsx wrapped in OLE2."""
    if "EncryptedPackage".encode("utf-16-le") in data:
        raise IngestError(
            "El libro está protegido con contraseña. Ábralo en Excel, quite la contraseña "
            "(Archivo › Información › Proteger libro) y vuelva a subirlo."
        )
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return Sniffed("xls")
    raise IngestError("El archivo es un documento de Office que no contiene un libro de Excel (o está dañado).")


def _decode_probe(data: bytes) -> tuple[str, str]:
    """Pick the text encoding: BOMs first, then strict UTF-8, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", data.decode("utf-16", errors="replace")
    try:
        return "utf-8", data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut in the middle of a multi-byte char at the probe's end is still UTF-8.
        if exc.start >= len(data) - 3:
            return "utf-8", data[: exc.start].decode("utf-8")
        return "cp1252", data.decode("cp1252", errors="replace")


def _sniff_text(data: bytes, ext: str) -> Sniffed:
    """HTML table, Excel 2003 XML or delimited text, whatever the extension says."""
    probe = data[: 256 * 1024]
    if b"\x00" in probe[:4096] and not probe.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError("No se reconoce el formato del archivo; suba un .xlsx, .xls o .csv.")
    encoding, text = _decode_probe(probe)
    head = text.lstrip()[:4096].lower()
    lied = ext in {"xls", "xlsx", "xlsm"}
    if "urn:schemas-microsoft-com:office:spreadsheet" in text[:8192] and "<workbook" in text.lower():
        return Sniffed("xml2003", _full_encoding(data, encoding), "Libro XML de Excel 2003" if lied else None)
    if head.startswith("<") and ("<table" in text.lower() or "<html" in head):
        if "<table" not in text.lower() and "<table" not in data.decode("latin-1").lower():
            raise IngestError("El archivo es una página web sin tabla de datos.")
        note = f"El archivo .{ext} es en realidad una tabla HTML; se leyó como tal." if lied else None
        return Sniffed("html", _full_encoding(data, encoding), note)
    note = f"El archivo .{ext} es en realidad texto delimitado (CSV); se leyó como tal." if lied else None
    return Sniffed("csv", _full_encoding(data, encoding), note)


def _full_encoding(data: bytes, probe_encoding: str) -> str:
    """Confirm the probe's UTF-8 guess over the whole file (a later byte may not be UTF-8)."""
    if probe_encoding != "utf-8":
        return probe_encoding
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"
