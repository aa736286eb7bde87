"""PDF through LibreOffice headless, when it is installed (optional: Debian `libreoffice-writer`, plus
`fonts-noto-cjk` for the Chinese fonts).

Each conversion runs with a private LibreOffice profile in a temporary folder, so conversions can run
side by side and never touch a user's own profile, and under a timeout, so a stuck LibreOffice cannot
hold a request forever. 宋体 and 黑体 are mapped to Noto Serif/Sans CJK SC through a private
fontconfig file: without it a Linux server renders all Chinese text in one fallback sans font.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from lesson_studio.errors import StudioError

DEFAULT_TIMEOUT_S = 120
PER_DOCUMENT_TIMEOUT_S = 30
SYSTEM_FONT_CONFIG = Path("/etc/fonts/fonts.conf")
SOFFICE_NAMES = ("soffice", "libreoffice")

# Windows font names school templates use -> the free CJK fonts a Linux server has.
FONT_SUBSTITUTES = {
    "宋体": "Noto Serif CJK SC",
    "SimSun": "Noto Serif CJK SC",
    "新宋体": "Noto Serif CJK SC",
    "仿宋": "Noto Serif CJK SC",
    "仿宋_GB2312": "Noto Serif CJK SC",
    "楷体": "Noto Serif CJK SC",
    "楷体_GB2312": "Noto Serif CJK SC",
    "黑体": "Noto Sans CJK SC",
    "SimHei": "Noto Sans CJK SC",
    "微软雅黑": "Noto Sans CJK SC",
    "Microsoft YaHei": "Noto Sans CJK SC",
    "等线": "Noto Sans CJK SC",
}


class PdfUnavailable(StudioError):
    """LibreOffice is not installed on this server."""


class PdfFailed(StudioError):
    """LibreOffice ran but produced no PDF (or ran out of time)."""


def soffice_path() -> str | None:
    """LibreOffice's command, or None when it is not installed."""
    for name in SOFFICE_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def pdf_available() -> bool:
    return soffice_path() is not None


def docx_to_pdf(docx: bytes, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> bytes:
    """Convert a .docx to PDF; raises PdfUnavailable without LibreOffice, PdfFailed when it fails."""
    (pdf,) = docxs_to_pdfs([docx], timeout_s=timeout_s)
    if pdf is None:
        raise PdfFailed("LibreOffice 没有生成 PDF，请稍后重试或下载 Word 文件 / LibreOffice produced no PDF")
    return pdf


def docxs_to_pdfs(documents: Sequence[bytes], *, timeout_s: float | None = None) -> list[bytes | None]:
    """Convert several .docx in one LibreOffice run (starting it costs most of a conversion's time);
    None for a document LibreOffice could not convert. The timeout grows with the number of documents."""
    soffice = soffice_path()
    if soffice is None:
        raise PdfUnavailable(
            "服务器没有安装 LibreOffice，无法导出 PDF：请下载 Word 文件，或请管理员安装 libreoffice-writer"
            " / LibreOffice is not installed, so PDF export is unavailable: download the Word file, or ask"
            " the administrator to install libreoffice-writer"
        )
    if not documents:
        return []
    if timeout_s is None:
        timeout_s = DEFAULT_TIMEOUT_S + PER_DOCUMENT_TIMEOUT_S * (len(documents) - 1)
    with tempfile.TemporaryDirectory(prefix="lesson-studio-pdf-") as folder:
        work = Path(folder)
        sources = [work / f"教案-{number:03d}.docx" for number in range(1, len(documents) + 1)]
        for source, document in zip(sources, documents, strict=True):
            source.write_bytes(document)
        out_dir = work / "out"
        command = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out_dir),
            *map(str, sources),
        ]
        env = {**os.environ, "HOME": str(work)}  # LibreOffice and fontconfig write under $HOME
        if SYSTEM_FONT_CONFIG.is_file():  # Linux; elsewhere LibreOffice does not use fontconfig
            env["FONTCONFIG_FILE"] = str(_write_font_config(work))
        _run(command, env=env, timeout_s=timeout_s)
        produced = [out_dir / source.with_suffix(".pdf").name for source in sources]
        return [path.read_bytes() if path.is_file() else None for path in produced]


def _run(command: list[str], *, env: dict[str, str], timeout_s: float) -> None:
    # A session of its own, so a timeout can end LibreOffice and the helper processes it starts.
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise PdfFailed(
            f"LibreOffice 转换超时（{timeout_s:.0f} 秒）/ LibreOffice did not finish within {timeout_s:.0f} s"
        ) from None
    if process.returncode != 0:
        detail = output.decode("utf-8", "replace").strip()[-300:]
        raise PdfFailed(f"LibreOffice 转换失败 / LibreOffice failed: {detail}")


def _write_font_config(folder: Path) -> Path:
    """A fontconfig file: the system's configuration plus the substitutes above."""
    matches = "".join(
        f"""
  <match target="pattern">
    <test name="family"><string>{name}</string></test>
    <edit name="family" mode="prepend" binding="strong"><string>{substitute}</string></edit>
  </match>"""
        for name, substitute in FONT_SUBSTITUTES.items()
    )
    config = folder / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
        f"  <include>{SYSTEM_FONT_CONFIG}</include>{matches}\n</fontconfig>\n",
        encoding="utf-8",
    )
    return config
