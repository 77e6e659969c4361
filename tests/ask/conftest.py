"""Fixtures of the AI query tests: settings changed for one test, the stand-in LLM server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.ask.llm_stub import StubLLM


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set environment settings for one test (the settings object is rebuilt, then restored)."""
    from core.config import get_settings

    def apply(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name.upper(), value)
        get_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def no_rate_limit(settings_env) -> None:
    """Tests ask many questions a minute with the same accounts: the limit is tested on its own."""
    settings_env(ask_rate_limit_per_minute="0")


@pytest.fixture
def llm(settings_env) -> Iterator[StubLLM]:
    """A local OpenAI-compatible server, configured as the app's LLM for one test."""
    server = StubLLM()
    server.start()
    settings_env(openai_base_url=server.base_url, openai_api_key="clave-de-prueba", openai_model="modelo-de-prueba",
                 ask_llm_timeout_s="10")
    try:
        yield server
    finally:
        server.stop()
