"""The app as a ZenML deployment: provisioned by `serve`, used through its HTTP API, the Gradio
client and a real browser (Playwright + Chromium), listed by ZenML, and stopped by `stop`."""

import http.client
import json
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file

from signbridge.data.files import read_landmark_file
from tests.clips import empty_scene_clip, not_a_video, person_clip
from tests.conftest import (
    SAMPLE_ROOT,
    cli_json,
    free_port,
    isolated_env,
    run_cli,
    write_config,
)

pytestmark = pytest.mark.slow

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


UPLOAD_LIMIT_MB = 1.0


@pytest.fixture(scope="module")
def app_url(trained_home, tmp_path_factory):
    port = free_port()
    config = write_config(
        "configs/deploy.yaml", tmp_path_factory.mktemp("app") / "deploy.yaml",
        deploy={"app": {"host": "127.0.0.1", "port": port, "max_upload_mb": UPLOAD_LIMIT_MB}},
    )
    started = run_cli("serve", "--config", str(config), home=trained_home)
    assert started.returncode == 0, started.stdout[-2000:] + started.stderr[-4000:]
    status = cli_json(run_cli("status", home=trained_home))
    assert status["healthy"] and status["url"] == f"http://127.0.0.1:{port}"
    assert status["status"] == "running" and status["known_signs"] == ["hello", "thankyou"]
    yield status["url"]
    stopped = run_cli("stop", home=trained_home)
    assert stopped.stdout.strip().endswith("app stopped")
    with socket.socket() as probe:  # nothing is left listening
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def upload(url: str, path) -> tuple[int, dict]:
    """POST a file as multipart form field `video`."""
    boundary = "signbridge-test-boundary"
    content = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"video\"; "
               f"filename=\"{path.name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
               ).encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{url}/api/recognise", content,
        {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=180) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def declare_upload(url: str, size: int) -> tuple[int, dict]:
    """Send the headers of a `size`-byte upload and no body: the server must refuse from the
    declared length alone (curl waits for that with `Expect: 100-continue`; a client that sends
    the whole body may see the connection closed under it)."""
    address = urllib.parse.urlparse(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        connection.putrequest("POST", "/api/recognise")
        connection.putheader("Content-Type", "multipart/form-data; boundary=signbridge")
        connection.putheader("Content-Length", str(size))
        connection.endheaders()
        reply = connection.getresponse()
        return reply.status, json.loads(reply.read())
    finally:
        connection.close()


def as_json_frames(frames: np.ndarray) -> list:
    return [[[None if not np.isfinite(v) else float(v) for v in point] for point in frame]
            for frame in frames]


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
        label, overlay, status, feedback, replay = recognise(app_url, clips[name])
        shown = [c["label"] for c in label["confidences"]]
        assert 1 <= len(shown) <= 2 and set(shown) <= {"hello", "thank you"}, name
        confidences = [c["confidence"] for c in label["confidences"]]
        assert confidences == sorted(confidences, reverse=True)
        assert "Not sure" in status and "no hand was seen" in status, status
        assert "frames" in status and overlay is not None
        assert "Choose a sign" in feedback and replay is None  # practising freely


def test_bad_uploads_get_a_message_and_the_app_keeps_serving(app_url, clips):
    _, _, status, _, _ = recognise(app_url, clips["empty"])
    assert "no person" in status.lower()
    _, _, status, _, _ = recognise(app_url, clips["text"])
    assert "notes.mp4" in status and "video" in status.lower()
    label, *_ = recognise(app_url, clips["person"])
    assert label["confidences"]


def test_browser_learn_then_practice(app_url, clips, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(app_url)
        expect(page.get_by_role("tab", name="Learn")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("knows 2 sign(s): hello, thank you")).to_be_visible()

        # One picker: type the name as a learner writes it, Enter chooses.
        picker = page.get_by_label("Sign", exact=True)
        picker.click()
        picker.press_sequentially("thank you")
        picker.press("Enter")
        expect(page.get_by_text("thank you: 3 example(s)")).to_be_visible(timeout=60_000)
        example = page.get_by_test_id("Example-player")
        expect(example).to_have_attribute("src", re.compile(r"_real\.mp4$"), timeout=60_000)
        # The browser can decode the rendered H.264 clip (metadata and duration loaded).
        page.wait_for_function(
            "el => el.readyState >= 1 && el.duration > 0", arg=example.element_handle(),
            timeout=30_000,
        )
        box = example.bounding_box()
        assert box["y"] + box["height"] <= 640, box  # with its controls, on a 1366x768 screen
        page.get_by_label("Half speed (0.5x)").check()
        expect(example).to_have_attribute("src", re.compile(r"_half\.mp4$"), timeout=60_000)
        for typed, hint, chosen, shown in (
                ("thanks", "Press Enter for thank you", "thank you: 3", "✓ thank you"),
                ("xyzzy", "No sign matches “xyzzy”", "Try another word", "xyzzy")):
            picker.click()
            picker.fill("")  # a re-render under load can undo the selection a click makes
            picker.press_sequentially(typed)
            expect(picker).to_have_value(typed)
            note = page.locator("#learn-note")  # on failure, Playwright shows what it says
            expect(note).to_contain_text(hint, timeout=30_000)
            picker.press("Enter")
            expect(note).to_contain_text(chosen, timeout=30_000)
            # "thank you: 3" was on the page before Enter; the hint gone is Enter's answer
            # arrived, so it cannot land later and overwrite what is typed next.
            expect(page.get_by_text("Press Enter for")).to_be_hidden(timeout=30_000)
            # and the picker shows what Enter left there, so no late re-render of it can land
            # in the middle of the next word typed
            expect(picker).to_have_value(shown, timeout=30_000)
        picker.click()
        picker.press_sequentially("hello")
        picker.press("Enter")
        expect(page.get_by_text("hello: 3 example(s)")).to_be_visible(timeout=60_000)

        page.get_by_role("button", name="Practise this sign").click()
        expect(page.get_by_text("Practising hello")).to_be_visible(timeout=30_000)
        page.locator("input[type=file]").first.set_input_files(str(clips["person"]))
        page.get_by_role("button", name="Recognise").click()
        status = page.locator("#practice-status")
        expect(status).to_contain_text("frames", timeout=120_000)
        # No hands in the clip: never praise, say why, and no comparison to make.
        expect(status).to_contain_text("Not sure this was hello")
        expect(status).not_to_contain_text("Well done")
        expect(page.locator("#practice-feedback")).to_contain_text("No hand was seen")
        labels = page.locator("#top-signs [data-testid$='-confidence-set']")
        assert 1 <= labels.count() <= 2
        page.screenshot(path=str(tmp_path / "practice.png"), full_page=True)
        browser.close()


def camera_feed(clip, path):
    """The clip as raw YUV frames, the file format Chromium's fake camera plays in a loop."""
    import av

    with av.open(str(clip)) as source, av.open(str(path), "w", format="yuv4mpegpipe") as feed:
        stream = feed.add_stream("rawvideo", rate=15)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for frame in source.decode(video=0):
            feed.mux(stream.encode(frame.reformat(width=320, height=240, format="yuv420p")))
        feed.mux(stream.encode())
    return path


def test_live_practice_tracks_a_camera_stream(app_url, tmp_path):
    """Chromium's fake camera plays a clip of a real person: the live tab tracks her frame by
    frame and says plainly that no hands are up yet (the clip has none to sign with)."""
    from playwright.sync_api import expect, sync_playwright

    feed = camera_feed(person_clip(tmp_path / "person.mp4", seconds=2.0, fps=15,
                                   size=(320, 240)), tmp_path / "camera.y4m")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=[
                *CHROMIUM_ARGS, "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={feed}"])
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(app_url)
        page.get_by_role("tab", name="Live").click()
        page.get_by_text("Click to Access Webcam").click()
        page.locator("#live-camera button", has_text="Record").click()
        status = page.locator("#live-status")
        expect(status).to_contain_text("frames", timeout=120_000)  # frames are being tracked
        expect(status).to_contain_text(re.compile(r"No hands seen yet|hands down"))
        expect(page.locator("#live-tracked img")).to_have_count(1)  # the landmarks, drawn live
        frames = int(re.search(r"\((\d+) frames", status.inner_text()).group(1))
        page.wait_for_timeout(3000)
        assert int(re.search(r"\((\d+) frames", status.inner_text()).group(1)) > frames
        page.get_by_role("button", name="Done: recognise a sign still under way").click()
        expect(page.locator("#live-signs")).to_contain_text("No signs yet")
        browser.close()


def test_twenty_concurrent_predictions_are_all_answered_correctly(app_url, clips):
    reference, *_ = recognise(app_url, clips["person"])
    client = Client(app_url, verbose=False)
    jobs = [client.submit(handle_file(str(clips["person"])), api_name="/recognise")
            for _ in range(20)]
    results = [job.result(timeout=300) for job in jobs]
    assert len(results) == 20
    for label, _, status, *_ in results:
        assert label == reference and "frames" in status


def test_http_api_answers_for_a_real_clip_and_refuses_bad_input(app_url, clips):
    status, answer = upload(app_url, clips["person"])
    assert status == 200 and answer["accepted"] is False and answer["model_version"] == "1"
    assert {entry["sign"] for entry in answer["top10"]} <= {"hello", "thankyou"}
    status, answer = upload(app_url, clips["text"])
    assert status == 422 and "notes.mp4: not a video file" in answer["detail"]
    status, answer = declare_upload(app_url, int(UPLOAD_LIMIT_MB * 1_000_000) + 1000)
    assert status == 413 and "limit" in answer["detail"]
    status, answer = post(f"{app_url}/api/landmarks", {"frames": [[0.1, 0.2]]})
    assert status == 422 and "543, 3" in answer["detail"]
    with urllib.request.urlopen(f"{app_url}/health", timeout=10) as reply:
        assert reply.status == 200  # still serving


def test_landmarks_through_the_api_and_the_deployments_invoke_endpoint(app_url):
    frames = as_json_frames(read_landmark_file(
        sorted((SAMPLE_ROOT / "train_landmark_files" / "2044").glob("*.parquet"))[0]))
    status, direct = post(f"{app_url}/api/landmarks", {"frames": frames})
    assert status == 200 and direct["frames"] == len(frames)
    status, invoked = post(f"{app_url}/invoke", {"parameters": {"frames": frames}})
    assert status == 200 and invoked["success"], invoked
    assert invoked["outputs"]["answer"]["top10"] == direct["top10"]  # one model, loaded once
    assert invoked["metadata"]["run_id"]  # /invoke ran the inference pipeline


def test_zenml_lists_the_deployment_running(app_url, trained_home):
    env = {**isolated_env(trained_home), "ZENML_CONFIG_PATH": str(trained_home / "zenml")}
    zenml = Path(sys.executable).with_name("zenml")  # the venv's console script
    listed = subprocess.run([str(zenml), "deployment", "list"],
                            capture_output=True, text=True, timeout=300, env=env)
    assert "signbridge-app" in listed.stdout and "RUNNING" in listed.stdout, listed.stdout
