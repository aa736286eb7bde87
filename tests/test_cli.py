import json
import subprocess
import sys
from pathlib import Path

from docx import Document
from sample_plans import sample_plan

from lesson_studio.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_generate_prints_the_plan_with_citations(tmp_path, fake_backend, capsys, monkeypatch):
    monkeypatch.setenv("LESSON_STUDIO_STARTER_LIBRARY", "0")
    out = tmp_path / "plan.json"
    code = main(["--data-dir", str(tmp_path / "d"), "generate", "--text", "中班 艺术 20分钟 用旧报纸和毛线 给小熊做帽子", "--backend", "fake", "--no-library", "--out", str(out)])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["age_band"] == "中班" and printed["minutes"] == 20
    assert json.loads(out.read_text(encoding="utf-8")) == printed


def test_generate_from_a_request_file(tmp_path, fake_backend, capsys, hat_request):
    request_file = tmp_path / "request.json"
    request_file.write_text(hat_request.model_dump_json(), encoding="utf-8")
    assert main(["--data-dir", str(tmp_path / "d"), "generate", "--request", str(request_file), "--backend", "fake", "--no-library"]) == 0
    assert json.loads(capsys.readouterr().out)["domain"] == "艺术"


def test_export_writes_a_docx(tmp_path):
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(sample_plan().model_dump_json(), encoding="utf-8")
    assert main(["export", str(plan_file), "--out", str(tmp_path / "plan.docx")]) == 0
    assert len(Document(str(tmp_path / "plan.docx")).tables) >= 2


def test_bad_plan_file_exits_non_zero_with_one_line_reason(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "lesson_studio", "export", str(bad), "--out", str(tmp_path / "x.docx")],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert "bad.json" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.docx").exists()


def test_unknown_backend_is_named(tmp_path, capsys, hat_request):
    request_file = tmp_path / "request.json"
    request_file.write_text(hat_request.model_dump_json(), encoding="utf-8")
    assert main(["--data-dir", str(tmp_path / "d"), "generate", "--request", str(request_file), "--backend", "nope", "--no-library"]) == 1
    assert "nope" in capsys.readouterr().err
