"""Operator commands: init-db, seed-demo, create-user, health."""

from __future__ import annotations

import argparse
import getpass

from core.cli import CliError, emit_json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("init-db", help="aplicar migraciones y crear el primer administrador")
    p.set_defaults(handler=_init_db)

    p = subparsers.add_parser("seed-demo", help="cargar los datos del ERP de demostración")
    p.add_argument("--scale", type=float, default=None, help="multiplica el volumen (10 ≈ 1,000,000 líneas)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_seed_demo)

    p = subparsers.add_parser("create-user", help="crear una cuenta")
    p.add_argument("email")
    p.add_argument("--role", required=True, choices=("admin", "manager", "user", "viewer"))
    p.add_argument("--name", default=None)
    p.add_argument("--password", default=None, help="si se omite, se pide en la terminal")
    p.set_defaults(handler=_create_user)

    p = subparsers.add_parser("health", help="estado de base de datos, Redis, ERP y workers")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_health)


def _init_db(args: argparse.Namespace) -> int:
    from core.setup import init_db

    init_db()
    print("Base de datos lista.")
    return 0


def _seed_demo(args: argparse.Namespace) -> int:
    from core.setup import init_db, seed_demo

    init_db()
    report = seed_demo(args.scale)
    payload = report.as_json()
    if args.json:
        emit_json(payload)
    else:
        print(payload["message"])
    if payload["status"] != "completed":
        raise CliError(payload["message"])
    return 0


def _create_user(args: argparse.Namespace) -> int:
    from core import users
    from core.setup import init_db

    init_db()
    password = args.password or getpass.getpass("Contraseña: ")
    try:
        user = users.create_user(None, email=args.email, name=args.name or args.email.split("@")[0],
                                 role=args.role, password=password)
    except users.UserError as exc:
        raise CliError(str(exc)) from exc
    print(f"Cuenta creada: {user.email} ({users.ROLE_LABELS[user.role]}).")
    return 0


def _health(args: argparse.Namespace) -> int:
    from core.health import check_health, describe_app_runs, is_healthy

    report = check_health()
    if args.json:
        emit_json(report)
    else:
        for name, value in report.items():
            print(f"{name}: {describe_app_runs(value) if name == 'app_runs' else value}")
    return 0 if is_healthy(report) else 1
