"""Inventory: product search and list, detail, CRUD with the seed's rules, exports."""

from core.inventory.crud import (
    ERP_OWNED,
    create_producto,
    deactivate_producto,
    delete_producto,
    editable_fields,
    update_producto,
)
from core.inventory.detail import producto_detail
from core.inventory.errors import Conflict, Invalid, InventoryError, NotFound
from core.inventory.listing import InventoryFilter, filter_options, iter_all, list_productos

__all__ = [
    "ERP_OWNED", "Conflict", "InventoryError", "Invalid", "InventoryFilter", "NotFound",
    "create_producto", "deactivate_producto", "delete_producto", "editable_fields", "filter_options",
    "iter_all", "list_productos", "producto_detail", "update_producto",
]
