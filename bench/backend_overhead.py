"""What the OpenAI-compatible backend costs around the provider call, and how each fault resolves.

    python bench/backend_overhead.py [--requests 300] [--deadline 5]

1. Overhead: the same short streamed answer from the loopback fake server (zero latency), read
   three ways — raw HTTP (httpx2, the floor), LangChain's ChatOpenAI alone, and the app's backend
   (ChatOpenAI + deadline thread + fault checks). p50/p95 per request; the differences are the costs.
2. Faults: every scenario of the fault suite with real waits (Retry-After, backoff, the deadline),
   the outcome, the requests the server saw, the seconds it took, and what the teacher is told.
Everything stays on 127.0.0.1; every loop is bounded.
"""

from __future__ import annotations

import argparse
import logging
import socket
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import httpx2  # noqa: E402
from fake_openai_server import FakeOpenAIServer  # noqa: E402
from pydantic import BaseModel, Field  # noqa: E402

from lesson_studio.authoring import generate as generate_module  # noqa: E402
from lesson_studio.authoring.generate import generate_plan  # noqa: E402
from lesson_studio.errors import StudioError, Truncated  # noqa: E402
from lesson_studio.llm.catalog import BackendSpec  # noqa: E402
from lesson_studio.llm.openai_compatible import OpenAICompatibleBackend  # noqa: E402
from lesson_studio.llm.routing import RoutedBackend  # noqa: E402
from lesson_studio.llm.structured import continue_structured, generate_structured  # noqa: E402
from lesson_studio.models import Citation, Hit, LessonRequest  # noqa: E402

HELLO = [{"role": "user", "content": "你好"}]
KEY = "sk-bench-0123456789abcdef"


class Material(BaseModel):
    material: str = Field(min_length=1, max_length=6)


REQUEST = LessonRequest(
    age_band="中班", domain="艺术", topic="给小熊做一顶戴得住的帽子", minutes=20, materials=["旧报纸"]
)


def long_passages(count: int) -> list[Hit]:
    """Passages of ~2,000 characters: four overflow the fake server's 6,000-character context, two fit."""
    text = "幼儿在游戏中尝试用不同材料解决问题。" * 111
    return [
        Hit(
            chunk_id=f"guide:1:{n}",
            text=text,
            score=1.0,
            citation=Citation(chunk_id=f"guide:1:{n}", document_id="guide", document_title="指南"),
        )
        for n in range(count)
    ]


def truncated_then_continued(subject: OpenAICompatibleBackend) -> None:
    """finish_reason=length twice (the first try and the shorter retry), then 继续生成 from the partial."""
    try:
        generate_structured(subject, HELLO, Material)
    except Truncated as cut:
        continue_structured(subject, HELLO, Material, cut.partial)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def backend(base_url: str, **overrides: object) -> OpenAICompatibleBackend:
    values: dict[str, object] = dict(
        id="bench",
        base_url=base_url,
        model="fake-model",
        key_env_var="BENCH_KEY",
        timeout_s=10,
        deadline_s=30,
        retries=2,
    )
    values.update(overrides)
    return OpenAICompatibleBackend(BackendSpec(**values), {"BENCH_KEY": KEY})  # type: ignore[arg-type]


def measure_overhead(server: FakeOpenAIServer, requests: int) -> None:
    ours = backend(server.base_url)
    plain = ours.chat_model()  # the same ChatOpenAI the backend uses, called directly
    _, kwargs = ours.request(HELLO, None, 512, 0.3)
    client = httpx2.Client()
    body = {"model": "fake-model", "messages": HELLO, "stream": True, "max_tokens": 512}
    headers = {"authorization": f"Bearer {KEY}"}

    def raw() -> str:
        text = ""
        with client.stream("POST", server.base_url + "/chat/completions", json=body, headers=headers) as response:
            for line in response.iter_lines():
                text += line
        return text

    ways = {
        "raw HTTP (httpx2)": raw,
        "ChatOpenAI.stream": lambda: "".join(chunk.content for chunk in plain.stream(HELLO, **kwargs)),
        "app backend.stream": lambda: "".join(ours.stream(HELLO)),
    }
    results: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(20):  # warm up connections and imports
        for call in ways.values():
            call()
    for _ in range(requests):  # interleaved, so load from elsewhere hits all three alike
        for name, call in ways.items():
            started = time.perf_counter()
            call()
            results[name].append((time.perf_counter() - started) * 1000)
    print(f"\n## Overhead per request ({requests} requests each, fake server, zero latency, 12 streamed pieces)\n")
    print("| path | p50 ms | p95 ms |")
    print("| --- | ---: | ---: |")
    for name, samples in results.items():
        p50, p95 = percentiles(samples)
        print(f"| {name} | {p50:.2f} | {p95:.2f} |")
    raw50, raw95 = percentiles(results["raw HTTP (httpx2)"])
    lc50, lc95 = percentiles(results["ChatOpenAI.stream"])
    app50, app95 = percentiles(results["app backend.stream"])
    print(f"\napp overhead over raw HTTP: p50 {app50 - raw50:+.2f} ms, p95 {app95 - raw95:+.2f} ms")
    print(f"of which the app's own wrapper (over ChatOpenAI): p50 {app50 - lc50:+.2f} ms, p95 {app95 - lc95:+.2f} ms")
    client.close()


def closed_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/v1"


def fault_table(server: FakeOpenAIServer, deadline: float) -> None:
    scenarios: list[tuple[str, list[str], object]] = [
        ("healthy answer", [], None),
        ("connection refused", [], "refused"),
        (f"no answer (deadline {deadline:g}s)", ["hang:seconds=60"], None),
        ("429 Retry-After 1, then ok", ["429:retry_after=1"], None),
        ("429 Retry-After 1, persists", ["429:retry_after=1"] * 3, None),
        ("429 Retry-After 120 (capped at 2s)", ["429:retry_after=120"], {"max_retry_wait_s": 2}),
        ("Qianfan 336501 in a 200 body, persists", ["qianfan_rpm"] * 3, None),
        ("Qianfan 18 (qps), then ok", ["qianfan_qps"], None),
        ("Qianfan 17 (daily quota)", ["qianfan_daily"], None),
        ("500, persists", ["500"] * 3, None),
        ("502 HTML, persists", ["502"] * 3, None),
        ("503, then ok", ["503"], None),
        ("504, persists", ["504"] * 3, None),
        ("401 (key echoed)", ["401"], None),
        ("403", ["403"], None),
        ("Qianfan 110 / 111", ["qianfan_auth"], None),
        ("context too long", ["context"], None),
        ("stream cut after 3 pieces", ["cut:after=3"], None),
        ("dropped before any text, then ok", ["cut:after=0"], None),
        ("stream ends without finish_reason", ["eof:after=3"], None),
        ("stream goes silent midway (timeout_s 1)", ["stall:after=3,seconds=60"], {"timeout_s": 1}),
        ("finish_reason=length", ["length"], None),
        ("length twice (structured), then 继续生成", ["length", "length"], "continue"),
        ("content_filter", ["content_filter"], None),
        ("content moderation 400", ["filtered_400"], None),
        ("HTML page with status 200", ["html"], None),
        ("malformed JSON once (structured)", ["malformed"], "structured"),
        ("malformed JSON twice (structured)", ["malformed", "malformed"], "structured"),
        ("fallback: refused primary -> fake server", [], "fallback"),
        ("context too long in a plan: 4 -> 2 passages, 8 sections", [], "plan"),
    ]
    print(f"\n## Fault scenarios (timeout_s 10, deadline_s {deadline:g}, retries 2, real waits)\n")
    print("| scenario | outcome | requests | seconds | the teacher sees |")
    print("| --- | --- | ---: | ---: | --- |")
    for name, faults, special in scenarios:
        server.reset()
        server.fail_next(*faults)
        overrides = special if isinstance(special, dict) else {}
        subject = backend(
            closed_url() if special in ("refused", "fallback") else server.base_url, deadline_s=deadline, **overrides
        )
        if special == "fallback":
            subject = RoutedBackend("generate", [subject, backend(server.base_url, id="second")])  # type: ignore[assignment]
        started = time.perf_counter()
        try:
            if special == "structured":
                generate_structured(subject, HELLO, Material)
            elif special == "continue":
                truncated_then_continued(subject)  # type: ignore[arg-type]
            elif special == "plan":
                # Whole passages, not the usual excerpts, so that four of them overflow the window.
                generate_module.PASSAGE_PROMPT_CHARS, kept_limit = 100_000, generate_module.PASSAGE_PROMPT_CHARS
                try:
                    generate_plan(REQUEST, backend=subject, retriever=lambda request: long_passages(4))
                finally:
                    generate_module.PASSAGE_PROMPT_CHARS = kept_limit
            else:
                "".join(subject.stream(HELLO))
            outcome, told = "ok", ""
        except StudioError as error:
            outcome, told = type(error).__name__, str(error).split(" / ")[0]
        seconds = time.perf_counter() - started
        print(f"| {name} | {outcome} | {server.requests} | {seconds:.2f} | {told[:60]} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--deadline", type=float, default=5.0, help="deadline_s for the fault table")
    args = parser.parse_args()
    logging.getLogger("lesson_studio").setLevel(logging.ERROR)  # the per-fault warnings would interleave the table
    with FakeOpenAIServer() as server:
        measure_overhead(server, args.requests)
        fault_table(server, args.deadline)


if __name__ == "__main__":
    main()
