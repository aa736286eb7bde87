"""Retrieval quality and latency of the course library. Prints figures; asserts nothing.

    python bench/retrieval.py                     # quality: teachers' questions and CMRC, then latency
    python bench/retrieval.py --skip-cmrc --skip-latency   # the teachers' questions only (~2 min once embedded)
    python bench/retrieval.py --cmrc-passages 0            # all 848 CMRC passages (default: the first 300)
    python bench/retrieval.py --tune              # choose the fusion settings on the dev half, report the test half
    python bench/retrieval.py --latency-only      # p50/p95 at 25k chunks, quiet and while the local model generates

Quality. Four retrievers over the same documents, each returning passages (a document and a
character range of its text):
- tutorial baseline: what a peer writes from LangChain's RAG tutorial in an afternoon:
  RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50) over each document's text, the
  same e5 embeddings, Chroma, top k by similarity;
- BM25 alone and dense alone: Library.search(mode="keyword" / "dense");
- the project's retriever: Library.search(mode="hybrid"), as shipped.
Every retriever reads the same LoadedDocument text (the project's loaders), so only splitting
and ranking differ. Each is asked the question as typed, with no age band or filter given.

1. Teachers' questions (bench/retrieval_questions.jsonl, see bench/retrieval_set.py): 292 everyday
   questions, 30 in English, over the 《指南》 (.docx from ../shared/corpus) and the starter library
   (resources/library). A passage answers a question when it covers at least half of a gold
   sentence. Run twice: a library holding only the 《指南》 (the questions answered there) and
   one holding the 《指南》 and the starter library (all questions): a fresh install.
2. CMRC 2018 dev (../shared/corpus/cmrc2018): Wikipedia passages as documents (the first 300 of 848
   by default, with their questions), a passage of the question's document answers it. With and
   without the starter library.
Recall@1/5/10 and MRR@10 count passages as returned; "R@2k" is recall within a 2,000-character
budget: the passages are read in order until the next would pass 2,000 characters.

Latency (Library.search, hybrid, k=10, including the query's embedding): a synthetic library of
25,000 chunks (the real CMRC chunk texts repeated, each copy's vector with Gaussian noise, sigma
0.02, re-normalised: real sizes and score spreads, not new content), p50/p95 on a quiet machine
and while the embedded local model (llama.cpp) generates in the same process. Each pass prints the
load average it started under: the machine may be shared.

Embeddings are cached by text in bench/out/retrieval/vectors (delete it to embed afresh); the
libraries are rebuilt in a temporary folder on every run, so every chunker change is measured.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import retrieval_set  # noqa: E402

from lesson_studio.config import Settings  # noqa: E402
from lesson_studio.library import chunker, embeddings, index, retriever, vectors  # noqa: E402
from lesson_studio.library.loaders import LoadedDocument, Section  # noqa: E402
from lesson_studio.library.query import analyse  # noqa: E402
from lesson_studio.models import User  # noqa: E402

CMRC_DEV = retrieval_set.CORPUS / "cmrc2018" / "cmrc2018_dev.json"
OUT = ROOT / "bench" / "out" / "retrieval"
ADMIN = User(id=0, username="bench", role="admin")
DEPTH = 20  # passages asked of every retriever (the 2,000-character budget may read past 10)
BUDGET_CHARS = 2000
TUTORIAL_CHUNK, TUTORIAL_OVERLAP = 500, 50
SYNTHETIC_CHUNKS = 25_000
WARM_UP_QUERIES = 20


# --- embeddings, cached by text ----------------------------------------------------------------


class VectorCache:
    """Vectors by (kind, text) hash, kept in .npz shards; each run adds its own shard, so two runs
    (or a background pre-fill) never write the same file."""

    def __init__(self, folder: Path | None, function: Any) -> None:
        self.folder = folder
        self.function = function  # a Chroma embedding function: __call__ (passages), embed_query
        self.vectors: dict[str, np.ndarray] = {}
        self.new: dict[str, np.ndarray] = {}
        if folder is not None and folder.is_dir():
            for shard in sorted(folder.glob("*.npz")):
                with np.load(shard) as data:
                    for key, vector in zip(data["keys"], data["vectors"], strict=True):
                        self.vectors[str(key)] = vector

    @staticmethod
    def key(kind: str, text: str) -> str:
        return hashlib.sha1(f"{kind}\0{text}".encode()).hexdigest()

    def get(self, texts: Sequence[str], kind: str) -> list[np.ndarray]:
        keys = [self.key(kind, text) for text in texts]
        missing = sorted({key: text for key, text in zip(keys, texts, strict=True) if key not in self.vectors}.items())
        for start in range(0, len(missing), 32):
            batch = missing[start : start + 32]
            embed = self.function.embed_query if kind == "query" else self.function
            for (key, _), vector in zip(batch, embed([text for _, text in batch]), strict=True):
                self.vectors[key] = self.new[key] = np.asarray(vector, dtype=np.float32)
            if len(self.new) >= 2000:
                self.flush()
        return [self.vectors[key] for key in keys]

    def flush(self) -> None:
        if self.folder is None or not self.new:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        shard = self.folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:6]}.npz"
        np.savez(shard, keys=np.array(list(self.new)), vectors=np.stack(list(self.new.values())))
        self.new = {}


class CachedEmbeddings(embeddings.E5EmbeddingFunction):
    """The product's embedding function (same name, same vectors), answered from a VectorCache."""

    def __init__(self, cache: VectorCache) -> None:
        super().__init__()
        self.cache = cache

    def __call__(self, input):  # type: ignore[no-untyped-def,override]
        return self.cache.get(list(input), "passage")

    def embed_query(self, input):  # type: ignore[no-untyped-def,override]
        return self.cache.get(list(input), "query")


# --- documents ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    source: str  # a file name: what the library calls the document and gold answers name
    document: LoadedDocument
    tags: dict[str, str] = field(default_factory=dict)


def teachers_documents(with_starter: bool) -> list[Document]:
    documents = [
        Document(retrieval_set.GUIDE_DOCX.name, retrieval_set.load_guide(), {"resource_type": "指南"}),
    ]
    if with_starter:
        documents += [Document(name, document) for name, document in retrieval_set.load_starter().items()]
    return documents


def source_name(source: str) -> str:
    """Gold answers call the 《指南》 GUIDE; the library knows it by its file name."""
    return retrieval_set.GUIDE_DOCX.name if source == retrieval_set.GUIDE else source


def cmrc_documents(passages: int = 0) -> tuple[list[Document], list[tuple[str, str]]]:
    """CMRC 2018 dev: the first `passages` passages (0: all 848) and their questions."""
    data = json.loads(CMRC_DEV.read_text(encoding="utf-8"))["data"]
    documents, questions = [], []
    for article in data:
        for paragraph in article["paragraphs"]:
            if passages and len(documents) == passages:
                return documents, questions
            source = f"{paragraph['id']}.txt"
            title = article.get("title", "") or paragraph["id"]
            documents.append(
                Document(source, LoadedDocument(title=title, sections=[Section([], paragraph["context"])]))
            )
            questions.extend((qa["question"], source) for qa in paragraph["qas"])
    return documents, questions


# --- retrievers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Passage:
    source: str
    start: int  # offsets into the document's LoadedDocument.text
    end: int
    chars: int  # how much text the reader (or the model) is given


class TutorialBaseline:
    """LangChain's RecursiveCharacterTextSplitter 500/50 + the same embeddings in Chroma, top k."""

    name = "tutorial baseline (LangChain 500/50 + e5, Chroma)"

    def __init__(self, documents: list[Document], embedding_function: Any) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(
            chunk_size=TUTORIAL_CHUNK, chunk_overlap=TUTORIAL_OVERLAP, add_start_index=True
        )
        self.passages: list[Passage] = []
        texts: list[str] = []
        for document in documents:
            for piece in splitter.create_documents([document.document.text]):
                start = piece.metadata["start_index"]
                self.passages.append(
                    Passage(document.source, start, start + len(piece.page_content), len(piece.page_content))
                )
                texts.append(piece.page_content)
        self.embedding_function = embedding_function
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        # The tutorial's Chroma.from_documents: a collection with Chroma's default (l2) space,
        # which ranks normalised vectors exactly as cosine does.
        self.collection = client.create_collection(
            f"tutorial-{uuid.uuid4().hex}", embedding_function=embedding_function
        )
        for start in range(0, len(texts), 1000):
            batch = texts[start : start + 1000]
            self.collection.add(
                ids=[str(n) for n in range(start, start + len(batch))],
                embeddings=embedding_function(batch),
            )

    def search(self, query: str, k: int) -> list[Passage]:
        result = self.collection.query(
            query_embeddings=self.embedding_function.embed_query([query]), n_results=min(k, len(self.passages))
        )
        return [self.passages[int(passage_id)] for passage_id in result["ids"][0]]

    def close(self) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False)).delete_collection(
            self.collection.name
        )


class ProjectLibrary:
    """The product's Library over the documents, in a throw-away data folder."""

    def __init__(self, documents: list[Document], embedding_function: Any, folder: Path) -> None:
        self.library = index.Library(
            Settings(data_dir=folder, starter_library=False), embedding_function, background=False
        )
        self.source_of: dict[str, str] = {}  # document id -> source
        self.alias: dict[str, str] = {}  # source -> the source the library keeps it under (same text twice)
        for document in documents:
            report = self.library.ingest_document(ADMIN, document.document, document.source, document.tags)
            if report.skipped:
                raise SystemExit(f"{document.source} was not ingested: {report.skipped[0].reason}")
            info = (report.added or report.updated or report.unchanged)[0]
            self.source_of.setdefault(info.document_id, document.source)
            self.alias[document.source] = self.source_of[info.document_id]

    def passage(self, view: Any, position: int) -> Passage:
        row = view.rows[position]
        return Passage(self.source_of[row.document_id], row.char_start, row.char_end, len(row.text))

    def retriever(self, mode: str) -> Callable[[str, int], list[Passage]]:
        def search(query: str, k: int) -> list[Passage]:
            hits = self.library.search(ADMIN, query, k=k, mode=mode)
            view = self.library.retriever.view()
            passages = []
            for hit in hits:
                row = view.rows[view.position[hit.chunk_id]]
                passages.append(Passage(self.source_of[row.document_id], row.char_start, row.char_end, len(hit.text)))
            return passages

        return search

    def close(self) -> None:
        self.library.close()


# --- scoring -----------------------------------------------------------------------------------

METRICS = ("R@1", "R@5", "R@10", "MRR@10", "R@2k")


def score(flags_and_sizes: list[list[tuple[bool, int]]]) -> dict[str, float]:
    """Per query, each returned passage: (answers the query?, characters)."""
    totals = dict.fromkeys(METRICS, 0.0)
    for passages in flags_and_sizes:
        first = next((rank for rank, (flag, _) in enumerate(passages[:10], start=1) if flag), None)
        if first is not None:
            totals["MRR@10"] += 1 / first
            totals["R@10"] += 1
            totals["R@5"] += first <= 5
            totals["R@1"] += first == 1
        read = 0
        for flag, chars in passages:
            read += chars
            if read > BUDGET_CHARS:
                break
            if flag:
                totals["R@2k"] += 1
                break
    return {name: value / max(len(flags_and_sizes), 1) for name, value in totals.items()}


def run_questions(
    search: Callable[[str, int], list[Passage]], cases: list[tuple[str, Callable[[Passage], bool]]]
) -> list[list[tuple[bool, int]]]:
    return [[(relevant(passage), passage.chars) for passage in search(query, DEPTH)] for query, relevant in cases]


def teacher_cases(questions: list[retrieval_set.Question]) -> list[tuple[str, Callable[[Passage], bool]]]:
    def relevant_for(question: retrieval_set.Question) -> Callable[[Passage], bool]:
        return lambda passage: any(
            retrieval_set.answers(question, gold.source, passage.start, passage.end)
            for gold in question.gold
            if source_name(gold.source) == passage.source
        )

    return [(question.text, relevant_for(question)) for question in questions]


def print_table(title: str, rows: list[tuple[str, int, dict[str, float]]]) -> None:
    print(f"\n{title}")
    print(f"  {'retriever':58} {'n':>4} " + " ".join(f"{name:>6}" for name in METRICS))
    for name, count, values in rows:
        print(f"  {name:58} {count:4d} " + " ".join(f"{values[metric]:6.3f}" for metric in METRICS))


def methods(
    project: ProjectLibrary, tutorial: TutorialBaseline
) -> list[tuple[str, Callable[[str, int], list[Passage]]]]:
    return [
        (tutorial.name, tutorial.search),
        ("BM25 alone (jieba, project chunks)", project.retriever("keyword")),
        ("dense alone (e5, project chunks)", project.retriever("dense")),
        ("project retriever (Library.search hybrid)", project.retriever("hybrid")),
    ]


def report_teachers(cache: VectorCache, function: Any, work: Path) -> None:
    questions = retrieval_set.load_questions()
    for with_starter in (False, True):
        documents = teachers_documents(with_starter)
        asked = [q for q in questions if with_starter or q.sources == {retrieval_set.GUIDE}]
        started = time.monotonic()
        project = ProjectLibrary(documents, function, work / f"teachers-{int(with_starter)}")
        tutorial = TutorialBaseline(documents, function)
        chunks = project.library.retriever.view().size
        cases = teacher_cases(asked)
        rows, runs = [], {}
        for name, search in methods(project, tutorial):
            runs[name] = run_questions(search, cases)
            rows.append((name, len(asked), score(runs[name])))
        for half in ("dev", "test"):
            picked = [n for n, q in enumerate(asked) if q.half == half]
            name = "project retriever (Library.search hybrid)"
            rows.append((f"  … {half} half", len(picked), score([runs[name][n] for n in picked])))
        english = [n for n, q in enumerate(asked) if q.lang == "en"]
        for name in (tutorial.name, "project retriever (Library.search hybrid)"):
            rows.append(
                (f"  … English only: {name.split(' (')[0]}", len(english), score([runs[name][n] for n in english]))
            )
        label = "the 《指南》 and the starter library" if with_starter else "the 《指南》 only"
        print_table(
            f"Teachers' questions, library holding {label} ({chunks} project chunks, {len(tutorial.passages)} "
            f"tutorial chunks; {time.monotonic() - started:.0f} s)",
            rows,
        )
        if with_starter:
            print("\n  Recall@5 by topic (tutorial baseline / project retriever)")
            for topic in retrieval_set.TOPICS:
                picked = [n for n, q in enumerate(asked) if q.topic == topic]
                values = [score([runs[name][n] for n in picked])["R@5"] for name in (tutorial.name, rows[3][0])]
                print(f"    {topic:10} {len(picked):4d}  {values[0]:.3f} / {values[1]:.3f}")
        tutorial.close()
        project.close()
        cache.flush()


def report_cmrc(cache: VectorCache, function: Any, work: Path, passages: int) -> None:
    documents, asked = cmrc_documents(passages)
    for with_starter in (False, True):
        extra = teachers_documents(True)[1:] if with_starter else []
        started = time.monotonic()
        project = ProjectLibrary(documents + extra, function, work / f"cmrc-{int(with_starter)}")
        tutorial = TutorialBaseline(documents + extra, function)
        cases = [
            (text, lambda passage, target=project.alias[source], source=source: passage.source in (target, source))
            for text, source in asked
        ]
        rows = [(name, len(cases), score(run_questions(search, cases))) for name, search in methods(project, tutorial)]
        label = "with the starter library" if with_starter else "CMRC passages only"
        print_table(
            f"CMRC 2018 dev, {label} ({len(documents)} passages -> {project.library.retriever.view().size} project "
            f"chunks, {len(tutorial.passages)} tutorial chunks; hit = a passage of the question's document; "
            f"{time.monotonic() - started:.0f} s)",
            rows,
        )
        tutorial.close()
        project.close()
        cache.flush()


# --- choosing the fusion settings ------------------------------------------------------------

TUNE_GRID = {
    "rrf_k": (10, 30, 60),
    "keyword_weight": (0.5, 0.75, 1.0),  # the dense weight stays 1.0: only the ratio matters
    "question_band_boost": (0.3, 0.5, 1.0),
    "guide_prior": (1.0, 1.15, 1.3, 1.5),
}


def report_tuning(function: Any, work: Path) -> None:
    """Every setting of TUNE_GRID on the library holding the 《指南》 and the starter library: chosen
    by Recall@5 (then MRR) on the dev half, reported on the test half it never saw."""
    questions = retrieval_set.load_questions()
    project = ProjectLibrary(teachers_documents(True), function, work / "tune")
    fusion = project.library.retriever  # the rankings, and the settings tried on them
    view = fusion.view()
    mask = view.mask(None, None, None, None)
    depth = max(retriever.MIN_CANDIDATES, DEPTH * retriever.CANDIDATES_PER_HIT)
    cases = teacher_cases(questions)
    runs = []
    for question in questions:
        asked = analyse(question.text)
        runs.append(
            (
                fusion.dense_ranking(view, asked, mask, depth),
                fusion.keyword_ranking(view, asked, mask, depth),
                asked.band,
            )
        )
    results = []
    for rrf_k in TUNE_GRID["rrf_k"]:
        for keyword_weight in TUNE_GRID["keyword_weight"]:
            for boost in TUNE_GRID["question_band_boost"]:
                for prior in TUNE_GRID["guide_prior"]:
                    fusion.rrf_k, fusion.dense_weight, fusion.keyword_weight = rrf_k, 1.0, keyword_weight
                    fusion.question_band_boost = boost
                    fusion.type_prior = {"指南": prior}
                    per_question = []
                    for (dense, sparse, band), (_, relevant) in zip(runs, cases, strict=True):
                        scored = sorted(fusion.fuse(view, dense, sparse, None, band), key=lambda item: -item[1])
                        per_question.append(
                            [
                                (relevant(project.passage(view, position)), len(view.rows[position].text))
                                for position, _ in scored[:DEPTH]
                            ]
                        )
                    halves = {
                        half: score([per_question[n] for n, q in enumerate(questions) if q.half == half])
                        for half in ("dev", "test")
                    }
                    results.append(((rrf_k, keyword_weight, boost, prior), halves))
    results.sort(key=lambda item: (item[1]["dev"]["R@5"], item[1]["dev"]["MRR@10"]), reverse=True)
    shipped = (
        retriever.RRF_K,
        retriever.KEYWORD_WEIGHT / retriever.DENSE_WEIGHT,
        retriever.QUESTION_BAND_BOOST,
        retriever.RESOURCE_TYPE_PRIOR["指南"],
    )
    print(
        f"\nFusion settings on the dev half ({len(results)} tried; the 10 best by dev Recall@5, then the shipped one)"
    )
    print(f"  {'K':>3} {'w_bm25':>6} {'band':>5} {'指南':>5}   dev R@5   MRR  |  test R@5   MRR    R@1   R@2k")
    shown = results[:10] + [r for r in results if r[0] == shipped and r not in results[:10]]
    for (rrf_k, keyword_weight, boost, prior), halves in shown:
        dev, test = halves["dev"], halves["test"]
        marks = ["best on dev"] if (rrf_k, keyword_weight, boost, prior) == results[0][0] else []
        marks += ["shipped"] if (rrf_k, keyword_weight, boost, prior) == shipped else []
        mark = f"  <- {', '.join(marks)}" if marks else ""
        print(
            f"  {rrf_k:3d} {keyword_weight:6.2f} {boost:5.2f} {prior:5.2f}   {dev['R@5']:.3f}  {dev['MRR@10']:.3f}  |  "
            f"{test['R@5']:.3f}  {test['MRR@10']:.3f}  {test['R@1']:.3f}  {test['R@2k']:.3f}{mark}"
        )
    project.close()


# --- latency -----------------------------------------------------------------------------------


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"p50 {statistics.median(ordered):7.1f}  p95 {p95:7.1f}  max {ordered[-1]:7.1f}  (n={len(ordered)})"


def build_synthetic(cache: VectorCache, function: Any, folder: Path, size: int, passages: int) -> index.Library:
    """size chunks: the CMRC project chunks repeated, each copy's piece vectors with noise."""
    documents, _ = cmrc_documents(passages)
    source = ProjectLibrary(documents, function, folder / "source")
    view = source.library.retriever.view()
    pieces = [
        cache.get(
            [vectors.embedding_text(row.heading, piece) for piece in chunker.sentence_pieces(row.text)], "passage"
        )
        for row in view.rows
    ]
    library = index.Library(
        Settings(data_dir=folder / "synthetic", starter_library=False),
        embeddings.E5EmbeddingFunction(),
        background=False,
    )
    rng = np.random.default_rng(7)
    per_document, made = 50, 0
    while made < size:
        count = min(per_document, size - made)
        document_id = f"syn{made // per_document:013d}"
        version = library.store.library_begin_version(
            ADMIN, document_id=document_id, title=f"合成文档 {made // per_document}",
            source_name=f"{document_id}.txt", sha256=f"{made:064d}", tags_json="{}",
        )  # fmt: skip
        picks = [(made + n) % view.size for n in range(count)]
        rows = [
            {
                "id": f"{document_id}:1:{n}",
                "idx": n,
                "text": view.rows[p].text,
                "heading": view.rows[p].heading,
                "page": None,
                "char_start": 0,
                "char_end": len(view.rows[p].text),
                "age_band": "",
                "domain": "",
                "cps_stage": "",
                "resource_type": "",
                "tokens": view.rows[p].tokens,
            }  # fmt: skip
            for n, p in enumerate(picks)
        ]
        library.store.library_activate_version(ADMIN, version.id, rows, chars=sum(len(r["text"]) for r in rows))
        ids = [
            f"{row['id']}{vectors.PIECE_SEPARATOR}{m}"
            for row, p in zip(rows, picks, strict=True)
            for m in range(len(pieces[p]))
        ]
        noisy = np.stack([vector for p in picks for vector in pieces[p]])
        noisy = noisy + rng.normal(0, 0.02, noisy.shape).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        library.vectors.collection.upsert(
            ids=ids,
            embeddings=noisy,
            metadatas=[
                {"document_id": document_id, "version": 1, "index": int(i.split(":")[2].split("#")[0])} for i in ids
            ],
        )
        library.store.library_mark_embedded([row["id"] for row in rows], {version.id})
        made += count
    source.close()
    library._invalidate()
    return library


def timed_searches(library: index.Library, queries: list[str]) -> list[float]:
    for query in queries[:WARM_UP_QUERIES]:
        library.search(ADMIN, query, k=10)
    times = []
    for query in queries:
        started = time.perf_counter()
        library.search(ADMIN, query, k=10)
        times.append((time.perf_counter() - started) * 1000)
    return times


class Generation:
    """The embedded local model writing in a thread of this process, as in the app."""

    def __init__(self, model_path: str) -> None:
        from lesson_studio.llm.local import LocalLlamaBackend

        self.backend = LocalLlamaBackend(Settings(local_model_path=model_path, starter_library=False))
        self.stop = threading.Event()
        self.started = threading.Event()
        self.pieces = 0
        self.error = ""
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        prompt = "请详细写一篇幼儿园大班科学活动教案，包括设计意图、目标、准备、五个环节的师幼对话和延伸，至少两千字。"
        try:
            while not self.stop.is_set():
                for _ in self.backend.stream([{"role": "user", "content": prompt}], max_tokens=1500, temperature=0.7):
                    self.pieces += 1
                    self.started.set()
                    if self.stop.is_set():
                        break
        except Exception as error:  # noqa: BLE001  reported with the figures
            self.error = f"{type(error).__name__}: {error}"
            self.started.set()

    def __enter__(self) -> Generation:
        self.thread.start()
        self.started.wait(timeout=600)
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=120)


def report_latency(cache: VectorCache, function: Any, work: Path, model_path: str, queries: int, passages: int) -> None:
    started = time.monotonic()
    library = build_synthetic(cache, function, work / "latency", SYNTHETIC_CHUNKS, passages)
    print(f"\n(built the {SYNTHETIC_CHUNKS:,}-chunk library in {time.monotonic() - started:.0f} s)")
    texts = [q.text for q in retrieval_set.load_questions()][:queries]
    print(f"\nLatency, Library.search hybrid k=10 incl. query embedding, {library.retriever.view().size} chunks (ms)")
    for label, threads in (("one OpenMP thread per query (shipped)", 1), ("every core per query (before)", 0)):
        embeddings.QUERY_THREADS = threads
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"  quiet, {label:40} {percentiles(timed_searches(library, texts))}  [load before: {load}]")
    embeddings.QUERY_THREADS = 1
    parts = {"query embedding alone (one thread)": [], "the rest: Chroma + BM25 + fusion": []}
    for text in texts:
        started = time.perf_counter()
        vector = library.embedding_function.embed_query([text])
        embedded = time.perf_counter()
        library.vectors.collection.query(
            query_embeddings=vector, n_results=retriever.MIN_CANDIDATES * retriever.PIECES_PER_CHUNK
        )
        view = library.retriever.view()
        library.retriever.keyword_ranking(
            view, analyse(text), view.mask(None, None, None, None), retriever.MIN_CANDIDATES
        )
        parts["query embedding alone (one thread)"].append((embedded - started) * 1000)
        parts["the rest: Chroma + BM25 + fusion"].append((time.perf_counter() - embedded) * 1000)
    for label, values in parts.items():
        print(f"    quiet, {label:38} {percentiles(values)}")
    if not model_path or not Path(model_path).is_file():
        print(f"  under generation: skipped (no local model file at {model_path!r}; pass --model)")
    else:
        for label, threads in (("one OpenMP thread per query (shipped)", 1), ("every core per query (before)", 0)):
            embeddings.QUERY_THREADS = threads
            with Generation(model_path) as generation:
                load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
                started, pieces = time.monotonic(), generation.pieces
                times = timed_searches(library, texts)
                rate = (generation.pieces - pieces) / (time.monotonic() - started)
            note = f"; generation error: {generation.error}" if generation.error else ""
            print(
                f"  generating, {label:35} {percentiles(times)}  [load before: {load}; model "
                f"{rate:.1f} pieces/s meanwhile{note}]"
            )
    embeddings.QUERY_THREADS = 1
    library.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-cmrc", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--latency-only", action="store_true")
    parser.add_argument("--tune", action="store_true", help="only: choose the fusion settings on the dev half")
    parser.add_argument(
        "--cmrc-passages",
        type=int,
        default=300,
        help="the first N of CMRC's 848 passages and their questions (0: all; embedding all takes ~1 h on 2 busy cores)",
    )
    parser.add_argument("--latency-queries", type=int, default=200)
    parser.add_argument(
        "--model", default=str(ROOT / "bench" / "out" / "data" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    )
    args = parser.parse_args()
    cache = VectorCache(OUT / "vectors", embeddings.E5EmbeddingFunction())
    function = CachedEmbeddings(cache)
    with tempfile.TemporaryDirectory(prefix="retrieval-bench-") as folder:
        work = Path(folder)
        if args.tune:
            report_tuning(function, work)
            cache.flush()
            return 0
        if not args.latency_only:
            report_teachers(cache, function, work)
            if not args.skip_cmrc and CMRC_DEV.exists():
                report_cmrc(cache, function, work, args.cmrc_passages)
            elif not args.skip_cmrc:
                print(f"\nCMRC 2018 dev not found at {CMRC_DEV}; skipped")
        if not args.skip_latency and CMRC_DEV.exists():
            report_latency(cache, function, work, args.model, args.latency_queries, args.cmrc_passages)
    cache.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
