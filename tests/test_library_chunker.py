from __future__ import annotations

import pytest

from lesson_studio.library.chunker import split
from lesson_studio.library.loaders import LoadedDocument, Section

SENTENCE = "孩子们用纸搭桥，一枚一枚地放硬币，看看桥什么时候会塌。"  # 27 chars


def document(*sections: Section, title: str = "纸桥") -> LoadedDocument:
    return LoadedDocument(title=title, sections=list(sections))


@pytest.mark.parametrize("max_chars", [30, 60, 100, 400])
def test_chunks_never_exceed_max_chars_and_offsets_slice_back(max_chars: int) -> None:
    doc = document(
        Section(["纸桥", "导入"], SENTENCE * 5),
        Section(["纸桥", "展开"], "师：你发现了什么？\n幼：桥弯了！" + "很长的一句话没有标点" * 20),
    )
    chunks = split(doc, "doc1", max_chars=max_chars)
    assert chunks
    for chunk in chunks:
        assert 0 < len(chunk.text) <= max_chars
        assert doc.text[chunk.char_start : chunk.char_end] == chunk.text


def test_chunks_end_at_sentence_boundaries() -> None:
    chunks = split(document(Section([], SENTENCE * 4)), "doc1", max_chars=60)
    assert [chunk.text for chunk in chunks] == [SENTENCE * 2, SENTENCE * 2]


def test_sentence_longer_than_max_chars_is_cut_and_nothing_is_lost() -> None:
    long_sentence = "没有句号" * 50  # 200 chars, no boundary at all
    chunks = split(document(Section([], long_sentence)), "doc1", max_chars=80)
    assert "".join(chunk.text for chunk in chunks) == long_sentence
    assert max(len(chunk.text) for chunk in chunks) <= 80


def test_chunks_follow_sections_and_name_their_heading_without_the_title() -> None:
    chunks = split(
        document(Section(["纸桥", "导入"], "短。"), Section(["纸桥", "展开", "试一试"], "也短。")), "doc1", min_chars=1
    )
    assert [(chunk.heading, chunk.text) for chunk in chunks] == [("导入", "短。"), ("展开 > 试一试", "也短。")]


def test_chunk_id_and_metadata_are_flat_and_derived() -> None:
    (chunk,) = split(document(Section(["纸桥"], "短。")), "abc123", version=2)
    assert chunk.id == "abc123:2:0"
    metadata = chunk.metadata()
    assert metadata["document_id"] == "abc123" and metadata["version"] == 2
    assert "page" not in metadata  # Chroma rejects None values
    assert all(isinstance(value, (str, int, float, bool)) for value in metadata.values())


def test_each_age_column_becomes_its_own_chunk_with_its_band() -> None:
    table_text = "3～4岁: 能在较窄的低矮物体上走一段距离。\n4～5岁: 能在较窄的低矮物体上平稳地走一段距离。\n5～6岁: 能在斜坡上走。"
    chunks = split(document(Section(["指南", "目标1 具有一定的平衡能力"], table_text)), "doc1", min_chars=1)
    assert [chunk.age_band for chunk in chunks] == ["小班", "中班", "大班"]
    assert chunks[0].text.startswith("3～4岁")


def test_band_named_in_the_heading_marks_the_chunk_but_one_mentioned_in_passing_does_not() -> None:
    chunks = split(
        document(Section(["纸桥", "小班"], "用图片投票。"), Section(["纸桥", "大班"], "比小班时多一轮。")),
        "doc1",
        min_chars=1,
    )
    assert [chunk.age_band for chunk in chunks] == ["小班", "大班"]
    (plain,) = split(document(Section(["纸桥", "规则"], "小班的孩子也喜欢。")), "doc1")
    assert plain.age_band == ""


def test_a_short_last_part_of_a_plan_keeps_its_own_heading():
    """A plan's short closing 活动延伸 is not joined to its 活动过程: the heading says which part it
    is; a short part in the middle still joins a neighbour (no chunk too short to answer)."""
    doc = document(
        Section(["纸桥", "活动过程", "想办法"], SENTENCE * 2), Section(["纸桥", "活动延伸"], "建构区继续投放纸杯。")
    )
    chunks = split(doc, "doc1", min_chars=20)
    assert [(chunk.heading, chunk.text) for chunk in chunks][-1] == ("活动延伸", "建构区继续投放纸杯。")
    middle = document(
        Section(["纸桥", "活动延伸"], "建构区继续投放纸杯。"), Section(["纸桥", "活动反思"], SENTENCE * 2)
    )
    assert all(len(chunk.text) >= 20 for chunk in split(middle, "doc1", min_chars=20))
    (front, body) = (Section(["纸桥"], "2012-10-16 晨报"), Section(["纸桥", "正文"], SENTENCE * 3))
    assert (
        len(split(document(front, body), "doc1", min_chars=20)) == 1
    )  # text before the first heading joins what follows


def test_a_chunk_id_names_its_document_version():
    from lesson_studio.library.chunker import chunk_version

    assert chunk_version("doc-1a2b:3:17") == 3
    assert chunk_version("doc-1a2b") is None and chunk_version("doc:x:1") is None


SHORT_CASES = {
    "a date line before the text": [Section(["报道"], "2012-10-16 晨报"), Section(["报道", "正文"], SENTENCE * 3)],
    "a short tail after packing": [Section(["纸桥"], SENTENCE * 3 + "好。")],
    "a short last subsection": [
        Section(["纸桥", "过程", "导入"], SENTENCE * 2),
        Section(["纸桥", "过程", "结束"], "再见。"),
    ],
    "short table rows": [Section(["纸桥", "表"], "甲: 一。\n乙: 二。\n丙: 三。\n" + SENTENCE, kind="table")],
    "short lines of one age column": [
        Section(["指南", "目标1"], "3～4岁: 会跑。\n3～4岁: 会跳。\n3～4岁: 会拍球。\n4～5岁: " + SENTENCE)
    ],
}


@pytest.mark.parametrize("sections", SHORT_CASES.values(), ids=SHORT_CASES.keys())
@pytest.mark.parametrize("max_chars", [60, 400])
def test_no_chunk_is_shorter_than_the_minimum(sections: list[Section], max_chars: int) -> None:
    doc = document(*sections)
    chunks = split(doc, "doc1", max_chars=max_chars, min_chars=20)
    assert all(20 <= len(chunk.text) <= max_chars for chunk in chunks)
    assert all(doc.text[chunk.char_start : chunk.char_end] == chunk.text for chunk in chunks)
    assert "".join(doc.text.split()) == "".join("".join(chunk.text for chunk in chunks).split())  # nothing lost


def test_a_document_shorter_than_the_minimum_is_one_chunk() -> None:
    (chunk,) = split(document(Section(["纸桥"], "短。"), Section(["纸桥", "二"], "也短。")), "doc1", min_chars=20)
    assert chunk.text == "短。\n\n也短。"


def test_a_short_line_joins_a_line_of_its_own_age_column() -> None:
    text = "3～4岁: " + SENTENCE + "\n4～5岁: 会跳。\n4～5岁: " + SENTENCE
    chunks = split(document(Section(["指南", "目标1"], text)), "doc1", min_chars=20)
    assert [chunk.age_band for chunk in chunks] == ["小班", "中班"]
    assert chunks[1].text.startswith("4～5岁: 会跳。")


def test_a_short_age_column_line_stays_alone_rather_than_join_another_column() -> None:
    text = "3～4岁: 会跑。\n4～5岁: " + SENTENCE + "\n以上是目标，" + SENTENCE
    chunks = split(document(Section(["指南", "目标1"], text)), "doc1", min_chars=20)
    assert [(chunk.age_band, chunk.text[:6]) for chunk in chunks] == [
        ("小班", "3～4岁: "),
        ("中班", "4～5岁: "),
        ("", "以上是目标，"),
    ]
