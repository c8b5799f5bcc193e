"""When the model's answer may be given, and when the honest answer is "not sure".

An `AcceptanceRule` travels in the model package. It knows the signs the model was trained on
(answers rank only those), a temperature that calibrates the model's confidence among them, the
lowest confidence it accepts, the least share of the model's output that must fall on the known
signs at all, the least evidence it needs (frames, frames with a hand) and, optionally, the
handshapes of the known signs with how far from them a hand may be
(`handshape.py`), and how much surer the model must be the further the hand is from them. The
temperature and the threshold are either fitted on held-out signers (`fit_acceptance`), or the
threshold is fixed, chosen by leave-signers-out cross-validation, with no rescaling (the choice
when the validation signers are too few to fit it). A clip is accepted only if every check
passes, and otherwise the answer says in plain words which one failed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property

import numpy as np

from signbridge.data.landmarks import PART_SIZES, PART_START
from signbridge.serving.handshape import HandshapeBank

TOP_K = 10
SHOWN_FROM = 0.005  # rows under half a percent carry no information and are not shown
# On new signers, right answers from clips with a hand in fewer frames than this are left "not
# sure" about twice as often as the others (README): a doubtful answer says so, as a thing to fix.
FEW_HAND_FRAMES = 4
TEMPERATURES = np.exp(np.linspace(np.log(0.2), np.log(20.0), 121))


@dataclass
class Answer:
    """What the recogniser says about one clip or landmark file."""

    top: list[tuple[str, float]]  # known signs, calibrated, best first, tiny rows left out
    accepted: bool
    reason: str  # why it was not accepted, in plain words ("" when accepted)
    frames: int
    frames_with_hands: int

    @property
    def sign(self) -> str | None:
        """The recognised sign, or None when the answer is "not sure"."""
        return self.top[0][0] if self.accepted and self.top else None

    def as_dict(self) -> dict:
        result = {
            "top10": [{"sign": sign, "probability": round(p, 4)} for sign, p in self.top],
            "accepted": self.accepted,
            "frames": self.frames,
            "frames_with_hands": self.frames_with_hands,
        }
        if not self.accepted:
            result["reason"] = self.reason
        return result


@dataclass
class AcceptanceRule:
    known_signs: list[str]
    temperature: float = 1.0
    min_confidence: float = 0.0
    min_frames: int = 2
    min_hand_frames: int = 1
    # The least share of the model's output on the known signs together: a model taught to
    # spread its answer over all 250 signs for what is none of its signs puts little there.
    min_known_share: float = 0.0
    fitted_on: dict[str, float] = field(default_factory=dict)  # what the fit saw, for the card
    handshapes: dict | None = None  # a HandshapeBank's dict; None: no handshape check
    max_handshape_distance: float | None = None
    # The confidence needed rises with the hand's distance from the known handshapes: by this
    # many log-odds at `max_handshape_distance` (0: `min_confidence` whatever the hand).
    handshape_weight: float = 0.0
    # With a weight, what a clip needs whose hand could not be measured (a whole hand in too few
    # frames); None: what a hand at the limit needs.
    unmeasured_confidence: float | None = None

    @cached_property
    def handshape_bank(self) -> HandshapeBank | None:
        return HandshapeBank.from_dict(self.handshapes) if self.handshapes else None

    @property
    def rises_with_handshape(self) -> bool:
        """Whether the confidence needed rises with the hand's distance from the known
        handshapes (a weight and a handshape check to measure the distance with)."""
        return bool(self.handshape_weight and self.handshapes and self.max_handshape_distance)

    def calibrated(self, probabilities: np.ndarray, labels: list[str]) -> list[tuple[str, float]]:
        """Probabilities over the known signs only, temperature-scaled, best first."""
        logits = np.log(np.maximum(probabilities[self._known_columns(labels)], 1e-12))
        scaled = _softmax(logits / self.temperature)
        order = np.argsort(-scaled)
        return [(self.known_signs[i], float(scaled[i])) for i in order]

    def judge(self, probabilities: np.ndarray, landmarks: np.ndarray,
              labels: list[str]) -> Answer:
        """Accept the model's answer for `landmarks` `[n, 543, 3]`, or say why not."""
        ranked = self.calibrated(probabilities, labels)
        frames, with_hands = len(landmarks), frames_with_hands(landmarks)
        shown = [(sign, p) for sign, p in ranked[:TOP_K] if p >= SHOWN_FROM]
        reason = self._too_little(frames, with_hands)
        if not reason:
            distance = self.handshape_distance(landmarks)
            shape = self._unknown_handshape(distance)
            # With a rising threshold, a hand past the limit is refused for its shape first: no
            # confidence makes up for it, and saying so tells the learner what to change.
            reason = ((shape if self.rises_with_handshape else "") or self._doubt(ranked, distance)
                      or self._unfamiliar(probabilities, labels) or shape)
            if reason and with_hands < FEW_HAND_FRAMES:
                reason += (" A hand was seen in only a few frames: with the hands in view for "
                           "the whole sign, it may be recognised.")
        return Answer(shown, not reason, reason, frames, with_hands)

    def handshape_distance(self, landmarks: np.ndarray) -> float | None:
        """The signing hand's distance to the known handshapes; None without a handshape check
        or a hand to measure."""
        bank = self.handshape_bank
        if bank is None or self.max_handshape_distance is None:
            return None
        return bank.distance(landmarks)

    def needed_confidence(self, distance: float | None) -> float:
        """The least confidence accepted for a hand `distance` from the known handshapes:
        `min_confidence` for a hand shaped like theirs, rising by `handshape_weight` log-odds
        per `max_handshape_distance` of distance (a look-alike sign made with another hand
        needs a surer answer than a known sign with a familiar hand). A hand the check could not
        measure (`distance` None) needs `unmeasured_confidence`, or what one at the limit needs."""
        if not self.rises_with_handshape:
            return self.min_confidence
        if distance is None:  # no benefit of the doubt for a hand the check could not see
            if self.unmeasured_confidence is not None:
                return self.unmeasured_confidence
            distance = self.max_handshape_distance
        return raised_confidence(self.min_confidence,
                                 self.handshape_weight * distance / self.max_handshape_distance)

    def known_share(self, probabilities: np.ndarray, labels: list[str]) -> float:
        """The share of the model's output on the known signs together."""
        return float(probabilities[self._known_columns(labels)].sum())

    def _known_columns(self, labels: list[str]) -> list[int]:
        """Where the known signs are among the model's output `labels`."""
        index = {sign: i for i, sign in enumerate(labels)}
        return [index[sign] for sign in self.known_signs]

    def _unfamiliar(self, probabilities: np.ndarray, labels: list[str]) -> str:
        if not self.min_known_share:
            return ""
        share = self.known_share(probabilities, labels)
        if share >= self.min_known_share:
            return ""
        return (f"not sure: this looks unlike every sign this model knows (it puts {share:.0%} "
                f"of its answer on them, and needs {self.min_known_share:.0%}). "
                f"It knows {self.known_description()}.")

    def _unknown_handshape(self, distance: float | None) -> str:
        if distance is None or distance <= self.max_handshape_distance:
            return ""
        return ("not sure: the hand's shape is unlike the shapes of the signs this model knows "
                f"(the signing hand is further from them than in nearly every performance of "
                f"them by signers it was not trained on). It knows {self.known_description()}.")

    def _too_little(self, frames: int, with_hands: int) -> str:
        """Why the clip holds too little to judge, or "" when it holds enough."""
        if frames < self.min_frames:
            return (f"too short: {frames} frame(s) of signing; this model needs at least "
                    f"{self.min_frames}. Record the whole sign, about a second or more.")
        if with_hands < self.min_hand_frames:
            return ("no hand was seen, so the sign cannot be recognised; keep your hands in view"
                    if with_hands == 0 else
                    f"a hand was seen in only {with_hands} of {frames} frames; keep your hands "
                    "in view for the whole sign")
        return ""

    def _doubt(self, ranked: list[tuple[str, float]], distance: float | None) -> str:
        best, confidence = ranked[0]
        needed = self.needed_confidence(distance)
        if confidence < needed:
            shown = f"{confidence:.0%}"
            if shown == f"{needed:.0%}":  # 74.7 % is not "75 %, accepts from 75 %"
                shown = f"{np.floor(confidence * 1000) / 10:.1f}%"
            hand = ("a hand whose shape could not be measured" if distance is None else
                    "a hand shaped this unlike the signs it knows")
            accepts = (f"it accepts from {needed:.0%}" if needed == self.min_confidence else
                       f"for {hand} it accepts from {needed:.0%}; for a hand like theirs, from "
                       f"{self.min_confidence:.0%}")
            return (f"not sure: this does not clearly match a sign this model knows (best guess "
                    f"'{best}' at {shown}, {accepts}). It knows {self.known_description()}.")
        return ""

    def known_description(self) -> str:
        if len(self.known_signs) <= 10:
            return f"{len(self.known_signs)} sign(s): " + ", ".join(self.known_signs)
        return f"{len(self.known_signs)} signs"

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> dict:
        """The rule without the handshapes themselves (for run metadata and cards)."""
        values = self.to_dict()
        if values.pop("handshapes"):
            values["handshapes_known"] = len(self.handshapes["shapes"])
            values["handshape_descriptor"] = self.handshape_bank.descriptor
        return values

    @classmethod
    def from_dict(cls, values: dict) -> AcceptanceRule:
        return cls(**values)


def raised_confidence(confidence: float, log_odds: float) -> float:
    """`confidence` raised by `log_odds` (clipped away from 0 and 1 first)."""
    floor = float(np.clip(confidence, 1e-6, 1 - 1e-6))
    return float(1 / (1 + np.exp(-(np.log(floor / (1 - floor)) + log_odds))))


def frames_with_hands(landmarks: np.ndarray) -> int:
    """Frames in which either hand was detected."""
    seen = np.zeros(len(landmarks), bool)
    for hand in ("left_hand", "right_hand"):
        rows = slice(PART_START[hand], PART_START[hand] + PART_SIZES[hand])
        seen |= np.isfinite(landmarks[:, rows, 0]).any(axis=1)
    return int(seen.sum())


def _softmax(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - values.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def fit_acceptance(
    probabilities: np.ndarray,
    labels: np.ndarray,
    known_signs: list[str],
    sign_labels: list[str],
    keep: float = 0.98,
    min_frames: int = 2,
    min_hand_frames: int = 1,
    min_confidence: float | None = None,
) -> AcceptanceRule:
    """Fit the rule on held-out sequences of known signs.

    `probabilities` `[N, 250]` and output-index `labels` `[N]` come from signers the model never
    saw. The temperature minimises the negative log-likelihood among the known signs; the
    confidence threshold keeps the `keep` share of the correctly recognised sequences (100 % if
    none was recognised right). With a fixed `min_confidence` (chosen by cross-validation),
    confidences are not rescaled and the held-out sequences only say how many it keeps.
    """
    index = {sign: i for i, sign in enumerate(sign_labels)}
    columns = [index[s] for s in known_signs]
    logits = np.log(np.maximum(probabilities[:, columns], 1e-12))
    target = np.array([columns.index(label) if label in columns else -1 for label in labels])
    usable = target >= 0
    logits, target = logits[usable], target[usable]
    if min_confidence is not None:
        return _fixed_rule(logits, target, known_signs, min_confidence, min_frames,
                           min_hand_frames)
    if len(target) == 0:
        return AcceptanceRule(known_signs, min_frames=min_frames, min_hand_frames=min_hand_frames)

    def nll(temperature: float) -> float:
        scaled = _softmax(logits / temperature)
        return float(-np.mean(np.log(np.maximum(scaled[np.arange(len(target)), target], 1e-12))))

    temperature = float(min(TEMPERATURES, key=nll))
    calibrated = _softmax(logits / temperature)
    right = calibrated.argmax(axis=1) == target
    confidences = calibrated.max(axis=1)[right]
    # Nothing recognised right (say, a model imported with its outputs in another order): no
    # confidence can be trusted, so nothing short of certainty is accepted.
    threshold = float(np.quantile(confidences, 1 - keep)) if len(confidences) else 1.0
    return AcceptanceRule(
        known_signs, temperature=round(temperature, 4), min_confidence=round(threshold, 4),
        min_frames=min_frames, min_hand_frames=min_hand_frames,
        fitted_on={"sequences": int(len(target)), "top1": float(right.mean()), "keep": keep},
    )


def _fixed_rule(logits: np.ndarray, target: np.ndarray, known_signs: list[str],
                min_confidence: float, min_frames: int, min_hand_frames: int) -> AcceptanceRule:
    """The rule with a cross-validated threshold, and what it does on these held-out sequences."""
    shares = _softmax(logits)
    right = shares.argmax(axis=1) == target
    kept = shares.max(axis=1) >= min_confidence
    return AcceptanceRule(
        known_signs, temperature=1.0, min_confidence=min_confidence, min_frames=min_frames,
        min_hand_frames=min_hand_frames,
        fitted_on={"sequences": int(len(target)), "top1": float(right.mean()) if len(right) else 0.0,
                   "keep": float((kept & right).sum() / max(right.sum(), 1)), "fixed": 1.0},
    )
