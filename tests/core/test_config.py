import pytest
from pydantic import ValidationError

from core.config import Settings, describe_settings_error

DEFAULT_SECRETS = ("COOKIE_KEY", "ADMIN_PASSWORD", "ALLOW_SELF_REGISTRATION")
REAL = {"cookie_key": "k" * 40, "admin_password": "una-clave-larga-y-buena"}


@pytest.fixture
def defaults(monkeypatch):
    """No secret nor sign-up choice in the environment: what an unconfigured install gets."""
    for name in DEFAULT_SECRETS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)


def test_development_accepts_defaults(defaults):
    settings = Settings(_env_file=None)
    assert settings.database_url.startswith("sqlite:///") and settings.demo_mode
    assert settings.allow_self_registration is True


@pytest.mark.parametrize("cookie,password,named", [
    ("dev-cookie-key-cambiame-en-produccion", "una-clave-larga-y-buena", "COOKIE_KEY"),
    ("x" * 40, "Admin1234!", "ADMIN_PASSWORD"),
    ("corta", "una-clave-larga-y-buena", "COOKIE_KEY"),
])
def test_production_refuses_placeholders_and_names_them(cookie, password, named):
    with pytest.raises(ValidationError, match=named):
        Settings(_env_file=None, app_env="production", cookie_key=cookie, admin_password=password)


def test_production_with_real_secrets_starts_without_demo():
    settings = Settings(_env_file=None, app_env="production", **REAL)
    assert not settings.demo_mode


@pytest.mark.parametrize("real_source,reason", [
    ({"erp_source": "firebird"}, "ERP_SOURCE=firebird"),
    ({"database_url": "postgresql://u@127.0.0.1:5432/d"}, "DATABASE_URL de PostgreSQL"),
])
def test_default_secrets_are_refused_with_real_data_outside_production(defaults, real_source, reason):
    with pytest.raises(ValidationError) as exc:
        Settings(_env_file=None, app_env="development", **real_source)
    message = describe_settings_error(exc.value)
    assert message.startswith(f"Configuración inválida: No se puede iniciar con datos reales ({reason})")
    assert "COOKIE_KEY" in message and "ADMIN_PASSWORD" in message
    # Real secrets make the same configuration start.
    assert Settings(_env_file=None, app_env="development", **real_source, **REAL).real_data


def test_sign_up_is_off_by_default_outside_demo_mode(defaults):
    assert Settings(_env_file=None, app_env="production", **REAL).allow_self_registration is False
    assert Settings(_env_file=None, erp_source="firebird", **REAL).allow_self_registration is False
    assert Settings(_env_file=None).allow_self_registration is True  # demo mode
    # An explicit choice wins either way.
    assert Settings(_env_file=None, app_env="production", allow_self_registration=True,
                    **REAL).allow_self_registration is True
    assert Settings(_env_file=None, allow_self_registration=False).allow_self_registration is False


def test_env_example_turns_sign_up_off():
    from core.config import ROOT

    lines = (ROOT / ".env.example").read_text().splitlines()
    assert "ALLOW_SELF_REGISTRATION=false" in lines


@pytest.mark.parametrize("extra,named", [
    ({"erp_source": "firebird", "firebird_password": "masterkey"}, "FIREBIRD_PASSWORD"),
    ({"database_url": "postgresql+psycopg://devcompras:devcompras@postgres:5432/devcompras"},
     "DATABASE_URL"),
])
def test_production_refuses_default_database_passwords(extra, named):
    with pytest.raises(ValidationError) as exc:
        Settings(_env_file=None, app_env="production", **REAL, **extra)
    message = describe_settings_error(exc.value)
    assert message.startswith("Configuración inválida: No se puede iniciar en producción: ")
    assert named in message and "contraseña" in message
    assert "masterkey" not in message and "devcompras:devcompras" not in message


def test_production_accepts_own_database_passwords():
    settings = Settings(_env_file=None, app_env="production", **REAL, erp_source="firebird",
                        firebird_password="Fb-Propia-2026",
                        database_url="postgresql://devcompras:Pg-Propia-2026@postgres/devcompras")
    assert settings.firebird_password == "Fb-Propia-2026"


def test_development_keeps_the_factory_firebird_password():
    # A developer's local Firebird (SYSDBA/masterkey) is fine outside production.
    settings = Settings(_env_file=None, erp_source="firebird", firebird_password="masterkey", **REAL)
    assert settings.firebird_password == "masterkey"


def test_postgres_urls_get_the_psycopg_driver():
    settings = Settings(_env_file=None, database_url="postgres://u@h:5432/d", **REAL)
    assert settings.database_url == "postgresql+psycopg://u@h:5432/d"


@pytest.mark.parametrize("command", [["-m", "core", "health"], ["worker.py", "--burst"]],
                         ids=["cli", "worker"])
def test_cli_and_worker_refuse_default_secrets_with_real_data_in_one_spanish_line(command):
    import os
    import subprocess
    import sys

    from core.config import ROOT

    env = {k: v for k, v in os.environ.items() if k not in DEFAULT_SECRETS}
    env.update({"ERP_SOURCE": "firebird", "REDIS_URL": "redis://127.0.0.1:6390/0"})
    done = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Configuración inválida: No se puede iniciar con datos reales (ERP_SOURCE=firebird): "
        "COOKIE_KEY falta o es un valor de ejemplo (mínimo 32 caracteres); ADMIN_PASSWORD falta "
        "o es un valor de ejemplo (mínimo 10 caracteres)."]
