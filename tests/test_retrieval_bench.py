"""bench/retrieval.py and its question set, run small so they cannot rot: every retriever the
bench compares (the LangChain tutorial baseline, BM25, dense, the project's) on a tiny corpus with
the deterministic hash embeddings, the scoring, and the gold locators (which must fail loudly)."""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import pytest
from library_fakes import HashEmbeddingFunction

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import retrieval  # noqa: E402
import retrieval_set  # noqa: E402

from lesson_studio.library.loaders import LoadedDocument, Section  # noqa: E402

DOCUMENTS = [
    retrieval.Document(
        "sleep.txt",
        LoadedDocument(
            "作息", [Section(["作息"], "保证幼儿每天睡11～12小时，其中午睡一般应达到2小时左右。\n早睡早起，按时进餐。")]
        ),
    ),
    retrieval.Document(
        "outdoor.txt",
        LoadedDocument("户外", [Section(["户外"], "幼儿每天的户外活动时间一般不少于两小时，季节交替时要坚持。")]),
    ),
    retrieval.Document(
        "art.txt", LoadedDocument("美术", [Section(["美术"], "幼儿绘画时，不宜提供范画，不要求照着画。")])
    ),
]
CASES = [("孩子每天睡多少小时", "sleep.txt"), ("户外活动时间一天多少", "outdoor.txt"), ("绘画要不要范画", "art.txt")]


@pytest.fixture
def bench(tmp_path: Path):
    function = retrieval.CachedEmbeddings(retrieval.VectorCache(None, HashEmbeddingFunction()))
    project = retrieval.ProjectLibrary(DOCUMENTS, function, tmp_path / "data")
    tutorial = retrieval.TutorialBaseline(DOCUMENTS, function)
    yield project, tutorial
    tutorial.close()
    project.close()


def test_every_retriever_the_bench_compares_finds_the_obvious_answers(bench) -> None:
    project, tutorial = bench
    cases = [(question, lambda passage, source=source: passage.source == source) for question, source in CASES]
    for name, search in retrieval.methods(project, tutorial):
        results = retrieval.score(retrieval.run_questions(search, cases))
        assert set(results) == set(retrieval.METRICS)
        assert results["R@5"] == 1.0, name


def test_the_tutorial_baseline_splits_500_50_and_keeps_offsets(bench) -> None:
    _, tutorial = bench
    assert [p.source for p in tutorial.passages] == ["sleep.txt", "outdoor.txt", "art.txt"]
    first = tutorial.passages[0]
    assert DOCUMENTS[0].document.text[first.start : first.end].startswith("保证幼儿每天睡")


def test_recall_within_the_budget_stops_before_the_passage_that_would_pass_it() -> None:
    within = [(False, 1500), (True, 400)]
    beyond = [(False, 1500), (True, 600)]
    assert retrieval.score([within])["R@2k"] == 1.0 and retrieval.score([beyond])["R@2k"] == 0.0
    assert retrieval.score([beyond])["R@5"] == 1.0 and retrieval.score([beyond])["MRR@10"] == 0.5


def test_a_gold_locator_that_no_longer_resolves_stops_the_bench() -> None:
    document = LoadedDocument("t", [Section([], "第一句话在这里。第二句话在那里。\n3～4岁: 会跑。\n4～5岁: 会跑。")])
    key = retrieval_set.sentence_key("第一句话在这里。")
    span = retrieval_set.resolve_locator(document, {"key": key}, where="t")
    assert document.text[span.start : span.end] == "第一句话在这里。"
    with pytest.raises(retrieval_set.SetError, match="resolves to 0"):
        retrieval_set.resolve_locator(document, {"key": "0000000000"}, where="t")
    same = retrieval_set.sentence_key("会跑。")  # the same sentence in two age columns: the band tells them apart
    with pytest.raises(retrieval_set.SetError, match="resolves to 2"):
        retrieval_set.resolve_locator(document, {"key": same}, where="t")
    middle = retrieval_set.resolve_locator(document, {"key": same, "band": "中班"}, where="t")
    assert document.text[middle.start : middle.end] == "4～5岁: 会跑。"


GUIDE_PRESENT = retrieval_set.GUIDE_DOCX.exists()


@pytest.mark.skipif(not GUIDE_PRESENT, reason="the 《指南》 is not in ../shared/corpus")
def test_the_question_set_resolves_and_is_in_teachers_words() -> None:
    questions = retrieval_set.load_questions()
    assert len(questions) >= 200
    assert sum(q.lang == "en" for q in questions) >= 0.1 * len(questions)
    assert {q.topic for q in questions} == set(retrieval_set.TOPICS)
    guide = re.sub(r"\s+", "", unicodedata.normalize("NFKC", retrieval_set.load_guide().text))
    for question in questions:  # paraphrases, not quotations: no run of 10 characters from the 《指南》
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", question.text))
        assert not any(text[i : i + 10] in guide for i in range(len(text) - 9)), question.id


def test_the_question_set_stores_no_sentence_of_the_guide() -> None:
    raw = retrieval_set.QUESTIONS.read_text(encoding="utf-8")
    for line in raw.splitlines():
        entry = retrieval_set.json.loads(line)
        for gold in entry["gold"]:
            assert gold["doc"] != retrieval_set.GUIDE or set(gold) <= {"doc", "key", "band", "copy"}
