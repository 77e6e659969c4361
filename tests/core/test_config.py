import pytest
from pydantic import ValidationError

from core.config import Settings


def test_development_accepts_defaults(monkeypatch):
    monkeypatch.delenv("DATABASE_URL")
    settings = Settings(_env_file=None)
    assert settings.database_url.startswith("sqlite:///") and settings.demo_mode


@pytest.mark.parametrize("cookie,password,named", [
    ("dev-cookie-key-cambiame-en-produccion", "una-clave-larga-y-buena", "COOKIE_KEY"),
    ("x" * 40, "Admin1234!", "ADMIN_PASSWORD"),
    ("corta", "una-clave-larga-y-buena", "COOKIE_KEY"),
])
def test_production_refuses_placeholders_and_names_them(cookie, password, named):
    with pytest.raises(ValidationError, match=named):
        Settings(_env_file=None, app_env="production", cookie_key=cookie, admin_password=password)


def test_production_with_real_secrets_starts_without_demo():
    settings = Settings(_env_file=None, app_env="production", cookie_key="k" * 40,
                        admin_password="una-clave-larga-y-buena")
    assert not settings.demo_mode


def test_postgres_urls_get_the_psycopg_driver():
    settings = Settings(_env_file=None, database_url="postgres://u@h:5432/d")
    assert settings.database_url == "postgresql+psycopg://u@h:5432/d"
