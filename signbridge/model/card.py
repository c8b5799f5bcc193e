"""A model card written with every exported model: data, split, metrics, limits, intended use."""

from datetime import UTC, datetime


def _table(rows: dict[str, object]) -> str:
    lines = ["| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in rows.items()]
    return "\n".join(lines)


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

## Intended use
A **learning aid** for people practising isolated American Sign Language signs (for example,
families of deaf children), and a baseline for ML engineers. It ranks 250 isolated signs from
MediaPipe Holistic landmarks of a single short clip.

**Not** an interpreter: it does not understand sentences, grammar, facial grammar or
fingerspelling, and must not be used to communicate on anyone's behalf or in medical, legal or
educational assessment. **Not** for identifying or tracking people: the landmarks describe a
person's body and face, so do not use them to recognise who is signing.

## Data
Google / PopSign "Isolated Sign Language Recognition" (asl-signs) landmarks: 543 MediaPipe
Holistic landmarks per frame of Deaf signers filmed on phones.

{_table(data)}

The split is **by signer**: no participant appears in more than one of train, validation
(early stopping) and evaluation.

## Evaluation (held-out signers)
{_table(evaluation)}

## When it says "not sure"
{_acceptance(acceptance)}

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


def _acceptance(rule: dict[str, object] | None) -> str:
    if not rule:
        return "No acceptance rule: every answer is given as is."
    return (
        f"Answers rank only the {len(rule['known_signs'])} trained sign(s). An answer is given "
        f"only when the clip has at least {rule['min_frames']} frames, a hand in at least "
        f"{rule['min_hand_frames']}, and the calibrated confidence (temperature "
        f"{rule['temperature']}) among the trained signs is at least {rule['min_confidence']:.0%}; "
        "otherwise the answer is \"not sure\" with the reason. The threshold keeps "
        f"{rule.get('fitted_on', {}).get('keep', 0):.0%} of the validation signers' correctly "
        "recognised sequences.")
