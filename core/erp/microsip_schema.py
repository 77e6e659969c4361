"""The Microsip tables the reader uses, as real Microsip databases declare them.

Names and Firebird types follow ``shared/docs/microsip.md``: integer ids named
``<X>_ID`` drawn from the shared generator ``ID_DOCTOS``, CHAR(1) 'S'/'N' flags,
money NUMERIC(15,2), unit prices NUMERIC(18,6), quantities NUMERIC(18,5) and the
audit columns. Only the columns the demo fills or the reader reads are declared;
a real database has many more.

The same declaration gives Firebird DDL (the demo ``.fdb``) and SQLite DDL (the
in-memory demo ERP), so one set of SELECTs runs on both.
"""

from __future__ import annotations

from dataclasses import dataclass

GENERATOR = "ID_DOCTOS"

# Column kinds, used by the loaders to render values.
INT, SMALLINT, CHAR1, TEXT, MONEY, PRICE, QTY, RATE, DATE, TIME, TIMESTAMP, BLOB_TEXT = (
    "int",
    "smallint",
    "char1",
    "text",
    "money",
    "price",
    "qty",
    "rate",
    "date",
    "time",
    "timestamp",
    "blob_text",
)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    size: int = 0  # VARCHAR / CHAR length
    not_null: bool = False
    default: str | None = None  # SQL literal

    @property
    def firebird_type(self) -> str:
        return {
            INT: "INTEGER",
            SMALLINT: "SMALLINT",
            CHAR1: "CHAR(1)",
            MONEY: "NUMERIC(15,2)",
            PRICE: "NUMERIC(18,6)",
            QTY: "NUMERIC(18,5)",
            RATE: "NUMERIC(9,6)",
            DATE: "DATE",
            TIME: "TIME",
            TIMESTAMP: "TIMESTAMP",
            BLOB_TEXT: "BLOB SUB_TYPE TEXT",
        }.get(self.kind) or (
            f"CHAR({self.size})" if self.kind == "char" else f"VARCHAR({self.size})"
        )

    @property
    def sqlite_type(self) -> str:
        # Same declared names, so the demo looks like Microsip to anyone who inspects it.
        return "TEXT" if self.kind == BLOB_TEXT else self.firebird_type


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name}.{name}")


def _c(
    name: str, kind: str, size: int = 0, *, nn: bool = False, default: str | None = None
) -> Column:
    return Column(name, kind, size, nn, default)


def _id(name: str) -> Column:
    return Column(name, INT, not_null=True)


def _flag(name: str, default: str) -> Column:
    return Column(name, CHAR1, not_null=True, default=f"'{default}'")


AUDIT = (
    _c("USUARIO_CREADOR", "varchar", 31),
    _c("FECHA_HORA_CREACION", TIMESTAMP),
    _c("USUARIO_ULT_MODIF", "varchar", 31),
    _c("FECHA_HORA_ULT_MODIF", TIMESTAMP),
)
CANCEL_AUDIT = (
    _c("USUARIO_CANCELACION", "varchar", 31),
    _c("FECHA_HORA_CANCELACION", TIMESTAMP),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "GRUPOS_LINEAS",
            (
                _id("GRUPO_LINEA_ID"),
                _c("NOMBRE", "varchar", 50, nn=True),
                _c("CUENTA_VENTAS", "varchar", 30),
                *AUDIT,
            ),
            ("GRUPO_LINEA_ID",),
        ),
        Table(
            "LINEAS_ARTICULOS",
            (
                _id("LINEA_ARTICULO_ID"),
                _c("NOMBRE", "varchar", 50, nn=True),
                _c("CLAVE", "varchar", 20),
                _c("GRUPO_LINEA_ID", INT),
                _flag("ES_PREDET", "N"),
                _flag("OCULTO", "N"),
                _c("CUENTA_VENTAS", "varchar", 30),
                *AUDIT,
            ),
            ("LINEA_ARTICULO_ID",),
        ),
        Table(
            "ARTICULOS",
            (
                _id("ARTICULO_ID"),
                _c("NOMBRE", "varchar", 200, nn=True),
                _c("LINEA_ARTICULO_ID", INT),
                _flag("ESTATUS", "A"),
                _c("CAUSA_SUSP", "varchar", 100),
                _c("FECHA_SUSP", DATE),
                _flag("ES_ALMACENABLE", "S"),
                _flag("ES_JUEGO", "N"),
                _c("UNIDAD_VENTA", "varchar", 20, default="'PIEZA'"),
                _c("UNIDAD_COMPRA", "varchar", 20, default="'PIEZA'"),
                _c("FACTOR_VENTA", QTY, default="1"),
                _c("PESO_UNITARIO", QTY),
                _c("CUENTA_VENTAS", "varchar", 30),
                _c("CUENTA_ALMACEN", "varchar", 30),
                _c("CUENTA_COSTO_VENTA", "varchar", 30),
                _c("NOTAS_VENTAS", BLOB_TEXT),
                _c("COSTO_ULTIMA_COMPRA", PRICE),
                *AUDIT,
            ),
            ("ARTICULO_ID",),
            (("LINEA_ARTICULO_ID",),),
        ),
        Table(
            "ROLES_CLAVES_ARTICULOS",
            (
                _id("ROL_CLAVE_ART_ID"),
                _c("NOMBRE", "varchar", 50, nn=True),
                _flag("ES_PPAL", "N"),
            ),
            ("ROL_CLAVE_ART_ID",),
        ),
        Table(
            "CLAVES_ARTICULOS",
            (
                _id("CLAVE_ARTICULO_ID"),
                _c("CLAVE_ARTICULO", "varchar", 20, nn=True),
                _c("ARTICULO_ID", INT, nn=True),
                _c("ROL_CLAVE_ART_ID", INT, nn=True),
            ),
            ("CLAVE_ARTICULO_ID",),
            (("ARTICULO_ID",), ("CLAVE_ARTICULO",)),
        ),
        Table(
            "ALMACENES",
            (
                _id("ALMACEN_ID"),
                _c("NOMBRE", "varchar", 50, nn=True),
                _c("NOMBRE_ABREV", "varchar", 30),
                _flag("ES_PREDET", "N"),
                _flag("OCULTO", "N"),
                *AUDIT,
            ),
            ("ALMACEN_ID",),
        ),
        Table(
            "PRECIOS_EMPRESA",
            (
                _id("PRECIO_EMPRESA_ID"),
                _c("NOMBRE", "varchar", 30, nn=True),
                _c("POSICION", SMALLINT),
                *AUDIT,
            ),
            ("PRECIO_EMPRESA_ID",),
        ),
        Table(
            "PRECIOS_ARTICULOS",
            (
                _id("PRECIO_ARTICULO_ID"),
                _c("ARTICULO_ID", INT, nn=True),
                _c("PRECIO_EMPRESA_ID", INT, nn=True),
                _c("MONEDA_ID", INT, nn=True, default="1"),
                _c("PRECIO", PRICE, nn=True, default="0"),
                _c("FECHA_HORA_ULT_MODIF", TIMESTAMP),
            ),
            ("PRECIO_ARTICULO_ID",),
            (("ARTICULO_ID", "PRECIO_EMPRESA_ID"),),
        ),
        Table(
            "NIVELES_ARTICULOS",
            (
                _c("ARTICULO_ID", INT, nn=True),
                _c("ALMACEN_ID", INT, nn=True),
                _c("INVENTARIO_MINIMO", QTY, default="0"),
                _c("PUNTO_REORDEN", QTY, default="0"),
                _c("INVENTARIO_MAXIMO", QTY, default="0"),
                _c("LOCALIZACION", "varchar", 20),
            ),
            ("ARTICULO_ID", "ALMACEN_ID"),
        ),
        Table(
            "SALDOS_IN",
            (
                _c("ARTICULO_ID", INT, nn=True),
                _c("ALMACEN_ID", INT, nn=True),
                _c("ANO", SMALLINT, nn=True),
                _c("MES", SMALLINT, nn=True),
                _c("ULTIMO_DIA", SMALLINT, nn=True),
                _c("ENTRADAS_UNIDADES", QTY, nn=True, default="0"),
                _c("SALIDAS_UNIDADES", QTY, nn=True, default="0"),
                _c("ENTRADAS_COSTO", MONEY, nn=True, default="0"),
                _c("SALIDAS_COSTO", MONEY, nn=True, default="0"),
            ),
            ("ARTICULO_ID", "ALMACEN_ID", "ANO", "MES", "ULTIMO_DIA"),
        ),
        Table(
            "CLIENTES",
            (
                _id("CLIENTE_ID"),
                _c("NOMBRE", "varchar", 200, nn=True),
                _c("CONTACTO1", "varchar", 50),
                _c("CONTACTO2", "varchar", 50),
                _flag("ESTATUS", "A"),
                _c("CAUSA_SUSP", "varchar", 100),
                _c("FECHA_SUSP", DATE),
                _c("LIMITE_CREDITO", MONEY, default="0"),
                _c("MONEDA_ID", INT, default="1"),
                _c("COND_PAGO_ID", INT),
                _c("TIPO_CLIENTE_ID", INT),
                _c("ZONA_CLIENTE_ID", INT),
                _c("COBRADOR_ID", INT),
                _c("VENDEDOR_ID", INT),
                _c("CUENTA_CXC", "varchar", 30),
                _flag("COBRAR_IMPUESTOS", "S"),
                _flag("SUJETO_IEPS", "N"),
                *AUDIT,
            ),
            ("CLIENTE_ID",),
        ),
        Table(
            "CLAVES_CLIENTES",
            (
                _id("CLAVE_CLIENTE_ID"),
                _c("CLAVE_CLIENTE", "varchar", 20, nn=True),
                _c("CLIENTE_ID", INT, nn=True),
                _c("ROL_CLAVE_CLI_ID", INT),
            ),
            ("CLAVE_CLIENTE_ID",),
            (("CLIENTE_ID",),),
        ),
        Table(
            "DIRS_CLIENTES",
            (
                _id("DIR_CLI_ID"),
                _c("CLIENTE_ID", INT, nn=True),
                _c("NOMBRE_CONSIG", "varchar", 50),
                _c("CALLE", "varchar", 430),
                _c("NOMBRE_CALLE", "varchar", 100),
                _c("NUM_EXTERIOR", "varchar", 10),
                _c("NUM_INTERIOR", "varchar", 10),
                _c("COLONIA", "varchar", 100),
                _c("POBLACION", "varchar", 100),
                _c("REFERENCIA", "varchar", 100),
                _c("CIUDAD_ID", INT),
                _c("ESTADO_ID", INT),
                _c("PAIS_ID", INT),
                _c("CODIGO_POSTAL", "varchar", 10),
                _c("TELEFONO1", "varchar", 35),
                _c("TELEFONO2", "varchar", 35),
                _c("EMAIL", "varchar", 200),
                _c("RFC_CURP", "varchar", 18),
                _flag("ES_DIR_PPAL", "N"),
            ),
            ("DIR_CLI_ID",),
            (("CLIENTE_ID",),),
        ),
        Table(
            "DOCTOS_VE",
            (
                _id("DOCTO_VE_ID"),
                _c("TIPO_DOCTO", CHAR1, nn=True),
                _c("SUBTIPO_DOCTO", CHAR1),
                _c("SUCURSAL_ID", INT),
                _c("FOLIO", "char", 9, nn=True),
                _c("FECHA", DATE, nn=True),
                _c("CLAVE_CLIENTE", "varchar", 20),
                _c("CLIENTE_ID", INT),
                _c("DIR_CLI_ID", INT),
                _c("ALMACEN_ID", INT),
                _c("MONEDA_ID", INT, default="1"),
                _c("TIPO_CAMBIO", PRICE, default="1"),
                _flag("ESTATUS", "N"),
                _flag("APLICADO", "S"),
                _c("IMPORTE_NETO", MONEY, default="0"),
                _c("TOTAL_IMPUESTOS", MONEY, default="0"),
                _c("TOTAL_RETENCIONES", MONEY, default="0"),
                _c("DSCTO_IMPORTE", MONEY, default="0"),
                _c("COND_PAGO_ID", INT),
                _c("VENDEDOR_ID", INT),
                _c("USO_CFDI", "varchar", 3),
                _c("METODO_PAGO_SAT", "varchar", 3),
                *AUDIT,
                *CANCEL_AUDIT,
            ),
            ("DOCTO_VE_ID",),
            (("FECHA_HORA_ULT_MODIF",), ("TIPO_DOCTO", "FECHA")),
        ),
        Table(
            "DOCTOS_VE_DET",
            (
                _id("DOCTO_VE_DET_ID"),
                _c("DOCTO_VE_ID", INT, nn=True),
                _c("CLAVE_ARTICULO", "varchar", 20),
                _c("ARTICULO_ID", INT, nn=True),
                _c("UNIDADES", QTY, nn=True, default="0"),
                _c("UNIDADES_SURT_DEV", QTY, default="0"),
                _c("PRECIO_UNITARIO", PRICE, default="0"),
                _c("PCTJE_DSCTO", RATE, default="0"),
                _c("PRECIO_TOTAL_NETO", MONEY, default="0"),
                _c("POSICION", INT),
            ),
            ("DOCTO_VE_DET_ID",),
            (("DOCTO_VE_ID",), ("ARTICULO_ID",)),
        ),
        Table(
            # a document generated from another: remisión → factura, factura → devolución, …
            "DOCTOS_VE_LIGAS",
            (
                _id("DOCTO_VE_LIGA_ID"),
                _c("DOCTO_VE_FTE_ID", INT, nn=True),
                _c("DOCTO_VE_DEST_ID", INT, nn=True),
            ),
            ("DOCTO_VE_LIGA_ID",),
            (("DOCTO_VE_FTE_ID",), ("DOCTO_VE_DEST_ID",)),
        ),
        Table(
            "DOCTOS_PV",
            (
                _id("DOCTO_PV_ID"),
                _c("CAJA_ID", INT),
                _c("CAJERO_ID", INT),
                _c("TIPO_DOCTO", CHAR1, nn=True),
                _c("FOLIO", "char", 9, nn=True),
                _c("FECHA", DATE, nn=True),
                _c("HORA", TIME),
                _c("CLAVE_CLIENTE", "varchar", 20),
                _c("CLIENTE_ID", INT),
                _c("CLIENTE_FAC_ID", INT),
                _c("ALMACEN_ID", INT),
                _c("VENDEDOR_ID", INT),
                _c("SUCURSAL_ID", INT),
                _c("MONEDA_ID", INT, default="1"),
                _flag("IMPUESTO_INCLUIDO", "S"),
                _flag("ESTATUS", "N"),
                _flag("APLICADO", "S"),
                _c("IMPORTE_NETO", MONEY, default="0"),
                _c("TOTAL_IMPUESTOS", MONEY, default="0"),
                *AUDIT,
                *CANCEL_AUDIT,
            ),
            ("DOCTO_PV_ID",),
            (("FECHA_HORA_ULT_MODIF",), ("TIPO_DOCTO", "FECHA")),
        ),
        Table(
            "DOCTOS_PV_DET",
            (
                _id("DOCTO_PV_DET_ID"),
                _c("DOCTO_PV_ID", INT, nn=True),
                _c("CLAVE_ARTICULO", "varchar", 20),
                _c("ARTICULO_ID", INT, nn=True),
                _c("UNIDADES", QTY, nn=True, default="0"),
                _c("UNIDADES_DEV", QTY, default="0"),
                _c("PRECIO_UNITARIO", PRICE, default="0"),
                _c("PRECIO_UNITARIO_IMPTO", PRICE, default="0"),
                _c("PCTJE_DSCTO", RATE, default="0"),
                _c("PRECIO_TOTAL_NETO", MONEY, default="0"),
                _c("VENDEDOR_ID", INT),
                _c("POSICION", INT),
            ),
            ("DOCTO_PV_DET_ID",),
            (("DOCTO_PV_ID",), ("ARTICULO_ID",)),
        ),
    )
}

# Load order (referenced tables first).
TABLE_ORDER: tuple[str, ...] = tuple(TABLES)


def _column_sql(col: Column, dialect: str) -> str:
    typ = col.firebird_type if dialect == "firebird" else col.sqlite_type
    sql = f"{col.name} {typ}"
    if col.default is not None:
        sql += f" DEFAULT {col.default}"
    if col.not_null:
        sql += " NOT NULL"
    return sql


def create_table_sql(table: Table, dialect: str = "firebird", *, primary_key: bool = True) -> str:
    cols = [_column_sql(c, dialect) for c in table.columns]
    if primary_key:
        cols.append(primary_key_clause(table))
    return f"CREATE TABLE {table.name} (\n  " + ",\n  ".join(cols) + "\n)"


def primary_key_clause(table: Table) -> str:
    return f"CONSTRAINT PK_{table.name} PRIMARY KEY ({', '.join(table.primary_key)})"


def index_sql(table: Table) -> list[str]:
    return [
        f"CREATE INDEX IX_{table.name}_{i + 1} ON {table.name} ({', '.join(cols)})"
        for i, cols in enumerate(table.indexes)
    ]


def ddl(dialect: str = "firebird", *, indexes: bool = True, primary_keys: bool = True) -> list[str]:
    """CREATE statements for every table (and, on Firebird, the ``ID_DOCTOS`` generator).

    ``dialect`` is ``"firebird"`` or ``"sqlite"``. A bulk load passes ``indexes=False,
    primary_keys=False`` and runs ``constraint_ddl()`` afterwards (faster than
    maintaining the indexes row by row).
    """
    if dialect not in ("firebird", "sqlite"):
        raise ValueError(f"dialecto desconocido: {dialect}")
    stmts: list[str] = []
    if dialect == "firebird":
        stmts.append(f"CREATE SEQUENCE {GENERATOR}")
    for name in TABLE_ORDER:
        stmts.append(create_table_sql(TABLES[name], dialect, primary_key=primary_keys))
        if indexes:
            stmts.extend(index_sql(TABLES[name]))
    return stmts


def constraint_ddl(*, primary_keys: bool = True) -> list[str]:
    """Primary keys (Firebird ALTER TABLE) and secondary indexes, for after a bulk load."""
    out: list[str] = []
    for name in TABLE_ORDER:
        if primary_keys:
            out.append(f"ALTER TABLE {name} ADD {primary_key_clause(TABLES[name])}")
        out.extend(index_sql(TABLES[name]))
    return out
