"""Plan quality on the embedded model, before and after the content checks and their repairs.

    python bench/quality.py [--only N] [--ids r03,r07] [--data-dir DIR] [--out bench/out/quality]
                            [--no-generate] [--no-intro] [--show r03]

For each request of its own set (all bands and domains, 混龄, an English request, unsafe requests and
小学化 traps): a plan generated without the checks ("before"), the same sections checked and repaired
("after": generate_plan resumed from the sections, so only the checks and their rewrites run), and,
for the requests marked `intro`, the 导入 step rewritten with "导入更有趣一些" to see whether the
rewrite changed what was asked. Prints per request and in total: the defects of each kind, the
rubric, the seconds the checks added, and the verdict of a person who read the plans as a teacher
would (bench/quality_verdicts.toml, written by hand: 1-5 "would use after light edits" and why).
A plan the rubric passes that the reader scored 1 or 2 is flagged: that is a rubric defect.

Every model result is cached in --out (git-ignored): a run that stops goes on where it stopped, and
--no-generate prints the table from what is there. A full run takes about an hour and a half on two
quiet cores; say what else was running when you quote its seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lesson_studio.authoring.content_checks import DEFECT_KINDS, CheckFacts, check_plan  # noqa: E402
from lesson_studio.authoring.diff import plan_sections  # noqa: E402
from lesson_studio.authoring.generate import PlanSections, generate_plan, passages_read  # noqa: E402
from lesson_studio.authoring.refine import change_of, fields_asked, regenerate_section  # noqa: E402
from lesson_studio.authoring.rubric import RubricContext, evaluate  # noqa: E402
from lesson_studio.authoring.scaffold import build_scaffold  # noqa: E402
from lesson_studio.config import Settings  # noqa: E402
from lesson_studio.models import LessonPlan, LessonRequest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT.parent / "shared" / "corpus" / "moe-3-6-guide" / "3-6岁儿童学习与发展指南——教育部.docx"
VERDICTS = ROOT / "bench" / "quality_verdicts.toml"

# (id, sentence, rewrite the 导入 with "导入更有趣一些"?)
REQUESTS: list[tuple[str, str, bool]] = [
    ("r01", "中班 科学 20分钟 用纸杯和吸管 想办法把乒乓球运过小河（两张蓝色纸）", True),
    ("r02", "中班 艺术 20分钟 用旧报纸和毛线 让孩子想办法给小熊做一顶戴得住的帽子", True),
    ("r03", "大班 科学 30分钟 用蜡烛和打火机 让孩子点燃蜡烛，再想办法让蜡烛熄灭", False),
    ("r04", "小班 健康 15分钟 用小刀和水果 让孩子自己切水果做水果拼盘", False),
    ("r05", "小班 艺术 15分钟 用小珠子和绳子 给妈妈串一条项链", False),
    ("r06", "大班 科学 25分钟 学习竖式加法 用积木", False),
    ("r07", "中班 语言 20分钟 学习拼音a o e 用拼音卡片", False),
    ("r08", "大班 语言 25分钟 用识字卡认识山、水、火三个字", False),
    ("r09", "小班 健康 15分钟 用大纸箱和软垫 想办法把积木宝宝送回家", True),
    ("r10", "大班 社会 25分钟 午睡起床时鞋柜前总是很挤，和孩子一起想办法", False),
    ("r11", "中班 语言 20分钟 小猫的伞被风吹走了，编一个帮小猫想办法的故事", True),
    ("r12", "混龄 社会 20分钟 大带小 想办法让新来的小朋友不哭", False),
    ("r13", "小班 艺术 15分钟 用彩色纸杯和贴纸 给小动物搭一个家", False),
    ("r14", "中班 健康 20分钟 户外 用呼啦圈和沙包 想办法运送粮食", False),
    ("r15", "大班 艺术 30分钟 用纸箱和颜料 设计班级小剧场的舞台", False),
    ("r16", "中班 艺术 20分钟 用空塑料瓶和豆子 做会响的沙锤", False),
    ("r17", "混龄 科学 25分钟 用积木和木板 搭一座能让小汽车开过去的桥", False),
    ("r18", "Middle class, science, 20 minutes: with paper cups and string, help children find ways to send a message across the room", True),
    ("r19", "大班 健康 25分钟 下雨天不能去户外，想办法在教室里玩跳跃游戏", False),
    ("r20", "小班 社会 15分钟 排队洗手时总是推挤，和孩子一起想办法", False),
    ("r21", "大班 科学 30分钟 用气球和吸管 做会飞的火箭", False),
    ("r22", "中班 社会 20分钟 图书角的书总是乱，想办法整理", False),
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=Path("bench/out/data"))
    parser.add_argument("--out", type=Path, default=Path("bench/out/quality"))
    parser.add_argument("--only", type=int, default=len(REQUESTS), help="the first N requests")
    parser.add_argument("--ids", default="", help="comma-separated request ids (r03,r07)")
    parser.add_argument("--no-generate", action="store_true", help="print from the cache only")
    parser.add_argument("--no-intro", action="store_true", help="skip the 导入更有趣一些 rewrites")
    parser.add_argument("--before-only", action="store_true", help="generate the plans without checks only")
    parser.add_argument("--show", default="", help="print one plan (before and after) for reading, e.g. r03")
    parser.add_argument("--guide", type=Path, default=GUIDE)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    chosen = [r for r in REQUESTS[: args.only] if not args.ids or r[0] in args.ids.split(",")]
    if args.show:
        return show(args.out, args.show)

    bench = Bench(args) if not args.no_generate else None
    verdicts = load_verdicts()
    rows = []
    for rid, sentence, intro in chosen:
        if args.before_only:
            run_before(bench, args.out, rid, sentence)
            continue
        row = run_one(bench, args.out, rid, sentence, intro and not args.no_intro, verdicts.get(rid, {}))
        if row:
            rows.append(row)
            print_row(row)
    print_totals(rows)
    return 0


class Bench:
    """The studio, the model and the catalogue, opened only when something must be generated."""

    def __init__(self, args: argparse.Namespace) -> None:
        from lesson_studio.studio import Studio

        self.studio = Studio(Settings.from_env(data_dir=args.data_dir))
        self.user = self.studio.store.ensure_user("bench")
        self.studio.ensure_starter_library()
        if args.guide.exists() and self.studio.library.catalogue(self.user) is None:
            lead = self.studio.store.ensure_user("bench-lead", role="lead")
            self.studio.library.ingest(lead, [args.guide], tags={"resource_type": "指南"})
        self.backend = self.studio.backend()

    def parse(self, sentence: str) -> LessonRequest:
        return self.studio.parse_request(self.user, sentence, use_model=False).request


def cached(path: Path, make) -> dict:  # noqa: ANN001 - a function returning a JSON-able dict
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    value = make()
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8")
    return value


def run_before(bench: Bench | None, out: Path, rid: str, sentence: str) -> dict | None:
    """The plan as the model wrote it, without the content checks (cached)."""
    before_file = out / f"{rid}-before.json"
    if bench is None and not before_file.exists():
        return None

    def generate_before() -> dict:
        assert bench is not None
        request = bench.parse(sentence)
        hits = bench.studio.retrieve(bench.user, request)
        kept: list[PlanSections] = []
        result = generate_plan(
            request,
            backend=bench.backend,
            retriever=lambda _r: hits,
            on_section=kept.append,
            check=False,
        )
        plan = bench.studio.align(bench.user, result.plan)
        return {
            "request": request.model_dump(mode="json"),
            "sections": json.loads(kept[-1].model_dump_json()),
            "plan": json.loads(plan.model_dump_json()),
            "seconds": round(result.seconds, 1),
            "first_content_s": round(result.first_content_s or 0, 1),
        }

    before = cached(before_file, generate_before)
    print(f"{rid}: generated in {before['seconds']}s", flush=True)
    return before


def run_one(bench: Bench | None, out: Path, rid: str, sentence: str, intro: bool, verdict: dict) -> dict | None:
    after_file, intro_file = out / f"{rid}-after.json", out / f"{rid}-intro.json"
    before = run_before(bench, out, rid, sentence)
    if before is None or (bench is None and not after_file.exists()):
        return None
    request = LessonRequest.model_validate(before["request"])
    sections = PlanSections.model_validate(before["sections"])

    def generate_after() -> dict:
        assert bench is not None
        result = generate_plan(request, backend=bench.backend, resume=sections, check=True)
        plan = bench.studio.align(bench.user, result.plan)
        checks = result.checks
        assert checks is not None
        return {
            "plan": json.loads(plan.model_dump_json()),
            "seconds": round(result.seconds, 1),
            "check_seconds": round(checks.seconds, 1),
            "rewrites": checks.rewrites,
            "code_repairs": checks.code_repairs,
            "remaining": [d.message for d in checks.after],
        }

    after = cached(after_file, generate_after) if (bench is not None or after_file.exists()) else None
    if after is None:
        return None
    plan_before = LessonPlan.model_validate(before["plan"])
    plan_after = LessonPlan.model_validate(after["plan"])

    intro_row = None
    if intro and (bench is not None or intro_file.exists()):

        def rewrite_intro() -> dict:
            assert bench is not None
            started = time.monotonic()
            new = regenerate_section(plan_after, "step:0", "导入更有趣一些", request=request, backend=bench.backend)
            return {"plan": json.loads(new.model_dump_json()), "seconds": round(time.monotonic() - started, 1)}

        intro_row = cached(intro_file, rewrite_intro)

    facts = CheckFacts(scaffold=build_scaffold(request), passages=passages_read(sections.hits))
    catalogue = bench.studio.catalogue_lines(bench.user) if bench is not None else load_catalogue_lines()
    context = RubricContext(request=request, catalogue_lines=catalogue, passages=facts.passages)
    row = {
        "id": rid,
        "sentence": sentence,
        "band": request.age_band,
        "domain": request.domain,
        "defects_before": Counter(d.kind for d in check_plan(plan_before, facts)),
        "defects_after": Counter(d.kind for d in check_plan(plan_after, facts)),
        "rubric_before": evaluate(plan_before, context),
        "rubric_after": evaluate(plan_after, context),
        "generation_s": before["seconds"],
        "check_s": after["check_seconds"],
        "rewrites": after["rewrites"],
        "verdict": verdict,
    }
    if intro_row is not None:
        new = LessonPlan.model_validate(intro_row["plan"])
        fields = fields_asked("step:0", "导入更有趣一些")
        row["intro"] = {
            "seconds": intro_row["seconds"],
            "change": round(change_of(plan_after, new, "step:0", fields), 2),
            "title_before": plan_after.steps[0].title,
            "title_after": new.steps[0].title,
            "teacher_before": plan_after.steps[0].teacher,
            "teacher_after": new.steps[0].teacher,
        }
    return row


def load_catalogue_lines() -> dict[str, set[str]] | None:
    cache = Path("bench/out/quality/catalogue.json")
    if cache.exists():
        return {band: set(lines) for band, lines in json.loads(cache.read_text(encoding="utf-8")).items()}
    return None


def load_verdicts() -> dict[str, dict]:
    if not VERDICTS.exists():
        return {}
    return tomllib.loads(VERDICTS.read_text(encoding="utf-8"))


def rubric_cell(report) -> str:  # noqa: ANN001 - a RubricReport
    return f"{report.passed_count}/15 {'PASS' if report.passed else 'fail'}"


def defects_cell(counts: Counter) -> str:
    return ",".join(f"{kind}:{n}" for kind, n in sorted(counts.items())) or "-"


def print_row(row: dict) -> None:
    verdict = row["verdict"]
    score = verdict.get("score")
    flag = ""
    if row["rubric_after"].passed and score is not None and score <= 2:
        flag = f"  <-- RUBRIC DEFECT: passes a plan scored {score}"
    if row["rubric_before"].passed and verdict.get("before_score", 5) <= 2:
        flag += f"  <-- RUBRIC DEFECT (before): passes a plan scored {verdict['before_score']}"
    print(
        f"{row['id']} {row['band']}{row['domain']} | defects {sum(row['defects_before'].values())} -> "
        f"{sum(row['defects_after'].values())} | rubric {rubric_cell(row['rubric_before'])} -> {rubric_cell(row['rubric_after'])}"
        f" | +{row['check_s']}s ({row['rewrites']} rewrites; generation {row['generation_s']}s)"
        f" | score {verdict.get('before_score', '?')} -> {score if score is not None else '?'}{flag}"
    )
    print(f"    {row['sentence']}")
    print(f"    before: {defects_cell(row['defects_before'])}")
    print(f"    after:  {defects_cell(row['defects_after'])}")
    failed = [f"{r.number}{r.name}" for r in row["rubric_after"].failed]
    if failed:
        print(f"    rubric after fails: {'、'.join(failed)}")
    if verdict.get("reason"):
        print(f"    verdict: {verdict['reason']}")
    if "intro" in row:
        intro = row["intro"]
        print(
            f"    导入更有趣一些 ({intro['seconds']}s, changed {intro['change']:.0%}): "
            f"\u201c{intro['teacher_before'][:40]}\u201d -> \u201c{intro['teacher_after'][:40]}\u201d"
        )


def print_totals(rows: list[dict]) -> None:
    if not rows:
        print("nothing generated yet")
        return
    before, after = Counter(), Counter()
    for row in rows:
        before.update(row["defects_before"])
        after.update(row["defects_after"])
    print(f"\n{len(rows)} plans. defects by kind, before -> after the checks and repairs:")
    for kind, label in DEFECT_KINDS.items():
        plans_before = sum(1 for row in rows if row["defects_before"][kind])
        plans_after = sum(1 for row in rows if row["defects_after"][kind])
        print(f"  {kind:20} {label:18} {before[kind]:3} ({plans_before} plans) -> {after[kind]:3} ({plans_after} plans)")
    print(f"  {'total':20} {'':18} {sum(before.values()):3} -> {sum(after.values()):3}")
    passed_before = sum(row["rubric_before"].passed for row in rows)
    passed_after = sum(row["rubric_after"].passed for row in rows)
    print(f"rubric: passed {passed_before}/{len(rows)} before, {passed_after}/{len(rows)} after")
    check_times = sorted(row["check_s"] for row in rows)
    generation = sorted(row["generation_s"] for row in rows)
    print(
        f"time the checks and repairs added: median {check_times[len(rows) // 2]}s, max {check_times[-1]}s, "
        f"{sum(row['rewrites'] for row in rows)} sections rewritten (generation itself: median {generation[len(rows) // 2]}s)"
    )
    scored = [row for row in rows if "score" in row["verdict"]]
    if scored:
        mean = sum(row["verdict"]["score"] for row in scored) / len(scored)
        both = [row for row in scored if "before_score" in row["verdict"]]  # a plan read only after its checks
        before = sum(row["verdict"]["before_score"] for row in both) / len(both) if both else float("nan")
        after = sum(row["verdict"]["score"] for row in both) / len(both) if both else float("nan")
        print(
            f"reader's score (1-5, would use after light edits): {mean:.1f} after the checks ({len(scored)} plans);"
            f" on the {len(both)} plans read both ways {before:.1f} before -> {after:.1f} after"
        )
        agree = sum((row["verdict"]["score"] >= 3) == row["rubric_after"].passed for row in scored)
        print(f"rubric agrees with the reader (pass <-> score >= 3) on {agree}/{len(scored)} plans")
        flagged = [row["id"] for row in scored if row["rubric_after"].passed and row["verdict"]["score"] <= 2]
        print(f"rubric passes a plan scored 1-2: {', '.join(flagged) or 'none'}")
    intros = [row["intro"] for row in rows if "intro" in row]
    if intros:
        changed = sum(intro["change"] >= 0.4 for intro in intros)
        print(f"导入更有趣一些: the teacher's line changed by 40% or more in {changed}/{len(intros)} rewrites")


def show(out: Path, rid: str) -> int:
    for stage in ("before", "after", "intro"):
        path = out / f"{rid}-{stage}.json"
        if not path.exists():
            continue
        plan = LessonPlan.model_validate(json.loads(path.read_text(encoding="utf-8"))["plan"])
        print(f"===== {rid} {stage}")
        for label, text in plan_sections(plan).items():
            if label not in ("安全提示", "参考资料"):
                print(f"【{label}】\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
