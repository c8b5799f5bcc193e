"""The Gradio practice app: a Learn tab (browse signs, watch examples) and a Practice tab.

Mounted on the deployment's server by `app.server`. Callbacks stay thin: recognition lives in
`signbridge.serving.recognition`, clips in `signbridge.tutor.examples`.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import gradio as gr

from app.state import Service
from signbridge.errors import SignbridgeError
from signbridge.serving.recognition import practice_verdict

logger = logging.getLogger("signbridge.app")

INTRO = """# signbridge — practise ASL signs
**Learn**: find a sign and watch how it is made. **Practice**: record or upload yourself signing
and see whether the model recognises it. A learning aid, not an interpreter.

The model served here knows **{known}**; signs marked ✓ can be checked. For anything else it
answers "not sure" rather than guess."""
KNOWN_MARK = "✓ "


class PracticeApp:
    """The app's behaviour as plain functions, so they can be tested without a browser."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.recogniser = service.recogniser
        self.library = service.library
        self.output_dir = service.output_dir

    def sign_choices(self, signs: list[str]) -> list[tuple[str, str]]:
        """(label, value) pairs; signs the model can check come first, marked ✓."""
        known = set(self.recogniser.known_signs)
        ranked = sorted(signs, key=lambda sign: sign not in known)
        return [(KNOWN_MARK + sign if sign in known else sign, sign) for sign in ranked]

    def search(self, query: str):
        return gr.update(choices=self.sign_choices(self.library.search(query or "")))

    def show_sign(self, sign: str | None):
        """Example clip and a note for the chosen sign."""
        if not sign:
            return None, "Choose a sign to see an example.", gr.update(choices=[], value=None)
        try:
            clips = self.library.examples(sign)
        except SignbridgeError as error:
            return None, f"Problem: {error}", gr.update(choices=[], value=None)
        if not clips:
            return (None, f"No example of **{sign}** in the configured data yet.",
                    gr.update(choices=[], value=None))
        names = [f"Example {i + 1}" for i in range(len(clips))]
        note = f"**{sign}** — {len(clips)} example(s). Then press *Practise this sign*."
        return str(clips[0]), note, gr.update(choices=names, value=names[0])

    def show_example(self, sign: str | None, example: str | None):
        if not sign or not example:
            return gr.update()
        clips = self.library.examples(sign)
        number = example.split()[-1]
        position = int(number) - 1 if number.isdigit() else -1
        return str(clips[position]) if 0 <= position < len(clips) else gr.update()

    def practise(self, sign: str | None):
        if not sign:
            return sign, gr.Tabs(selected="practice"), "Practising freely (no sign chosen)."
        target = f"Practising **{sign}**."
        if sign not in self.recogniser.known_signs:
            target += (f" The served model cannot check **{sign}** yet (it knows "
                       f"{len(self.recogniser.known_signs)} sign(s)); a model trained on the full "
                       "competition data can.")
        return sign, gr.Tabs(selected="practice"), target

    def recognise(self, video: str | None, target: str | None):
        """Top signs, the landmark overlay and a status line; bad input gives a message.

        The top list ranks only the signs the model knows and leaves out rows under 0.5 %; an
        answer the acceptance rule did not accept is shown as "not sure", never praised.
        """
        if not video:
            return {}, None, "Upload or record a video first."
        self._prune_overlays()
        overlay_path = self.output_dir / f"overlay_{uuid.uuid4().hex}.mp4"
        try:
            result = self.service.video(video, Path(video).name)
            from signbridge.tutor.render import overlay_clip

            overlay = overlay_clip(result.video, result.landmarks, overlay_path)
        except SignbridgeError as error:
            # Show the uploaded file's name, not the server's temporary path.
            return {}, None, "Problem: " + str(error).replace(str(video), Path(video).name)
        except Exception:  # the app must keep serving whatever a video does
            logger.exception("Recognition failed for %s", video)
            return {}, None, "Problem: this video could not be processed. Try another recording."
        answer = result.answer
        headline = (f"**{answer.sign}**" if answer.accepted
                    else f"**Not sure.** {answer.reason}")
        status = (f"{headline}\n\nHands seen in {answer.frames_with_hands} of {answer.frames} "
                  f"frames. {practice_verdict(target, answer, self.recogniser.known_signs)}")
        return dict(answer.top), str(overlay), status

    def _prune_overlays(self, keep: int = 32) -> None:
        """Overlays are shown once; keep only the newest few so disk use stays bounded."""
        overlays = sorted(self.output_dir.glob("overlay_*.mp4"), key=lambda p: p.stat().st_mtime)
        for old in overlays[:-keep]:
            old.unlink(missing_ok=True)


def build_app(service: Service) -> gr.Blocks:
    practice = PracticeApp(service)
    signs = practice.sign_choices(practice.library.signs())
    known = practice.recogniser.known_signs
    # Gradio's copies of uploads are deleted hourly once older than an hour.
    with gr.Blocks(title="signbridge — practise ASL signs", delete_cache=(3600, 3600)) as app:
        target = gr.State(None)
        gr.Markdown(INTRO.format(known=f"{len(known)} sign(s): {', '.join(known)}"
                                 if len(known) <= 10 else f"{len(known)} signs"))
        with gr.Tabs() as tabs:
            with gr.Tab("Learn", id="learn"), gr.Row():
                with gr.Column(scale=1):
                    query = gr.Textbox(label="Search signs", placeholder="e.g. hello")
                    sign = gr.Dropdown(choices=signs, value=None, label="Sign",
                                       filterable=True)
                    example_choice = gr.Radio(choices=[], label="Examples")
                    practise_button = gr.Button("Practise this sign", variant="primary")
                with gr.Column(scale=2):
                    example = gr.Video(label="Example", interactive=False, autoplay=True,
                                       loop=True)
                    note = gr.Markdown("Choose a sign to see an example.")
            with gr.Tab("Practice", id="practice"):
                target_note = gr.Markdown("Practising freely (no sign chosen).")
                with gr.Row():
                    with gr.Column():
                        video = gr.Video(label="Your signing", sources=["upload", "webcam"],
                                         format=None, include_audio=True)
                        recognise_button = gr.Button("Recognise", variant="primary")
                    with gr.Column():
                        status = gr.Markdown(elem_id="practice-status")
                        top_signs = gr.Label(num_top_classes=10, label="Signs it knows, ranked",
                                             elem_id="top-signs")
                        overlay = gr.Video(label="Detected landmarks", interactive=False)

        query.change(practice.search, query, sign, api_name=False)
        sign.change(practice.show_sign, sign, [example, note, example_choice], api_name="example")
        example_choice.change(practice.show_example, [sign, example_choice], example,
                              api_name=False)
        practise_button.click(practice.practise, sign, [target, tabs, target_note],
                              api_name=False)
        recognise_button.click(practice.recognise, [video, target], [top_signs, overlay, status],
                               api_name="recognise")
    return app

