"""`OllamaSettings`, `load_settings` and `get_settings`: the service's configuration.

Every test starts from an environment without OLLAMA_* variables, in an empty working
directory (so no stray `.env` is read), with the `get_settings` cache cleared.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import ollama_service
from ollama_service import OllamaRequestError, OllamaServiceError
from ollama_service._settings import OllamaSettings, get_settings, load_settings

SECRET = "sk-test-0123456789abcdef"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith("OLLAMA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def write_env_file(directory: Path, text: str) -> None:
    (directory / ".env").write_text(textwrap.dedent(text), encoding="utf-8")


# --- defaults and variables -------------------------------------------------------------------


def test_defaults() -> None:
    settings = load_settings()
    assert settings.base_url is None
    assert settings.host is None
    assert settings.resolved_base_url == "http://127.0.0.1:11434"
    assert settings.default_model == "llama2"
    assert settings.timeout == 300.0
    assert settings.max_connections == 5
    assert settings.max_retries is None
    assert settings.api_key is None
    assert settings.api_key_value() is None


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("OLLAMA_BASE_URL", "http://gpu-box:11434", "base_url", "http://gpu-box:11434"),
        ("OLLAMA_HOST", "gpu-box", "host", "gpu-box"),
        ("OLLAMA_DEFAULT_MODEL", "qwen3:8b", "default_model", "qwen3:8b"),
        ("OLLAMA_TIMEOUT", "42.5", "timeout", 42.5),
        ("OLLAMA_TIMEOUT", "60", "timeout", 60.0),
        ("OLLAMA_MAX_CONNECTIONS", "12", "max_connections", 12),
        ("OLLAMA_MAX_RETRIES", "0", "max_retries", 0),
        ("OLLAMA_MAX_RETRIES", "4", "max_retries", 4),
    ],
)
def test_each_variable_is_read(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: object
) -> None:
    monkeypatch.setenv(variable, value)
    assert getattr(load_settings(), field) == expected


def test_variable_names_are_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ollama_default_model", "qwen3")
    assert load_settings().default_model == "qwen3"


def test_timeout_inf_means_no_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_TIMEOUT", "inf")
    assert load_settings().timeout == float("inf")


@pytest.mark.parametrize(
    "variable",
    [
        "OLLAMA_BASE_URL",
        "OLLAMA_HOST",
        "OLLAMA_DEFAULT_MODEL",
        "OLLAMA_TIMEOUT",
        "OLLAMA_MAX_CONNECTIONS",
        "OLLAMA_MAX_RETRIES",
        "OLLAMA_API_KEY",
    ],
)
def test_a_blank_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, "")
    assert load_settings() == OllamaSettings()
    assert load_settings().resolved_base_url == "http://127.0.0.1:11434"


def test_overrides_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_TIMEOUT", "10")
    monkeypatch.setenv("OLLAMA_BASE_URL", "http://from-env:1")
    settings = load_settings(timeout=20, base_url="http://explicit:2")
    assert settings.timeout == 20.0
    assert settings.resolved_base_url == "http://explicit:2"


# --- base URL resolution ----------------------------------------------------------------------


def test_base_url_wins_over_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_BASE_URL", "http://base:1111")
    monkeypatch.setenv("OLLAMA_HOST", "host:2222")
    assert load_settings().resolved_base_url == "http://base:1111"


def test_host_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "host:2222")
    assert load_settings().resolved_base_url == "http://host:2222"


def test_blank_base_url_falls_back_to_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_BASE_URL", "  ")
    monkeypatch.setenv("OLLAMA_HOST", "host:2222")
    settings = load_settings()
    assert settings.base_url is None
    assert settings.resolved_base_url == "http://host:2222"


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("0.0.0.0:11434", "http://127.0.0.1:11434"),
        (":8080", "http://127.0.0.1:8080"),
        ("localhost", "http://localhost:11434"),
        ("gpu-box", "http://gpu-box:11434"),
        ("192.168.1.5:11434", "http://192.168.1.5:11434"),
        ("http://gpu-box", "http://gpu-box:80"),
        ("https://ollama.example.com", "https://ollama.example.com:443"),
        ("https://proxy.example.com/ollama/", "https://proxy.example.com:443/ollama"),
        ("ollama.com", "https://ollama.com:443"),
        ("[::1]:9000", "http://[::1]:9000"),
        ("::", "http://[::1]:11434"),
        ("  'http://gpu-box:1234'  ", "http://gpu-box:1234"),
    ],
)
def test_host_values_are_parsed_like_the_official_clients(
    monkeypatch: pytest.MonkeyPatch, value: str, url: str
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", value)
    assert load_settings().resolved_base_url == url


# --- the .env file ----------------------------------------------------------------------------


def test_dotenv_file_is_read(clean_environment: Path) -> None:
    write_env_file(
        clean_environment,
        f"""\
        # comments and unrelated variables are fine
        UNRELATED=1
        OLLAMA_BASE_URL=http://from-dotenv:1234
        OLLAMA_DEFAULT_MODEL=qwen3
        OLLAMA_TIMEOUT=12
        OLLAMA_MAX_CONNECTIONS=2
        OLLAMA_MAX_RETRIES=1
        OLLAMA_API_KEY={SECRET}
        """,
    )
    settings = load_settings()
    assert settings.resolved_base_url == "http://from-dotenv:1234"
    assert settings.default_model == "qwen3"
    assert settings.timeout == 12.0
    assert settings.max_connections == 2
    assert settings.max_retries == 1
    assert settings.api_key_value() == SECRET
    assert SECRET not in repr(settings)


def test_environment_wins_over_dotenv(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_env_file(clean_environment, "OLLAMA_DEFAULT_MODEL=from-dotenv\nOLLAMA_TIMEOUT=12\n")
    monkeypatch.setenv("OLLAMA_DEFAULT_MODEL", "from-env")
    settings = load_settings()
    assert settings.default_model == "from-env"
    assert settings.timeout == 12.0


def test_dotenv_host_is_the_fallback_too(clean_environment: Path) -> None:
    write_env_file(clean_environment, "OLLAMA_HOST=0.0.0.0:9999\n")
    assert load_settings().resolved_base_url == "http://127.0.0.1:9999"


def test_bad_value_in_dotenv_names_the_variable(clean_environment: Path) -> None:
    write_env_file(clean_environment, "OLLAMA_MAX_CONNECTIONS=many\n")
    with pytest.raises(OllamaRequestError, match="OLLAMA_MAX_CONNECTIONS='many'"):
        load_settings()


def test_dotenv_is_read_from_the_working_directory(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = clean_environment / "elsewhere"
    elsewhere.mkdir()
    write_env_file(elsewhere, "OLLAMA_DEFAULT_MODEL=qwen3\n")
    assert load_settings().default_model == "llama2"
    monkeypatch.chdir(elsewhere)
    assert load_settings().default_model == "qwen3"


# --- get_settings -----------------------------------------------------------------------------


def test_get_settings_is_cached_until_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    assert get_settings() is first
    monkeypatch.setenv("OLLAMA_DEFAULT_MODEL", "qwen3")
    assert get_settings() is first
    assert get_settings().default_model == "llama2"
    get_settings.cache_clear()
    second = get_settings()
    assert second is not first
    assert second.default_model == "qwen3"


def test_get_settings_does_not_cache_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_TIMEOUT", "abc")
    with pytest.raises(OllamaRequestError, match="OLLAMA_TIMEOUT"):
        get_settings()
    monkeypatch.setenv("OLLAMA_TIMEOUT", "5")
    assert get_settings().timeout == 5.0


def test_package_exports_settings_lazily() -> None:
    assert ollama_service.OllamaSettings is OllamaSettings
    assert ollama_service.get_settings is get_settings
    with pytest.raises(AttributeError, match="no attribute 'NotAThing'"):
        _ = ollama_service.NotAThing  # type: ignore[attr-defined]


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "OLLAMA_TIMEOUT",
            "abc",
            "invalid Ollama settings: OLLAMA_TIMEOUT='abc': Input should be a valid number, "
            "unable to parse string as a number",
        ),
        (
            "OLLAMA_TIMEOUT",
            "0",
            "invalid Ollama settings: OLLAMA_TIMEOUT='0': Input should be greater than 0",
        ),
        (
            "OLLAMA_TIMEOUT",
            "-5",
            "invalid Ollama settings: OLLAMA_TIMEOUT='-5': Input should be greater than 0",
        ),
        (
            "OLLAMA_MAX_CONNECTIONS",
            "-1",
            "invalid Ollama settings: OLLAMA_MAX_CONNECTIONS='-1': Input should be greater than 0",
        ),
        (
            "OLLAMA_MAX_CONNECTIONS",
            "0",
            "invalid Ollama settings: OLLAMA_MAX_CONNECTIONS='0': Input should be greater than 0",
        ),
        (
            "OLLAMA_MAX_CONNECTIONS",
            "2.5",
            "invalid Ollama settings: OLLAMA_MAX_CONNECTIONS='2.5': Input should be a valid "
            "integer, unable to parse string as an integer",
        ),
        (
            "OLLAMA_MAX_RETRIES",
            "-1",
            "invalid Ollama settings: OLLAMA_MAX_RETRIES='-1': Input should be greater than or "
            "equal to 0",
        ),
        (
            "OLLAMA_BASE_URL",
            "http://gpu-box:abc",
            "invalid Ollama settings: OLLAMA_BASE_URL='http://gpu-box:abc': "
            "'http://gpu-box:abc' is not a valid Ollama host: port 'abc' is not a number",
        ),
        (
            "OLLAMA_HOST",
            "ftp://gpu-box",
            "invalid Ollama settings: OLLAMA_HOST='ftp://gpu-box': 'ftp://gpu-box' is not a "
            "valid Ollama host: unsupported scheme 'ftp' (use http or https)",
        ),
        (
            "OLLAMA_HOST",
            "gpu-box:99999",
            "invalid Ollama settings: OLLAMA_HOST='gpu-box:99999': 'gpu-box:99999' is not a "
            "valid Ollama host: port 99999 is outside 1-65535",
        ),
    ],
)
def test_a_bad_value_is_an_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(OllamaRequestError) as caught:
        load_settings()
    assert str(caught.value) == message
    # One of ours (catchable as the SDK's base and as ValueError), not pydantic's.
    assert isinstance(caught.value, OllamaServiceError)
    assert isinstance(caught.value, ValueError)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_every_bad_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_TIMEOUT", "abc")
    monkeypatch.setenv("OLLAMA_MAX_CONNECTIONS", "-1")
    with pytest.raises(OllamaRequestError) as caught:
        load_settings()
    text = str(caught.value)
    assert "OLLAMA_TIMEOUT='abc'" in text
    assert "OLLAMA_MAX_CONNECTIONS='-1'" in text
    assert "; " in text


def test_get_settings_and_the_service_raise_the_same_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_MAX_CONNECTIONS", "-1")
    with pytest.raises(OllamaRequestError, match="OLLAMA_MAX_CONNECTIONS='-1'"):
        get_settings()
    with pytest.raises(OllamaRequestError, match="OLLAMA_MAX_CONNECTIONS='-1'"):
        ollama_service.SyncOllamaService()


# --- the API key is a secret ------------------------------------------------------------------


def test_api_key_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_API_KEY", SECRET)
    settings = load_settings()
    assert settings.api_key_value() == SECRET
    for text in (
        repr(settings),
        str(settings),
        f"{settings}",
        f"{settings!r}",
        repr(settings.api_key),
        str(settings.api_key),
        repr(settings.model_dump()),
        settings.model_dump_json(),
    ):
        assert SECRET not in text


def test_api_key_is_not_in_an_error_about_another_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OLLAMA_API_KEY", SECRET)
    monkeypatch.setenv("OLLAMA_TIMEOUT", "abc")
    with pytest.raises(OllamaRequestError) as caught:
        load_settings()
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)


def test_an_invalid_api_key_is_reported_without_its_value() -> None:
    with pytest.raises(OllamaRequestError) as caught:
        load_settings(api_key=12345)
    assert "OLLAMA_API_KEY=<secret>" in str(caught.value)
    assert "12345" not in str(caught.value)


def test_api_key_is_not_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("OLLAMA_API_KEY", SECRET)
    settings = load_settings()
    logging.getLogger("app").info("settings: %s / %r", settings, settings)
    assert "settings:" in caplog.text
    assert SECRET not in caplog.text


# --- pydantic is imported lazily --------------------------------------------------------------


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OLLAMA_")}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )


def test_importing_the_package_does_not_import_pydantic() -> None:
    result = run_python("import ollama_service, sys; assert 'pydantic' not in sys.modules")
    assert result.returncode == 0, result.stderr


def test_building_a_client_or_a_fully_specified_service_does_not_import_pydantic() -> None:
    code = textwrap.dedent(
        """
        import sys
        import ollama_service
        client = ollama_service.Client("http://127.0.0.1:1")
        service = ollama_service.SyncOllamaService(client=client, default_model="x")
        service.close()
        client.close()
        assert "pydantic" not in sys.modules, "pydantic imported"
        """
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr


def test_get_settings_imports_pydantic() -> None:
    code = textwrap.dedent(
        """
        import sys
        import ollama_service
        assert "pydantic" not in sys.modules
        settings = ollama_service.get_settings()
        assert "pydantic" in sys.modules
        assert "pydantic_settings" in sys.modules
        assert settings.default_model == "llama2"
        """
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
