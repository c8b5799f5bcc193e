"""The Gradio practice app: a Learn tab (find a sign, watch examples), a Practice tab (record or
upload, see what the model recognises and how the signing compares with a reference) and a Live
tab (sign in front of the camera; each sign is recognised as the hands come down).

Mounted on the deployment's server by `app.server`. Callbacks stay thin: recognition lives in
`signbridge.serving.recognition`, names and search in `signbridge.tutor.names`, clips in
`signbridge.tutor.examples`, feedback in `signbridge.tutor.feedback`.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import gradio as gr
import numpy as np

from app.state import Service
from signbridge.data.landmarks import sign_to_index
from signbridge.errors import SignbridgeError
from signbridge.serving.recognition import VideoAnswer, practice_verdict
from signbridge.tutor.names import readable, resolve, search

logger = logging.getLogger("signbridge.app")

INTRO = """# signbridge — practise ASL signs
**Learn**: find a sign and watch how it is made. **Practice**: record or upload yourself signing;
see what the model recognises and how your signing compares with a reference. A learning aid,
not an interpreter. The model knows **{known}** (marked ✓); for anything else it says "not sure"."""
KNOWN_MARK = "✓ "
NO_MATCH, ENTER_FOR = "No sign matches", "Press Enter for"
SPEEDS = {"Real speed": 1.0, "Half speed (0.5x)": 0.5}
LIVE_FPS = 10  # camera frames sent per second in live practice
LIVE_HELP = ("Press the record button under the camera and allow the camera. Raise your hands, "
             "sign, then lower your hands: each sign is recognised when your hands come down, "
             "and listed below with its feedback.")
CAMERA_HELP = ("No camera picture? Allow camera access in your browser (the icon in the address "
               "bar), or upload a clip instead.")
# Each key's hint request carries the page's key count: separate requests can overtake each other
# under load, and the hint for an earlier key must not replace the one for the text now typed.
COUNT_KEYS = "(note, count) => [note, (window.signbridgeKeys = (window.signbridgeKeys || 0) + 1)]"
SELECT_TEXT = """() => { const box = document.activeElement;
    if (!box || !box.select) return;
    box.select();  // and keep the click that focused it from putting a caret there instead
    box.addEventListener("mouseup", (event) => event.preventDefault(), { once: true }); }"""
# On a narrow screen the columns stack: show the example first, the controls under it.
CSS = """
@media (max-width: 768px) { #learn-example { order: -1; } }
"""


class LatestKeys:
    """Per browser session, the highest key count answered so far: answers run one at a time, so
    a request that arrives after a later key's was answered is stale."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}

    def newest(self, session: str, count: float | None) -> bool:
        """Whether the key numbered `count` is later than any answered (always, if unnumbered)."""
        if count is None:
            return True
        if count <= self.seen.get(session, 0):
            return False
        self.seen[session] = count
        return True

    def forget(self, session: str) -> None:
        self.seen.pop(session, None)


class PracticeApp:
    """The app's behaviour as plain functions, so they can be tested without a browser."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.recogniser = service.recogniser
        self.library = service.library
        self.output_dir = service.output_dir
        self.live_sessions: dict = {}  # browser session -> LiveSession (its own tracker)
        self.live_signs: dict[str, list[str]] = {}  # browser session -> signs seen, newest first
        self.hint_keys = LatestKeys()  # browser session -> the key whose hint was given last
        self.live_fps = LIVE_FPS
        known = set(self.recogniser.known_signs)
        ranked = sorted(search(""), key=lambda sign: sign not in known)
        # (readable label, sign) pairs; signs the model can check come first, marked ✓.
        self.choices = [((KNOWN_MARK if sign in known else "") + readable(sign), sign)
                        for sign in ranked]

    def hint(self, note: str, key_count: float | None, key_up: gr.KeyUpData,
             request: gr.Request):
        """While typing: where the list shows nothing, say what Enter will choose, or that no
        sign matches (the list matches the names only, search also synonyms and spellings)."""
        if not self.hint_keys.newest(request.session_hash, key_count):
            return gr.update()  # a later key's hint was given already
        if key_up.key in ("Enter", "Tab", "Escape"):  # choosing or leaving: `pick` answers
            return gr.update()
        text = (key_up.input_value or "").strip()
        hinted = note.startswith((NO_MATCH, ENTER_FOR))
        if not text or any(text.lower() in label.lower() for label, _ in self.choices):
            return "Choose a sign to see an example." if hinted else gr.update()
        sign = resolve(text)
        return f"{ENTER_FOR} **{readable(sign)}**." if sign else f"{NO_MATCH} “{text}”."

    def pick(self, text: str | None, speed: str = "Real speed"):
        """The sign a learner picked or typed (Enter): its first example and a note; typed text
        is matched like a search ("thanks" finds thank you)."""
        sign = _chosen(text)
        if not text:
            return gr.update(), None, "Choose a sign to see an example.", _examples(0)
        if sign is None:
            return (gr.update(), None, f"{NO_MATCH} “{text}”. Try another word, such as "
                    "*thanks* or *call on phone*.", _examples(0))
        clip, note, count = self.shown(sign, speed)
        return gr.update(value=sign), clip, note, _examples(count)

    def shown(self, sign: str, speed: str = "Real speed") -> tuple[str | None, str, int]:
        """The first example clip of `sign`, a note about it, and how many examples it has."""
        name = readable(sign)
        try:
            count = self.library.count(sign)
            clip = self.library.example(sign, 0, SPEEDS.get(speed, 1.0)) if count else None
        except SignbridgeError as error:
            return None, f"Problem: {error}", 0
        if not count:
            return None, f"No example of **{name}** in the configured data yet.", 0
        return str(clip), (f"**{name}**: {count} example(s), from different signers. Then "
                           "press *Practise this sign*."), count

    def show_example(self, text: str | None, example: str | None, speed: str = "Real speed"):
        sign = _chosen(text)
        number = (example or "").split()[-1:]
        if not sign or not number or not number[0].isdigit():
            return gr.update()
        try:
            return str(self.library.example(sign, int(number[0]) - 1, SPEEDS.get(speed, 1.0)))
        except SignbridgeError:
            return gr.update()

    def practise(self, text: str | None):
        sign = _chosen(text)
        if not sign:
            return None, gr.Tabs(selected="practice"), "Practising freely (no sign chosen)."
        name = readable(sign)
        target = f"Practising **{name}**."
        if sign not in self.recogniser.known_signs:
            target += (f" The served model cannot check **{name}** yet (it knows "
                       f"{len(self.recogniser.known_signs)} sign(s)); a model trained on the full "
                       "competition data can.")
        if not self.service.references.for_feedback(sign):
            target += " There is no reference performance to compare with yet."
        return sign, gr.Tabs(selected="practice"), target

    def recognise(self, video: str | None, target: str | None):
        """Top signs, the landmark overlay, a status line, feedback against the reference
        performance and a side-by-side replay; bad input gives a message.

        The top list ranks only the signs the model knows and leaves out rows under 0.5 %; an
        answer the acceptance rule did not accept is shown as "not sure", never praised.
        """
        if not video:
            return {}, None, "Upload or record a video first.", "", None
        self._prune()
        overlay_path = self.output_dir / f"overlay_{uuid.uuid4().hex}.mp4"
        try:
            result = self.service.video(video, Path(video).name)
            from signbridge.tutor.render import overlay_clip

            overlay = overlay_clip(result.video, result.landmarks, overlay_path)
        except SignbridgeError as error:
            # Show the uploaded file's name, not the server's temporary path.
            return ({}, None, "Problem: " + str(error).replace(str(video), Path(video).name),
                    "", None)
        except Exception:  # the app must keep serving whatever a video does
            logger.exception("Recognition failed for %s", video)
            return ({}, None, "Problem: this video could not be processed. Try another "
                    "recording.", "", None)
        answer = result.answer
        headline = (f"**{readable(answer.sign)}**" if answer.accepted
                    else f"**Not sure.** {answer.reason}")
        verdict = practice_verdict(target, answer, self.recogniser.known_signs, readable)
        status = (f"{headline}\n\nHands seen in {answer.frames_with_hands} of {answer.frames} "
                  f"frames. {verdict}")
        top = {readable(sign): probability for sign, probability in answer.top}
        feedback, replay = self.feedback(result, target)
        return top, str(overlay), status, feedback, replay

    def feedback(self, result: VideoAnswer, target: str | None) -> tuple[str, str | None]:
        """Similarity and remarks against the reference performances of `target`, and the
        side-by-side replay; a sentence instead when there is nothing to compare."""
        if not target:
            return ("Choose a sign in **Learn** and press *Practise this sign* to compare your "
                    "signing with a reference performance."), None
        from signbridge.tutor.feedback import feedback_for
        from signbridge.tutor.render import replay_clip

        try:
            comparison, references = feedback_for(result.landmarks, target,
                                                  self.service.references,
                                                  result.video.sampled_fps)
            reference = references[comparison.best_reference]
            replay = replay_clip(result.landmarks, reference.landmarks(), comparison.replay,
                                 self.output_dir / f"replay_{uuid.uuid4().hex}.mp4",
                                 learner_aspect=result.video.aspect)
        except SignbridgeError as error:
            message = str(error)
            return f"**No comparison with the reference:** {message[0].upper()}{message[1:]}.", None
        except Exception:
            logger.exception("Feedback failed for %s", target)
            return "**No comparison with the reference:** this clip could not be compared.", None
        remarks = "\n".join(f"- {sentence}" for sentence in comparison.feedback)
        return (f"**Similarity to the reference performance of {readable(target)}: "
                f"{comparison.similarity:.0f} / 100**\n\n{remarks}"), str(replay)

    def live_frame(self, frame, target: str | None, request: gr.Request):
        """One camera frame: the landmarks drawn over it, a status line, and the signs so far
        (each recognised, with feedback, as the hands come down)."""
        if frame is None:
            return None, "Waiting for the camera.", self._live_list(request)
        live = self.live_sessions.get(request.session_hash)
        if live is None:
            from signbridge.serving.live import LiveSession

            live = self.live_sessions[request.session_hash] = LiveSession(self.recogniser)
            self.live_signs[request.session_hash] = []
        result = live.push(frame)
        if result.finished is not None:
            self.live_signs[request.session_hash].insert(0, self._live_entry(result.finished,
                                                                             target))
        from signbridge.tutor.render import draw_landmarks

        return (draw_landmarks(frame, result.landmarks), self._live_status(live, result),
                self._live_list(request))

    def live_stop(self, request: gr.Request):
        """The learner is done: a sign still under way is recognised, the tracker let go."""
        live = self.live_sessions.pop(request.session_hash, None)
        if live is not None and (last := live.finish()) is not None:
            self.live_signs.setdefault(request.session_hash, []).insert(
                0, self._live_entry(last, None))
        return self._live_list(request)

    def forget(self, request: gr.Request) -> None:
        """The page was closed."""
        self.live_sessions.pop(request.session_hash, None)
        self.live_signs.pop(request.session_hash, None)
        self.hint_keys.forget(request.session_hash)

    @staticmethod
    def _live_status(live, result) -> str:
        from signbridge.serving.acceptance import frames_with_hands

        if not np.isfinite(result.landmarks).any():
            return "**No person in view.** Sit so your face, shoulders and hands are in the picture."
        if result.signing:
            return "**Signing...** lower your hands when the sign is done."
        if live.frames_with_hands == 0:
            return ("**No hands seen yet.** Raise your hands into the picture to sign "
                    f"({live.frames_seen} frames, {result.milliseconds:.0f} ms a frame).")
        hands = "hands seen" if frames_with_hands(result.landmarks[None]) else "hands down"
        return (f"Ready: {hands}. Raise your hands and sign ({live.frames_seen} frames, "
                f"{result.milliseconds:.0f} ms a frame).")

    def _live_entry(self, sign, target: str | None) -> str:
        answer = sign.answer
        said = (f"**{readable(answer.sign)}**" if answer.accepted
                else f"**not sure** ({answer.reason})")
        compare_with = answer.sign if answer.accepted else target
        remarks = ""
        if compare_with:
            from signbridge.tutor.feedback import feedback_for

            try:
                comparison, _ = feedback_for(sign.landmarks, compare_with,
                                             self.service.references, fps=self.live_fps)
                remarks = (f" — {comparison.similarity:.0f}/100 like {readable(compare_with)}: "
                           + " ".join(comparison.feedback))
            except SignbridgeError as error:
                remarks = f" — no comparison: {error}"
        return f"{said}, {sign.seconds:.1f} s{remarks}"

    def _live_list(self, request: gr.Request) -> str:
        signs = self.live_signs.get(request.session_hash, [])
        if not signs:
            return "No signs yet."
        return "\n".join(f"{len(signs) - i}. {entry}" for i, entry in enumerate(signs))

    def _prune(self, keep: int = 32) -> None:
        """Overlays and replays are shown once; keep only the newest few of each."""
        for pattern in ("overlay_*.mp4", "replay_*.mp4"):
            shown = sorted(self.output_dir.glob(pattern), key=lambda p: p.stat().st_mtime)
            for old in shown[:-keep]:
                old.unlink(missing_ok=True)


def _chosen(text: str | None) -> str | None:
    """The sign a picker's value names: a label chosen from the list, or typed text resolved."""
    return text if text in sign_to_index() else resolve(text or "")


def _examples(count: int):
    names = [f"Example {i + 1}" for i in range(count)]
    return gr.update(choices=names, value=(names or [None])[0])


def build_app(service: Service) -> gr.Blocks:
    practice = PracticeApp(service)
    known = [readable(sign) for sign in practice.recogniser.known_signs]
    # The page opens on an example of the first sign the model knows.
    first = practice.recogniser.known_signs[0] if known else None
    clip, opening, count = practice.shown(first) if first else (
        None, "Choose a sign to see an example.", 0)
    examples = [f"Example {i + 1}" for i in range(count)]
    # Gradio's copies of uploads are deleted hourly once older than an hour.
    with gr.Blocks(title="signbridge — practise ASL signs", delete_cache=(3600, 3600)) as app:
        target = gr.State(None)
        gr.Markdown(INTRO.format(known=f"{len(known)} sign(s): {', '.join(known)}"
                                 if len(known) <= 10 else f"{len(known)} signs"))
        with gr.Tabs() as tabs:
            with gr.Tab("Learn", id="learn"), gr.Row(equal_height=False):
                with gr.Column(scale=1, min_width=280):
                    sign = gr.Dropdown(choices=practice.choices, value=first, label="Sign",
                                       info="Type to search (e.g. thanks), Enter to choose",
                                       filterable=True, allow_custom_value=True)
                    note = gr.Markdown(opening, elem_id="learn-note")
                    key_count = gr.Number(visible=False)  # filled in by COUNT_KEYS
                    example_choice = gr.Radio(choices=examples, value=(examples or [None])[0],
                                              label="Examples")
                    speed = gr.Radio(list(SPEEDS), value="Real speed", label="Speed")
                    practise_button = gr.Button("Practise this sign", variant="primary")
                with gr.Column(scale=2, min_width=320, elem_id="learn-example"):
                    example = gr.Video(clip, label="Example", interactive=False, autoplay=True,
                                       loop=True, height=440)
            with gr.Tab("Practice", id="practice"):
                target_note = gr.Markdown("Practising freely (no sign chosen).")
                with gr.Row():
                    with gr.Column():
                        video = gr.Video(label="Your signing", sources=["upload", "webcam"],
                                         format=None, include_audio=True, height=360)
                        gr.Markdown(CAMERA_HELP)
                        recognise_button = gr.Button("Recognise", variant="primary")
                    with gr.Column():
                        status = gr.Markdown(elem_id="practice-status")
                        feedback = gr.Markdown(elem_id="practice-feedback")
                        replay = gr.Video(label="You and the reference, time-aligned (half speed)",
                                          interactive=False, autoplay=True, loop=True,
                                          height=300, elem_id="practice-replay")
                        top_signs = gr.Label(num_top_classes=10, label="Signs it knows, ranked",
                                             elem_id="top-signs")
                        overlay = gr.Video(label="Detected landmarks", interactive=False,
                                           height=300)
            with gr.Tab("Live", id="live"):
                gr.Markdown(LIVE_HELP)
                with gr.Row():
                    camera = gr.Image(sources=["webcam"], streaming=True, type="numpy",
                                      label="Camera", height=360, elem_id="live-camera")
                    with gr.Column():
                        tracked = gr.Image(label="What the tracker sees", height=360,
                                           interactive=False, elem_id="live-tracked")
                        live_status = gr.Markdown("Waiting for the camera.",
                                                  elem_id="live-status")
                finish_button = gr.Button("Done: recognise a sign still under way")
                signs_seen = gr.Markdown("No signs yet.", elem_id="live-signs")

        # Clicking the picker selects its text, so typing replaces the sign shown, not extends it.
        sign.focus(None, js=SELECT_TEXT)
        # Every key, in order: "always_last" reruns with the first key's text (Gradio 6.31).
        sign.key_up(practice.hint, [note, key_count], note, js=COUNT_KEYS, api_name=False,
                    show_progress="hidden", trigger_mode="multiple", concurrency_limit=1)
        sign.input(practice.pick, [sign, speed], [sign, example, note, example_choice],
                   api_name="example", show_progress_on=example)
        example_choice.change(practice.show_example, [sign, example_choice, speed], example,
                              api_name=False)
        speed.change(practice.show_example, [sign, example_choice, speed], example,
                     api_name=False)
        practise_button.click(practice.practise, sign, [target, tabs, target_note],
                              api_name=False)
        recognise_button.click(practice.recognise, [video, target],
                               [top_signs, overlay, status, feedback, replay],
                               api_name="recognise")
        camera.stream(practice.live_frame, [camera, target], [tracked, live_status, signs_seen],
                      stream_every=1 / LIVE_FPS, time_limit=300, concurrency_limit=4,
                      api_name=False, show_progress="hidden")
        finish_button.click(practice.live_stop, None, signs_seen, api_name=False)
        app.unload(practice.forget)
    return app
