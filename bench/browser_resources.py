"""The six resource pages beside the lesson plan, in a real browser: one sentence, 解析到表单, generate,
and a screenshot of each finished document — to look at, as a teacher would, before calling the
pages done.

Starts the loopback fake model server (tests/fake_openai_server.py: answers that follow each
section's JSON schema, so the layout is the real one and the words are filler) and `streamlit run
app.py` on free ports with a fresh data folder, drives Debian's Chromium through Playwright, prints
how long each page took and saves bench/out/ui-resources-<kind>.png. For the words of a real model,
read bench/resources.py's output instead.

    python bench/browser_resources.py [--timeout 180]
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
LESSON = "中班 艺术 20分钟 用旧报纸和毛线 让孩子想办法给小熊做一顶戴得住的帽子"
# (sidebar title, sentence): the reflection works on the lesson made first.
PAGES = (
    ("主题活动", "中二班 主题小熊的帽子 下周一开始 两周 小熊的帽子总是被风吹跑 王老师"),
    ("区域材料计划", "中二班 美工区和建构区 下周一开始 两周 主题小熊的帽子 现有纸箱、毛线 王老师"),
    ("观察记录", "12月3日上午 中二班 乐乐在建构区用积木搭桥，倒了三次，第四次在下面垫了长积木 王老师"),
    ("创造力观察清单", "大一班 12月8日 观察小明、小红在建构区搭桥时的表现 李老师"),
    ("活动反思", "孩子们都想给小熊戴帽子，想办法超时了5分钟，没想到乐乐用夹子固定了帽子，下次多准备些夹子"),
    ("家长信", "中二班 12月7日 我们在做小熊的帽子，请家长收集旧毛线和纸盒，王老师"),
)
BACKENDS = """
[[backend]]
id = "fake"
name = "本机假服务器（界面检查用）"
base_url = "http://127.0.0.1:{port}/v1"
model = "fake-model"
key_env_var = ""
retries = 1
max_retry_wait_s = 2

[routes]
generate = ["fake"]
refine = ["fake"]
rubric_fix = ["fake"]
parse = ["fake"]
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    model_port, app_port = free_port(), free_port()
    data_dir = tempfile.mkdtemp(prefix="lesson-studio-ui-")
    backends = Path(data_dir) / "backends.toml"
    backends.write_text(BACKENDS.format(port=model_port), encoding="utf-8")
    env = {
        **os.environ,
        "LESSON_STUDIO_DATA_DIR": data_dir,
        "LESSON_STUDIO_BACKENDS_FILE": str(backends),
        "LESSON_STUDIO_BACKEND": "fake",
    }
    fake = subprocess.Popen(
        [sys.executable, "tests/fake_openai_server.py", "--port", str(model_port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless=true",
            f"--server.port={app_port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    timeout_ms = args.timeout * 1000
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
            )
            page = browser.new_page(viewport={"width": 1280, "height": 1800})
            try:
                walk(page, app_port, timeout_ms, args.out)
            except Exception:
                page.screenshot(path=str(args.out / "ui-resources-failed.png"), full_page=True)
                print("failed; the page said:\n" + page.inner_text("body")[:3000])
                raise
            browser.close()
    finally:
        server.terminate()
        fake.terminate()
        server.wait(timeout=30)
        fake.wait(timeout=30)
    return 0


def settled(page) -> None:  # noqa: ANN001
    """Wait until the app's rerun has finished and the browser shows its result (a click before that
    sends the form as the browser still shows it: a teacher would see the form filled first)."""
    page.wait_for_timeout(800)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(1500)


def walk(page, app_port: int, timeout_ms: float, out: Path) -> None:  # noqa: ANN001
    """Set up the first account, make a lesson plan, then each resource page in turn."""
    for _ in range(120):
        try:
            page.goto(f"http://127.0.0.1:{app_port}/", timeout=5000)
            break
        except Exception:
            time.sleep(0.5)
    page.get_by_text("初始设置").first.wait_for(timeout=timeout_ms)
    page.get_by_label("用户名").fill("王老师")
    page.get_by_label("密码", exact=True).fill("bench-password-1")
    page.get_by_label("再输一次密码").fill("bench-password-1")
    page.get_by_role("button", name="创建管理员并登录").click()
    # A lesson plan first: the reflection page reflects on one of the teacher's plans.
    page.get_by_label("用一句话描述活动").fill(LESSON, timeout=timeout_ms)
    page.get_by_label("用一句话描述活动").press("Enter")  # commit the text before the button's click
    page.get_by_role("button", name="解析到表单").click()
    topic = page.get_by_label("活动主题", exact=False)
    for _ in range(60):  # the form is filled by the rerun the click starts
        if "小熊" in topic.input_value():
            break
        page.wait_for_timeout(500)
    page.get_by_role("button", name="生成教案").click()
    page.get_by_text("已保存到我的教案").wait_for(timeout=timeout_ms)
    page.screenshot(path=str(out / "ui-resources-sidebar.png"))
    for title, sentence in PAGES:
        started = time.monotonic()
        page.get_by_role("link", name=title).click()
        box = page.get_by_label("一句话填表", exact=False)
        box.wait_for(timeout=timeout_ms)
        box.fill(sentence)
        box.press("Enter")
        page.get_by_role("button", name="解析到表单").click()
        settled(page)
        page.get_by_test_id("stFormSubmitButton").last.click()
        page.get_by_role("button", name="下载 Word").first.wait_for(timeout=timeout_ms)
        page.wait_for_timeout(500)
        shot = out / f"ui-resources-{title}.png"
        page.screenshot(path=str(shot), full_page=True)
        errors = page.get_by_test_id("stException").count()
        print(
            f"{title}: document and 下载 Word shown {time.monotonic() - started:.1f}s after opening; "
            f"exceptions on the page: {errors}; {shot.name}"
        )


if __name__ == "__main__":
    sys.exit(main())
