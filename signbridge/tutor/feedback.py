"""Feedback on a practised sign: align the learner's performance with reference performances of the
sign, score the likeness 0-100, and say in plain words what differs most and when.

Remarks are made only where the data supports them: a start location in another part of the face
or body, or a difference larger than 19 in 20 fluent signers of the sample show among themselves
when they perform the same sign (95th percentiles, fitted leave-one-signer-out on data/sample).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from signbridge.data.landmarks import sign_to_index
from signbridge.errors import SignbridgeError
from signbridge.tutor.alignment import align
from signbridge.tutor.names import readable
from signbridge.tutor.references import Reference, ReferenceLibrary
from signbridge.tutor.trajectory import SOURCE_FPS, Trajectory, normalise

# similarity = 100 / (1 + exp((distance - MIDPOINT) / WIDTH)): at MIDPOINT a DTW distance is as
# likely between two performances of one sign as of two signs (logistic fit on the sample).
MIDPOINT, WIDTH = 2.375, 0.244
LOOKS_RIGHT = 60.0  # above this, and with no remark, "Looks like the reference."
# How large a gap must be before it is remarked on. start_level: 0.4 face heights (and another
# zone); other_hand: seen in half the frames more or less. The rest are the 95th percentiles of
# the same gap between fluent signers of one sign. Units: face heights (levels, lateral),
# tip-to-wrist / palm size (fingers), -1..1 (facing), |log ratio| (size, speed), degrees.
THRESHOLDS = {"start_level": 0.4, "other_hand": 0.5, "later_level": 1.39, "start_lateral": 0.475,
              "finger_index": 0.278, "finger_middle": 0.321, "finger_ring": 0.323,
              "finger_little": 0.314, "facing": 0.4, "size_ratio": 1.42, "direction": 179.1,
              "speed_ratio": 1.29}
# Median difference per aspect between two performances of one sign, to say which differs most.
TYPICAL = {"location": 0.363, "handshape": 0.167, "orientation": 0.086, "movement": 0.062,
           "other_hand": 0.521}
ASPECTS = tuple(TYPICAL)
ASPECT_WORDS = {"location": "where your hand is", "handshape": "the shape of your hand",
                "orientation": "which way your palm faces", "movement": "how your hand moves"}
SEGMENTS = ("at the start", "in the middle", "at the end")
FINGERS = ("index", "middle", "ring", "little")  # the thumb is too noisy to judge
MIN_MOVE = 0.25  # face heights: a shorter net movement has no clear direction
MIN_FRAMES_FOR_SPEED = 5

# Body zones by the fingertips' level (0 forehead, 1 chin), and the temple beside the upper face
# (where HELLO's salute starts).
ZONES = ((0.3, "your forehead"), (0.46, "your eyes"), (0.64, "your nose"), (0.86, "your mouth"),
         (1.3, "your chin"), (2.4, "your chest"), (np.inf, "your waist"))
TEMPLE_LATERAL, TEMPLE_LEVELS = 0.45, (-0.3, 0.5)


def similarity(distance: float) -> float:
    """0-100 from a DTW distance (see MIDPOINT)."""
    return float(100.0 / (1.0 + np.exp((distance - MIDPOINT) / WIDTH)))


def zone(level: float, lateral: float = 0.0) -> str:
    """Where a point is, in words: the temple, or a zone of the face or body by its level."""
    if abs(lateral) > TEMPLE_LATERAL and TEMPLE_LEVELS[0] < level < TEMPLE_LEVELS[1]:
        return "the side of your forehead"
    return next(words for top, words in ZONES if level < top)


@dataclass
class Comparison:
    similarity: float  # 0-100
    feedback: list[str]  # sentences for the learner, most important first
    topics: list[str]  # the aspect each sentence is about
    aspects: dict[str, dict]  # per aspect: mean difference, by third, relative to typical
    distances: list[float]  # DTW distance to each reference
    best_reference: int  # the closest reference
    replay: list[tuple[int, int]]  # (learner raw frame, closest reference's raw frame)
    gaps: dict[str, float] = field(default_factory=dict)  # measured learner - reference

    def to_dict(self) -> dict:
        return {"similarity": round(self.similarity, 1), "feedback": self.feedback,
                "feedback_topics": self.topics, "aspects": self.aspects,
                "reference_distances": [round(d, 4) for d in self.distances],
                "best_reference": self.best_reference,
                "replay": [list(pair) for pair in self.replay]}


def compare(learner: Trajectory, references: list[Trajectory]) -> Comparison:
    """Compare a learner's performance with reference performances of the same sign.

    The similarity comes from the closest reference; remarks compare the learner with the median
    over references, so one unusual reference cannot dictate them.
    """
    if not references:
        raise SignbridgeError("there is no reference performance of this sign yet")
    aligned = [align(learner, reference) for reference in references]
    distances = [distance for distance, _ in aligned]
    paths = [path for _, path in aligned]
    best = int(np.argmin(distances))
    score = similarity(distances[best])
    aspects = _aspects(learner, references, paths)
    gaps = measure_gaps(learner, references, paths)
    topics, sentences = _remarks(learner, gaps, aspects, score)
    replay = [(int(learner.frames[i]), int(references[best].frames[j])) for i, j in paths[best]]
    return Comparison(score, sentences, topics, aspects, distances, best, replay, gaps)


def feedback_for(landmarks: np.ndarray, sign: str, library: ReferenceLibrary,
                 fps: float = SOURCE_FPS) -> tuple[Comparison, list[Reference]]:
    """A learner's raw landmarks `[frames, 543, 3]` (recorded at `fps`) compared with the
    reference performances of `sign`; the one path for the app and the CLI. SignbridgeError
    says what is missing: the sign, its reference data, or a hand, face or shoulders."""
    if sign not in sign_to_index():
        raise SignbridgeError(f"'{sign}' is not one of the 250 signs")
    references = library.for_feedback(sign)
    if not references:
        covered = ", ".join(readable(s) for s in library.signs()[:10]) or "no sign"
        raise SignbridgeError(f"there is no reference performance of '{readable(sign)}' yet "
                              f"(the reference data covers {covered}"
                              f"{', ...' if len(library.signs()) > 10 else ''})")
    learner = normalise(landmarks, fps)
    return compare(learner, [r.trajectory for r in references]), references


def _aspects(learner: Trajectory, references: list[Trajectory],
             paths: list[np.ndarray]) -> dict[str, dict]:
    """Per aspect, the difference along the warping paths (median over references), overall and
    in the learner's first, middle and last third."""
    per_reference = []
    for reference, path in zip(references, paths, strict=True):
        i, j = path[:, 0], path[:, 1]
        differences = {
            "location": np.linalg.norm(learner.tips[i] - reference.tips[j], axis=1),
            "handshape": np.abs(learner.extension[i] - reference.extension[j]).mean(axis=1),
            "orientation": np.abs(learner.palm_facing[i] - reference.palm_facing[j]),
            "movement": np.linalg.norm(learner.velocity[i] - reference.velocity[j], axis=1),
            "other_hand": np.linalg.norm(learner.other[i] - reference.other[j], axis=1)}
        steps = np.bincount(i, minlength=len(learner))
        per_reference.append({name: np.bincount(i, d, minlength=len(learner)) / steps
                              for name, d in differences.items()})
    aspects = {}
    for name in ASPECTS:
        per_step = np.median([d[name] for d in per_reference], axis=0)
        thirds = [float(part.mean()) for part in np.array_split(per_step, 3) if len(part)]
        aspects[name] = {
            "mean": round(float(per_step.mean()), 3),
            "by_segment": [round(v, 3) for v in thirds],
            "relative": round(float(per_step.mean()) / TYPICAL[name], 2),
            "worst_segment": SEGMENTS[int(np.argmax(thirds))] if len(thirds) == 3
            else "throughout"}
    return aspects


def start_position(t: Trajectory) -> np.ndarray:
    """(lateral, level) of the fingertips where the sign starts.

    Signs begin by bringing the hand into place, so take the earliest step in the first half
    (where the hand was seen) within 0.2 face heights of the closest approach to the face's
    forehead-to-chin line, and a 3-step median around it.
    """
    steps = np.arange(max(1, (len(t) + 1) // 2))
    if t.observed[steps].any():
        steps = steps[t.observed[steps]]
    lateral, level = t.tips[steps, 0], t.tips[steps, 1]
    off_face = np.hypot(lateral, np.maximum(0.0, np.maximum(level - 1.0, -level)))
    first = steps[np.argmax(off_face <= off_face.min() + 0.2)]
    return np.median(t.tips[steps[np.abs(steps - first) <= 1]], axis=0)


def net_movement(t: Trajectory) -> np.ndarray:
    """Palm displacement (lateral, level) from the first fifth to the last."""
    k = max(1, round(0.2 * len(t)))
    return np.median(t.palm[-k:], axis=0) - np.median(t.palm[:k], axis=0)


def peak_speed(t: Trajectory) -> float:
    """The fastest palm speed (face heights per step) over 3-step averages."""
    if len(t) < 3:
        return 0.0
    speed = np.linalg.norm(t.velocity, axis=1)
    return float(np.convolve(speed, np.ones(3) / 3, mode="valid").max())


def _aligned_gap(learner: np.ndarray, references: list[np.ndarray], paths: list[np.ndarray],
                 steps: range | None = None) -> float:
    """Median over references of the mean learner - reference difference along the path,
    optionally over some of the learner's steps only."""
    gaps = []
    for reference, path in zip(references, paths, strict=True):
        if steps is not None:
            path = path[(path[:, 0] >= steps.start) & (path[:, 0] < steps.stop)]
        if len(path):
            gaps.append(np.mean(learner[path[:, 0]] - reference[path[:, 1]], axis=0))
    return float(np.median(gaps, axis=0)) if gaps else 0.0


def measure_gaps(learner: Trajectory, references: list[Trajectory],
                 paths: list[np.ndarray]) -> dict[str, float]:
    """Signed learner - reference differences that remarks are made from (NaN: not measurable),
    with the values needed to word them; reference values are medians over the references."""
    start = start_position(learner)
    reference_start = np.median([start_position(r) for r in references], axis=0)
    gaps = {"start_level": start[1] - reference_start[1],
            "start_lateral": start[0] - reference_start[0],
            "learner_start_level": start[1], "reference_start_level": reference_start[1],
            "learner_start_lateral": start[0], "reference_start_lateral": reference_start[0],
            "later_level": 0.0, "later_segment": 0.0, "learner_later_level": np.nan,
            "reference_later_level": np.nan}
    # The level later on: the larger gap of the middle and last thirds.
    for third, part in enumerate(np.array_split(np.arange(len(learner)), 3)):
        if third == 0 or len(part) == 0:
            continue
        steps = range(int(part[0]), int(part[-1]) + 1)
        gap = _aligned_gap(learner.tips[:, 1], [r.tips[:, 1] for r in references], paths, steps)
        if abs(gap) > abs(gaps["later_level"]):
            level = float(np.median(learner.tips[part, 1]))
            gaps.update(later_level=gap, later_segment=float(third), learner_later_level=level,
                        reference_later_level=level - gap)
    for f, finger in enumerate(FINGERS, start=1):
        gaps[f"finger_{finger}"] = _aligned_gap(
            learner.extension[:, f], [r.extension[:, f] for r in references], paths)
    gaps["facing"] = _aligned_gap(learner.palm_facing, [r.palm_facing for r in references],
                                  paths)
    gaps["reference_facing"] = float(np.median([np.median(r.palm_facing) for r in references]))

    move = net_movement(learner)
    reference_moves = np.array([net_movement(r) for r in references])
    reference_move = np.median(reference_moves, axis=0)
    size = float(np.linalg.norm(move))
    reference_size = float(np.median(np.linalg.norm(reference_moves, axis=1)))
    floor = MIN_MOVE / 2  # below this a movement counts as none; keeps the ratio finite
    gaps["size_ratio"] = float(np.log(max(size, floor) / max(reference_size, floor)))
    gaps["direction"] = np.nan
    if min(size, float(np.linalg.norm(reference_move))) > MIN_MOVE:
        cosine = move @ reference_move / (size * np.linalg.norm(reference_move))
        gaps["direction"] = float(np.degrees(np.arccos(np.clip(cosine, -1, 1))))
    gaps.update(learner_move_x=move[0], learner_move_y=move[1],
                reference_move_x=reference_move[0], reference_move_y=reference_move[1])
    peaks = [peak_speed(r) for r in references if len(r) >= MIN_FRAMES_FOR_SPEED]
    gaps["speed_ratio"] = np.nan
    if len(learner) >= MIN_FRAMES_FOR_SPEED and peaks and min(peak_speed(learner),
                                                              np.median(peaks)) > 0:
        gaps["speed_ratio"] = float(np.log(peak_speed(learner) / np.median(peaks)))
    gaps["other_hand"] = float(learner.other_seen.mean()
                               - np.median([r.other_seen.mean() for r in references]))
    return {name: float(value) for name, value in gaps.items()}


def _direction_words(move: np.ndarray) -> str:
    parts = []
    if abs(move[0]) > 0.35 * np.linalg.norm(move):
        parts.append("outward, away from your face" if move[0] > 0 else "inward, across your body")
    if abs(move[1]) > 0.35 * np.linalg.norm(move):
        parts.append("down" if move[1] > 0 else "up")
    return " and ".join(parts) or "very little"


def _remarks(learner: Trajectory, gaps: dict[str, float], aspects: dict[str, dict],
             score: float) -> tuple[list[str], list[str]]:
    """(topics, sentences), most important first: importance = gap / threshold, above 1 only."""
    remarks: list[tuple[float, str, str]] = []

    def over(name: str) -> float:
        ratio = abs(gaps[name]) / THRESHOLDS[name] if np.isfinite(gaps[name]) else 0.0
        return ratio if ratio > 1 else 0.0

    # Location relative to the face and body: where the sign starts, else later on; sideways.
    start = zone(gaps["learner_start_level"], gaps["learner_start_lateral"])
    reference_start = zone(gaps["reference_start_level"], gaps["reference_start_lateral"])
    if over("start_level") and start != reference_start:
        remarks.append((over("start_level"), "location", f"Your signing hand starts at {start}; "
                        f"in this sign it starts at {reference_start}."))
    elif over("later_level") and np.isfinite(gaps["learner_later_level"]):
        later, reference_later = (zone(gaps["learner_later_level"]),
                                  zone(gaps["reference_later_level"]))
        if later != reference_later:
            when = SEGMENTS[int(gaps["later_segment"])].capitalize()
            remarks.append((over("later_level"), "location", f"{when}, your hand is at {later}; "
                            f"in this sign it is at {reference_later}."))
    if over("start_lateral"):
        remarks.append((over("start_lateral"), "location",
                        "Start with your hand closer to the middle of your face."
                        if gaps["start_lateral"] > 0 else
                        "Start with your hand further out to the side of your face."))

    # Handshape: fingers straighter (negative gap) or more bent than in the references.
    for direction, many, verb in ((-1, "Open your hand more: straighten your fingers.",
                                   "Straighten"),
                                  (1, "Close your hand more: bend your fingers.", "Bend")):
        flagged = [f for f in FINGERS
                   if over(f"finger_{f}") and np.sign(gaps[f"finger_{f}"]) == direction]
        if flagged:
            names = " and ".join([", ".join(flagged[:-1]), flagged[-1]] if len(flagged) > 1
                                 else flagged)
            sentence = many if len(flagged) >= 3 else (
                f"{verb} your {names} finger{'s' if len(flagged) > 1 else ''}"
                + (" more." if direction > 0 else "."))
            remarks.append((max(over(f"finger_{f}") for f in flagged), "handshape", sentence))
    if over("facing"):
        facing = gaps["reference_facing"]
        remarks.append((over("facing"), "orientation",
                        "Turn your palm to face forward, away from you." if facing > 0.3 else
                        "Turn your palm towards yourself." if facing < -0.3 else
                        "Your palm faces another way than in this sign; compare the replay."))

    # Movement: size, else direction; and speed.
    reference_move = np.array([gaps["reference_move_x"], gaps["reference_move_y"]])
    move = np.array([gaps["learner_move_x"], gaps["learner_move_y"]])
    if over("size_ratio") and gaps["size_ratio"] < 0:
        towards = _direction_words(reference_move)
        remarks.append((over("size_ratio"), "movement", "Make the movement bigger." if
                        towards == "very little" else
                        f"Make the movement bigger: move your hand {towards}."))
    elif over("size_ratio"):
        remarks.append((over("size_ratio"), "movement", "Make the movement smaller."))
    elif over("direction"):
        remarks.append((over("direction"), "movement", f"Move your hand "
                        f"{_direction_words(reference_move)}, not {_direction_words(move)}."))
    if over("speed_ratio"):
        remarks.append((over("speed_ratio"), "movement", "Move more slowly."
                        if gaps["speed_ratio"] > 0 else "Move more quickly."))
    if over("other_hand"):
        remarks.append((over("other_hand"), "other_hand",
                        "This sign uses one hand; keep your other hand down."
                        if gaps["other_hand"] > 0 else
                        "This sign uses both hands; bring your other hand up as well."))

    remarks.sort(key=lambda remark: -remark[0])
    topics, sentences = [t for _, t, _ in remarks], [s for _, _, s in remarks]
    if not remarks and score >= LOOKS_RIGHT:
        topics, sentences = ["overall"], ["Looks like the reference."]
    elif not remarks:
        worst = max(ASPECT_WORDS, key=lambda aspect: aspects[aspect]["relative"])
        topics, sentences = ["overall"], [
            f"Close, but not quite: {ASPECT_WORDS[worst]} differs most from the reference, "
            f"{aspects[worst]['worst_segment']}. Watch the side-by-side replay."]
    seen = int(learner.observed.sum())
    if seen < 3:
        topics.append("quality")
        sentences.append(f"Your hand was seen clearly in only {seen} frame(s), so this feedback "
                         "is approximate.")
    return topics, sentences
