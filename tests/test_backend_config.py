"""Backends are rows in resources/backends.toml, merged with the admin's file; routes per task."""

from __future__ import annotations

import textwrap

import pytest
from fake_openai_server import FakeOpenAIServer

from lesson_studio.config import Settings
from lesson_studio.errors import InvalidInput
from lesson_studio.llm.catalog import TASKS, load_catalog
from lesson_studio.llm.local import LocalLlamaBackend
from lesson_studio.llm.openai_compatible import OpenAICompatibleBackend
from lesson_studio.llm.registry import get_backend, route_ids, task_backend_id
from lesson_studio.llm.routing import RoutedBackend

KEY = "bce-v3/ALTAK-config0123456789abcdef"


def admin_file(tmp_path, text: str) -> Settings:
    path = tmp_path / "backends.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return Settings(data_dir=tmp_path / "data", backends_file=str(path))


def test_shipped_rows_cover_the_providers_schools_use():
    catalog = load_catalog(Settings())
    assert {"local", "ernie", "openai", "deepseek", "qwen", "ollama"} <= set(catalog.backends)
    ernie = catalog.backends["ernie"]
    assert (ernie.base_url, ernie.key_env_var) == ("https://qianfan.baidubce.com/v2", "QIANFAN_API_KEY")
    assert dict(ernie.headers_from_env) == {"appid": "QIANFAN_APPID"}
    assert catalog.backends["local"].kind == "embedded"
    assert catalog.backends["ollama"].key_env_var == ""
    assert {spec.structured_output for spec in catalog.backends.values()} <= {"json_schema", "json_mode"}


def test_every_task_routes_to_a_known_backend_and_works_offline_by_default():
    catalog = load_catalog(Settings())
    assert set(catalog.routes) == set(TASKS)
    assert all(ids == ("local",) for ids in catalog.routes.values())


def test_the_admins_file_changes_only_what_it_names(tmp_path):
    settings = admin_file(
        tmp_path,
        """
        [[backend]]
        id = "ernie"
        model = "ernie-4.5-8k"

        [[backend]]
        id = "school-vllm"
        base_url = "http://10.0.0.5:8000/v1"
        model = "qwen2.5-14b"

        [routes]
        generate = ["ernie", "school-vllm", "local"]
        """,
    )
    catalog = load_catalog(settings)
    assert catalog.backends["ernie"].model == "ernie-4.5-8k"
    assert catalog.backends["ernie"].base_url == "https://qianfan.baidubce.com/v2"
    assert catalog.routes["generate"] == ("ernie", "school-vllm", "local")
    assert catalog.routes["parse"] == ("local",)
    assert catalog.tasks_for("school-vllm") == ["generate"]


@pytest.mark.parametrize("url", ["ftp://models.example/v1", "file:///etc/passwd", "qianfan.baidubce.com/v2", ""])
def test_base_url_must_be_http_or_https(tmp_path, url):
    settings = admin_file(tmp_path, f'[[backend]]\nid = "bad"\nbase_url = "{url}"\nmodel = "m"\n')
    with pytest.raises(InvalidInput, match="base_url"):
        load_catalog(settings)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ('[routes]\ngenerate = ["nobody"]\n', "nobody"),
        ('[routes]\nsummarise = ["local"]\n', "summarise"),
        ('[[backend]]\nid = "local"\napi_key = "sk-oops"\n', "api_key"),
        ('[[backend]]\nid = "ernie"\nstructured_output = "xml"\n', "structured_output"),
        ("[[backend]\n", "TOML"),
    ],
)
def test_a_broken_admin_file_is_a_clear_error(tmp_path, text, complaint):
    with pytest.raises(InvalidInput, match=complaint):
        load_catalog(admin_file(tmp_path, text))


def test_a_missing_admin_file_names_the_variable(tmp_path):
    with pytest.raises(InvalidInput, match="LESSON_STUDIO_BACKENDS_FILE"):
        load_catalog(Settings(backends_file=str(tmp_path / "nope.toml")))


def test_settings_read_the_file_and_keep_secrets_out_of_repr(tmp_path):
    settings = Settings.from_env({"LESSON_STUDIO_BACKENDS_FILE": "/etc/school/backends.toml", "QIANFAN_API_KEY": KEY})
    assert settings.backends_file == "/etc/school/backends.toml"
    assert KEY not in repr(settings) and settings.secrets["QIANFAN_API_KEY"] == KEY


def test_a_task_follows_its_route(tmp_path):
    settings = admin_file(tmp_path, '[routes]\ngenerate = ["ernie", "local"]\nparse = ["local"]\n')
    assert isinstance(get_backend(settings, task_backend_id("parse")), LocalLlamaBackend)
    routed = get_backend(settings, task_backend_id("generate"))
    assert isinstance(routed, RoutedBackend) and [b.id for b in routed.backends] == ["ernie", "local"]
    assert isinstance(get_backend(settings), RoutedBackend)  # no id: the generate route


@pytest.mark.parametrize(
    ("task", "backend_id"), [("generate", "ernie"), ("refine", "deepseek"), ("rubric_fix", "qwen"), ("parse", "ollama")]
)
def test_each_task_gets_the_backend_its_route_names(tmp_path, task, backend_id):
    settings = admin_file(
        tmp_path,
        """
        [routes]
        generate = "ernie"
        refine = "deepseek"
        rubric_fix = "qwen"
        parse = "ollama"
        """,
    )
    assert get_backend(settings, task_backend_id(task)).id == backend_id


def test_a_pinned_backend_wins_over_every_route(tmp_path):
    settings = Settings(data_dir=tmp_path, backend="openai")
    backend = get_backend(settings, task_backend_id("parse"))
    assert isinstance(backend, OpenAICompatibleBackend) and backend.id == "openai"
    assert route_ids(settings, task_backend_id("parse")) == ("openai",)


def test_route_ids_name_the_backends_a_task_will_try(tmp_path):
    settings = admin_file(tmp_path, '[routes]\ngenerate = ["ernie", "local"]\n')
    assert route_ids(settings, task_backend_id("generate")) == ("ernie", "local")
    assert route_ids(settings) == ("ernie", "local")  # no id: the generate route
    assert route_ids(settings, task_backend_id("refine")) == ("local",)  # the shipped route stays
    assert route_ids(settings, "deepseek") == ("deepseek",)


def test_an_unknown_backend_id_lists_the_known_ones():
    with pytest.raises(InvalidInput, match="ernie"):
        get_backend(Settings(), "gpt-99")


def test_keys_and_the_appid_header_come_from_secrets(tmp_path, monkeypatch):
    monkeypatch.delenv("QIANFAN_API_KEY", raising=False)
    monkeypatch.delenv("QIANFAN_APPID", raising=False)
    with FakeOpenAIServer() as server:
        path = tmp_path / "backends.toml"
        path.write_text(f'[[backend]]\nid = "ernie"\nbase_url = "{server.base_url}"\n', encoding="utf-8")
        secrets = {"QIANFAN_API_KEY": KEY, "QIANFAN_APPID": "app-42"}  # as from .streamlit/secrets.toml
        settings = Settings.from_env({"LESSON_STUDIO_BACKENDS_FILE": str(path), **secrets})
        assert "".join(get_backend(settings, "ernie").stream([{"role": "user", "content": "你好"}]))
        headers = server.received[0].headers
    assert headers["authorization"] == f"Bearer {KEY}" and headers["appid"] == "app-42"
