"""Rubric pass rate of plans from the embedded model, before and after 一键修正, and the time of a
section regeneration vs a full generation. Prints figures; never asserted in tests.

    python bench/rubric.py [--data-dir DIR] [--only N] [--guide PATH | --no-guide]

With the 《指南》 (../shared/corpus by default, when present) imported as the library's catalogue,
the alignment criterion is checked too; without it that criterion is skipped (not counted as passed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lesson_studio.authoring.generate import generate_plan  # noqa: E402
from lesson_studio.authoring.refine import fix_failures, regenerate_section  # noqa: E402
from lesson_studio.config import Settings  # noqa: E402
from lesson_studio.studio import Studio  # noqa: E402

GUIDE = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "moe-3-6-guide" / "3-6岁儿童学习与发展指南——教育部.docx"
REQUESTS = [
    "中班 艺术 20分钟 用旧报纸和毛线 让孩子想办法给小熊做一顶戴得住的帽子",
    "大班 科学 30分钟 用吸管、纸杯和胶带 想办法让乒乓球过小河",
    "小班 健康 15分钟 用大纸箱和软垫 想办法把积木宝宝送回家",
    "大班 社会 25分钟 午睡起床时鞋柜前总是很挤，和孩子一起想办法",
    "中班 语言 20分钟 小猫的伞被风吹走了，编一个帮小猫想办法的故事",
    "小班 艺术 15分钟 用彩色纸杯和贴纸 给小动物搭一个家",
    "大班 科学 30分钟 用蜡烛和打火机 探究怎样让蜡烛熄灭",
    "中班 健康 20分钟 户外 用呼啦圈和沙包 想办法运送粮食",
    "大班 科学 25分钟 学习竖式加法 用积木",
    "混龄 社会 20分钟 大带小 想办法让新来的小朋友不哭",
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=Path("bench/out/data"))
    parser.add_argument("--only", type=int, default=len(REQUESTS))
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument("--guide", type=Path, default=GUIDE, help="the 《指南》 .docx to import as the catalogue")
    parser.add_argument("--no-guide", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    studio = Studio(Settings.from_env(data_dir=args.data_dir))
    user = studio.store.ensure_user("bench")
    studio.ensure_starter_library()
    if not args.no_guide and args.guide.exists():
        lead = studio.store.ensure_user("bench-lead", role="lead")
        studio.library.ingest(lead, [args.guide], tags={"resource_type": "指南"})
    print(f"《指南》 catalogue imported: {studio.library.catalogue(user) is not None}", flush=True)
    backend = studio.backend()

    before_fails: Counter[str] = Counter()
    after_fails: Counter[str] = Counter()
    passed_before = passed_after = 0
    full_times: list[float] = []
    section_times: list[float] = []
    for number, sentence in enumerate(REQUESTS[: args.only], start=1):
        request = studio.parse_request(user, sentence, use_model=False).request
        hits = studio.retrieve(user, request)
        result = generate_plan(request, backend=backend, retriever=lambda _r, hits=hits: hits)
        full_times.append(result.seconds)
        plan = studio.align(user, result.plan)  # what the job runner does before saving
        before = studio.rubric(user, plan, request)
        passed_before += before.passed
        before_fails.update(r.name for r in before.failed)

        started = time.monotonic()
        regenerate_section(plan, "step:0", "导入更有趣一些", request=request, backend=backend)
        section_times.append(time.monotonic() - started)

        fixed = plan
        if before.failed:  # as the 一键修正 job does: each rewrite checked, kept only when better
            fixed = studio.align(
                user,
                fix_failures(
                    plan, before, request=request, backend=backend,
                    check=lambda candidate, request=request: studio.rubric(user, candidate, request),
                ),
            )
        after = studio.rubric(user, fixed, request)
        passed_after += after.passed
        after_fails.update(r.name for r in after.failed)
        print(
            json.dumps(
                {
                    "request": sentence,
                    "before": f"{before.passed_count}/15 {'PASS' if before.passed else 'FAIL'}",
                    "failed_before": [r.name for r in before.failed],
                    "after": f"{after.passed_count}/15 {'PASS' if after.passed else 'FAIL'}",
                    "failed_after": [r.name for r in after.failed],
                    "warnings": plan.warnings,
                    "full_generation_s": round(full_times[-1], 1),
                    "section_regeneration_s": round(section_times[-1], 1),
                },
                ensure_ascii=False,
            ),
            flush=True,
        )
        (args.out / f"rubric-plan-{number}.json").write_text(plan.model_dump_json(indent=2), encoding="utf-8")
        (args.out / f"rubric-plan-{number}-fixed.json").write_text(fixed.model_dump_json(indent=2), encoding="utf-8")

    count = len(full_times)
    print(f"rubric pass rate before 一键修正: {passed_before}/{count}; after: {passed_after}/{count}")
    print("most failed before:", before_fails.most_common(5))
    print("most failed after:", after_fails.most_common(5))
    print(f"full generation: median {sorted(full_times)[count // 2]:.1f}s; one-section regeneration: median {sorted(section_times)[count // 2]:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
