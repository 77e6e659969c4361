"""Docs that cannot drift: every setting is in the README's table."""

import re
from pathlib import Path

from core.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_is_documented_in_the_readme():
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", README.read_text(encoding="utf-8"), re.M))
    expected = {name.upper() for name in Settings.model_fields}
    assert expected - documented == set(), "faltan en la tabla de configuración del README"


def test_readme_starts_with_the_two_commands():
    text = README.read_text(encoding="utf-8")
    assert "streamlit run app/main.py" in text and "bash scripts/test.sh" in text
