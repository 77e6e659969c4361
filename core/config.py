"""The one settings object: read from the environment and `.env`, validated at start."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ReadableError

ROOT = Path(__file__).resolve().parents[1]

# Values that must never sign cookies or guard an account outside the demo: the defaults below
# and the usual suspects.
PLACEHOLDERS = {"", "changeme", "cambiame", "secret", "password", "admin", "masterkey",
                "dev-cookie-key-cambiame-en-produccion", "Admin1234!"}
# Database passwords everyone knows: Firebird's factory SYSDBA password and our docker-compose's.
DEFAULT_DB_PASSWORDS = {"masterkey", "devcompras", "postgres", "changeme", "cambiame", "password"}


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
    # Open sign-up creates viewers, who see sales figures: on by default in demo mode only
    # (None = decide from the mode; an explicit true/false wins).
    allow_self_registration: bool | None = None

    storage_dir: Path = ROOT / "data" / "storage"
    upload_max_mb: int = Field(10, gt=0)

    sync_productos_cron: str = "0 */6 * * *"
    sync_inventario_cron: str = "0 */2 * * *"
    sync_ventas_cron: str = "0 * * * *"
    sync_lookback_days: int = Field(3, ge=0)
    job_retry_max: int = Field(3, ge=0)
    job_retry_backoff_s: int = Field(10, ge=1)
    forecast_retrain_cron: str = "0 3 * * 0"
    forecast_retrain_after_sync: bool = False
    forecast_history_days: int = Field(730, ge=56, le=3650)
    forecast_chunk_size: int = Field(200, ge=1, le=5000)
    forecast_prophet: bool = True

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
    def _refuse_default_secrets(self) -> Settings:
        # The defaults are public: with real data (production, Microsip, or a PostgreSQL server)
        # they would let anyone sign an admin cookie or log in as the first admin.
        if not self.real_data:
            return self
        problems = []
        if self.cookie_key in PLACEHOLDERS or len(self.cookie_key) < 32:
            problems.append("COOKIE_KEY falta o es un valor de ejemplo (mínimo 32 caracteres)")
        if self.admin_password in PLACEHOLDERS or len(self.admin_password) < 10:
            problems.append("ADMIN_PASSWORD falta o es un valor de ejemplo (mínimo 10 caracteres)")
        if self.app_env == "production":
            problems += self._default_database_passwords()
        if problems:
            raise SettingsError(f"No se puede iniciar {self._real_data_reason()}: "
                                + "; ".join(problems) + ".")
        return self

    @model_validator(mode="after")
    def _self_registration_from_mode(self) -> Settings:
        if self.allow_self_registration is None:
            self.allow_self_registration = self.demo_mode
        return self

    def _default_database_passwords(self) -> list[str]:
        problems = []
        if self.erp_source == "firebird" and self.firebird_password in DEFAULT_DB_PASSWORDS | PLACEHOLDERS:
            problems.append("FIREBIRD_PASSWORD es la contraseña de fábrica o un valor de ejemplo "
                            "(use la de un usuario de Firebird con contraseña propia)")
        if database_password(self.database_url) in DEFAULT_DB_PASSWORDS:
            problems.append("DATABASE_URL lleva una contraseña predeterminada de PostgreSQL "
                            "(cambie la contraseña de la base y POSTGRES_PASSWORD)")
        return problems

    def _real_data_reason(self) -> str:
        if self.app_env == "production":
            return "en producción"
        if self.erp_source == "firebird":
            return "con datos reales (ERP_SOURCE=firebird)"
        return "con datos reales (DATABASE_URL de PostgreSQL)"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def real_data(self) -> bool:
        """Production, a Microsip ERP or a PostgreSQL server: default secrets are refused."""
        return self.app_env == "production" or self.erp_source == "firebird" or not self.is_sqlite

    @property
    def demo_mode(self) -> bool:
        """Demo accounts exist and are shown only when running on the demo ERP outside production."""
        return self.app_env != "production" and self.erp_source == "demo"


def database_password(url: str) -> str | None:
    """The password inside a database URL (None when it has none or cannot be parsed)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).password
    except (ArgumentError, ValueError):
        return None


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
