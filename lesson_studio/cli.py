"""`python -m lesson_studio ...`: generate, export, library ingest/search/list/remove.

Exit codes: 0 ok; 1 a StudioError (one-line reason on stderr); 2 bad usage; 3 ingest skipped files;
4 the plan did not pass the rubric.
The CLI acts as the local operator account "cli" (role admin): whoever runs it administers the
machine it runs on.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

from pydantic import ValidationError

from lesson_studio.config import Settings
from lesson_studio.errors import InvalidInput, StudioError
from lesson_studio.models import LessonPlan, LessonRequest

CLI_USERNAME = "cli"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lesson_studio", description="Lesson Studio 创新备课工作室")
    parser.add_argument("--data-dir", help="data folder (default: $LESSON_STUDIO_DATA_DIR or ~/.lesson_studio)")
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="generate a lesson plan and print it as JSON")
    source = generate.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help='one sentence, e.g. "中班 艺术 20分钟 用旧报纸和毛线 给小熊做帽子"')
    source.add_argument("--request", type=Path, help="a LessonRequest as a JSON file")
    generate.add_argument("--backend", help="backend id (default: the configured one, 'local')")
    generate.add_argument("--out", type=Path, help="also write the plan JSON here")
    generate.add_argument("--no-library", action="store_true", help="do not retrieve library passages")

    export = commands.add_parser("export", help="export a plan JSON to Word (.docx) or Markdown (.md)")
    export.add_argument("plan", type=Path)
    export.add_argument("--out", type=Path, required=True, help="FILE.docx or FILE.md")
    export.add_argument("--teacher", default="")

    rubric = commands.add_parser("rubric", help="check a plan JSON against the 15-point quality rubric")
    rubric.add_argument("plan", type=Path)
    rubric.add_argument("--request", type=Path, help="the LessonRequest it answered (checks the material list)")
    rubric.add_argument("--json", action="store_true")

    library = commands.add_parser("library", help="the course library")
    library_commands = library.add_subparsers(dest="library_command", required=True)
    ingest = library_commands.add_parser("ingest", help="add .md/.txt/.docx files")
    ingest.add_argument("paths", type=Path, nargs="+")
    ingest.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
    search = library_commands.add_parser("search", help="search the library")
    search.add_argument("query")
    search.add_argument("--k", type=int, default=4)
    search.add_argument("--age-band", choices=["小班", "中班", "大班", "混龄"])
    search.add_argument("--json", action="store_true")
    library_commands.add_parser("list", help="list documents")
    remove = library_commands.add_parser("remove", help="remove a document by id")
    remove.add_argument("document_id")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides = {"data_dir": Path(args.data_dir).expanduser()} if args.data_dir else {}
    settings = Settings.from_env(**overrides)
    try:
        if args.command == "export":
            return _export(args)  # needs no database
        if args.command == "rubric":
            return _rubric(args)
        from lesson_studio.studio import Studio

        studio = Studio(settings)
        user = studio.store.ensure_user(CLI_USERNAME, role="admin", display_name="命令行")
        if args.command == "generate":
            return _generate(studio, user, args)
        return _library(studio, user, args)
    except StudioError as error:
        print("错误 / error: " + " ".join(str(error).split()), file=sys.stderr)  # one line, always
        return 1


def _reason(error: Exception) -> str:
    """The first problem in words a person can act on (pydantic's full report is many lines)."""
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        return f"{location or 'JSON'}: {first['msg']}"
    return str(error)


def _generate(studio, user, args) -> int:  # type: ignore[no-untyped-def]
    if args.text:
        parsed = studio.parse_request(user, args.text)
        request = parsed.request
        if parsed.guessed:
            print(f"提示：以下字段按默认值填写：{', '.join(parsed.guessed)}", file=sys.stderr)
    else:
        try:
            request = LessonRequest.model_validate_json(args.request.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InvalidInput(f"无法读取请求文件 {args.request}：{_reason(error)} / Cannot read request file") from error
    if not args.no_library:
        studio.ensure_starter_library()
    else:
        studio.jobs.retriever = None
    started = time.monotonic()
    job_id = studio.submit_generation(user, request, idempotency_key=uuid.uuid4().hex, backend_id=args.backend)
    view = studio.jobs.wait(user, job_id)
    if view.status != "done" or view.version_id is None:
        raise StudioError(view.error or f"生成未完成（{view.status}）")
    plan = studio.load_plan(user, view.version_id)
    text = json.dumps(plan.model_dump(mode="json"), ensure_ascii=False, indent=2)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)
    seconds = time.monotonic() - started
    first = view.result.first_content_s if view.result else None
    print(f"已保存为教案 {view.draft_id} 版本 {view.version_id}；用时 {seconds:.1f}s，首段内容 {first or 0:.1f}s", file=sys.stderr)
    return 0


def _rubric(args) -> int:  # type: ignore[no-untyped-def]
    from lesson_studio.authoring.rubric import RubricContext, evaluate

    plan = _read_plan(args.plan)
    request = None
    if args.request:
        try:
            request = LessonRequest.model_validate_json(args.request.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InvalidInput(f"无法读取请求文件 {args.request}：{_reason(error)} / Cannot read request file") from error
    report = evaluate(plan, RubricContext(request=request))
    if args.json:
        print(json.dumps({"passed": report.passed, "passed_count": report.passed_count, **report.model_dump(mode="json")}, ensure_ascii=False, indent=2))
    else:
        marks = {"pass": "✓", "fail": "✗", "skip": "–"}
        for result in report.results:
            star = "★" if result.starred else " "
            print(f"{marks[result.status]} {result.number:>2}{star} {result.name}：{result.message}")
            if result.suggestion and result.status == "fail":
                print(f"       建议：{result.suggestion}")
        print(f"{'通过' if report.passed else '未通过'}：{report.passed_count}/15 项通过 / {'passed' if report.passed else 'not passed'}")
    return 0 if report.passed else 4


def _read_plan(path: Path) -> LessonPlan:
    try:
        return LessonPlan.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidInput(f"无法读取教案文件 {path}：{_reason(error)} / Cannot read plan file") from error


def _export(args) -> int:  # type: ignore[no-untyped-def]
    from lesson_studio.export import build_docx, plan_to_markdown

    plan = _read_plan(args.plan)
    suffix = args.out.suffix.lower()
    if suffix == ".docx":
        build_docx(plan, args.out, teacher=args.teacher)
    elif suffix == ".md":
        args.out.write_text(plan_to_markdown(plan), encoding="utf-8")
    else:
        raise InvalidInput(f"不支持的导出格式：{args.out.name}（请用 .docx 或 .md）/ Unsupported export format")
    print(args.out)
    return 0


def _library(studio, user, args) -> int:  # type: ignore[no-untyped-def]
    library = studio.library
    if args.library_command == "ingest":
        tags = {}
        for item in args.tag:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise InvalidInput(f"标签格式应为 key=value：{item} / Tags must be key=value")
            tags[key.strip()] = value.strip()
        report = library.ingest(user, list(args.paths), tags=tags)
        for doc in report.added:
            print(f"added     {doc.document_id}  {doc.title}  ({doc.chunks} chunks)")
        for doc in report.unchanged:
            print(f"unchanged {doc.document_id}  {doc.title}")
        for skipped in report.skipped:
            print(f"skipped   {skipped.path}: {skipped.reason}", file=sys.stderr)
        return 3 if report.skipped else 0
    if args.library_command == "search":
        hits = library.search(user, args.query, k=args.k, age_band=args.age_band)
        if args.json:
            for hit in hits:
                print(json.dumps(hit.model_dump(mode="json"), ensure_ascii=False))
        else:
            for number, hit in enumerate(hits, start=1):
                c = hit.citation
                print(f"[{number}] {hit.score:.3f} 《{c.document_title}》 {c.heading}  ({hit.chunk_id})")
                print("    " + hit.text[:120].replace("\n", " "))
        return 0
    if args.library_command == "list":
        for doc in library.list_documents(user):
            print(f"{doc.document_id}  {doc.title}  {doc.chunks} chunks  {doc.source_name}")
        return 0
    if args.library_command == "remove":
        library.remove(user, args.document_id)
        print(f"removed {args.document_id}")
        return 0
    return 2
