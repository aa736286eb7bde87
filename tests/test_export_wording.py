"""The shared wording: links, control characters, numerals and file names."""

from __future__ import annotations

import pytest

from lesson_studio.export.files import safe_file_stem
from lesson_studio.export.wording import chinese_numeral, clean_text, split_links


@pytest.mark.parametrize(
    ("number", "numeral"),
    [(1, "一"), (9, "九"), (10, "十"), (12, "十二"), (20, "二十"), (21, "二十一"), (99, "九十九")],
)
def test_chinese_numerals(number, numeral):
    assert chinese_numeral(number) == numeral


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("见https://moe.gov.cn/a。", [("见", False), ("https://moe.gov.cn/a", True), ("。", False)]),
        ("(see http://x.org/a).", [("(see ", False), ("http://x.org/a", True), (").", False)]),
        ("https://en.wikipedia.org/wiki/X_(y)", [("https://en.wikipedia.org/wiki/X_(y)", True)]),
        ("见https://moe.gov.cn/a了解更多", [("见", False), ("https://moe.gov.cn/a", True), ("了解更多", False)]),
        ("点javascript:alert(1)这里", [("点", False), ("这里", False)]),
        ("FILE:///etc/passwd", []),
        ("ftp://x.org/a b", [(" b", False)]),
        ("Note: 注意:不是链接 https:// 也不是", [("Note: 注意:不是链接 https:// 也不是", False)]),
    ],
)
def test_only_http_links_survive(text, pieces):
    assert list(split_links(text)) == pieces


def test_control_and_bidi_characters_are_stripped():
    assert clean_text("a\x00b\x07c\x1b\x7fd\x85e\u202ef\tg\nh") == "abcdef\tg\nh"


@pytest.mark.parametrize(
    ("title", "stem"),
    [
        ("大班科学：给小鸭搭座桥", "大班科学：给小鸭搭座桥"),
        ('a/b\\c:d*e?"f<g>h|i', "abcdefghi"),
        ("..\x07", "教案"),
        ("", "教案"),
    ],
)
def test_safe_file_stem(title, stem):
    assert safe_file_stem(title) == stem
