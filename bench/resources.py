"""Every resource type other than the lesson plan, written by the embedded model, to read as a teacher.

    python bench/resources.py [--kinds parent_letter,theme_unit] [--data-dir DIR] [--out bench/out/resources]

For each type: one realistic request through the one pipeline (scaffold -> model -> code's rules ->
content checks), the seconds it took, the checks' findings before and after their repairs, and the
document as text in --out/<kind>.json (git-ignored) for reading. The reader's verdicts (1-5, "would
use after light edits", and why) are kept by hand in bench/resources_verdicts.toml and printed
beside each type. The reflection works on bench/out/plan-1.json (from bench/generate.py) when
present, else on a plan it generates first.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lesson_studio.config import Settings  # noqa: E402
from lesson_studio.llm import local  # noqa: E402
from lesson_studio.models import LessonPlan  # noqa: E402
from lesson_studio.pipeline import write  # noqa: E402
from lesson_studio.resource_types import resource_type  # noqa: E402
from lesson_studio.studio import Studio  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
VERDICTS = ROOT / "bench" / "resources_verdicts.toml"

FORMS: dict[str, dict[str, object]] = {
    "parent_letter": {
        "class_name": "中二班",
        "teacher": "王老师",
        "date": "2026年12月7日",
        "age_band": "中班",
        "topic": "孩子们在想办法给小熊做一顶戴得住的帽子",
        "collect": "旧报纸、毛线、纽扣电池、空纸盒",
    },
    "theme_unit": {
        "class_name": "大一班",
        "age_band": "大班",
        "theme": "我们的小菜园",
        "problem": "班级菜园里的菜苗总是被小鸟啄，孩子们很着急",
        "weeks": 2,
        "teacher": "李老师",
    },
    "area_plan": {
        "class_name": "小二班",
        "teacher": "陈老师",
        "age_band": "小班",
        "theme": "给小动物搭个家",
        "areas": "建构区、美工区",
        "start_date": "2026-12-07",
        "weeks": 2,
        "materials_on_hand": "纸箱、积木、彩纸、珠子",
    },
    "observation_record": {
        "class_name": "中一班",
        "age_band": "中班",
        "date": "2026-12-03",
        "place": "建构区",
        "child": "乐乐",
        "observer": "周老师",
        "notes": "乐乐想用积木搭一座桥让小汽车开过去。第一次桥面太窄，小汽车掉了下来，他说“太窄了”。"
        "他又拿了两块长木板并排放上，小汽车开过去了，他拍手说“成功了”，还请旁边的朵朵也来试。",
    },
    "creativity_checklist": {
        "class_name": "大二班",
        "age_band": "大班",
        "activity": "用纸杯、吸管和胶带想办法让乒乓球过小河",
        "date": "2026-12-08",
        "teacher": "赵老师",
        "children": "乐乐、朵朵",
    },
}
REFLECTION_NOTES = {
    "children": "孩子们很喜欢给小熊做帽子，想出了用毛线系、用纸折边两种办法。有三个孩子一直在等老师帮忙。",
    "timing": "想办法用了9分钟，试一试只剩5分钟，来不及分享。",
    "changes": "想办法的时间要缩短，试一试多给时间。",
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kinds", default=",".join([*FORMS, "reflection"]))
    parser.add_argument("--data-dir", type=Path, default=Path("bench/out/data"))
    parser.add_argument("--out", type=Path, default=Path("bench/out/resources"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    settings = Settings.from_env(data_dir=args.data_dir, backend="local")
    loading = local.preload(settings)
    studio = Studio(settings, use_library=False)
    user = studio.store.ensure_user("bench", display_name="bench")
    if loading is not None:
        loading.join()
    verdicts = tomllib.loads(VERDICTS.read_text(encoding="utf-8")) if VERDICTS.exists() else {}
    print(f"load average at start: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
    for kind in args.kinds.split(","):
        resource = resource_type(kind)
        request = reflection_request(studio, user) if kind == "reflection" else None
        if request is None:
            request = studio.resource_request_from_form(kind, FORMS[kind])
        started = time.perf_counter()
        result = write(resource, request, backend=studio.backend())
        seconds = time.perf_counter() - started
        document = result.plan
        if resource.align is not None:
            document = resource.align(document, None)
        checks = result.checks
        before = checks.counts("before") if checks is not None else {}
        after = checks.counts("after") if checks is not None else {}
        (args.out / f"{kind}.json").write_text(document.model_dump_json(indent=2), encoding="utf-8")
        verdict = verdicts.get(kind, {})
        row = {
            "kind": kind,
            "seconds": round(seconds, 1),
            "first_content_s": round(result.first_content_s or 0, 1),
            "defects_before": before,
            "defects_after": after,
            "reader": verdict.get("score", "not read"),
            "load_average": round(os.getloadavg()[0], 2),
        }
        print(json.dumps(row, ensure_ascii=False), flush=True)
        if verdict:
            print(f"  reader: {verdict['score']}/5 — {verdict['reason']}")
    return 0


def reflection_request(studio: Studio, user):  # noqa: ANN001, ANN201
    """A reflection on a saved lesson plan: bench/generate.py's first plan, saved for the bench user."""
    path = Path("bench/out/plan-1.json")
    if not path.exists():
        print("bench/out/plan-1.json missing: run bench/generate.py --only 1 first")
        return None
    plan = LessonPlan.model_validate_json(path.read_text(encoding="utf-8"))
    version = studio.store.save_version(user, plan, note="bench")
    _, saved = studio.open_version(user, version.id)
    fields = {"plan_version_id": version.id, "plan": saved, **REFLECTION_NOTES}
    return resource_type("reflection").request_model.model_validate(fields)


if __name__ == "__main__":
    raise SystemExit(main())
