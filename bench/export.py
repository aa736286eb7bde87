"""Benchmark the Word export and print figures (never asserted in tests).

    python bench/export.py [--out bench/out/export] [--repeat 5] [--no-render]

Times (median of --repeat runs): one plan in the built-in layout, the same plan through the starter
school template, a 10-plan theme unit with contents and a .zip of the 10 plans. Then the school-template
sandbox: what the child process adds to a check and a fill of the starter template (against the same
work in this process), what the last pass that strips outside-reaching Word fields costs, and (once
each, at the real limits) how long the check and a fill of each template bomb took before it was
refused or stopped. Then (once each) a LibreOffice PDF conversion per document and a .zip of the 10
plans with their PDFs, converted in one LibreOffice run. Page 1 of each rendered document is written as
a PNG (LibreOffice + pdftoppm) under --out, to be looked at.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the realistic sample plans the tests use

from sample_plans import sample_plan, sample_unit, school_template  # noqa: E402

from lesson_studio.export import (  # noqa: E402
    Cover,
    check_template,
    docx_to_pdf,
    fill_template,
    pdf_available,
    plan_docx_or_builtin,
    plan_to_docx_bytes,
    plans_to_zip,
    strip_outside_fields,
    unit_to_docx_bytes,
)
from lesson_studio.export import templates as templates_module  # noqa: E402
from lesson_studio.export.placeholders import template_context  # noqa: E402
from lesson_studio.export.templates import STARTER_PATH  # noqa: E402

COVER = Cover(teacher="王老师", class_name="大二班", date="2025年3月12日", school="阳光幼儿园")
# The three bombs: each passed the check of earlier versions.
BOMBS = {
    "'x' * 10**8": "{{ 'x' * 10**8 }}",
    "'x' * 10**9": "{{ 'x' * 10**9 }}",
    "loop over 'x' * 1000, x3": "{% for a in 'x' * 1000 %}{% for b in 'x' * 1000 %}{% for c in 'x' * 1000 %}"
    ".{% endfor %}{% endfor %}{% endfor %}",
}


def timed(make: Callable[[], bytes], repeat: int) -> tuple[bytes, float]:
    """The output and the median wall time in milliseconds."""
    times, output = [], b""
    for _ in range(repeat):
        started = time.perf_counter()
        output = make()
        times.append((time.perf_counter() - started) * 1000)
    return output, statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "export")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-render", action="store_true", help="skip LibreOffice and the PNGs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    plan, unit = sample_plan(), sample_unit(10)
    starter = STARTER_PATH.read_bytes()
    documents = {
        "plan": lambda: plan_to_docx_bytes(plan, COVER),
        "plan-starter-template": lambda: fill_template(starter, plan, COVER),
        "unit-10": lambda: unit_to_docx_bytes(unit, title="主题单元：桥与路", cover=COVER),
    }
    print(f"{'export':<28}{'median ms':>10}{'KiB':>8}")
    outputs = {}
    for name, make in documents.items():
        outputs[name], ms = timed(make, args.repeat)
        (args.out / f"{name}.docx").write_bytes(outputs[name])
        print(f"{name:<28}{ms:>10.1f}{len(outputs[name]) / 1024:>8.1f}")
    archive, ms = timed(lambda: plans_to_zip(unit, COVER), args.repeat)
    print(f"{'zip-10 (docx)':<28}{ms:>10.1f}{len(archive) / 1024:>8.1f}")
    archive, ms = timed(lambda: plans_to_zip(unit, COVER, template=starter), args.repeat)
    print(f"{'zip-10 (starter template)':<28}{ms:>10.1f}{len(archive) / 1024:>8.1f}")
    sandbox_figures(plan, starter, outputs["plan"], args.repeat)

    if args.no_render:
        return 0
    if not pdf_available() or not shutil.which("pdftoppm"):
        print("LibreOffice or pdftoppm missing: no PDF timings or PNGs", file=sys.stderr)
        return 0
    print(f"\n{'PDF (LibreOffice)':<28}{'s':>10}{'pages':>8}")
    for name, document in outputs.items():
        started = time.perf_counter()
        pdf = docx_to_pdf(document)
        seconds = time.perf_counter() - started
        pdf_path = args.out / f"{name}.pdf"
        pdf_path.write_bytes(pdf)
        pages = _page_count(pdf_path)
        print(f"{name:<28}{seconds:>10.2f}{pages:>8}")
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(pdf_path),
                str(args.out / f"{name}-page1"),
            ],
            check=True,
            timeout=60,
        )
    started = time.perf_counter()
    archive = plans_to_zip(unit, COVER, pdf=True)
    seconds = time.perf_counter() - started
    (args.out / "zip-10-with-pdf.zip").write_bytes(archive)
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        pdfs = sum(name.endswith(".pdf") for name in opened.namelist())
    print(f"{'zip-10 with PDFs (one run)':<28}{seconds:>10.2f}{f'{pdfs} PDFs':>8}")
    print(f"\nPNGs of page 1: {args.out}/*-page1.png")
    return 0


def sandbox_figures(plan, starter: bytes, built_in: bytes, repeat: int) -> None:
    """What the child process costs a normal template, and what the bombs cost before they are stopped."""
    context = template_context(plan, COVER)
    in_child = {
        "check (starter)": (lambda: check_template(starter), lambda: templates_module._check(starter)),
        "fill (starter)": (
            lambda: fill_template(starter, plan, COVER),
            lambda: templates_module._fill(starter, context),
        ),
    }
    print(f"\n{'school-template sandbox':<28}{'child ms':>10}{'in-proc':>10}{'overhead':>10}")
    for name, (child, here) in in_child.items():
        _output, child_ms = timed(child, repeat)
        _output, here_ms = timed(here, repeat)
        print(f"{name:<28}{child_ms:>10.1f}{here_ms:>10.1f}{child_ms - here_ms:>10.1f}")
    _output, ms = timed(lambda: strip_outside_fields(built_in), repeat)
    print(f"{'strip fields (built-in plan)':<28}{ms:>10.1f}")

    limits = f"{templates_module.TEMPLATE_TIMEOUT_S:g} s, {templates_module.TEMPLATE_MEMORY_MB} MB"
    print(f"\n{'bomb (limits ' + limits + ')':<34}{'check s':>8}{'fill s':>8}  fill stopped by")
    for name, body in BOMBS.items():
        template = school_template(body=[body])
        started = time.perf_counter()
        result = check_template(template)
        check_s = time.perf_counter() - started
        started = time.perf_counter()
        _document, notice = plan_docx_or_builtin(plan, COVER, template)
        fill_s = time.perf_counter() - started
        refused = "refused" if result.errors else "PASSED"
        why = (notice or "not stopped").split("原因：", 1)[-1].split("。", 1)[0]
        print(f"{name:<34}{check_s:>8.2f}{fill_s:>8.2f}  check {refused}; fill: {why[:48]}")


def _page_count(pdf_path: Path) -> str:
    if not shutil.which("pdfinfo"):
        return "?"
    info = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, text=True, timeout=60).stdout
    return next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")


if __name__ == "__main__":
    raise SystemExit(main())
