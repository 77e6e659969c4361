"""Imported by the fork server (core.ingest.sandbox): one small analysis of each kind, run there once.

A child is a fork of the server, so whatever the first analysis of a process sets up (pandas'
lazily imported paths, compiled patterns, caches) is set up once here instead of in every child.
It never stops the server: a failure only means the children do that work themselves.
"""

from __future__ import annotations

import logging

from core.ingest.analyze import analyze

log = logging.getLogger(__name__)

_SALES = (
    "Reporte de ventas Sucursal: Centro\nDel 01/01/2025 al 31/01/2025\n"
    "Folio,Fecha,Clave,Descripción,Cantidad,Precio,Importe,Cliente\n"
    + "".join(f'F{i // 3},{1 + i % 28:02d}/01/2025 10:{i % 60:02d},A-{i % 7},Producto {i % 7},{i % 5 - 1},'
              f'"$1,{i % 9}00.50",,C{i % 4}\n' for i in range(60))
    + "Total,,,,,,,\n"
).encode()
_STOCK = ("Clave\tDescripción\tExistencia\tMínimo\tAlmacén\n"
          + "".join(f"B{i}\tArt {i}\t{i}\t1\tNorte\n" for i in range(30))).encode("cp1252")


def warm_up() -> None:
    """Analyse a small sales file and a small stock file, discarding the result."""
    try:
        analyze(_SALES, "ventas.csv", max_mb=1)
        analyze(_STOCK, "existencias.txt", max_mb=1)
    except Exception:  # noqa: BLE001 - a warm-up must never keep the server from starting
        log.exception("ingest warm-up failed")


warm_up()
