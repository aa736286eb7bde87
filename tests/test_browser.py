"""Real-browser checks: `streamlit run app.py` on 127.0.0.1, driven by Debian's Chromium through
Playwright (never a downloaded browser; .ci/run installs chromium).

- a fresh installation opens on the set-up page, and the admin made there is signed in;
- a plan, library passages, citations, user names and template names that carry remote images
  and links are shown as text: the browser never requests anything outside 127.0.0.1.

Screenshots go to $LESSON_STUDIO_SCREENSHOTS when set (to look at), else to the test's tmp folder;
the lead's walk also keeps small copies in docs/screenshots for the README (refreshed with
LESSON_STUDIO_UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sample_plans import sample_plan

from lesson_studio.config import Settings
from lesson_studio.models import Citation
from lesson_studio.studio import Studio

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "bear-hat-2026"
REMOTE = "http://203.0.113.9"  # TEST-NET-3: never a real host
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _browser_or_skip():  # type: ignore[no-untyped-def]
    reason = ""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "playwright is not installed"
    if not reason and not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("LESSON_STUDIO_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _serve(data_dir: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "LESSON_STUDIO_DATA_DIR": str(data_dir), "LESSON_STUDIO_STARTER_LIBRARY": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true", f"--server.port={port}",
         "--server.address=127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture
def browser_page(request):  # type: ignore[no-untyped-def]
    sync_playwright = _browser_or_skip()
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        page.on("request", lambda req: requests.append(req.url))
        page.set_default_timeout(60_000)
        yield page, requests
        browser.close()


def _sign_in(page, url: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for()


def _open(page, title: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("link", name=title).first.click()
    page.wait_for_timeout(500)
    page.get_by_role("heading", name=title).first.wait_for()


def _outside(requests: list[str]) -> list[str]:
    return [url for url in requests if urlparse(url).hostname not in LOCAL_HOSTS and not url.startswith(("data:", "blob:"))]


def test_a_fresh_installation_opens_on_set_up_and_signs_the_new_admin_in(tmp_path, browser_page, shots):
    page, requests = browser_page
    for url in _serve(tmp_path / "data"):
        page.goto(url)
        page.get_by_text("初始设置").first.wait_for()
        assert page.get_by_role("link", name="新建教案").count() == 0  # nothing else before sign-in
        page.screenshot(path=str(shots / "setup-1-fresh.png"), full_page=True)
        page.get_by_label("用户名").fill("boss")
        page.get_by_label("显示名（如：王老师）").fill("张园长")
        page.get_by_label("密码", exact=True).fill(PASSWORD)
        page.get_by_label("再输一次密码").fill(PASSWORD)
        page.get_by_role("button", name="创建管理员并登录").click()
        page.get_by_text("张园长（管理员）").wait_for()
        page.get_by_role("link", name="账号与角色").first.wait_for()
        page.screenshot(path=str(shots / "setup-2-signed-in.png"), full_page=True)
    assert _outside(requests) == []


def _seed_untrusted(data_dir: Path) -> None:
    """Everything a viewer's browser could be made to fetch: in a plan, a citation, a library
    passage, a user's name and a template's name."""
    studio = Studio(Settings(data_dir=data_dir, starter_library=False))
    admin = studio.accounts.create_first_admin("boss", PASSWORD, display_name="张园长")
    teacher = studio.accounts.add_user(admin, "wang", password=PASSWORD, display_name="王老师", must_change_password=False)
    studio.accounts.add_user(
        admin, "pic", password=PASSWORD, display_name=f"![me]({REMOTE}/name.png?who=admin)", must_change_password=False
    )
    lead = studio.accounts.add_user(admin, "zhao", role="lead", password=PASSWORD, must_change_password=False)
    plan = sample_plan()
    steps = list(plan.steps)
    steps[0] = steps[0].model_copy(update={"teacher": f'<img src="{REMOTE}/step.png"> 小朋友们看这里'})
    plan = plan.model_copy(
        update={
            "design_intent": f"![x]({REMOTE}/intent.png?notes=幼儿观察记录) 设计意图原文",
            "key_point": f"[点这里]({REMOTE}/?q=重点)",
            "steps": steps,
            "citations": [
                Citation(
                    number=1,
                    chunk_id="d:1:0",
                    document_id="d",
                    document_title=f"![t]({REMOTE}/title.png)",
                    heading=f"<img src={REMOTE}/heading.png>",
                )
            ],
        }
    )
    studio.store.save_version(teacher, plan)
    source = data_dir / "外来资料.md"
    source.write_text(
        f"# ![h]({REMOTE}/doc-heading.png) 纸桥\n\n孩子们用纸搭桥 ![p]({REMOTE}/passage.png?x=1) 并比较哪座桥更结实。\n",
        encoding="utf-8",
    )
    studio.library.ingest(lead, [source])
    studio.library.wait_for_embeddings(lead, timeout_s=300)
    studio.templates.upload(
        lead, name=f"![n]({REMOTE}/n.png)", data=(ROOT / "resources/templates/starter_school_template.docx").read_bytes()
    )
    studio.library.close()


def test_untrusted_text_never_makes_the_browser_leave_127_0_0_1(tmp_path, browser_page, shots):
    page, requests = browser_page
    data_dir = tmp_path / "data"
    _seed_untrusted(data_dir)
    for url in _serve(data_dir):
        _sign_in(page, url, "wang")
        _open(page, "我的教案")
        page.get_by_text("设计意图原文").wait_for()
        body = page.inner_text("body")
        assert f"![x]({REMOTE}/intent.png" in body  # shown as the characters the model wrote
        page.screenshot(path=str(shots / "untrusted-1-plan.png"), full_page=True)
        _open(page, "课程资源库")
        page.get_by_label("搜索资源库").fill("纸桥 结实")
        page.get_by_label("搜索资源库").press("Enter")
        page.get_by_text("并比较哪座桥更结实").first.wait_for()
        page.screenshot(path=str(shots / "untrusted-2-library.png"), full_page=True)
        _open(page, "学校模板")
        page.get_by_text(f"![n]({REMOTE}/n.png)").first.wait_for()
        page.screenshot(path=str(shots / "untrusted-3-templates.png"), full_page=True)
        page.get_by_role("button", name="退出登录").click()
        _sign_in(page, url, "boss")
        _open(page, "账号与角色")
        page.get_by_text(f"![me]({REMOTE}/name.png?who=admin)").first.wait_for()
        page.screenshot(path=str(shots / "untrusted-4-accounts.png"), full_page=True)
    assert _outside(requests) == []
    assert any(urlparse(url).hostname == "127.0.0.1" for url in requests)  # the recorder saw the app itself
    if os.environ.get("LESSON_STUDIO_SCREENSHOTS") is None:
        shutil.rmtree(shots, ignore_errors=True)


# --- the lead's walk: upload -> hit test -> approve ----------------------------------------------

SCREENSHOTS_DIR = ROOT / "docs" / "screenshots"
LEAD_FILES = {
    "纸桥承重.md": "<!-- tags: resource_type=活动案例 -->\n# 纸桥承重\n\n## 玩法\n\n孩子们用一张纸搭桥，往桥上一枚一枚地放硬币，"
    "看看纸桥能承受多少硬币。\n\n## 想办法\n\n把纸折一折、卷一卷，试试哪种形状的纸桥更结实。\n",
    "观察蚂蚁.md": "# 观察蚂蚁\n\n在户外找到蚂蚁的家，用放大镜观察蚂蚁怎样搬运食物，并画下来。\n",
}


def _seed_review(data_dir: Path) -> None:
    """An admin, a lead and a teacher whose plan waits for review."""
    studio = Studio(Settings(data_dir=data_dir, starter_library=False))
    admin = studio.accounts.create_first_admin("boss", PASSWORD, display_name="张园长")
    teacher = studio.accounts.add_user(admin, "wang", password=PASSWORD, display_name="王老师", must_change_password=False)
    studio.accounts.add_user(admin, "zhao", role="lead", password=PASSWORD, display_name="赵组长", must_change_password=False)
    version = studio.store.save_version(teacher, sample_plan())
    studio.reviews.submit(teacher, version.draft_id, version.id)


def _shot(page, shots: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    """A screenshot in the test's folder, and a small copy (64 colours) in docs/screenshots for the
    README: made when it is missing, or on LESSON_STUDIO_UPDATE_SCREENSHOTS=1 (each run's dates
    differ, and a test run must not leave the checkout changed)."""
    from PIL import Image  # Streamlit's own dependency

    page.get_by_test_id("stStatusWidget").wait_for(state="hidden")  # the script run has finished
    path = shots / name
    page.screenshot(path=str(path), full_page=False)
    kept = SCREENSHOTS_DIR / name
    if kept.exists() and os.environ.get("LESSON_STUDIO_UPDATE_SCREENSHOTS") != "1":
        return
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=64).save(kept, optimize=True)


def test_a_lead_uploads_tests_retrieval_and_approves_a_plan(tmp_path, browser_page, shots):
    page, requests = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    data_dir = tmp_path / "data"
    _seed_review(data_dir)
    files = tmp_path / "files"
    files.mkdir()
    for name, text in LEAD_FILES.items():
        (files / name).write_text(text, encoding="utf-8")
    (files / "旧教案.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    for url in _serve(data_dir):
        _sign_in(page, url, "zhao")
        _open(page, "资源库管理")
        page.locator("input[type=file]").set_input_files([str(path) for path in sorted(files.iterdir())])
        page.get_by_text("观察蚂蚁.md", exact=False).first.wait_for()  # the uploader lists the chosen files
        page.get_by_label("领域 domain").first.click()
        page.get_by_role("option", name="科学").click()
        page.get_by_role("button", name="上传并导入").click()
        # Refused with the reason; the others reach dense vectors while the page stays usable.
        page.get_by_text("请在 Word 或 WPS 中").first.wait_for()
        page.get_by_text("纸桥承重.md · 完成").wait_for(timeout=180_000)
        page.get_by_text("观察蚂蚁.md · 完成").wait_for(timeout=180_000)
        _shot(page, shots, "lead-1-upload.png")
        page.get_by_role("tab", name="资料列表").click()
        page.get_by_text("显示 2 份，共 2 份").wait_for()
        _shot(page, shots, "lead-2-list.png")
        page.get_by_role("tab", name="资料详情").click()
        page.get_by_label("资料", exact=True).click()
        page.get_by_role("option", name="纸桥承重（纸桥承重.md · 可检索）").click()
        page.get_by_text("分段（2 段）").wait_for()
        page.wait_for_timeout(500)
        _shot(page, shots, "lead-3-document.png")

        _open(page, "检索测试")
        page.get_by_label("检索问题").fill("纸桥能承受多少硬币")
        page.get_by_role("button", name="检索", exact=True).click()
        page.get_by_text("这个问题应该找到的资料").wait_for()
        page.get_by_role("button", name="保存问题和期望的资料").click()
        page.get_by_text("已保存：以后每次打开本页都会重新检验").wait_for()
        page.get_by_text("1 / 1").wait_for()  # the saved question finds its passage in the top 5
        _shot(page, shots, "lead-4-hit-test.png")

        _open(page, "教案审核")
        page.get_by_text("大班科学：给小鸭搭座桥").first.wait_for()
        _shot(page, shots, "lead-5-review.png")
        page.get_by_role("button", name="通过并收入资源库").click()
        page.get_by_text("已收入资源库（精品教案）").wait_for(timeout=120_000)
        _shot(page, shots, "lead-6-approved.png")
    assert _outside(requests) == []
