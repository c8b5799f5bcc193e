"""The competition contract a `.tflite` trained elsewhere must keep before it is imported.

Checked with the TFLite runtime alone (no TensorFlow), in order, stopping at the first failure
with a one-line reason:

1. the file is a TFLite flatbuffer (not empty, not another format, not truncated);
2. it has the signature `serving_default` with one input `inputs`, float32 `[n, 543, 3]`, and an
   output `outputs`, float32 `[250]`;
3. it answers 250 finite values on real sequences from `data/sample`: as recorded (one-handed
   signs miss a hand in every frame) and with the left hand, the right hand or the face missing
   throughout (the project's held-out shards carry no face rows, and a camera may miss it).

Whether the answers are probabilities or logits is found here and travels in the package.
A labels file, if given, must name the competition's 250 signs in the competition's order:
models are compared output by output in that order (`sign_to_prediction_index_map.json`).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from signbridge.config import PROJECT_ROOT
from signbridge.data.landmarks import NUM_SIGNS, PART_SIZES, PART_START, ROWS_PER_FRAME, index_to_sign
from signbridge.errors import SignbridgeError, first_line
from signbridge.serving.classifier import INPUT_NAME, OUTPUT_NAME, SIGNATURE

TFLITE_IDENTIFIER = b"TFL3"  # the flatbuffer file identifier, bytes 4-8 of every .tflite
PROBE_ROOT = PROJECT_ROOT / "data" / "sample"
CONTRACT = (f"signature `{SIGNATURE}`, input `{INPUT_NAME}` float32 [n, {ROWS_PER_FRAME}, 3], "
            f"output `{OUTPUT_NAME}` float32 [{NUM_SIGNS}]")
PART_NAMES = {"face": "face", "left_hand": "left hand", "pose": "pose", "right_hand": "right hand"}


class ContractError(SignbridgeError):
    """A model (or its labels file) that does not keep the competition contract."""


@dataclass
class Probe:
    """A real landmark sequence the model must answer, and how to name it in a refusal."""

    name: str
    frames: np.ndarray  # raw [n, 543, 3]


@dataclass
class ContractReport:
    outputs: str  # "probabilities" (sum to 1) or "logits" (softmax is applied when serving)
    input_shape: list[int]  # as declared; -1 for any number of frames
    size_bytes: int
    probes: int
    latency_ms: float  # median over the probes, one thread

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class CheckedModel:
    model: bytes
    labels: list[str]  # output index -> sign: the competition's order
    report: ContractReport


def check_model_file(model_file: str | Path, labels_file: str | Path | None = None) -> CheckedModel:
    """Everything checked before a model trained elsewhere is registered: its labels file (if
    any), then the model file against the contract on real sequences from `data/sample`."""
    path = Path(model_file)
    if not path.is_file():
        raise ContractError(f"{model_file}: file not found")
    labels = read_competition_labels(labels_file) if labels_file else list(index_to_sign())
    model = path.read_bytes()
    return CheckedModel(model, labels, check_contract(model, str(model_file), real_probes()))


def check_contract(model: bytes, source: str, probes: list[Probe]) -> ContractReport:
    """Check `model` (the bytes of `source`) against the competition contract; raise
    ContractError with a one-line reason naming `source` at the first failure."""
    runner = _signature_runner(model, source)
    inputs, outputs = runner.get_input_details(), runner.get_output_details()
    if list(inputs) != [INPUT_NAME] or OUTPUT_NAME not in outputs:
        raise ContractError(f"{source}: signature `{SIGNATURE}` takes {sorted(inputs)} and "
                            f"answers {sorted(outputs)}; the competition contract is {CONTRACT}")
    declared = [int(n) for n in inputs[INPUT_NAME]["shape_signature"]]
    if inputs[INPUT_NAME]["dtype"] != np.float32 or len(declared) != 3 or declared[1:] != [
            ROWS_PER_FRAME, 3]:
        raise ContractError(f"{source}: input `{INPUT_NAME}` is "
                            f"{_describe(inputs[INPUT_NAME])}; the competition contract is "
                            f"float32 [n, {ROWS_PER_FRAME}, 3] (raw frames, NaN allowed)")
    answer = outputs[OUTPUT_NAME]
    if answer["dtype"] != np.float32 or [int(n) for n in answer["shape_signature"]] not in (
            [NUM_SIGNS], [-1]):
        raise ContractError(f"{source}: output `{OUTPUT_NAME}` is {_describe(answer)}; the "
                            f"competition contract is float32 [{NUM_SIGNS}], one score per sign")
    if not probes:
        raise SignbridgeError("the contract check needs at least one real sequence")
    answers, timings = [], []
    for probe in probes:
        start = time.perf_counter()
        try:
            output = np.asarray(runner(**{INPUT_NAME: probe.frames})[OUTPUT_NAME])
        except (RuntimeError, ValueError) as error:
            raise ContractError(f"{source}: fails on {probe.name} ({first_line(error)})") from error
        timings.append((time.perf_counter() - start) * 1000)
        if output.shape != (NUM_SIGNS,):
            raise ContractError(f"{source}: answers shape {list(output.shape)} on {probe.name}; "
                                f"the competition contract is [{NUM_SIGNS}]")
        if not np.isfinite(output).all():
            missing = _missing_parts(probe.frames)
            what = "when a body part is missing" if missing else "on a real sequence"
            raise ContractError(f"{source}: returns NaN {what} ({probe.name}"
                                f"{': ' + missing if missing else ''}); undetected parts arrive "
                                "as NaN, so the model must handle them")
        answers.append(output)
    scores = np.stack(answers)
    sums_to_one = (scores.min() >= -1e-6 and scores.max() <= 1 + 1e-6
                   and np.abs(scores.sum(axis=1) - 1).max() <= 1e-3)
    return ContractReport("probabilities" if sums_to_one else "logits", declared, len(model),
                          len(probes), round(float(np.median(timings)), 3))


def _signature_runner(model: bytes, source: str):
    from ai_edge_litert.interpreter import Interpreter

    if not model:
        raise ContractError(f"{source}: empty file")
    if model[4:8] != TFLITE_IDENTIFIER:
        raise ContractError(f"{source}: not a TFLite model (a .tflite file is a flatbuffer "
                            f"marked {TFLITE_IDENTIFIER.decode()}; this one starts with "
                            f"{model[:8]!r})")
    try:
        interpreter = Interpreter(model_content=model, num_threads=1)
    except (ValueError, RuntimeError) as error:
        raise ContractError(f"{source}: damaged TFLite file, truncated or corrupted "
                            f"({first_line(error)}); copy or export it again") from error
    signatures = interpreter.get_signature_list()
    if SIGNATURE not in signatures:
        found = ", ".join(f"`{name}`" for name in signatures) or "none"
        raise ContractError(f"{source}: no signature `{SIGNATURE}` (signatures: {found}); the "
                            f"competition contract is {CONTRACT}")
    return interpreter.get_signature_runner(SIGNATURE)


def _describe(details: dict) -> str:
    shape = ", ".join("n" if n < 0 else str(n) for n in details["shape_signature"])
    return f"{np.dtype(details['dtype']).name} [{shape}]"


def _missing_parts(frames: np.ndarray, anywhere: bool = True) -> str:
    """Which body parts are missing in how many frames ('left hand missing in 6 of 6 frames');
    with `anywhere=False`, only parts missing in every frame count."""
    missing = []
    for part, size in PART_SIZES.items():
        rows = frames[:, PART_START[part]:PART_START[part] + size, 0]
        absent = int((~np.isfinite(rows).any(axis=1)).sum())
        if absent and (anywhere or absent == len(frames)):
            missing.append(f"{PART_NAMES[part]} missing in {absent} of {len(frames)} frames")
    return ", ".join(missing)


def real_probes(root: Path = PROBE_ROOT, count: int = 3) -> list[Probe]:
    """The first `count` real sequences as recorded, then the first one where every part shows
    with its left hand, its right hand and its face removed in every frame."""
    from signbridge.data.files import read_index, read_landmark_file

    probes, complete = [], None
    for path in read_index(root)["path"]:
        name, frames = _shown(Path(path)), read_landmark_file(path)
        if len(probes) < count:
            probes.append(Probe(f"{name} as recorded", frames))
        if complete is None and not _missing_parts(frames, anywhere=False):
            complete = name, frames
        if len(probes) == count and complete is not None:
            break
    if complete is not None:
        name, frames = complete
        for part in ("left_hand", "right_hand", "face"):
            without = frames.copy()
            without[:, PART_START[part]:PART_START[part] + PART_SIZES[part]] = np.nan
            probes.append(Probe(f"{name} with the {PART_NAMES[part]} removed", without))
    return probes


def _shown(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path)


def read_competition_labels(path: str | Path) -> list[str]:
    """A labels file of an imported model, as output index -> sign. Accepts this project's
    `labels.json` ({"0": "TV", ...}), the competition's `sign_to_prediction_index_map.json`
    ({"TV": 0, ...}) or a JSON list; it must be the competition's 250 signs in its order."""
    path = Path(path)
    try:
        content = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ContractError(f"{path}: not a readable JSON labels file ({first_line(error)})") from error
    labels = _labels_in_order(content, path)
    competition = list(index_to_sign())
    if len(labels) != NUM_SIGNS:
        raise ContractError(f"{path}: {len(labels)} signs; the model has {NUM_SIGNS} outputs, one "
                            "per competition sign")
    repeated = sorted({sign for sign in labels if labels.count(sign) > 1})
    if repeated:
        raise ContractError(f"{path}: sign(s) named twice: {', '.join(repeated[:5])}")
    foreign = [sign for sign in labels if sign not in set(competition)]
    if foreign:
        raise ContractError(f"{path}: {len(foreign)} sign(s) not among the competition's "
                            f"{NUM_SIGNS}: {', '.join(repr(s) for s in foreign[:5])}")
    for position, (sign, expected) in enumerate(zip(labels, competition, strict=True)):
        if sign != expected:
            raise ContractError(
                f"{path}: output {position} is '{sign}' here but '{expected}' in the "
                "competition's order (sign_to_prediction_index_map.json); models are compared "
                "output by output in that order, so export the model in it")
    return labels


def _labels_in_order(content: object, path: Path) -> list[str]:
    if isinstance(content, list) and all(isinstance(sign, str) for sign in content):
        return content
    if isinstance(content, dict) and content:
        if all(isinstance(index, int) and not isinstance(index, bool)
               for index in content.values()):  # sign -> index
            if sorted(content.values()) != list(range(len(content))):
                raise ContractError(f"{path}: indices are not 0..{len(content) - 1}")
            return [str(sign) for sign, _ in sorted(content.items(), key=lambda item: item[1])]
        if all(str(key).isdigit() for key in content):  # index -> sign
            if sorted(int(key) for key in content) != list(range(len(content))):
                raise ContractError(f"{path}: indices are not 0..{len(content) - 1}")
            return [str(content[str(i)]) for i in range(len(content))]
    raise ContractError(f"{path}: not a labels file; expected {{\"0\": \"TV\", ...}} (index -> "
                        "sign), {\"TV\": 0, ...} (sign -> index) or a list of sign names")
