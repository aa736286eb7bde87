from __future__ import annotations

import codecs
import re
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path

import docx
import pytest
from library_files import pdf_bytes

from lesson_studio.errors import InvalidInput
from lesson_studio.library.loaders import load

SHARED = Path(__file__).resolve().parents[2] / "shared"
GUIDE_DIR = SHARED / "corpus" / "moe-3-6-guide"
GUIDE_GBK = GUIDE_DIR / "guide-official-text.gbk.txt"
GUIDE_MD = GUIDE_DIR / "guide-official-text.md"
GUIDE_DOCX = GUIDE_DIR / "3-6岁儿童学习与发展指南——教育部.docx"

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


def test_big5_text_file_is_decoded(tmp_path: Path) -> None:
    traditional = "幼兒在遊戲中想辦法：紙橋怎樣才能承受更多的硬幣？老師鼓勵大家試一試、改一改。"
    path = tmp_path / "notes.txt"
    path.write_bytes(traditional.encode("big5"))
    assert load(path).text == traditional


@pytest.mark.parametrize("word", ["春天来了", "观察", "老师好", "玩沙子"])
def test_short_gbk_text_is_not_mistaken_for_big5(tmp_path: Path, word: str) -> None:
    # charset-normalizer alone reads each of these as Big5 mojibake ("春天来了" -> "景毞懂賸").
    path = tmp_path / "short.txt"
    path.write_bytes(word.encode("gbk"))
    assert load(path).text == word


def test_gbk_text_with_crlf_line_ends_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes("第一段：观察蚂蚁。\r\n第二段：记录发现。\r\n".encode("gbk"))
    assert load(path).text == "第一段：观察蚂蚁。\n第二段：记录发现。"


def test_one_line_text_file_is_read_as_text_not_as_an_empty_title(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("明天带放大镜去看蚂蚁", encoding="utf-8")
    document = load(path)
    assert document.text == "明天带放大镜去看蚂蚁" and document.title == "note"


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
    table = word.add_table(rows=3, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "材料", "数量"
    table.cell(1, 0).text, table.cell(1, 1).text = "A4纸", "每人2张"
    table.cell(2, 0).text, table.cell(2, 1).text = "硬币", "每组20枚"
    word.add_paragraph("材料由教师发放。")
    path = tmp_path / "lesson.docx"
    word.save(str(path))

    document = load(path)

    assert document.title == "纸桥承重"
    assert [(s.heading_path, s.kind, s.text) for s in document.sections] == [
        (["纸桥承重"], "text", "活动目标如下。"),
        (["纸桥承重", "材料"], "table", "材料: A4纸；数量: 每人2张\n材料: 硬币；数量: 每组20枚"),
        (["纸桥承重", "材料"], "text", "材料由教师发放。"),
    ]


def test_docx_age_band_table_keeps_its_header_on_every_cell(tmp_path: Path) -> None:
    word = docx.Document()
    word.add_heading("目标1 具有一定的平衡能力", level=2)
    table = word.add_table(rows=2, cols=3)
    for column, (band, cell) in enumerate(
        [
            ("3～4岁", "1．能沿地面直线走一段距离。"),
            ("4～5岁", "1．能在较窄的低矮物体上走。"),
            ("5～6岁", "1．能在斜坡上走。"),
        ]
    ):
        table.cell(0, column).text, table.cell(1, column).text = band, cell
    path = tmp_path / "goals.docx"
    word.save(str(path))
    (section,) = load(path).sections
    assert section.kind == "table"
    assert section.text.split("\n") == [
        "3～4岁: 1．能沿地面直线走一段距离。",
        "4～5岁: 1．能在较窄的低矮物体上走。",
        "5～6岁: 1．能在斜坡上走。",
    ]


def test_row_that_belongs_to_one_age_band_is_led_by_it(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text(
        "# 分班建议\n\n| 年龄段 | 材料 |\n|---|---|\n| 小班 | 大块积木 |\n| 大班 | 小颗粒积木 |\n", encoding="utf-8"
    )
    assert load(path).text == "小班: 材料: 大块积木\n大班: 材料: 小颗粒积木"


TEXT_BOX_RUN = (
    '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml"><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
    "<wps:txbx><w:txbxContent><w:p><w:r><w:t>提示框：先让孩子猜一猜。</w:t></w:r></w:p></w:txbxContent></wps:txbx>"
    "</w:drawing></mc:Choice><mc:Fallback><w:pict><v:textbox><w:txbxContent><w:p><w:r><w:t>提示框：先让孩子猜一猜。"
    "</w:t></w:r></w:p></w:txbxContent></v:textbox></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
)


def test_docx_text_boxes_and_headers_are_read_once(tmp_path: Path) -> None:
    from docx.oxml import parse_xml

    word = docx.Document()
    word.add_heading("纸桥承重", level=1)
    paragraph = word.add_paragraph("导入环节。")
    paragraph._p.append(parse_xml(TEXT_BOX_RUN))
    word.sections[0].header.paragraphs[0].text = "阳光幼儿园 中班教案"
    word.sections[0].footer.paragraphs[0].text = "3"  # a page number: left out
    path = tmp_path / "boxes.docx"
    word.save(str(path))
    document = load(path)
    assert document.text.count("提示框：先让孩子猜一猜。") == 1
    assert document.sections[0].text == "导入环节。\n提示框：先让孩子猜一猜。"
    assert document.sections[-1].text == "阳光幼儿园 中班教案"


def test_pdf_keeps_page_numbers(tmp_path: Path) -> None:
    path = tmp_path / "bridges.pdf"
    path.write_bytes(
        pdf_bytes(["Paper bridges: children fold paper to hold coins.", "Page two: count the coins together."])
    )
    document = load(path)
    assert [(section.page, section.text) for section in document.sections] == [
        (1, "Paper bridges: children fold paper to hold coins."),
        (2, "Page two: count the coins together."),
    ]


def test_plain_text_gets_structure_from_official_numbering_and_pipe_tables(tmp_path: Path) -> None:
    path = tmp_path / "guide.txt"
    text = "指南节选\r\n\r\n一、健康\r\n\r\n（一）身心状况\r\n\r\n目标1  具有健康的体态\r\n\r\n| 3～4岁 | 4～5岁 |\r\n|---|---|\r\n| 1．能坐直。 | 1．能站直。 |\r\n"
    path.write_bytes(text.encode("gbk"))
    document = load(path)
    assert document.title == "指南节选"
    (section,) = document.sections
    assert section.heading_path == ["指南节选", "一、健康", "（一）身心状况", "目标1 具有健康的体态"]
    assert section.kind == "table" and section.text == "3～4岁: 1．能坐直。\n4～5岁: 1．能站直。"


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


def test_old_word_doc_is_rejected_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InvalidInput, match="save it as .docx"):
        load(path)


def test_guide_gbk_text_from_shared_corpus_is_decoded() -> None:
    if not GUIDE_GBK.exists():
        pytest.skip(f"shared corpus not present: {GUIDE_GBK}")
    text = load(GUIDE_GBK).text
    assert "3-6岁儿童学习与发展指南" in text or "指南" in text


def _official_part(text: str) -> str:
    """From the health domain to the last line of the art section (the docx goes on with a Q&A
    and a news report that are not part of the 《指南》), without spaces, table pipes or '#'."""
    last_line = "要是表情再凶一点就更好了”等。"
    text = text[text.index("健康是指人在身体") : text.index(last_line) + len(last_line)]
    return re.sub(r"[\s|#:：]", "", text)


def test_the_three_copies_of_the_guide_yield_the_same_text() -> None:
    if not all(path.exists() for path in (GUIDE_GBK, GUIDE_MD, GUIDE_DOCX)):
        pytest.skip(f"shared corpus not present: {GUIDE_DIR}")
    docx_text, md_text, txt_text = (_official_part(load(path).text) for path in (GUIDE_DOCX, GUIDE_MD, GUIDE_GBK))
    for other in (md_text, txt_text):
        overlap = sum((Counter(docx_text) & Counter(other)).values()) / max(len(docx_text), len(other))
        assert overlap >= 0.98
        assert SequenceMatcher(None, docx_text[:3000], other[:3000], autojunk=False).ratio() >= 0.98
