from __future__ import annotations

import codecs
from pathlib import Path

import docx
import pytest

from lesson_studio.errors import InvalidInput
from lesson_studio.library.loaders import load

SHARED = Path(__file__).resolve().parents[2] / "shared"
GUIDE_GBK = SHARED / "corpus" / "moe-3-6-guide" / "guide-official-text.gbk.txt"

TEXT = "幼儿在游戏中想办法：纸桥怎样才能承受更多的硬币？\n老师鼓励大家试一试、改一改。"


@pytest.mark.parametrize(
    "encoded",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("gbk"),
        TEXT.encode("gb18030"),
        TEXT.encode("utf-16"),  # Python writes a BOM
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
    ],
    ids=["utf8", "utf8-bom", "gbk", "gb18030", "utf16-le-bom", "utf16-be-bom"],
)
def test_text_file_is_decoded_whatever_its_encoding(tmp_path: Path, encoded: bytes) -> None:
    path = tmp_path / "纸桥.txt"
    path.write_bytes(encoded)
    document = load(path)
    assert document.text == TEXT
    assert document.title == "纸桥"


def test_gbk_text_with_crlf_line_ends_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes("第一段：观察蚂蚁。\r\n第二段：记录发现。\r\n".encode("gbk"))
    assert load(path).text == "第一段：观察蚂蚁。\n第二段：记录发现。"


def test_markdown_title_sections_and_tags(tmp_path: Path) -> None:
    path = tmp_path / "card.md"
    path.write_text(
        "<!-- tags: resource_type=方法卡; age_band=通用; domain=通用; cps_stage=想办法 -->\n"
        "# 头脑风暴方法卡\n\n引言。\n\n## 规则\n\n不批评。\n\n### 小班\n\n用图片代替文字。\n",
        encoding="utf-8",
    )
    document = load(path)
    assert document.title == "头脑风暴方法卡"
    assert document.metadata == {"resource_type": "方法卡", "age_band": "通用", "domain": "通用", "cps_stage": "想办法"}
    assert [(s.heading_path, s.text) for s in document.sections] == [
        (["头脑风暴方法卡"], "引言。"),
        (["头脑风暴方法卡", "规则"], "不批评。"),
        (["头脑风暴方法卡", "规则", "小班"], "用图片代替文字。"),
    ]
    assert "tags" not in document.text


def test_markdown_without_heading_is_titled_by_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "观察记录.md"
    path.write_text("今天我们看了蜗牛。", encoding="utf-8")
    assert load(path).title == "观察记录"


def test_markdown_table_rows_keep_their_column_headers(tmp_path: Path) -> None:
    path = tmp_path / "goals.md"
    path.write_text("# 目标\n\n| 3～4岁 | 4～5岁 |\n|---|---|\n| 能单脚站。 | 能单脚跳。 |\n", encoding="utf-8")
    assert load(path).text == "3～4岁: 能单脚站。\n4～5岁: 能单脚跳。"


def test_docx_keeps_headings_paragraphs_and_table_headers_in_order(tmp_path: Path) -> None:
    word = docx.Document()
    word.add_heading("纸桥承重", level=1)
    word.add_paragraph("活动目标如下。")
    word.add_heading("材料", level=2)
    table = word.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "材料", "数量"
    table.cell(1, 0).text, table.cell(1, 1).text = "A4纸", "每人2张"
    word.add_paragraph("材料由教师发放。")
    path = tmp_path / "lesson.docx"
    word.save(str(path))

    document = load(path)

    assert document.title == "纸桥承重"
    assert [(s.heading_path, s.text) for s in document.sections] == [
        (["纸桥承重"], "活动目标如下。"),
        (["纸桥承重", "材料"], "材料: A4纸\n数量: 每人2张\n材料由教师发放。"),
    ]


@pytest.mark.parametrize("name", ["empty.md", "blank.txt", "empty.docx"])
def test_empty_file_is_rejected_with_its_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".docx"):
        docx.Document().save(str(path))
    else:
        path.write_bytes(b"" if name.endswith(".md") else b"  \n\n ")
    with pytest.raises(InvalidInput, match=f"文件为空：{name} / File is empty: {name}"):
        load(path)


def test_damaged_docx_is_rejected_as_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InvalidInput, match="broken.docx"):
        load(path)


def test_unsupported_file_type_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InvalidInput, match="不支持的文件类型"):
        load(path)


def test_guide_gbk_text_from_shared_corpus_is_decoded() -> None:
    if not GUIDE_GBK.exists():
        pytest.skip(f"shared corpus not present: {GUIDE_GBK}")
    text = load(GUIDE_GBK).text
    assert "3-6岁儿童学习与发展指南" in text or "指南" in text
