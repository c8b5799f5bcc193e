"""A model card written with every exported or imported model: data, split, metrics, limits,
intended use."""

from datetime import UTC, datetime

from signbridge.model.evaluation import summary_lines
from signbridge.serving.acceptance import raised_confidence

INTENDED_USE = """## Intended use
A **learning aid** for people practising isolated American Sign Language signs (for example,
families of deaf children), and a baseline for ML engineers. It ranks 250 isolated signs from
MediaPipe Holistic landmarks of a single short clip.

**Not** an interpreter: it does not understand sentences, grammar, facial grammar or
fingerspelling, and must not be used to communicate on anyone's behalf or in medical, legal or
educational assessment. **Not** for identifying or tracking people: the landmarks describe a
person's body and face, so do not use them to recognise who is signing."""


def _table(rows: dict[str, object]) -> str:
    lines = ["| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in rows.items()]
    return "\n".join(lines)


def _in_words(metrics: dict[str, float]) -> str:
    """The headline shares with their counts and 95 % intervals (empty if there are none)."""
    if "top1_accuracy" not in metrics:
        return ""
    lines = "\n".join(f"- {line}" for line in summary_lines(metrics))
    return ("In words, each share with its count and 95 % interval (where the true rate may lie, "
            f"given how many sequences were judged):\n{lines}")


def render_model_card(
    name: str,
    data: dict[str, object],
    metrics: dict[str, float],
    export: dict[str, object],
    settings: dict[str, object],
    trained_signs: list[str],
    acceptance: dict[str, object] | None = None,
) -> str:
    """Markdown model card; `data` holds the ingestion summary (root, signers, counts)."""
    shown = ", ".join(f"`{sign}`" for sign in trained_signs[:10])
    more = f" and {len(trained_signs) - 10} more" if len(trained_signs) > 10 else ""
    evaluation = {k: f"{v:.4f}" if isinstance(v, float) else v for k, v in metrics.items()}
    return f"""# Model card: {name}

Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by the signbridge training pipeline.

{INTENDED_USE}

## Data
Google / PopSign "Isolated Sign Language Recognition" (asl-signs) landmarks: 543 MediaPipe
Holistic landmarks per frame of Deaf signers filmed on phones.

{_table(data)}

The split is **by signer**: no participant appears in more than one of train, validation
(early stopping) and evaluation.

## Evaluation (held-out signers)
{_table(evaluation)}

{_in_words(metrics)}

## When it says "not sure"
{acceptance_text(acceptance)}

## Export
TFLite, signature `serving_default`, input `inputs` float32 `[n_frames, 543, 3]` (raw frames, NaN
allowed), output `outputs` float32 `[250]`; preprocessing is inside the model.

{_table(export)}

## Training settings
{_table(settings)}

## Limits
- Trained on {len(trained_signs)} of the 250 signs ({shown}{more}); outputs for the other
  {250 - len(trained_signs)} signs were never trained and mean nothing: answers rank only the
  trained signs, and a clip of any other sign should be answered "not sure".
- Landmark quality depends on MediaPipe: poor light, hands out of frame or occlusion lower accuracy;
  the app reports how many frames had hands.
- Signers in the data are adults filmed on phones; other ages, camera angles or signing styles may
  be recognised less well. Accuracy on unseen signers is the number above, measured on few signers.
"""


def acceptance_text(rule: dict[str, object] | None) -> str:
    if not rule:
        return "No acceptance rule: every answer is given as is."
    fitted_on = rule.get("fitted_on", {})
    kept = f"{fitted_on.get('keep', 0):.0%} of the validation signers' correctly recognised sequences"
    if fitted_on.get("fixed"):
        confidence = "confidence among the trained signs"
        alone = " (by the confidence alone)" if rule.get("handshape_weight") else ""
        threshold = (f"The threshold was chosen by leave-signers-out cross-validation; on this "
                     f"run's validation signers it keeps{alone} {kept}.")
    else:
        confidence = (f"calibrated confidence (temperature {rule['temperature']}) among the "
                      "trained signs")
        threshold = f"The threshold keeps {kept}."
    checks = ""
    if rule.get("max_handshape_distance") is not None:
        scale = fitted_on.get("handshape_scale", 1.0)
        scaled = f"{scale:g} times the distance reached by" if scale != 1.0 else "as in"
        descriptor = rule.get("handshape_descriptor") or (rule.get("handshapes") or {}).get(
            "descriptor")
        measured = ("distance of the clip's average joint angles in space (with depth)"
                    if descriptor == "clip-3d" else
                    "median distance over the frames")
        checks += (
            " The signing hand's shape must also be near the trained signs' handshapes ("
            f"{measured} at most {rule['max_handshape_distance']:.2f}, {scaled} "
            f"{fitted_on.get('handshape_quantile', 0):.0%} of trained-sign clips of signers the "
            "comparison left out).")
        if rule.get("handshape_weight"):
            floor = float(rule["min_confidence"])
            at_limit = raised_confidence(floor, float(rule["handshape_weight"]))
            checks += (
                f" The confidence needed rises with that distance: {floor:.0%} for a hand shaped "
                f"like the trained signs', {at_limit:.0%} at the limit.")
            unmeasured = rule.get("unmeasured_confidence")
            checks += (f" A hand whose shape could not be measured needs "
                       f"{at_limit if unmeasured is None else unmeasured:.0%}.")
    if rule.get("min_known_share"):
        checks += (
            f" At least {rule['min_known_share']:.0%} of the model's output must fall on the "
            "trained signs together (it was taught to spread its answer over all 250 signs for "
            "changed copies of them).")
    return (
        f"Answers rank only the {len(rule['known_signs'])} trained sign(s). An answer is given "
        f"only when the clip has at least {rule['min_frames']} frames, a hand in at least "
        f"{rule['min_hand_frames']}, and the {confidence} is at least "
        f"{rule['min_confidence']:.0%}; otherwise the answer is \"not sure\" with the reason. "
        f"{threshold}{checks}")


def render_imported_card(
    name: str,
    source: dict[str, object],
    contract: dict[str, object],
    data: dict[str, object],
    metrics: dict[str, float],
    acceptance: dict[str, object],
) -> str:
    """Markdown model card of a model trained elsewhere: where it came from (`source`: file,
    sha256, labels), the contract check, and its figures on this project's held-out signers."""
    evaluation = {k: f"{v:.4f}" if isinstance(v, float) else v for k, v in metrics.items()}
    return f"""# Model card: {name} (imported)

Imported {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `run_pipeline.py import-model`. This project did
**not** train this model: its architecture, training data and training settings are whatever its
authors used; only the file below was checked and measured here.

{INTENDED_USE}

## Where it came from
{_table(source)}

## Competition contract (checked on import)
Signature `serving_default`, input `inputs` float32 `[n_frames, 543, 3]` (raw frames, NaN where a
part was not detected), output `outputs` float32 `[250]` in the order of
`sign_to_prediction_index_map.json`; finite answers on real sequences from `data/sample`, as
recorded and with the left hand, the right hand or the face missing throughout.
`outputs` = logits means the serving code applies a softmax.

{_table(contract)}

## Evaluation (this project's held-out signers)
The same signers and sequences as the models trained here with this data and split
(`evaluation_fingerprint`), run through TFLite with all 543 landmark rows. `tflite/eval_top1` is
what the deployment gate compares: the project's cached held-out shards keep only the 148 rows its
own models may read (pose upper body, hands, lips, eyes, nose), so a model that reads other face
points sees none there.
If the model was trained on the full competition data, these signers may have been in its
training set: treat the figures as an upper bound, not as accuracy on new signers.

{_table(data)}

{_table(evaluation)}

## When it says "not sure"
{acceptance_text(acceptance)}

## Limits
- It ranks all 250 competition signs; a sign outside them gets the nearest of the 250, which the
  calibrated confidence should turn into "not sure", but nothing here taught it that.
- Landmark quality depends on MediaPipe: poor light, hands out of frame or occlusion lower accuracy;
  the app reports how many frames had hands.
- Video is sampled to `max_frames` evenly spaced frames before the model sees it.
"""
