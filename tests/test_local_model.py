"""The real embedded model, kept short, so the default path cannot rot unnoticed."""

import pytest
from pydantic import BaseModel, Field

from lesson_studio.config import Settings
from lesson_studio.llm.local import LocalLlamaBackend
from lesson_studio.llm.model_files import BUNDLED_MODEL_SIZE, bundled_part_paths
from lesson_studio.llm.structured import generate_structured

pytest.importorskip("llama_cpp")


class Idea(BaseModel):
    idea: str = Field(min_length=2, max_length=20)
    material: str = Field(min_length=1, max_length=10)


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    # One joined model per test session; the join itself is checked by sha256.
    return LocalLlamaBackend(Settings(data_dir=tmp_path_factory.mktemp("model-cache"), local_context=1024))


def test_bundled_parts_add_up_to_the_model():
    assert sum(path.stat().st_size for path in bundled_part_paths()) == BUNDLED_MODEL_SIZE


def test_embedded_model_streams_schema_valid_json(backend):
    pieces = []
    idea = generate_structured(
        backend,
        [{"role": "user", "content": "给小熊做帽子，请给出一个点子和一种材料。"}],
        Idea,
        max_tokens=60,
        temperature=0.0,
        on_text=pieces.append,
    )
    assert len(pieces) > 1  # it streamed
    assert 2 <= len(idea.idea) <= 20 and 1 <= len(idea.material) <= 10


def test_missing_local_model_file_is_a_clear_error(tmp_path):
    from lesson_studio.errors import ModelUnavailable

    broken = LocalLlamaBackend(Settings(data_dir=tmp_path, local_model_path=str(tmp_path / "nope.gguf")))
    with pytest.raises(ModelUnavailable, match="nope.gguf"):
        list(broken.stream([{"role": "user", "content": "hi"}]))
