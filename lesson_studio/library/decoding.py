"""Bytes from a teacher's computer -> text: UTF-8 (with or without a BOM), GBK/GB18030, UTF-16/32.

Both the checks (is this .txt really text?) and the loaders (parse it) decode; the code lives
here so neither has to import the other for it.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from lesson_studio.errors import InvalidInput

_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "cp936"}
# decode_text: a GB18030 reading this much made of GB2312 level-1 hanzi beats the detector's guess.
GB_LEVEL1_MIN_RATIO = 0.9


def decode_text(raw: bytes, name: str) -> str:
    """Decode bytes from a teacher's computer: UTF-8 (BOM or not), GBK/GB18030, UTF-16/32."""
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts with UTF-16 LE's
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            return normalise_text(raw.decode(encoding, errors="replace"))
    try:
        return normalise_text(raw.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw).best()
    if best is not None and best.encoding.replace("_", "").lower() not in _GB_FAMILY:
        text = str(best)
        # Short GBK text is often guessed as Big5/Shift-JIS/EUC-KR (charset-normalizer reads
        # "春天来了" in GBK as Big5 "景毞懂賸"). In a Chinese school a strict GB18030 decode made
        # almost wholly of the 3,755 commonest characters (GB2312 level 1) is the likelier truth:
        # real GBK text scores 0.97-1.0 on that, Big5 text decoded as GBK 0.0-0.5.
        gb_text = _strict_gb18030(raw)
        if gb_text is not None and (
            _gb2312_level1_ratio(gb_text) >= GB_LEVEL1_MIN_RATIO
            or _common_chinese_ratio(gb_text) > _common_chinese_ratio(text)
        ):
            return normalise_text(gb_text)
        return normalise_text(text)
    # GB18030 is a superset of GB2312 and GBK: decoding with it never loses a character.
    gb_text = _strict_gb18030(raw)
    if gb_text is None:
        raise InvalidInput(
            f"无法识别文件编码：{name}（请另存为 UTF-8）/ Cannot detect the text encoding of {name} (save it as UTF-8)"
        )
    return normalise_text(gb_text)


def _strict_gb18030(raw: bytes) -> str | None:
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return None


def _gb2312_level1_ratio(text: str) -> float:
    """Share of non-ASCII, non-punctuation characters that are GB2312 level-1 hanzi (0 if none)."""
    letters = [
        ch
        for ch in text
        if not ch.isascii()
        and not ch.isspace()
        and not ("\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef" or "\u2000" <= ch <= "\u206f")
    ]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if _is_gb2312_level1(ch)) / len(letters)


def _is_gb2312_level1(ch: str) -> bool:
    try:
        encoded = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(encoded) == 2 and 0xB0 <= encoded[0] <= 0xD7


def _common_chinese_ratio(text: str) -> float:
    """Share of characters that are CJK ideographs, ASCII or Chinese punctuation."""
    if not text:
        return 0.0
    common = sum(
        1
        for ch in text
        if ch.isascii() or "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
    )
    return common / len(text)


def normalise_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    return text.lstrip("\ufeff")
