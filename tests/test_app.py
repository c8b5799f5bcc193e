"""The served app, through its API (gradio_client) and a real browser (Playwright + Chromium)."""

import json
import re
import signal
import subprocess
import sys
import time

import pytest
from gradio_client import Client, handle_file

from mlops import service
from signbridge.config import PROJECT_ROOT
from tests.clips import empty_scene_clip, not_a_video, person_clip
from tests.conftest import free_port, isolated_env, run_cli, write_config

pytestmark = pytest.mark.slow

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="module")
def app_url(trained_home, tmp_path_factory):
    config = write_config(
        "configs/deploy.yaml", tmp_path_factory.mktemp("app") / "deploy.yaml",
        deploy={"model_name": "signbridge-asl",
                "app": {"host": "127.0.0.1", "port": free_port()}},
    )
    started = run_cli("serve", "--config", str(config), home=trained_home)
    assert started.returncode == 0, started.stdout + started.stderr[-4000:]
    status = json.loads(run_cli("status", home=trained_home).stdout)
    assert status["healthy"] and status["url"].startswith("http://127.0.0.1:")
    yield status["url"]
    stopped = run_cli("stop", home=trained_home)
    assert stopped.stdout.strip() == "app stopped"


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return {
        "person": person_clip(folder / "person.mp4", seconds=1.0, fps=24),
        "webcam": person_clip(folder / "webcam.webm", seconds=1.0, fps=30, codec="libvpx-vp9",
                              container="webm", audio=True),
        "empty": empty_scene_clip(folder / "empty.mp4", seconds=1.0, fps=24),
        "text": not_a_video(folder / "notes.mp4"),
    }


def recognise(url, path):
    client = Client(url, verbose=False)
    return client.predict(handle_file(str(path)), api_name="/recognise")


def test_a_person_without_hands_gets_not_sure_over_the_known_signs(app_url, clips):
    for name in ("person", "webcam"):
        label, overlay, status = recognise(app_url, clips[name])
        shown = [c["label"] for c in label["confidences"]]
        assert 1 <= len(shown) <= 2 and set(shown) <= {"hello", "thankyou"}, name
        confidences = [c["confidence"] for c in label["confidences"]]
        assert confidences == sorted(confidences, reverse=True)
        assert "Not sure" in status and "no hand was seen" in status, status
        assert "frames" in status and overlay is not None


def test_bad_uploads_get_a_message_and_the_app_keeps_serving(app_url, clips):
    _, _, status = recognise(app_url, clips["empty"])
    assert "no person" in status.lower()
    _, _, status = recognise(app_url, clips["text"])
    assert "notes.mp4" in status and "video" in status.lower()
    label, _, _ = recognise(app_url, clips["person"])
    assert label["confidences"]


def test_browser_learn_then_practice(app_url, clips, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(app_url)
        expect(page.get_by_role("tab", name="Learn")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("knows 2 sign(s): hello, thankyou")).to_be_visible()

        page.get_by_label("Search signs").fill("hello")
        page.get_by_label("Sign", exact=True).click()
        page.get_by_role("option", name="✓ hello", exact=True).click()  # ✓: it can check it
        example = page.get_by_test_id("Example-player")
        expect(example).to_have_attribute("src", re.compile(r"\.mp4$"), timeout=60_000)
        # The browser can decode the rendered H.264 clip (metadata and duration loaded).
        page.wait_for_function(
            "el => el.readyState >= 1 && el.duration > 0", arg=example.element_handle(),
            timeout=30_000,
        )
        page.get_by_role("button", name="Practise this sign").click()
        expect(page.get_by_text("Practising hello")).to_be_visible(timeout=30_000)

        page.locator("input[type=file]").first.set_input_files(str(clips["person"]))
        page.get_by_role("button", name="Recognise").click()
        status = page.locator("#practice-status")
        expect(status).to_contain_text("frames", timeout=120_000)
        # No hands in the clip: never praise, say why.
        expect(status).to_contain_text("Not sure this was hello")
        expect(status).not_to_contain_text("Well done")
        labels = page.locator("#top-signs [data-testid$='-confidence-set']")
        assert 1 <= labels.count() <= 2
        page.screenshot(path=str(tmp_path / "practice.png"), full_page=True)
        browser.close()


def test_twenty_concurrent_predictions_are_all_answered_correctly(app_url, clips):
    reference, _, _ = recognise(app_url, clips["person"])
    client = Client(app_url, verbose=False)
    jobs = [client.submit(handle_file(str(clips["person"])), api_name="/recognise")
            for _ in range(20)]
    results = [job.result(timeout=300) for job in jobs]
    assert len(results) == 20
    for label, _, status in results:
        assert label == reference and "frames" in status


def test_upload_over_the_size_limit_is_refused_by_the_server(trained_home, tmp_path):
    exported = run_cli("export", "--out", str(tmp_path / "model"), home=trained_home)
    assert exported.returncode == 0, exported.stderr[-3000:]
    port = free_port()
    config = write_config("configs/deploy.yaml", tmp_path / "deploy.yaml",
                          deploy={"app": {"max_upload_mb": 0.05}})
    big = person_clip(tmp_path / "big.mp4", seconds=1.0, fps=24, size=(1280, 720))
    assert big.stat().st_size > 50_000
    app = subprocess.Popen(
        [sys.executable, "-m", "app.ui", "--model-dir", str(tmp_path / "model"),
         "--config", str(config), "--port", str(port)],
        cwd=PROJECT_ROOT, env=isolated_env(tmp_path / "home"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while not service.healthy(url) and time.monotonic() < deadline:
            time.sleep(1)
        with pytest.raises(Exception, match="(?i)size|large|413"):
            Client(url, verbose=False).predict(handle_file(str(big)), api_name="/recognise")
        assert service.healthy(url)  # still serving
    finally:
        app.send_signal(signal.SIGTERM)
        assert app.wait(timeout=30) == 0  # SIGTERM closes the app cleanly
