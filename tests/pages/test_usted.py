"""Messages address the user as *usted* (the app standard), never *tú*."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The sync page, the app shell around it and the core behind it.
FILES = ["pages/sync.py", "app/sync_ui.py", "app/main.py", "core/jobs.py", "worker.py",
         *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "core" / "erp").glob("*.py"))]
# Second-person *tú* forms a message would use (their *usted* forms: Revise, Intente…).
TU = re.compile(r"\b(Revisa|Intenta|Verifica|Configura|Comprueba|Ejecuta|Inicia|Espera|Vuelve|"
                r"Sincroniza|Selecciona|Elige|Agrega|Instala|Corrige|Asegúrate|puedes|debes|"
                r"tienes|quieres|tu|tus)\b")
STRING = re.compile(r"\"[^\"\n]*\"|'[^'\n]*'")


def test_messages_use_usted():
    found = []
    for name in FILES:
        for n, line in enumerate((ROOT / name).read_text(encoding="utf-8").splitlines(), 1):
            for literal in STRING.findall(line):
                if TU.search(literal):
                    found.append(f"{name}:{n}: {literal}")
    assert found == []
