"""Checks before any parser touches a file: what it claims to be, what it is, and whether it is safe.

Each refusal is an InvalidInput whose message names the file and the reason, in Chinese and
English, in words a curriculum lead can act on ("save it as .docx", "remove the password").
Only the bytes are read here: zip archives are inspected through their central directory and
their XML parts streamed with a cap, never handed to an XML parser.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from pathlib import Path

from lesson_studio.errors import InvalidInput
from lesson_studio.library.decoding import decode_text

KIND_BY_SUFFIX = {".docx": "docx", ".pdf": "pdf", ".md": "markdown", ".markdown": "markdown", ".txt": "text"}

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
PDF_MAGIC = b"%PDF-"
# Other files that turn up renamed as .txt/.md/.docx/.pdf, named so the message can say what they are.
_BINARY_MAGICS: tuple[tuple[bytes, str, str], ...] = (
    (PDF_MAGIC, "PDF 文件", "a PDF file"),
    (ZIP_MAGIC, "压缩包或 Office 文件", "a zip archive or Office file"),
    (OLE2_MAGIC, "旧版 Office 文件（.doc/.xls）", "an old Office file (.doc/.xls)"),
    (b"\x89PNG\r\n\x1a\n", "PNG 图片", "a PNG image"),
    (b"\xff\xd8\xff", "JPEG 图片", "a JPEG image"),
    (b"GIF8", "GIF 图片", "a GIF image"),
    (b"Rar!\x1a\x07", "RAR 压缩包", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包", "a 7z archive"),
    (b"\x7fELF", "程序文件", "a program"),
    (b"{\\rtf", "RTF 文件", "an RTF file"),
)

# Zip-bomb limits, checked on the declared sizes in the central directory before anything is
# inflated. A real 300-page .docx stays far below them; XML compresses about 5-30x.
MAX_ZIP_ENTRIES = 2_000
MAX_ZIP_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
MAX_ZIP_RATIO = 200  # for an entry that inflates beyond ZIP_RATIO_FLOOR_BYTES
ZIP_RATIO_FLOOR_BYTES = 1024 * 1024
_XML_SCAN_PIECE = 64 * 1024
_DTD_MARKERS = tuple(
    marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY") for encoding in ("ascii", "utf-16-le", "utf-16-be")
)
_CONTENT_TYPE_ELEMENT = re.compile(r"<(Default|Override)\b([^>]*)>")
_ATTRIBUTE = re.compile(r'(\w+)\s*=\s*["\']([^"\']*)["\']')
# Share of control characters (other than tab, newlines, form feed) above which "text" is binary.
MAX_CONTROL_RATIO = 0.005


def inspect_file(path: Path, *, max_bytes: int | None = None) -> str:
    """Vet a file and return its kind (docx, pdf, markdown, text); raises InvalidInput if refused."""
    name = path.name
    suffix = path.suffix.lower()
    if suffix == ".doc":
        raise _old_doc(name)
    kind = KIND_BY_SUFFIX.get(suffix)
    if kind is None:
        raise InvalidInput(
            f"不支持的文件类型：{name}（请上传 .docx、.pdf、.md 或 .txt）/ Unsupported file type: {name} "
            f"(use .docx, .pdf, .md or .txt)"
        )
    try:
        size = path.stat().st_size
    except OSError as error:
        raise InvalidInput(f"无法读取文件：{name} / Cannot read file: {name} ({error.strerror})") from error
    if max_bytes is not None and size > max_bytes:
        raise InvalidInput(
            f"文件太大：{name}（{size / 1048576:.1f} MB，上限 {max_bytes / 1048576:.1f} MB）/ File too large: "
            f"{name} ({size / 1048576:.1f} MB; the limit is {max_bytes / 1048576:.1f} MB)"
        )
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"无法读取文件：{name} / Cannot read file: {name} ({error.strerror})") from error
    if not raw.strip():
        raise empty_file(name)
    if kind == "docx":
        _check_docx(raw, name)
    elif kind == "pdf":
        _check_pdf(raw, name)
    else:
        _check_text(raw, name)
    return kind


def _check_docx(raw: bytes, name: str) -> None:
    if raw.startswith(OLE2_MAGIC):
        # Word wraps a password-protected .docx in an OLE2 container with an EncryptedPackage
        # stream; any other OLE2 file under a .docx name is an old .doc renamed.
        if "EncryptedPackage".encode("utf-16-le") in raw:
            raise _password_protected(name)
        raise _old_doc(name)
    if not raw.startswith(ZIP_MAGIC):
        raise _mismatch(name, raw, ".docx")
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        entries = archive.infolist()  # the central directory only; nothing is inflated yet
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        raise InvalidInput(
            f"无法读取文件：{name}（Word 文件已损坏）/ Cannot read file: {name} (damaged Word file)"
        ) from error
    _check_zip_bomb(entries, name)
    names = {entry.filename for entry in entries}
    if "word/document.xml" not in names:
        raise InvalidInput(
            f"{name} 不是 Word 文档（缺少 word/document.xml，可能是改了扩展名的 Excel/PPT 或压缩包）/ "
            f"{name} is not a Word document (no word/document.xml: a renamed spreadsheet, slide deck or zip?)"
        )
    xml_parts = _xml_part_names(archive, entries, name)
    for entry in entries:
        if entry.filename in xml_parts:
            _check_xml_part(archive, entry, name)


def _xml_part_names(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], name: str) -> set[str]:
    """Every part an Office reader would hand to an XML parser: *.xml, *.rels, and any other
    name that [Content_Types].xml declares as XML (a document part may be called word/x.dat).

    [Content_Types].xml is scanned for a DTD first and then read with a regular expression,
    never with an XML parser. SVG images are left out: python-docx does not parse them, and
    they carry a DOCTYPE legitimately.
    """
    names = {entry.filename for entry in entries if entry.filename.lower().endswith((".xml", ".rels"))}
    types = next((entry for entry in entries if entry.filename == "[Content_Types].xml"), None)
    if types is None:
        return names
    _check_xml_part(archive, types, name)
    try:
        declared = archive.read(types)[: 4 * 1024 * 1024].decode("utf-8", "replace")
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError):
        return names  # _check_xml_part has already refused a damaged part
    xml_extensions, xml_parts = set(), set()
    for element in _CONTENT_TYPE_ELEMENT.finditer(declared):
        attributes = dict(_ATTRIBUTE.findall(element.group(2)))
        content_type = attributes.get("ContentType", "").lower()
        if not content_type.endswith("xml") or content_type == "image/svg+xml":
            continue
        if element.group(1) == "Default":
            xml_extensions.add("." + attributes.get("Extension", "").lower().lstrip("."))
        else:
            xml_parts.add(attributes.get("PartName", "").lstrip("/"))
    for entry in entries:
        if entry.filename in xml_parts or Path(entry.filename).suffix.lower() in xml_extensions:
            names.add(entry.filename)
    return names


def _check_zip_bomb(entries: list[zipfile.ZipInfo], name: str) -> None:
    declared = sum(entry.file_size for entry in entries)
    suspicious = (
        len(entries) > MAX_ZIP_ENTRIES
        or declared > MAX_ZIP_UNCOMPRESSED_BYTES
        or any(
            entry.file_size > ZIP_RATIO_FLOOR_BYTES and entry.file_size > MAX_ZIP_RATIO * max(entry.compress_size, 1)
            for entry in entries
        )
    )
    if suspicious:
        raise InvalidInput(
            f"{name} 解压后过大或压缩比异常（{len(entries)} 个部件，共 {declared / 1048576:.0f} MB），疑似压缩炸弹，已拒绝 / "
            f"{name} would inflate to {declared / 1048576:.0f} MB in {len(entries)} parts or has an abnormal "
            f"compression ratio (a zip bomb?); refused"
        )


def _check_xml_part(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, name: str) -> None:
    """Office XML never declares a DOCTYPE or entities; one that does is an XXE or a billion laughs."""
    tail = b""
    read = 0
    try:
        with archive.open(entry) as part:
            while True:
                piece = part.read(_XML_SCAN_PIECE)
                if not piece:
                    break
                read += len(piece)
                if read > entry.file_size + _XML_SCAN_PIECE:  # inflating past its declared size: a lie
                    raise InvalidInput(_bomb_message(name))
                window = (tail + piece).upper()
                if any(marker.upper() in window for marker in _DTD_MARKERS):
                    raise InvalidInput(
                        f"{name} 的 {entry.filename} 含有 DOCTYPE/实体声明，正常的 Word 文件不会有，可能是恶意文件，已拒绝 / "
                        f"{name} declares a DOCTYPE or entities in {entry.filename}, which Word files never do "
                        f"(possibly malicious); refused"
                    )
                tail = piece[-32:]
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as error:
        raise InvalidInput(
            f"无法读取文件：{name}（Word 文件已损坏）/ Cannot read file: {name} (damaged Word file)"
        ) from error


def _bomb_message(name: str) -> str:
    return f"{name} 解压后大小与声明不符，疑似压缩炸弹，已拒绝 / {name} inflates beyond its declared size (a zip bomb?); refused"


def _check_pdf(raw: bytes, name: str) -> None:
    # The PDF header may follow a little junk, but must sit in the first kilobyte.
    if PDF_MAGIC not in raw[:1024]:
        raise _mismatch(name, raw, ".pdf")
    # A PDF with an /Encrypt dictionary may still open with an empty password (permissions
    # only); the parser tries that and reports a real password.


def _check_text(raw: bytes, name: str) -> None:
    for magic, zh, en in _BINARY_MAGICS:
        if raw.startswith(magic):
            raise InvalidInput(
                f"文件内容与扩展名不符：{name} 实际上是{zh}，不是文本文件 / File content does not match its "
                f"extension: {name} is {en}, not text"
            )
    try:
        text = decode_text(raw, name)
    except InvalidInput:
        if len(re.findall(rb"[\x00-\x08\x0e-\x1f]", raw[:65536])) > MAX_CONTROL_RATIO * min(len(raw), 65536):
            raise _binary(name) from None
        raise
    if not text.strip():
        raise empty_file(name)
    control = sum(1 for ch in text if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v"))
    if control > MAX_CONTROL_RATIO * len(text):
        raise _binary(name)


def empty_file(name: str) -> InvalidInput:
    """The refusal of a file with nothing in it (also raised by loaders.parse when no text is left)."""
    return InvalidInput(f"文件为空：{name} / File is empty: {name}")


def _binary(name: str) -> InvalidInput:
    return InvalidInput(f"{name} 不是文本文件（含有二进制内容）/ {name} is not a text file (it contains binary data)")


def _mismatch(name: str, raw: bytes, suffix: str) -> InvalidInput:
    for magic, zh, en in _BINARY_MAGICS:
        if raw.startswith(magic):
            if magic == OLE2_MAGIC:
                return _old_doc(name)
            return InvalidInput(
                f"文件内容与扩展名不符：{name} 实际上是{zh}，不是 {suffix} / File content does not match its "
                f"extension: {name} is {en}, not {suffix}"
            )
    looks_textual = not re.search(rb"[\x00-\x08\x0e-\x1f]", raw[:4096])
    zh, en = ("文本", "text") if looks_textual else ("未知格式", "of an unknown format")
    return InvalidInput(
        f"文件内容与扩展名不符：{name} 的内容是{zh}，不是 {suffix} / File content does not match its extension: "
        f"{name} is {en}, not {suffix}"
    )


def _old_doc(name: str) -> InvalidInput:
    return InvalidInput(
        f"{name} 是旧版 Word（.doc）格式，请在 Word 或 WPS 中“另存为” .docx 后再上传 / {name} is an old Word .doc "
        f"file: save it as .docx in Word or WPS and upload that"
    )


def _password_protected(name: str) -> InvalidInput:
    return InvalidInput(
        f"{name} 设有打开密码，请先取消密码再上传 / {name} is password-protected: remove the password and upload "
        f"it again"
    )
