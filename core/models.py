"""The data model: SQLAlchemy Core tables, named as in ARCHITECTURE.md (a contract: add, never rename)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Money = Numeric(15, 2)
UnitPrice = Numeric(18, 6)
Quantity = Numeric(18, 5)


def _created() -> Column:
    return Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp())


def _updated() -> Column:
    return Column("updated_at", DateTime, nullable=False, server_default=func.current_timestamp())


erp_productos = Table(
    "erp_productos", metadata,
    Column("id", Integer, primary_key=True),
    Column("codigo", String(50), nullable=False, unique=True),
    Column("nombre", String(255), nullable=False),
    Column("descripcion", Text),
    Column("precio", Money),
    Column("costo", UnitPrice),
    Column("categoria", String(100)),
    Column("grupo", String(100)),
    Column("unidad_medida", String(20)),
    Column("activo", Boolean, nullable=False, server_default=text("true")),
    Column("origen", String(10), nullable=False, server_default="erp"),
    Column("erp_id", String(40), unique=True),
    Column("last_synced_at", DateTime),
    Column("sync_status", String(20)),
    # Ours alone (migration 0008): the sync never writes it, so it stays editable on ERP products.
    Column("notas", Text),
    _created(),
    _updated(),
    Index("idx_erp_productos_categoria", "categoria"),
    Index("idx_erp_productos_nombre", "nombre"),
    # PostgreSQL only (migration 0008), generated, so left out of this table: palabras text[]
    # (folded words of "codigo nombre", GIN) and codigo_simple (código without separators).
)

# Every distinct word of the catalog, for the typo-tolerant search: a similar word is found here
# (pg_trgm), the products through erp_productos.palabras. Filled by a trigger on PostgreSQL;
# unused on SQLite, where the search runs in Python.
erp_productos_palabras = Table(
    "erp_productos_palabras", metadata,
    Column("palabra", Text, primary_key=True),
)

erp_almacenes = Table(
    "erp_almacenes", metadata,
    Column("id", Integer, primary_key=True),
    Column("erp_id", String(40), unique=True),
    Column("nombre", String(100), nullable=False, unique=True),
    Column("origen", String(10), nullable=False, server_default="erp"),
    Column("activo", Boolean, nullable=False, server_default=text("true")),
    Column("last_synced_at", DateTime),
    _created(),
    _updated(),
)

erp_inventario = Table(
    "erp_inventario", metadata,
    Column("id", Integer, primary_key=True),
    Column("producto_id", Integer, ForeignKey("erp_productos.id", ondelete="CASCADE"), nullable=False),
    Column("almacen_id", Integer, ForeignKey("erp_almacenes.id", ondelete="CASCADE"), nullable=False),
    Column("stock_actual", Quantity, nullable=False, server_default="0"),
    Column("stock_minimo", Quantity, nullable=False, server_default="0"),
    Column("punto_reorden", Quantity),
    Column("stock_maximo", Quantity),
    Column("ubicacion", String(50)),
    Column("upload_id", Integer, ForeignKey("uploads.id", ondelete="SET NULL")),
    Column("last_synced_at", DateTime),
    _created(),
    _updated(),
    UniqueConstraint("producto_id", "almacen_id", name="uq_erp_inventario_producto_almacen"),
    Index("idx_erp_inventario_almacen", "almacen_id"),
    Index(
        "idx_erp_inventario_stock_bajo", "stock_actual",
        postgresql_where=text("stock_actual < stock_minimo"),
        sqlite_where=text("stock_actual < stock_minimo"),
    ),
)

erp_clientes = Table(
    "erp_clientes", metadata,
    Column("id", Integer, primary_key=True),
    Column("erp_id", String(40), nullable=False, unique=True),
    Column("clave", String(30)),
    Column("nombre", String(255), nullable=False),
    Column("rfc", String(20)),
    Column("email", String(255)),
    Column("telefono", String(50)),
    Column("direccion", Text),
    Column("activo", Boolean, nullable=False, server_default=text("true")),
    Column("last_synced_at", DateTime),
    _created(),
    _updated(),
)

erp_ventas = Table(
    "erp_ventas", metadata,
    Column("id", Integer, primary_key=True),
    Column("origen", String(10), nullable=False),  # VE, PV or EXCEL
    Column("erp_id", String(80), nullable=False),
    Column("tipo", String(2)),
    Column("folio", String(40)),
    Column("fecha", DateTime, nullable=False),
    # No foreign keys on cliente_id/almacen_id (migration 0003): see erp_ventas_detalle.
    Column("cliente_id", Integer),  # -> erp_clientes.id
    Column("cliente_nombre", String(255)),
    Column("almacen_id", Integer),  # -> erp_almacenes.id
    Column("subtotal", Money, nullable=False, server_default="0"),
    Column("iva", Money, nullable=False, server_default="0"),
    Column("total", Money, nullable=False, server_default="0"),
    Column("estatus", String(2)),
    Column("modificado_en", DateTime),
    Column("upload_id", Integer, ForeignKey("uploads.id", ondelete="CASCADE")),
    Column("last_synced_at", DateTime),
    _created(),
    UniqueConstraint("origen", "erp_id", name="uq_erp_ventas_origen_erp_id"),
    Index("idx_erp_ventas_fecha", text("fecha DESC")),
    Index("idx_erp_ventas_cliente_fecha", "cliente_id", text("fecha DESC")),
    Index("idx_erp_ventas_almacen_fecha", "almacen_id", "fecha"),
    Index("idx_erp_ventas_upload", "upload_id"),
)

erp_ventas_detalle = Table(
    "erp_ventas_detalle", metadata,
    # Keyed by document and position (migration 0006): a serial id would be a third index to
    # maintain on every bulk load, and nothing looks a line up by it.
    # No foreign keys on this fact table (migration 0003): their per-row checks cost more than the
    # load itself. Loaders resolve the ids in the same transaction and delete lines before documents;
    # products, customers and almacenes are inactivated, never deleted.
    Column("venta_id", Integer, nullable=False),  # -> erp_ventas.id
    Column("linea", Integer, nullable=False),
    Column("producto_id", Integer, nullable=False),  # -> erp_productos.id
    Column("cantidad", Quantity, nullable=False),
    Column("precio_unitario", UnitPrice),
    Column("importe", Money, nullable=False),
    PrimaryKeyConstraint("venta_id", "linea", name="pk_erp_ventas_detalle"),
    Index("idx_erp_ventas_detalle_producto", "producto_id"),
)

sync_jobs = Table(
    "sync_jobs", metadata,
    Column("id", Integer, primary_key=True),
    Column("job_type", String(20), nullable=False),  # productos, inventario, clientes, ventas
    Column("trigger", String(10), nullable=False, server_default="manual"),  # cron, manual, startup
    Column("source", String(20)),
    Column("full", Boolean, nullable=False, server_default=text("false")),
    Column("status", String(12), nullable=False, server_default="pending"),
    Column("progress", Float, nullable=False, server_default="0"),
    Column("records_processed", Integer, nullable=False, server_default="0"),
    Column("records_created", Integer, nullable=False, server_default="0"),
    Column("records_updated", Integer, nullable=False, server_default="0"),
    Column("records_unchanged", Integer, nullable=False, server_default="0"),
    Column("records_failed", Integer, nullable=False, server_default="0"),
    Column("watermark", DateTime),
    Column("error_message", Text),
    Column("rq_job_id", String(64)),
    Column("requested_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("started_at", DateTime),
    Column("completed_at", DateTime),
    _created(),
    Index("idx_sync_jobs_status_created", "status", text("created_at DESC")),
)

# Any enqueued job (sync, upload, forecast): status and progress that pages poll.
jobs = Table(
    "jobs", metadata,
    Column("id", String(64), primary_key=True),  # also the RQ job id
    Column("kind", String(30), nullable=False),
    Column("queue", String(20), nullable=False),
    Column("status", String(12), nullable=False, server_default="pending"),
    Column("progress", Float, nullable=False, server_default="0"),
    Column("message", Text),
    Column("result", Text),  # JSON
    Column("error_message", Text),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("started_at", DateTime),
    Column("completed_at", DateTime),
    _created(),
    Index("idx_jobs_kind_created", "kind", text("created_at DESC")),
)

# Sync leases for databases without advisory locks (SQLite): one row per entity being synced.
sync_locks = Table(
    "sync_locks", metadata,
    Column("entity", String(20), primary_key=True),
    Column("owner", String(120), nullable=False),
    Column("acquired_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

uploads = Table(
    "uploads", metadata,
    Column("id", Integer, primary_key=True),
    Column("filename", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("kind", String(12)),  # inventory, sales
    Column("store", String(100)),
    Column("almacen_id", Integer, ForeignKey("erp_almacenes.id", ondelete="SET NULL")),
    Column("date_from", Date),
    Column("date_to", Date),
    Column("rows_ok", Integer, nullable=False, server_default="0"),
    Column("rows_rejected", Integer, nullable=False, server_default="0"),
    Column("records_created", Integer, nullable=False, server_default="0"),
    Column("records_updated", Integer, nullable=False, server_default="0"),
    Column("status", String(12), nullable=False, server_default="pending"),
    Column("errors", Text),
    Column("stored_path", Text),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("replaced_by", Integer),
    _created(),
    Index("idx_uploads_sha256", "sha256"),
)

# What an inventory upload overwrote, written in the load's transaction: undoing (or replacing)
# the upload puts these rows back instead of deleting stock the ERP or an earlier upload owned.
upload_stock_snapshots = Table(
    "upload_stock_snapshots", metadata,
    Column("upload_id", Integer, ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True),
    Column("producto_id", Integer, primary_key=True),
    Column("almacen_id", Integer, primary_key=True),
    Column("existed", Boolean, nullable=False),  # false: the upload created the row
    Column("stock_actual", Quantity),
    Column("stock_minimo", Quantity),
    Column("punto_reorden", Quantity),
    Column("stock_maximo", Quantity),
    Column("prev_upload_id", Integer),  # the row's upload_id before (NULL = the ERP's)
)

# The sales documents (and their lines) a sales upload took over from another live upload, kept so
# that undoing it gives them back instead of deleting that upload's sales.
upload_sales_snapshots = Table(
    "upload_sales_snapshots", metadata,
    Column("upload_id", Integer, ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True),
    Column("venta_id", Integer, primary_key=True),
    Column("prev_upload_id", Integer),
    Column("erp_id", String(80), nullable=False),
    Column("tipo", String(2)),
    Column("folio", String(40)),
    Column("fecha", DateTime, nullable=False),
    Column("cliente_id", Integer),
    Column("cliente_nombre", String(255)),
    Column("almacen_id", Integer),
    Column("subtotal", Money, nullable=False),
    Column("iva", Money, nullable=False),
    Column("total", Money, nullable=False),
    Column("estatus", String(2)),
)

upload_sales_line_snapshots = Table(
    "upload_sales_line_snapshots", metadata,
    Column("upload_id", Integer, ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True),
    Column("venta_id", Integer, primary_key=True),
    Column("linea", Integer, primary_key=True),
    Column("producto_id", Integer, nullable=False),
    Column("cantidad", Quantity, nullable=False),
    Column("precio_unitario", UnitPrice),
    Column("importe", Money, nullable=False),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(255), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("role", String(10), nullable=False, server_default="viewer"),
    Column("password_hash", String(100), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("first_failed_at", DateTime),
    Column("locked_until", DateTime),
    Column("last_login_at", DateTime),
    # Signed into the session cookie; bumped to end every session of the account (logout,
    # deactivation, role or password change).
    Column("session_version", Integer, nullable=False, server_default="0"),
    _created(),
    _updated(),
)

query_history = Table(
    "query_history", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("question", Text, nullable=False),
    Column("sql", Text),
    Column("explanation", Text),
    Column("rows", Integer),
    Column("ms", Integer),
    Column("status", String(12), nullable=False),
    Column("error", Text),
    _created(),
    Index("idx_query_history_user_created", "user_id", text("created_at DESC")),
)

# One training run: the weekly/after-sync batch, one manager's retrain, or one product on demand.
forecast_runs = Table(
    "forecast_runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(12), nullable=False, server_default="batch"),  # batch / single
    Column("status", String(12), nullable=False, server_default="pending"),
    Column("trigger", String(20), nullable=False, server_default="manual"),
    Column("job_id", String(64)),  # the jobs row of a batch
    Column("almacen_id", Integer, ForeignKey("erp_almacenes.id", ondelete="CASCADE")),  # NULL = all
    Column("horizon_days", Integer, nullable=False, server_default="90"),
    Column("history_days", Integer, nullable=False, server_default="730"),
    Column("products", Integer, nullable=False, server_default="0"),
    Column("products_done", Integer, nullable=False, server_default="0"),
    Column("products_failed", Integer, nullable=False, server_default="0"),
    Column("parameters", Text),  # JSON
    Column("message", Text),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("started_at", DateTime),
    Column("completed_at", DateTime),
    _created(),
    # 0001's contract, back in 0011: the chosen model of a single-product run ("auto" for a
    # batch) and the run's pooled backtest metrics (JSON), both written when the run completes.
    Column("model", String(40)),
    Column("metrics", Text),
    Column("purged_at", DateTime),  # when retention deleted this run's daily forecasts rows
    Index("idx_forecast_runs_created", text("created_at DESC")),
)

# One row per product and run: the chosen model, its class, its backtest metrics and the
# candidates' scores (what 0010 kept in forecasts; moved here in 0011). Kept after retention
# deletes the run's daily rows, as the history of each product's accuracy.
forecast_models = Table(
    "forecast_models", metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("forecast_runs.id", ondelete="CASCADE"), nullable=False),
    Column("producto_id", Integer, ForeignKey("erp_productos.id", ondelete="CASCADE"), nullable=False),
    Column("modelo", String(40), nullable=False),
    Column("clase", String(20), nullable=False),  # smooth / erratic / intermittent / lumpy / none
    Column("fecha_inicio", Date, nullable=False),  # the first forecast day
    Column("metricas", Text, nullable=False),  # JSON
    Column("candidatos", Text, nullable=False),  # JSON {modelo: {rmsse, mae, ...}}
    _created(),
    UniqueConstraint("run_id", "producto_id", name="uq_forecast_models_run_producto"),
    Index("idx_forecast_models_producto_run", "producto_id", text("run_id DESC")),
)

# The daily forecast, one row per product, run and day (0001's contract): yhat with its 95 %
# bounds (yhat_lower/yhat_upper, as 0001 named them) and the 80 % bounds added beside them.
# Reads go by (run_id, producto_id) [, fecha]: the unique index is the read index. Only the
# latest few runs keep these rows (core.forecast.store.purge_old_runs).
forecasts = Table(
    "forecasts", metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("forecast_runs.id", ondelete="CASCADE"), nullable=False),
    Column("producto_id", Integer, ForeignKey("erp_productos.id", ondelete="CASCADE"), nullable=False),
    Column("fecha", Date, nullable=False),
    Column("yhat", Float, nullable=False),
    Column("yhat_lower", Float),  # 95 %
    Column("yhat_upper", Float),  # 95 %
    Column("yhat_lower_80", Float),
    Column("yhat_upper_80", Float),
    UniqueConstraint("run_id", "producto_id", "fecha", name="uq_forecasts_run_producto_fecha"),
)

# Purchase settings: one global row (scope "global", key ""), one per línea (key = the línea)
# and one per product (key = its id). The key is never NULL, so (scope, key) is unique on
# every database (the old (producto_id, categoria) constraint never fired with a NULL).
purchase_settings = Table(
    "purchase_settings", metadata,
    Column("id", Integer, primary_key=True),
    Column("scope", String(10), nullable=False),  # global / linea / producto
    Column("scope_key", String(100), nullable=False, server_default=""),
    Column("producto_id", Integer, ForeignKey("erp_productos.id", ondelete="CASCADE")),
    Column("lead_time_days", Integer),
    Column("review_period_days", Integer),
    Column("service_level", Float),
    Column("pack_size", Quantity),
    Column("moq", Quantity),
    Column("snoozed_until", Date),  # a product the buyer put aside until this day
    Column("categoria", String(100)),  # 0001's column: the línea of a línea row, else NULL
    Column("updated_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    _updated(),
    UniqueConstraint("scope", "scope_key", name="uq_purchase_settings_scope_key"),
)

# Every change a person makes (products now; purchase settings and users later): who, when, what,
# and the changed fields before and after as JSON. user_email/user_name keep "who" after the account
# goes, and name the CLI operator, who has no account row.
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("user_email", String(255), nullable=False),
    Column("user_name", String(255)),
    Column("entity", String(40), nullable=False),  # producto, purchase_settings, user…
    Column("entity_id", String(80), nullable=False),
    Column("entity_label", String(255)),  # what a person recognises: the código, an e-mail
    Column("action", String(20), nullable=False),  # create, update, delete
    Column("before", Text),  # JSON of the changed fields, NULL on create
    Column("after", Text),  # JSON, NULL on delete
    Index("idx_audit_log_created", text("created_at DESC")),
    Index("idx_audit_log_entity", "entity", "entity_id"),
)

data_versions = Table(
    "data_versions", metadata,
    Column("domain", String(20), primary_key=True),
    Column("version", Integer, nullable=False, server_default="0"),
    _updated(),
)

DOMAINS = ("catalog", "stock", "customers", "sales", "uploads", "sync", "forecasts", "users",
           "purchasing")
