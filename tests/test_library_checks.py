"""Every refusal before (and while) parsing, with files built here; each message names the file."""

from __future__ import annotations

import io
import os
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from library_files import docx_bytes, encrypted_pdf_bytes, pdf_bytes, rewrite_zip, write_bytes

from lesson_studio.errors import InvalidInput
from lesson_studio.library import sandbox
from lesson_studio.library.checks import OLE2_MAGIC, inspect_file
from lesson_studio.library.loaders import load

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
    b"<w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>"
)
XXE_RELS = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">&xxe;</Relationships>'
)


def _zip_bomb() -> bytes:
    return rewrite_zip(docx_bytes(), {"word/media/bomb.bin": b"\0" * (3 * 1024 * 1024)})  # ~1000:1


def _many_parts() -> bytes:
    return rewrite_zip(docx_bytes(), {f"customXml/item{n}.bin": b"x" for n in range(2_100)})


def _declared_size(raw: bytes, member: str, size: int) -> bytes:
    """The same zip with the central directory declaring another uncompressed size for member."""
    data = bytearray(raw)
    position = data.find(b"PK\x01\x02")
    while position != -1:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + name_length].decode() == member:
            struct.pack_into("<I", data, position + 24, size)
        position = data.find(b"PK\x01\x02", position + 46)
    return bytes(data)


def _hidden_xml_part() -> bytes:
    """A DTD in a part not named *.xml that [Content_Types].xml declares as XML."""
    raw = docx_bytes()
    types = (
        zipfile.ZipFile(io.BytesIO(raw))
        .read("[Content_Types].xml")
        .replace(b"</Types>", b'<Override PartName="/word/notes.dat" ContentType="application/xml"/></Types>')
    )
    return rewrite_zip(raw, {"[Content_Types].xml": types, "word/notes.dat": BILLION_LAUGHS})


def _ole2(extra: bytes = b"") -> bytes:
    return OLE2_MAGIC + b"\0" * 504 + extra + b"\0" * 1024


# (file name, bytes, a phrase the refusal must contain)
CASES: list[tuple[str, Callable[[], bytes], str]] = [
    ("empty.txt", lambda: b"", "文件为空"),
    ("blank.md", lambda: b" \n\t\n", "文件为空"),
    ("big.txt", lambda: "纸桥。".encode() * 200_000, "文件太大"),
    ("sheet.xlsx", lambda: b"PK\x03\x04", "不支持的文件类型"),
    ("old.doc", lambda: _ole2(), "另存为"),
    ("renamed-doc.docx", lambda: _ole2(), "另存为"),
    ("locked.docx", lambda: _ole2("EncryptedPackage".encode("utf-16-le")), "密码"),
    ("text.docx", lambda: "这其实是一段文字。".encode(), "扩展名不符"),
    ("pdf.docx", lambda: pdf_bytes(["hello"]), "PDF"),
    ("word.pdf", docx_bytes, "扩展名不符"),
    ("text.pdf", lambda: b"just some text, not a PDF", "扩展名不符"),
    ("sheet.docx", lambda: rewrite_zip(docx_bytes(), {}, drop=("word/document.xml",)), "word/document.xml"),
    ("broken.docx", lambda: b"PK\x03\x04 not really a zip", "损坏"),
    ("bomb.docx", _zip_bomb, "压缩炸弹"),
    ("parts.docx", _many_parts, "压缩炸弹"),
    ("declared.docx", lambda: _declared_size(docx_bytes(), "word/document.xml", 400 * 1024 * 1024), "压缩炸弹"),
    ("liar.docx", lambda: _declared_size(docx_bytes(), "word/document.xml", 100), "损坏"),
    ("hidden.docx", _hidden_xml_part, "DOCTYPE"),
    ("laughs.docx", lambda: rewrite_zip(docx_bytes(), {"word/document.xml": BILLION_LAUGHS}), "DOCTYPE"),
    ("xxe.docx", lambda: rewrite_zip(docx_bytes(), {"_rels/.rels": XXE_RELS}), "DOCTYPE"),
    ("locked.pdf", lambda: encrypted_pdf_bytes("a lesson about paper bridges"), "密码"),
    ("scan.pdf", lambda: pdf_bytes(["", "", "7"]), "扫描件"),
    ("binary.txt", lambda: bytes(range(256)) * 40, "不是文本文件"),
    ("photo.md", lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "PNG"),
    ("program.txt", lambda: b"\x7fELF\x02\x01\x01" + b"\0" * 64, "程序"),
]


@pytest.mark.parametrize(("name", "make", "phrase"), CASES, ids=[case[0] for case in CASES])
def test_bad_file_is_refused_with_a_bilingual_reason_naming_it(
    tmp_path: Path, name: str, make: Callable[[], bytes], phrase: str
) -> None:
    path = write_bytes(tmp_path, name, make())
    with pytest.raises(InvalidInput) as refused:
        load(path, max_bytes=1_000_000)
    message = str(refused.value)
    assert phrase in message
    chinese, english = message.split("/ ", 1)
    assert name in chinese and name in english  # Chinese / English, both naming the file


def test_docx_with_a_dtd_is_refused_before_any_parser_reads_it(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "laughs.docx", rewrite_zip(docx_bytes(), {"word/document.xml": BILLION_LAUGHS}))
    with pytest.raises(InvalidInput, match="DOCTYPE"):
        inspect_file(path)  # the check alone, no parser involved


@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [
        ("lesson.docx", docx_bytes, "docx"),
        ("pages.pdf", lambda: pdf_bytes(["A lesson about paper bridges and coins, page one."]), "pdf"),
        ("notes.txt", lambda: "观察蚂蚁。".encode("gbk"), "text"),
        ("notes16.txt", lambda: "观察蚂蚁搬家。".encode("utf-16"), "text"),
        ("card.md", lambda: "# 方法卡\n\n不批评。".encode(), "markdown"),
    ],
)
def test_good_files_pass_the_checks(tmp_path: Path, name: str, make: Callable[[], bytes], kind: str) -> None:
    assert inspect_file(write_bytes(tmp_path, name, make())) == kind


def test_pdf_with_only_an_owner_password_is_read(tmp_path: Path) -> None:
    path = write_bytes(
        tmp_path, "owner.pdf", encrypted_pdf_bytes("A lesson about paper bridges and coins.", password="")
    )
    assert "paper bridges" in load(path).text


def test_a_parser_that_runs_too_long_is_stopped(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "slow.docx", docx_bytes())
    with pytest.raises(InvalidInput, match="slow.docx.*damaged"):
        sandbox.parse_file(path, "docx", timeout_s=0.001, memory_mb=1024)  # no interpreter starts that fast


@pytest.mark.skipif(not hasattr(os, "setrlimit") and os.name != "posix", reason="needs RLIMIT_AS")
def test_a_parser_that_needs_too_much_memory_is_stopped(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "huge.docx", docx_bytes())
    with pytest.raises(InvalidInput, match="huge.docx.*30 MB"):
        sandbox.parse_file(path, "docx", timeout_s=60, memory_mb=30)  # too little even to import the parser


def test_the_sandbox_returns_what_the_loader_reads(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "lesson.docx", docx_bytes(["纸桥承重", "孩子们用纸搭桥。"]))
    assert sandbox.parse_file(path, "docx", timeout_s=60, memory_mb=1024) == load(path)
