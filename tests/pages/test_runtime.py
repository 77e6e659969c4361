"""app.runtime and the server config: no full garbage collection after every run, imports frozen."""

from __future__ import annotations

import gc
import sys
import tomllib
from pathlib import Path

import pytest

from app import runtime

ROOT = Path(__file__).resolve().parents[2]


def test_streamlit_does_not_collect_garbage_after_every_run() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


@pytest.fixture
def server_runtime(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(runtime.runtime, "exists", lambda: True)
    monkeypatch.setattr(runtime, "_frozen_modules", 0)
    yield
    gc.unfreeze()


def test_freezes_loaded_modules_once_per_new_import(server_runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    gc.unfreeze()
    runtime.freeze_loaded_modules()
    frozen = gc.get_freeze_count()
    assert frozen > 1000  # the imports' objects, out of the collector's reach
    assert runtime._frozen_modules == len(sys.modules)

    collections = []
    monkeypatch.setattr(runtime.gc, "collect", lambda *a: collections.append(a) or 0)
    runtime.freeze_loaded_modules()  # nothing new imported: no collection, nothing more frozen
    assert collections == []

    monkeypatch.setitem(sys.modules, "devcompras_new_module", type(sys)("devcompras_new_module"))
    runtime.freeze_loaded_modules()
    assert len(collections) == 1
    assert runtime._frozen_modules == len(sys.modules)


def test_does_nothing_outside_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "_frozen_modules", 0)
    gc.unfreeze()
    runtime.freeze_loaded_modules()  # pytest and AppTest have no Streamlit runtime
    assert gc.get_freeze_count() == 0
    assert runtime._frozen_modules == 0
