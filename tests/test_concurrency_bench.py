"""bench/concurrency.py run small: what it prints as figures must hold as equalities."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import concurrency  # noqa: E402


def test_concurrent_saves_during_an_import_are_all_stored_once_and_none_is_lost(settings):
    results = concurrency.run(writers=4, saves=3, ingest_mb=0.3, settings=settings)
    assert results["import"].ingest_error == ""
    for title in ("one plan", "separate plans"):
        report = results[title]
        assert report.acknowledged == report.stored == 12, title
        assert (report.duplicates, report.lost_edits, dict(report.errors)) == (0, 0, {}), title
    assert results["one plan"].merges > 0  # the writers really did collide
