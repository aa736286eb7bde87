"""`python -m lesson_studio ...`: generate, export, library ingest/search/list/remove/....

Exit codes: 0 ok; 1 a StudioError (one-line reason on stderr); 2 bad usage; 3 ingest skipped files;
4 the plan did not pass the rubric.
The CLI acts as the local operator account "cli" (role admin): whoever runs it administers the
machine it runs on.
"""

from __future__ import annotations

import argparse
import getpass
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
    ingest = library_commands.add_parser(
        "ingest", help="add .docx/.pdf/.md/.txt files or folders (exit 3 when any file was skipped)"
    )
    ingest.add_argument("paths", type=Path, nargs="+")
    ingest.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE",
                        help="age_band, domain, cps_stage, resource_type (resource_type=指南 for the 《指南》)")
    ingest.add_argument("--no-wait", action="store_true",
                        help="return once keyword search works; dense vectors are filled by the app later")
    search = library_commands.add_parser("search", help="search the library (hybrid: dense + BM25)")
    search.add_argument("query", nargs="?")
    search.add_argument("--queries", type=Path, help="a file with one query per line; prints one JSON line per query")
    search.add_argument("--k", type=int, default=4)
    search.add_argument("--age-band", choices=["小班", "中班", "大班", "混龄"])
    search.add_argument("--domain", choices=["健康", "语言", "社会", "科学", "艺术"])
    search.add_argument("--resource-type", action="append", dest="resource_types", metavar="TYPE")
    search.add_argument("--mode", choices=["hybrid", "dense", "keyword"], default="hybrid")
    search.add_argument("--json", action="store_true")
    library_commands.add_parser("list", help="list documents")
    remove = library_commands.add_parser("remove", help="remove a document by id")
    remove.add_argument("document_id")
    for verb in ("disable", "enable"):
        toggle = library_commands.add_parser(verb, help=f"{verb} a document (disabled ones are not retrieved)")
        toggle.add_argument("document_id")
    versions = library_commands.add_parser("versions", help="list a document's versions")
    versions.add_argument("document_id")
    rollback = library_commands.add_parser("rollback", help="make an earlier version of a document active again")
    rollback.add_argument("document_id")
    rollback.add_argument("version", type=int)
    users = commands.add_parser("users", help="accounts and roles (teacher, lead = 教研组长, admin)")
    users_commands = users.add_subparsers(dest="users_command", required=True)
    users_commands.add_parser("list", help="list accounts with their roles and states")
    add = users_commands.add_parser(
        "add", help="add an account (the first admin: users add NAME --role admin); the password is prompted"
    )
    add.add_argument("username")
    add.add_argument("--role", choices=["teacher", "lead", "admin"], default="teacher")
    add.add_argument("--display-name", default="", help="the name shown on pages and exports (default: the user name)")
    add.add_argument("--email", default="", help="the address single sign-on matches (optional)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin instead of a prompt")
    passwd = users_commands.add_parser(
        "passwd", help="set a new password (unlocks the account; the user chooses their own at next sign-in)"
    )
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from stdin instead of a prompt")
    passwd.add_argument("--keep", action="store_true", help="do not ask the user to change it at next sign-in")
    set_role = users_commands.add_parser("set-role", help="give an existing account a role")
    set_role.add_argument("username")
    set_role.add_argument("role", choices=["teacher", "lead", "admin"])
    for verb, text in (
        ("disable", "disable an account (its open sessions end on their next click)"),
        ("enable", "enable a disabled account again"),
        ("unlock", "lift the lock after too many wrong passwords"),
    ):
        toggle_user = users_commands.add_parser(verb, help=text)
        toggle_user.add_argument("username")
    set_email = users_commands.add_parser("set-email", help="the e-mail address single sign-on matches ('' removes it)")
    set_email.add_argument("username")
    set_email.add_argument("email")
    catalogue = library_commands.add_parser("catalogue", help="the standards catalogue parsed from the 《指南》")
    catalogue.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides = {"data_dir": Path(args.data_dir).expanduser()} if args.data_dir else {}
    settings = Settings.from_env(**overrides)
    try:
        if args.command == "export":
            return _export(args)  # needs no database
        from lesson_studio.studio import Studio

        studio = Studio(settings, use_library=not getattr(args, "no_library", False))
        user = studio.store.ensure_user(CLI_USERNAME, role="admin", display_name="命令行")
        if args.command == "rubric":
            return _rubric(studio, user, args)
        if args.command == "generate":
            return _generate(studio, user, args)
        if args.command == "users":
            return _users(studio, user, args)
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


def _users(studio, user, args) -> int:  # type: ignore[no-untyped-def]
    accounts = studio.accounts
    command = args.users_command
    if command == "add":
        password = _read_password(args.password_stdin)
        added = accounts.add_user(
            user,
            args.username,
            role=args.role,
            password=password,
            display_name=args.display_name,
            email=args.email,
            must_change_password=args.role != "admin",  # the admin who typed it keeps it
        )
        print(f"{added.username}\t{added.role}")
    elif command == "passwd":
        accounts.reset_password(user, args.username, _read_password(args.password_stdin), must_change=not args.keep)
        print(f"{args.username.strip()}\tpassword set")
    elif command == "set-role":
        changed = studio.set_role(user, args.username, args.role)
        print(f"{changed.username}\t{changed.role}")
    elif command in ("disable", "enable"):
        accounts.set_disabled(user, args.username, command == "disable")
        print(f"{args.username.strip()}\t{command}d")
    elif command == "unlock":
        accounts.unlock(user, args.username)
        print(f"{args.username.strip()}\tunlocked")
    elif command == "set-email":
        accounts.set_email(user, args.username, args.email)
        print(f"{args.username.strip()}\t{args.email.strip()}")
    else:
        for account in studio.list_users(user):
            state = "disabled" if account.disabled else "locked" if account.locked else "active"
            if not account.has_password:
                state += ",no-password"
            print(f"{account.username}\t{account.role}\t{state}\t{account.display_name}\t{account.email}")
    return 0


def _read_password(from_stdin: bool) -> str:
    """From a prompt (typed twice, not echoed), or the first line of stdin for scripts."""
    if from_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("密码 / password: ")
        if getpass.getpass("再输一次 / again: ") != password:
            raise InvalidInput("两次输入的密码不一样 / The two passwords differ")
    if not password:
        raise InvalidInput("没有读到密码 / No password given")
    return password


def _rubric(studio, user, args) -> int:  # type: ignore[no-untyped-def]
    plan = _read_plan(args.plan)
    request = None
    if args.request:
        try:
            request = LessonRequest.model_validate_json(args.request.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InvalidInput(f"无法读取请求文件 {args.request}：{_reason(error)} / Cannot read request file") from error
    # Through the studio, as the plan page does: the 《指南》 criterion is checked against the imported catalogue.
    report = studio.rubric(user, plan, request)
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
    command = args.library_command
    if command == "ingest":
        return _library_ingest(library, user, args)
    if command == "search":
        return _library_search(library, user, args)
    if command == "list":
        for doc in library.list_documents(user):
            state = "" if doc.enabled else "  [disabled]"
            print(
                f"{doc.document_id}  v{doc.version}  {doc.title}  {doc.chunks} chunks "
                f"({doc.embedded_chunks} with vectors)  {doc.source_name}{state}"
            )
        return 0
    if command == "remove":
        library.remove(user, args.document_id)
        print(f"removed {args.document_id}")
        return 0
    if command in ("disable", "enable"):
        library.set_enabled(user, args.document_id, command == "enable")
        print(f"{command}d {args.document_id}")
        return 0
    if command == "versions":
        for version in library.versions(user, args.document_id):
            note = f"  {version.error}" if version.error else ""
            print(f"v{version.number}  {version.status:8}  {version.chunks} chunks  {version.sha256[:12]}{note}")
        return 0
    if command == "rollback":
        library.rollback(user, args.document_id, args.version)
        _wait_for_vectors(library, user)
        print(f"restored {args.document_id} v{args.version}")
        return 0
    if command == "catalogue":
        catalogue = library.catalogue(user)
        if catalogue is None:
            raise InvalidInput(
                "资料库中还没有《指南》：请导入并加 --tag resource_type=指南 / No 《指南》 in the library yet: ingest it "
                "with --tag resource_type=指南"
            )
        if args.json:
            print(catalogue.model_dump_json(indent=2))
            return 0
        for domain in catalogue.domains:
            print(domain.name)
            for sub in domain.sub_areas:
                print(f"  {sub.name}")
                for goal in sub.goals:
                    print(f"    目标{goal.number} {goal.title}  ({', '.join(b.age_label for b in goal.bands)})")
        print(f"{len(catalogue.domains)} domains, {catalogue.sub_area_count} sub-areas, {catalogue.goal_count} goals")
        return 0
    return 2


def _library_ingest(library, user, args) -> int:  # type: ignore[no-untyped-def]
    from lesson_studio.library.checks import KIND_BY_SUFFIX

    tags = {}
    for item in args.tag:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InvalidInput(f"标签格式应为 key=value：{item} / Tags must be key=value: {item}")
        tags[key.strip()] = value.strip()
    paths: list[Path] = []
    for path in args.paths:  # a folder stands for the supported files in it
        if path.is_dir():
            # Hidden files and Word/WPS owner files ("~$教案.docx", left while a file is open) are no documents.
            paths.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file() and p.suffix.lower() in KIND_BY_SUFFIX and not p.name.startswith((".", "~$"))
                )
            )
        else:
            paths.append(path)
    total = len(paths)
    seen = []

    def reading(path: Path) -> None:
        seen.append(path)
        print(f"[{len(seen)}/{total}] {path.name}", file=sys.stderr)

    report = library.ingest(user, paths, tags=tags, on_file=reading)
    for doc in report.added:
        print(f"added     {doc.document_id}  v{doc.version}  {doc.title}  ({doc.chunks} chunks)")
    for doc in report.updated:
        print(f"updated   {doc.document_id}  v{doc.version}  {doc.title}  ({doc.chunks} chunks)")
    for doc in report.unchanged:
        print(f"unchanged {doc.document_id}  v{doc.version}  {doc.title}")
    for doc in report.retagged:  # known content uploaded again with other tags
        print(f"retagged  {doc.document_id}  v{doc.version}  {doc.title}  {doc.tags}")
    for skipped in report.skipped:
        print(f"skipped   {skipped.path}: {' '.join(skipped.reason.split())}", file=sys.stderr)
    for warning in report.warnings:  # e.g. hidden text that was dropped
        print(f"warning   {warning.path}: {' '.join(warning.message.split())}", file=sys.stderr)
    if (report.added or report.updated) and not args.no_wait:
        _wait_for_vectors(library, user)
    print(
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.retagged)} retagged, "
        f"{len(report.unchanged)} unchanged, "
        f"{len(report.skipped)} skipped",
        file=sys.stderr,
    )
    return 3 if report.skipped else 0


def _wait_for_vectors(library, user) -> None:  # type: ignore[no-untyped-def]
    """Keyword search already works; show the dense vectors being filled, as a progress bar."""
    bar = _vector_progress(sys.stderr)
    try:
        progress = library.wait_for_embeddings(user, on_progress=bar)
    except KeyboardInterrupt:
        print("\n已中断：关键词检索可用，向量将在下次启动时继续 / Interrupted: keyword search works; the "
              "dense vectors continue next time", file=sys.stderr)
        return
    bar(progress, final=True)
    if progress.error:
        print(f"向量未完成（关键词检索可用）/ Dense vectors incomplete (keyword search works): {progress.error}",
              file=sys.stderr)


PROGRESS_LOG_EVERY_S = 5.0


def _vector_progress(stream, *, every_s: float = PROGRESS_LOG_EVERY_S, clock=time.monotonic):  # type: ignore[no-untyped-def]
    """A progress callback: on a terminal a bar redrawn in place when the count moves; in a log
    (stderr not a terminal) one line every `every_s` seconds and a last one, not a redraw every
    0.2 s (thousands of lines in a log)."""
    terminal = stream.isatty()
    last = {"line": "", "at": None}

    def show(progress, final: bool = False) -> None:  # type: ignore[no-untyped-def]
        width = 30
        filled = int(width * progress.fraction)
        line = (
            f"向量 dense vectors [{'#' * filled}{'.' * (width - filled)}] "
            f"{progress.embedded_chunks}/{progress.total_chunks}"
        )
        changed = line != last["line"]
        if terminal:
            if changed:
                print(f"\r{line}", end="", file=stream, flush=True)
            if final:
                print(file=stream, flush=True)
            last["line"] = line
            return
        now = clock()
        since = None if last["at"] is None else now - last["at"]
        # A line when the count moved and `every_s` passed (or at the end); unchanged, one a minute.
        if since is None or (changed and (final or since >= every_s)) or since >= 12 * every_s:
            print(line, file=stream, flush=True)
            last["line"], last["at"] = line, now

    return show


def _library_search(library, user, args) -> int:  # type: ignore[no-untyped-def]
    if (args.query is None) == (args.queries is None):
        raise InvalidInput("请给出一个查询或 --queries 文件 / Give one query or --queries FILE")
    if args.k < 1:
        raise InvalidInput(f"--k 应为正整数：{args.k} / --k must be at least 1, not {args.k}")
    options = {"k": args.k, "age_band": args.age_band, "domain": args.domain,
               "resource_types": args.resource_types, "mode": args.mode}
    if args.queries is not None:
        try:
            queries = [line.strip() for line in args.queries.read_text(encoding="utf-8-sig").splitlines()]
        except OSError as error:
            raise InvalidInput(f"无法读取查询文件 {args.queries} / Cannot read the queries file ({error})") from error
        for query in filter(None, queries):
            hits = library.search(user, query, **options)
            print(json.dumps({"query": query, "hits": [hit.model_dump(mode="json") for hit in hits]},
                             ensure_ascii=False))
        return 0
    hits = library.search(user, args.query, **options)
    if args.json:
        for hit in hits:
            print(json.dumps(hit.model_dump(mode="json"), ensure_ascii=False))
        return 0
    for number, hit in enumerate(hits, start=1):
        c = hit.citation
        page = f" p.{c.page}" if c.page else ""
        print(f"[{number}] {hit.score:.3f} 《{c.document_title}》 {c.heading}{page}  ({hit.chunk_id})")
        print("    " + hit.text[:120].replace("\n", " "))
    return 0
