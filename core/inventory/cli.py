"""`python -m core inventory …`: the seed's inventory endpoints from a shell, acting as the operator."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli import emit_json
from core.inventory.errors import Invalid, InventoryError

TEXT_FLAGS = (("--codigo", "codigo"), ("--nombre", "nombre"), ("--precio", "precio"), ("--costo", "costo"),
              ("--categoria", "categoria"), ("--unidad-medida", "unidad_medida"))


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `inventory` command and its actions."""
    p = subparsers.add_parser("inventory", help="consultar y editar productos (como el operador)")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACCIÓN", parser_class=type(p))

    a = actions.add_parser("list", help="listar productos (búsqueda, filtros, páginas)")
    a.add_argument("--search", default=None, metavar="TEXTO", help="código o nombre; tolera acentos y errores")
    a.add_argument("--categoria", default=None)
    a.add_argument("--almacen", default=None, metavar="NOMBRE|ID")
    a.add_argument("--stock-bajo", action="store_true", help="solo con existencia menor al mínimo")
    a.add_argument("--page", type=int, default=1)
    a.add_argument("--limit", type=int, default=20, help="por página, hasta 100")
    a.set_defaults(handler=_list)

    a = actions.add_parser("show", help="un producto y sus existencias por almacén")
    a.add_argument("ref", metavar="CODIGO|ID")
    a.set_defaults(handler=_show)

    a = actions.add_parser("create", help="crear un producto (origen local)")
    _value_flags(a, required=("--codigo", "--nombre"))
    a.set_defaults(handler=_create)

    a = actions.add_parser("update", help="cambiar datos de un producto")
    a.add_argument("ref", metavar="CODIGO")
    _value_flags(a, required=())
    a.add_argument("--activo", choices=("true", "false"), default=None)
    a.add_argument("--notas", default=None)
    a.set_defaults(handler=_update)

    a = actions.add_parser("delete", help="eliminar un producto sin existencias ni ventas")
    a.add_argument("ref", metavar="CODIGO")
    a.set_defaults(handler=_delete)

    for action in actions.choices.values():
        action.add_argument("--json", action="store_true", help="última línea: un objeto JSON")


def _value_flags(parser: argparse.ArgumentParser, *, required: tuple[str, ...]) -> None:
    for flag, _field in TEXT_FLAGS:
        parser.add_argument(flag, default=None, required=flag in required)


def _values(args: argparse.Namespace) -> dict[str, Any]:
    values: dict[str, Any] = {field: getattr(args, field) for _flag, field in TEXT_FLAGS
                              if getattr(args, field, None) is not None}
    if getattr(args, "activo", None) is not None:
        values["activo"] = args.activo == "true"
    if getattr(args, "notas", None) is not None:
        values["notas"] = args.notas
    return values


def _run(args: argparse.Namespace, action: Any) -> int:
    """Run one action as the operator; an InventoryError becomes {"error": {code, message}}, exit 1."""
    from core.ingest.load import OPERATOR
    from core.setup import init_db

    init_db()
    try:
        payload, lines = action(OPERATOR)
    except InventoryError as exc:
        print(exc.message)
        if args.json:
            emit_json(exc.as_json())
        return 1
    for line in lines:
        print(line)
    if args.json:
        emit_json(payload)
    return 0


def _almacen_id(user: Any, ref: str | None) -> int | None:
    from core.inventory import filter_options

    if ref is None:
        return None
    for a in filter_options(user)["almacenes"]:
        if str(a["id"]) == ref.strip() or a["nombre"].casefold() == ref.strip().casefold():
            return int(a["id"])
    raise Invalid(f"Almacén desconocido: {ref[:100]}.", fields={"almacen": "Almacén desconocido."})


def _list(args: argparse.Namespace) -> int:
    from core.inventory import InventoryFilter, list_productos

    def action(user: Any) -> tuple[dict, list[str]]:
        f = InventoryFilter(search=args.search, categoria=args.categoria, stock_bajo=args.stock_bajo,
                            almacen_id=_almacen_id(user, args.almacen), page=args.page, limit=args.limit)
        result = list_productos(user, f)
        pg = result["pagination"]
        lines = [f"{p['codigo']:<20} {p['nombre'][:50]:<50} {p['stock_total']:>10,.2f}" for p in result["data"]]
        lines.append(f"Página {pg['page']} de {pg['totalPages']} · {pg['total']:,} productos")
        return result, lines

    return _run(args, action)


def _show(args: argparse.Namespace) -> int:
    from core.inventory import producto_detail

    def action(user: Any) -> tuple[dict, list[str]]:
        d = producto_detail(user, args.ref)
        p = d["producto"]
        lines = [f"{p['codigo']} · {p['nombre']} · origen {p['origen']}"]
        lines += [f"  {i['almacen']}: {i['stock_actual']:,.2f} (mínimo {i['stock_minimo']:,.2f})"
                  for i in d["inventario"]]
        return {"producto": p, "inventario": d["inventario"]}, lines

    return _run(args, action)


def _create(args: argparse.Namespace) -> int:
    from core.inventory import create_producto

    def action(user: Any) -> tuple[dict, list[str]]:
        p = create_producto(user, _values(args))
        return {"producto": p}, [f"Producto {p['codigo']} creado."]

    return _run(args, action)


def _update(args: argparse.Namespace) -> int:
    from core.inventory import update_producto

    def action(user: Any) -> tuple[dict, list[str]]:
        p = update_producto(user, args.ref, _values(args))
        return {"producto": p}, [f"Producto {p['codigo']} actualizado."]

    return _run(args, action)


def _delete(args: argparse.Namespace) -> int:
    from core.inventory import delete_producto

    def action(user: Any) -> tuple[dict, list[str]]:
        codigo = delete_producto(user, args.ref)
        return {"deleted": codigo}, [f"Producto {codigo} eliminado."]

    return _run(args, action)
