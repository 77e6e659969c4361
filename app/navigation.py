"""The app's pages and the permission each needs; st.navigation shows a role only its own."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    permission: str


PAGES: list[PageSpec] = [
    PageSpec("pages/dashboard.py", "Tablero", ":material/dashboard:", "dashboard:read"),
    PageSpec("pages/inventory.py", "Inventario", ":material/inventory_2:", "inventory:read"),
    PageSpec("pages/ai_query.py", "Consulta IA", ":material/forum:", "ai:query"),
    PageSpec("pages/forecast.py", "Pronósticos", ":material/query_stats:", "forecast:read"),
    PageSpec("pages/purchasing.py", "Compras", ":material/shopping_cart:", "purchasing:read"),
    PageSpec("pages/sync.py", "Sincronización", ":material/sync:", "sync:read"),
    PageSpec("pages/upload.py", "Cargar archivos", ":material/upload_file:", "upload:write"),
    PageSpec("pages/admin.py", "Usuarios", ":material/manage_accounts:", "users:admin"),
    PageSpec("pages/audit.py", "Auditoría", ":material/history:", "audit:read"),
]
