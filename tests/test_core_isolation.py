import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_importing_the_core_does_not_import_streamlit():
    code = (
        "import sys, lesson_studio, lesson_studio.studio, lesson_studio.cli, lesson_studio.library, lesson_studio.export;"
        "print('streamlit' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_no_core_module_mentions_streamlit_imports():
    offenders = [
        path.relative_to(ROOT)
        for path in (ROOT / "lesson_studio").rglob("*.py")
        if "import streamlit" in path.read_text(encoding="utf-8") or "from streamlit" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
