"""Feedback measured on held-out signers: each held-out signer's performances are compared with
references picked from the other signers only, against every sign in the data."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from signbridge.data.files import read_index
from signbridge.errors import SignbridgeError
from signbridge.tutor.feedback import compare
from signbridge.tutor.references import FEEDBACK_REFERENCES, Reference, measure, rank


def held_out_comparisons(root: str | Path, held_out: Iterable[str] | None = None) -> list[dict]:
    """One record per (held-out performance, reference sign): signer, sign, reference_sign,
    similarity, feedback and topics. `held_out`: signers to leave out in turn (default: all)."""
    index = read_index(root)
    measured: dict[str, list[Reference]] = {}
    for row in index.itertuples():
        try:
            measured.setdefault(row.sign, []).append(
                measure(row.path, row.participant_id, row.sequence_id))
        except SignbridgeError:
            continue
    signers = sorted(set(index["participant_id"])) if held_out is None else list(held_out)
    records = []
    for signer in signers:
        references = {sign: rank(performances, exclude_signers={signer})[:FEEDBACK_REFERENCES]
                      for sign, performances in measured.items()}
        for sign, performances in measured.items():
            for performance in (p for p in performances if p.participant_id == signer):
                for reference_sign, chosen in references.items():
                    result = compare(performance.trajectory, [r.trajectory for r in chosen])
                    records.append({"signer": signer, "sequence_id": performance.sequence_id,
                                    "sign": sign, "reference_sign": reference_sign,
                                    "similarity": result.similarity,
                                    "feedback": result.feedback, "topics": result.topics})
    return records


def own_sign_scores_higher(records: list[dict]) -> float:
    """Share of performances that score higher against their own sign than against any other."""
    by_performance: dict[tuple[str, str], dict[str, float]] = {}
    signs = {}
    for record in records:
        key = (record["signer"], record["sequence_id"])
        by_performance.setdefault(key, {})[record["reference_sign"]] = record["similarity"]
        signs[key] = record["sign"]
    wins = [scores[signs[key]] > max(s for sign, s in scores.items() if sign != signs[key])
            for key, scores in by_performance.items()]
    return sum(wins) / len(wins)


def told(records: list[dict], sign: str, reference_sign: str, words: str) -> float:
    """Share of `sign` performances compared with `reference_sign` whose feedback says `words`."""
    chosen = [r for r in records if r["sign"] == sign and r["reference_sign"] == reference_sign]
    return sum(any(words in s for s in r["feedback"]) for r in chosen) / len(chosen)
