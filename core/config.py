"""The one settings object: read from the environment and `.env`, validated at start."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ReadableError

ROOT = Path(__file__).resolve().parents[1]

# Values that must never reach production: the defaults below and the usual suspects.
PLACEHOLDERS = {"", "changeme", "cambiame", "secret", "password", "admin", "masterkey",
                "dev-cookie-key-cambiame-en-produccion", "Admin1234!"}


class SettingsError(ReadableError, ValueError):
    """Settings that cannot run; the message is in Spanish."""


class Settings(BaseSettings):
    """Every knob of the app. Nothing else in the code reads os.environ."""

    model_config = SettingsConfigDict(env_file=ROOT / ".env", extra="ignore")

    app_env: Literal["development", "production"] = "development"
    database_url: str = f"sqlite:///{ROOT / 'data' / 'devcompras.db'}"
    redis_url: str | None = None
    erp_source: Literal["demo", "firebird"] = "demo"
    demo_scale: float = Field(1.0, gt=0)

    firebird_host: str = "127.0.0.1"
    firebird_port: int = 3050
    firebird_database: str = ""
    firebird_user: str = "SYSDBA"
    firebird_password: str = "masterkey"
    firebird_charset: str = "WIN1252"
    firebird_price_list_id: int | None = None  # PRECIO_EMPRESA_ID; None = the lowest
    firebird_batch_size: int = Field(20_000, gt=0)
    firebird_connect_timeout: int = Field(10, gt=0)
    # Processes that share a full read of ventas: decoding Firebird rows is the sync's slowest part.
    firebird_readers: int = Field(2, gt=0, le=8)
    # Cleaning up old record versions is the ERP server's housekeeping: done by our reads, it
    # doubled an incremental sync's read and wrote pages on Microsip's server during business hours.
    firebird_garbage_collect: bool = False
    # Per-entity SQL for sites that expose their own views (same field order as core.erp.source).
    firebird_sql_productos: str | None = None
    firebird_sql_almacenes: str | None = None
    firebird_sql_inventario: str | None = None
    firebird_sql_clientes: str | None = None
    firebird_sql_ventas: str | None = None

    openai_api_key: str | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"

    # AI query (core/ask): limits of the read that runs a question's SQL, and of the LLM call.
    ask_statement_timeout_s: float = Field(5.0, gt=0, le=300)
    ask_rate_limit_per_minute: int = Field(10, ge=0)  # per user; 0 = no limit
    ask_llm_timeout_s: float = Field(30.0, gt=0)

    cookie_key: str = "dev-cookie-key-cambiame-en-produccion"
    admin_email: str = "admin@devcompras.mx"
    admin_password: str = "Admin1234!"
    # Open sign-up creates viewers, who see sales figures: a site exposed beyond its office turns it off.
    allow_self_registration: bool = True

    storage_dir: Path = ROOT / "data" / "storage"
    upload_max_mb: int = Field(10, gt=0)

    sync_productos_cron: str = "0 */6 * * *"
    sync_inventario_cron: str = "0 */2 * * *"
    sync_ventas_cron: str = "0 * * * *"
    sync_lookback_days: int = Field(3, ge=0)
    job_retry_max: int = Field(3, ge=0)
    job_retry_backoff_s: int = Field(10, ge=1)

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, url: str) -> str:
        # Managed PostgreSQL hands out postgres:// URLs; SQLAlchemy wants the driver named.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix):]
        return url

    @field_validator("redis_url", "openai_api_key", "openai_base_url")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.app_env != "production":
            return self
        problems = []
        if self.cookie_key in PLACEHOLDERS or len(self.cookie_key) < 32:
            problems.append("COOKIE_KEY falta o es un valor de ejemplo (mínimo 32 caracteres)")
        if self.admin_password in PLACEHOLDERS or len(self.admin_password) < 10:
            problems.append("ADMIN_PASSWORD falta o es un valor de ejemplo (mínimo 10 caracteres)")
        if problems:
            raise SettingsError("No se puede iniciar en producción: " + "; ".join(problems) + ".")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def demo_mode(self) -> bool:
        """Demo accounts exist and are shown only when running on the demo ERP outside production."""
        return self.app_env != "production" and self.erp_source == "demo"


@lru_cache
def get_settings() -> Settings:
    return Settings()


_SPANISH_ERRORS = {
    "int_parsing": "debe ser un número entero",
    "float_parsing": "debe ser un número",
    "greater_than": "debe ser mayor que cero",
    "literal_error": "debe ser uno de:",
    "bool_parsing": "debe ser true o false",
}


def describe_settings_error(exc: Exception) -> str:
    """One Spanish line for a settings ValidationError (without pydantic's own prefixes)."""
    errors = getattr(exc, "errors", None)
    if errors is None:
        return str(exc)
    parts = []
    for err in errors():
        inner = err.get("ctx", {}).get("error")
        where = ".".join(str(p) for p in err.get("loc", ())).upper()
        message = _SPANISH_ERRORS.get(err.get("type", ""), err["msg"])
        if err.get("type") == "literal_error":
            message += " " + err.get("ctx", {}).get("expected", "")
        parts.append(str(inner) if inner else f"{where}: {message}.")
    return "Configuración inválida: " + " ".join(parts)
