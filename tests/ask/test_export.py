"""A downloaded answer cannot carry a spreadsheet formula."""

from core.ask.export import to_csv


def test_formula_cells_are_neutralised():
    rows = [{"nombre": "=HYPERLINK(\"http://x\")", "nota": "+1", "menos": "-2", "arroba": "@SUM(A1)",
             "tab": "\tx", "cr": "\rx", "numero": -5, "normal": "Tornillo", "nada": None}]
    columns = list(rows[0])
    body = to_csv(columns, rows).decode("utf-8")
    assert body.startswith("\ufeff")
    lines = body.lstrip("\ufeff").split("\r\n")
    assert lines[0] == ",".join(columns)
    assert lines[1].startswith("\"'=HYPERLINK(\"\"http://x\"\")\",'+1,'-2,'@SUM(A1),'\tx,")
    assert lines[1].endswith(",-5,Tornillo,")
