"""bench/load.py run small: simulated teachers against the loopback fake server, with faults."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import load  # noqa: E402


def test_simulated_teachers_with_provider_faults_lose_and_duplicate_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "unused"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = load.run(teachers=4, fault_share=0.3, piece_delay=0.005, concurrency=4, seed=3, ingest_docs=1)
    assert result.clean, result
    assert result.acknowledged >= 4 * 2  # each teacher's plan and manual edit at least
    assert result.faults_seen  # the injected faults did reach teachers, and they carried on
