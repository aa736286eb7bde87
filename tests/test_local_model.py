"""The real embedded model, kept short, so the default path cannot rot unnoticed."""

import hashlib
import multiprocessing
import threading
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from lesson_studio.config import Settings
from lesson_studio.llm import local, model_files
from lesson_studio.llm.decoding import DraftSettings
from lesson_studio.llm.local import LocalLlamaBackend, preload
from lesson_studio.llm.model_files import BUNDLED_MODEL_SIZE, bundled_part_paths, ensure_bundled_model
from lesson_studio.llm.structured import generate_structured

pytest.importorskip("llama_cpp")

SYSTEM = {
    "role": "system",
    "content": "你是幼儿园老师的助手。" + "回答要简短、具体，适合三到六岁的孩子，只用老师列出的材料。" * 8,
}


class Idea(BaseModel):
    idea: str = Field(min_length=2, max_length=20)
    material: str = Field(min_length=1, max_length=10)


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    # One joined model per test session; the join itself is checked by sha256.
    return LocalLlamaBackend(Settings(data_dir=tmp_path_factory.mktemp("model-cache"), local_context=1024))


def ask(backend, question, output_type=Idea, *, system=SYSTEM, **options):
    return generate_structured(
        backend,
        [system, {"role": "user", "content": question}],
        output_type,
        max_tokens=options.pop("max_tokens", 60),
        temperature=options.pop("temperature", 0.0),
        **options,
    )


def test_bundled_parts_add_up_to_the_model():
    assert sum(path.stat().st_size for path in bundled_part_paths()) == BUNDLED_MODEL_SIZE


def test_embedded_model_streams_schema_valid_json(backend):
    pieces = []
    idea = ask(backend, "给小熊做帽子，请给出一个点子和一种材料。", on_text=pieces.append)
    assert len(pieces) > 1  # it streamed
    assert 2 <= len(idea.idea) <= 20 and 1 <= len(idea.material) <= 10


def test_a_second_call_reads_only_what_the_first_did_not(backend):
    ask(backend, "给小熊做帽子，请给出一个点子和一种材料。")
    ask(backend, "帮小猫找回雨伞，请给出一个点子和一种材料。")
    call = backend.last_call
    assert call.reused_tokens > 100  # the system prompt stayed in the KV cache
    assert call.read_tokens < call.prompt_tokens - 100


def test_measured_speed_comes_from_the_calls_made(backend):
    ask(backend, "给小熊做帽子，请给出一个点子和一种材料。")
    speed = local.measured_speed()
    assert speed is not None and speed.tokens_per_s > 0 and speed.calls >= 1


def test_a_warmed_system_prompt_is_not_read_again(backend):
    other = {"role": "system", "content": "你是一个会讲故事的助手。" * 30}
    warmed = backend.warm([other])
    assert warmed > 100
    ask(backend, "讲一个小熊找帽子的点子，给出一种材料。", system=other)
    assert backend.last_call.reused_tokens >= warmed


class Colour(BaseModel):
    colour: Literal["紫罗兰色", "青瓷色"]


def test_the_grammar_holds_where_the_model_would_write_something_else(backend):
    # Unconstrained, the model answers 蓝色: the sampled token is refused and the grammar decides.
    answer = ask(backend, "晴天的天空是什么颜色？", Colour, max_tokens=20)
    assert answer.colour in {"紫罗兰色", "青瓷色"}
    assert backend.last_call.grammar_fallbacks >= 1


def test_a_context_read_twice_is_kept_and_restored_after_another_prompt(backend):
    plan_context = {"role": "user", "content": "活动：用纸杯和吸管让乒乓球过小河。" * 12}

    def section(task):
        return generate_structured(
            backend,
            [SYSTEM, {"role": "user", "content": plan_context["content"] + "\n任务：" + task}],
            Idea,
            max_tokens=60,
            temperature=0.0,
        )

    section("请给出一个点子和一种材料。")
    section("再给出另一个点子和一种材料。")  # shares the context: it is kept in RAM
    ask(backend, "给小熊做帽子，请给出一个点子和一种材料。", system={"role": "system", "content": "你好。"})
    section("给出第三个点子和一种材料。")
    assert backend.last_call.restored_tokens > 150


def test_drafted_tokens_are_kept_only_when_the_sampler_picks_them(backend, monkeypatch):
    sentence = "小熊的帽子被风吹走了，小朋友们一起想办法。"

    class Copy(BaseModel):
        text: str = Field(max_length=40)

    question = f"把这句话原样填进 text：{sentence}"
    plain = ask(backend, question, Copy)
    monkeypatch.setattr(local, "DRAFTS", DraftSettings(tokens=4, max_ngram=4, min_ngram=2))
    drafted = ask(backend, question, Copy)
    assert backend.last_call.accepted > 0
    assert drafted.text == plain.text


def test_missing_local_model_file_is_a_clear_error(tmp_path):
    from lesson_studio.errors import ModelUnavailable

    broken = LocalLlamaBackend(Settings(data_dir=tmp_path, local_model_path=str(tmp_path / "nope.gguf")))
    with pytest.raises(ModelUnavailable, match="nope.gguf"):
        list(broken.stream([{"role": "user", "content": "hi"}]))


# --- preload ------------------------------------------------------------------------------------


class SlowLlama:
    """Stands in for llama_cpp.Llama: counts loads and holds each one until released."""

    loads = 0
    release = threading.Event()

    def __init__(self, **_options):
        type(self).loads += 1
        assert type(self).release.wait(10)


@pytest.fixture
def slow_llama(monkeypatch, tmp_path):
    import llama_cpp

    SlowLlama.loads, SlowLlama.release = 0, threading.Event()
    monkeypatch.setattr(llama_cpp, "Llama", SlowLlama)
    monkeypatch.setattr(LocalLlamaBackend, "warm", lambda self, messages: 0)
    model = tmp_path / "school-model.gguf"
    model.write_bytes(b"GGUF")
    yield Settings(data_dir=tmp_path, local_model_path=str(model), local_context=333)
    SlowLlama.release.set()
    for key in [key for key in local._models if ":333:" in key]:
        del local._models[key]


def test_preload_returns_at_once_and_a_generation_waits_for_its_load(slow_llama):
    thread = preload(slow_llama)
    assert thread is not None and thread.is_alive()  # the load is still held: the caller did not wait
    assert preload(slow_llama) is thread  # idempotent while running

    loaded = []
    generation = threading.Thread(target=lambda: loaded.append(LocalLlamaBackend(slow_llama)._llama()))
    generation.start()
    SlowLlama.release.set()
    thread.join(10)
    generation.join(10)

    assert SlowLlama.loads == 1  # the generation used the preloaded model instead of loading its own
    assert isinstance(loaded[0], SlowLlama)
    assert preload(slow_llama) is None  # done: nothing more to do


def test_preload_does_nothing_when_no_task_uses_the_embedded_model(tmp_path):
    assert preload(Settings(data_dir=tmp_path, backend="openai")) is None


# --- joining the bundled model ------------------------------------------------------------------


def _join_in_child(cache_dir, log):
    original = model_files._join

    def counted(*args):
        with open(log, "a") as out:
            out.write("join\n")
        original(*args)

    model_files._join = counted
    ensure_bundled_model(cache_dir)


def test_two_processes_join_the_model_once(tmp_path, monkeypatch):
    parts = [tmp_path / "part1.bin", tmp_path / "part2.bin"]
    parts[0].write_bytes(b"a" * 3_000_000)
    parts[1].write_bytes(b"b" * 3_000_000)
    monkeypatch.setattr(model_files, "bundled_part_paths", lambda: parts)
    monkeypatch.setattr(model_files, "BUNDLED_MODEL_SIZE", 6_000_000)
    monkeypatch.setattr(
        model_files, "BUNDLED_MODEL_SHA256", hashlib.sha256(b"a" * 3_000_000 + b"b" * 3_000_000).hexdigest()
    )
    cache, log = tmp_path / "cache", tmp_path / "joins.log"

    fork = multiprocessing.get_context("fork")
    children = [fork.Process(target=_join_in_child, args=(cache, log)) for _ in range(3)]
    for child in children:
        child.start()
    for child in children:
        child.join(30)

    assert [child.exitcode for child in children] == [0, 0, 0]
    assert log.read_text().count("join") == 1
    assert (cache / model_files.BUNDLED_MODEL_NAME).stat().st_size == 6_000_000
