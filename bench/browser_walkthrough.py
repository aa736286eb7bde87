"""A first session in a real browser, timed: the set-up page (the first admin), one sentence,
generate, make and download the Word file.

Starts `streamlit run app.py` on a free local port with a fresh data folder (embedded defaults),
drives Debian's Chromium through Playwright, prints the times and saves screenshots to bench/out/.
Needs Debian's chromium (apt-get install chromium; .ci/run installs it) and Playwright (requirements-dev).

    python bench/browser_walkthrough.py [--timeout 600]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SENTENCE = "中班 艺术 20分钟 用旧报纸和毛线 让孩子想办法给小熊做一顶戴得住的帽子"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="lesson-studio-ui-")
    env = {**os.environ, "LESSON_STUDIO_DATA_DIR": data_dir}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true", f"--server.port={port}",
         "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
            )
            page = browser.new_page(viewport={"width": 1280, "height": 1800}, accept_downloads=True)
            started = time.monotonic()
            for _ in range(120):
                try:
                    page.goto(f"http://127.0.0.1:{port}/", timeout=5000)
                    break
                except Exception:
                    time.sleep(0.5)
            # A fresh installation: the only page is the one-time set-up of the first admin.
            page.get_by_text("初始设置").first.wait_for(timeout=120_000)
            page.get_by_label("用户名").fill("张园长")
            page.get_by_label("密码", exact=True).fill("bench-password-1")
            page.get_by_label("再输一次密码").fill("bench-password-1")
            page.get_by_role("button", name="创建管理员并登录").click()
            page.get_by_label("用一句话描述活动").fill(SENTENCE, timeout=120_000)
            print(f"app ready (first start incl. starter library): {time.monotonic() - started:.1f}s")
            page.get_by_label("用一句话描述活动").press("Enter")
            page.get_by_role("button", name="解析到表单").click()
            page.wait_for_timeout(1500)
            page.screenshot(path=str(args.out / "ui-1-form.png"), full_page=True)
            clicked = time.monotonic()
            page.get_by_role("button", name="生成教案").click()
            page.get_by_text("活动结构（系统确定）").wait_for(timeout=60_000)
            print(f"structure, safety notes and citations visible: {time.monotonic() - clicked:.1f}s after the click")
            page.get_by_text("正在生成").first.wait_for(timeout=60_000)
            page.wait_for_function(
                "() => document.body.innerText.includes('设计意图') || document.body.innerText.includes('【认知】')",
                timeout=args.timeout * 1000,
            )
            print(f"first model content visible (objectives): {time.monotonic() - clicked:.1f}s after the click")
            page.screenshot(path=str(args.out / "ui-2-progress.png"), full_page=True)
            page.get_by_text("已保存到我的教案").wait_for(timeout=args.timeout * 1000)
            print(f"plan complete and saved: {time.monotonic() - clicked:.1f}s after the click")
            page.screenshot(path=str(args.out / "ui-3-plan.png"), full_page=True)
            made = time.monotonic()
            page.get_by_role("button", name="生成 Word 教案").click()
            page.get_by_role("button", name="下载 Word 教案").wait_for(timeout=60_000)
            print(f"Word file made on request: {time.monotonic() - made:.1f}s")
            with page.expect_download() as download:
                page.get_by_role("button", name="下载 Word 教案").click()
            target = args.out / download.value.suggested_filename
            download.value.save_as(str(target))
            print(f"downloaded {target.name}: {target.stat().st_size} bytes")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
