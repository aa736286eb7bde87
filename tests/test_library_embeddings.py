"""The OpenAI-compatible embeddings path, against a loopback server started in the test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from library_fakes import EmbeddingsServer, hash_embedding

from lesson_studio.config import Settings
from lesson_studio.errors import InvalidInput, LibraryError
from lesson_studio.library import Library
from lesson_studio.library.config import LibraryConfig
from lesson_studio.library.embeddings import (
    E5EmbeddingFunction,
    OpenAICompatibleEmbeddingFunction,
    make_embedding_function,
)
from lesson_studio.models import User

LEAD = User(id=1, username="lead", role="lead")


@pytest.fixture
def server():
    with EmbeddingsServer() as running:
        yield running


def test_endpoint_vectors_come_back_in_input_order_with_the_key(server, monkeypatch) -> None:
    monkeypatch.setenv("SCHOOL_EMBED_KEY", "sk-test")
    function = OpenAICompatibleEmbeddingFunction(server.base_url, "bge-m3", key_env="SCHOOL_EMBED_KEY")
    assert np.allclose(function(["纸桥", "蚂蚁"]), [hash_embedding("纸桥"), hash_embedding("蚂蚁")])
    assert server.requests[0] == {"model": "bge-m3", "input": ["纸桥", "蚂蚁"]}
    assert server.headers[0]["Authorization"] == "Bearer sk-test"
    assert "sk-test" not in str(function.get_config())  # Chroma persists the config; never the key


def test_endpoint_errors_are_retried_then_reported(server) -> None:
    function = OpenAICompatibleEmbeddingFunction(server.base_url, "m")
    server.fail_next = 1
    assert np.allclose(function.embed_query(["纸桥"]), [hash_embedding("纸桥")])
    server.fail_next = 5
    with pytest.raises(LibraryError, match="HTTP 500"):
        function(["纸桥"])


def test_configuration_chooses_the_embedder(server) -> None:
    assert isinstance(make_embedding_function(LibraryConfig()), E5EmbeddingFunction)
    chosen = make_embedding_function(LibraryConfig(embeddings_url=server.base_url, embeddings_model="m"))
    assert isinstance(chosen, OpenAICompatibleEmbeddingFunction) and chosen.base_url == server.base_url
    with pytest.raises(LibraryError, match="LESSON_STUDIO_EMBEDDINGS_MODEL"):
        make_embedding_function(LibraryConfig(embeddings_url=server.base_url))


def test_library_on_a_configured_endpoint_ingests_and_searches(server, tmp_path: Path) -> None:
    config = LibraryConfig(embeddings_url=server.base_url, embeddings_model="school-embedder")
    library = Library(Settings(data_dir=tmp_path / "d"), config=config, background=False)
    path = tmp_path / "ants.md"
    path.write_text("# 观察蚂蚁\n\n用放大镜观察蚂蚁怎样搬运食物。\n", encoding="utf-8")
    library.ingest(LEAD, [path])
    assert library.progress(LEAD).done
    assert library.search(LEAD, "放大镜 蚂蚁", k=1, mode="dense")[0].citation.document_title == "观察蚂蚁"
    assert {request["model"] for request in server.requests} == {"school-embedder"}
    library.close()


def test_unreachable_endpoint_leaves_keyword_search_working(tmp_path: Path) -> None:
    config = LibraryConfig(embeddings_url="http://127.0.0.1:9/v1", embeddings_model="m", embeddings_timeout_s=2)
    library = Library(Settings(data_dir=tmp_path / "d"), config=config, background=False)
    OpenAICompatibleEmbeddingFunction.RETRIES = 0
    try:
        path = tmp_path / "ants.md"
        path.write_text("# 观察蚂蚁\n\n用放大镜观察蚂蚁怎样搬运食物。\n", encoding="utf-8")
        assert library.ingest(LEAD, [path]).added
        assert "127.0.0.1:9" in library.progress(LEAD).error
        assert library.search(LEAD, "放大镜 蚂蚁", k=1, mode="keyword")[0].citation.document_title == "观察蚂蚁"
    finally:
        OpenAICompatibleEmbeddingFunction.RETRIES = 2
        library.close()


@pytest.mark.parametrize("value", ["abc", "0", "-5"])
def test_bad_library_setting_in_the_environment_is_named(value: str) -> None:
    with pytest.raises(InvalidInput, match="LESSON_STUDIO_MAX_FILE_MB"):
        LibraryConfig.from_env({"LESSON_STUDIO_MAX_FILE_MB": value})


def test_library_settings_are_read_from_the_environment() -> None:
    config = LibraryConfig.from_env({"LESSON_STUDIO_CHUNK_CHARS": "300", "LESSON_STUDIO_KEYWORD_WEIGHT": "0"})
    assert config.chunk_chars == 300 and config.keyword_weight == 0.0 and config.max_file_mb == 50.0


def test_endpoint_and_key_can_come_from_the_app_secrets(server, tmp_path: Path, monkeypatch) -> None:
    # In the app, Settings.secrets layers the environment over .streamlit/secrets.toml.
    monkeypatch.delenv("LESSON_STUDIO_EMBEDDINGS_KEY", raising=False)
    secrets = {
        "LESSON_STUDIO_EMBEDDINGS_URL": server.base_url,
        "LESSON_STUDIO_EMBEDDINGS_MODEL": "school-embedder",
        "LESSON_STUDIO_EMBEDDINGS_KEY": "sk-from-secrets",
    }
    library = Library(Settings(data_dir=tmp_path / "d", secrets=secrets), background=False)
    try:
        path = tmp_path / "ants.md"
        path.write_text("# 观察蚂蚁\n\n用放大镜观察蚂蚁怎样搬运食物。\n", encoding="utf-8")
        library.ingest(LEAD, [path])
        assert library.progress(LEAD).done
        assert server.headers[0]["Authorization"] == "Bearer sk-from-secrets"
    finally:
        library.close()


def test_hybrid_search_answers_from_keywords_when_the_endpoint_fails_at_query_time(server, tmp_path: Path) -> None:
    config = LibraryConfig(embeddings_url=server.base_url, embeddings_model="m")
    library = Library(Settings(data_dir=tmp_path / "d"), config=config, background=False)
    try:
        path = tmp_path / "ants.md"
        path.write_text("# 观察蚂蚁\n\n用放大镜观察蚂蚁怎样搬运食物。\n", encoding="utf-8")
        library.ingest(LEAD, [path])
        assert library.progress(LEAD).done  # vectors exist, so hybrid asks the endpoint
        server.fail_next = 100
        assert library.search(LEAD, "放大镜 蚂蚁", k=1)[0].citation.document_title == "观察蚂蚁"
        with pytest.raises(LibraryError, match="HTTP 500"):
            library.search(LEAD, "放大镜 蚂蚁", k=1, mode="dense")  # dense alone says what failed
    finally:
        library.close()
