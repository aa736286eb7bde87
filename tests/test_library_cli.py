"""`python -m lesson_studio library ...`, on an OpenAI-compatible loopback embedder (no model needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from library_fakes import EmbeddingsServer

from lesson_studio.cli import main


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with EmbeddingsServer() as server:
        monkeypatch.setenv("LESSON_STUDIO_EMBEDDINGS_URL", server.base_url)
        monkeypatch.setenv("LESSON_STUDIO_EMBEDDINGS_MODEL", "test-embedder")
        monkeypatch.setenv("LESSON_STUDIO_STARTER_LIBRARY", "0")
        yield ["--data-dir", str(tmp_path / "data")]


def files(folder: Path) -> list[str]:
    (folder / "ants.md").write_text("# 观察蚂蚁\n\n用放大镜观察蚂蚁怎样搬运食物。\n", encoding="utf-8")
    (folder / "bridge.txt").write_bytes("纸桥承重\n\n孩子们用纸搭桥，放硬币。\n".encode("gbk"))
    (folder / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    return [str(folder / name) for name in ("ants.md", "bridge.txt", "old.doc")]


def test_ingest_reports_added_and_skipped_and_exits_3(cli_env, tmp_path: Path, capsys) -> None:
    code = main([*cli_env, "library", "ingest", *files(tmp_path), "--tag", "domain=科学"])
    out, err = capsys.readouterr()
    assert code == 3
    assert out.count("added") == 2 and "观察蚂蚁" in out and "纸桥承重" in out
    assert "skipped" in err and "old.doc" in err and "save it as .docx" in err
    assert "dense vectors [" in err and "2/2" in err  # the progress bar reached the end


def test_ingest_of_good_files_exits_0_and_again_reports_unchanged(cli_env, tmp_path: Path, capsys) -> None:
    paths = files(tmp_path)[:2]
    assert main([*cli_env, "library", "ingest", *paths]) == 0
    assert main([*cli_env, "library", "ingest", *paths]) == 0
    assert capsys.readouterr().out.count("unchanged") == 2


def test_search_list_and_remove(cli_env, tmp_path: Path, capsys) -> None:
    main([*cli_env, "library", "ingest", *files(tmp_path)[:2]])
    capsys.readouterr()
    assert main([*cli_env, "library", "search", "放大镜 蚂蚁", "--k", "1", "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    hit = json.loads(line)
    assert hit["citation"]["document_title"] == "观察蚂蚁" and hit["chunk_id"] == hit["citation"]["chunk_id"]
    assert main([*cli_env, "library", "list"]) == 0
    listing = capsys.readouterr().out
    assert "观察蚂蚁" in listing and "纸桥承重" in listing
    document_id = hit["citation"]["document_id"]
    assert main([*cli_env, "library", "remove", document_id]) == 0
    main([*cli_env, "library", "list"])
    assert "观察蚂蚁" not in capsys.readouterr().out


def test_search_queries_file_prints_one_json_line_per_query(cli_env, tmp_path: Path, capsys) -> None:
    main([*cli_env, "library", "ingest", *files(tmp_path)[:2]])
    queries = tmp_path / "queries.txt"
    queries.write_text("放大镜 蚂蚁\n\n纸桥 硬币\n", encoding="utf-8")
    capsys.readouterr()
    assert main([*cli_env, "library", "search", "--queries", str(queries), "--json", "--k", "1"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["query"] for line in lines] == ["放大镜 蚂蚁", "纸桥 硬币"]
    assert [line["hits"][0]["citation"]["document_title"] for line in lines] == ["观察蚂蚁", "纸桥承重"]


def test_catalogue_without_a_guide_says_how_to_import_one(cli_env, capsys) -> None:
    assert main([*cli_env, "library", "catalogue"]) == 1
    assert "resource_type=指南" in capsys.readouterr().err


def test_ingest_with_an_unknown_tag_exits_1_and_adds_nothing(cli_env, tmp_path: Path, capsys) -> None:
    assert main([*cli_env, "library", "ingest", *files(tmp_path)[:1], "--tag", "agebnd=小班"]) == 1
    assert "agebnd" in capsys.readouterr().err
    main([*cli_env, "library", "list"])
    assert capsys.readouterr().out == ""


def test_ingesting_a_folder_skips_word_owner_files(cli_env, tmp_path: Path, capsys) -> None:
    folder = tmp_path / "教研资料"
    folder.mkdir()
    (folder / "ants.md").write_text("# 观察蚂蚁\n\n用放大镜观察蚂蚁怎样搬运食物。\n", encoding="utf-8")
    (folder / "~$教案.docx").write_bytes(b"\x05lead" + b"\0" * 100)  # what Word leaves while a file is open
    assert main([*cli_env, "library", "ingest", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert "观察蚂蚁" in out and "~$" not in out + err


def test_search_with_k_below_1_is_refused(cli_env, capsys) -> None:
    assert main([*cli_env, "library", "search", "纸桥", "--k", "0"]) == 1
    assert "--k" in capsys.readouterr().err
