"""core.ingest.sniff and read: the real format by content, and refusals with Spanish messages."""

from __future__ import annotations

import pytest

from core.ingest.errors import IngestError
from core.ingest.read import read_sheets
from core.ingest.sniff import sniff
from tests.ingest.conftest import encrypted_cfb, xls_legacy, xlsx, zip_bomb


def refusal(data: bytes, name: str, max_mb: float = 10) -> str:
    with pytest.raises(IngestError) as exc:
        sniff(data, name, max_mb=max_mb)
    return exc.value.message


def test_empty_file_is_refused():
    assert refusal(b"", "ventas.xlsx") == "El archivo está vacío."
    assert refusal(b"\xef\xbb\xbf  \r\n", "ventas.csv") == "El archivo está vacío."


def test_image_renamed_xlsx_is_refused():
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    assert refusal(png, "inventario.xlsx") == "El archivo no es una hoja de cálculo: es una imagen PNG con extensión .xlsx."
    assert "documento PDF" in refusal(b"%PDF-1.7 ...", "ventas.xls")


def test_file_over_the_limit_names_the_limit():
    assert refusal(b"a,b\n" * 300_000, "grande.csv", max_mb=1) == (
        "El archivo pesa 1.2 MB y el límite es 1 MB (UPLOAD_MAX_MB)."
    )


def test_zip_bomb_is_refused():
    message = refusal(zip_bomb(), "bomba.xlsx")
    assert message.startswith("El archivo se expande a 300 MB al descomprimirlo")
    assert "bomba zip" in message


def test_password_protected_workbook_is_refused():
    assert refusal(encrypted_cfb(), "protegido.xlsx").startswith("El libro está protegido con contraseña.")


def test_formats_detected_by_content_not_extension():
    assert sniff(xlsx([["Clave", "Existencia"]]), "x.xls", max_mb=10).fmt == "xlsx"
    assert sniff(xls_legacy([["Clave", "Existencia"]]), "x.xlsx", max_mb=10).fmt == "xls"
    html = b"<html><body><table><tr><td>Clave</td></tr></table></body></html>"
    found = sniff(html, "reporte.xls", max_mb=10)
    assert (found.fmt, found.note) == ("html", "El archivo .xls es en realidad una tabla HTML; se leyó como tal.")
    tsv = sniff(b"Clave\tExistencia\nA1\t3\n", "reporte.xls", max_mb=10)
    assert tsv.fmt == "csv" and "texto delimitado" in tsv.note


def test_csv_encodings():
    assert sniff("Clave,Descripción\n".encode("utf-8-sig"), "a.csv", max_mb=10).encoding == "utf-8-sig"
    assert sniff("Clave,Descripción\n".encode(), "a.csv", max_mb=10).encoding == "utf-8"
    assert sniff("Clave,Descripción\n".encode("cp1252"), "a.csv", max_mb=10).encoding == "cp1252"
    # Accents late in the file (after the probe) in Windows-1252 still switch the encoding.
    late = ("Clave,Descripción\n".encode("ascii", "ignore") + b"A1,x\n" * 80_000 + "Ñ".encode("cp1252"))
    assert sniff(late, "a.csv", max_mb=10).encoding == "cp1252"


def test_zip_that_is_not_a_workbook_is_refused():
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("foto.jpg", b"\xff\xd8\xff")
    assert refusal(buf.getvalue(), "ventas.xlsx") == "El archivo es un .zip pero no contiene un libro de Excel."


def test_html_table_rows_and_windows_1252_csv_are_read():
    html = ("<table><tr><th>Clave</th><th>Descripción</th></tr>"
            "<tr><td>A&amp;1</td><td>Niño<br>grande</td></tr></table>").encode("cp1252")
    sheet = read_sheets(html, sniff(html, "r.xls", max_mb=10))[0]
    assert sheet.rows() == [["Clave", "Descripción"], ["A&1", "Niño grande"]]
    csv = "Clave;Descripción;Existencia\nA1;Cañón;1.234,50\n".encode("cp1252")
    sheet = read_sheets(csv, sniff(csv, "r.csv", max_mb=10))[0]
    assert sheet.rows() == [["Clave", "Descripción", "Existencia"], ["A1", "Cañón", "1.234,50"]]


def test_sheet_rows_keep_their_numbers_with_blank_rows_above():
    data = xlsx([[None], [None], ["Clave", "Existencia"], ["A1", 3]])
    sheet = read_sheets(data, sniff(data, "a.xlsx", max_mb=10))[0]
    assert sheet.rows()[2] == ["Clave", "Existencia"]


def test_html_export_without_closing_tags():
    html = b"<html><table><tr><td>Clave<td>Existencia<tr><td>A1<td>1,234&nbsp;<tr><td>A2<td>3</table>"
    sheet = read_sheets(html, sniff(html, "web.xls", max_mb=10))[0]
    assert sheet.rows() == [["Clave", "Existencia"], ["A1", "1,234"], ["A2", "3"]]


def test_excel_2003_xml_and_utf16_text_disguised_as_xls():
    xml = b"""<?xml version="1.0"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Worksheet ss:Name="Existencias"><Table>
  <Row><Cell><Data ss:Type="String">Clave</Data></Cell><Cell><Data ss:Type="String">Existencia</Data></Cell></Row>
  <Row><Cell><Data ss:Type="String">A1</Data></Cell><Cell ss:Index="2"><Data ss:Type="Number">3.5</Data></Cell></Row>
 </Table></Worksheet></Workbook>"""
    found = sniff(xml, "inventario.xls", max_mb=10)
    assert (found.fmt, found.note) == ("xml2003", "Libro XML de Excel 2003")
    sheet = read_sheets(xml, found)[0]
    assert (sheet.name, sheet.rows()) == ("Existencias", [["Clave", "Existencia"], ["A1", 3.5]])
    utf16 = "Clave\tDescripción\nA1\tCañón\n".encode("utf-16")
    found = sniff(utf16, "reporte.xls", max_mb=10)
    assert (found.fmt, found.encoding) == ("csv", "utf-16")
    assert read_sheets(utf16, found)[0].rows() == [["Clave", "Descripción"], ["A1", "Cañón"]]
