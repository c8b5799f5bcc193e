"""Dynamic time warping between two trajectories: how far apart they are once their timing is
matched, and which step of one goes with which step of the other."""

from __future__ import annotations

import numpy as np

from signbridge.tutor.trajectory import Trajectory

# Each aspect's frame distance is divided by its scale (a clearly different amount) and weighted.
# Location and palm direction are the most reliable cues in these landmarks; hand shape and speed
# are noisier, and the other hand is left out (chosen by leave-one-signer-out on the sample).
SCALES = {"location": 1.0, "handshape": 1.0, "orientation": 1.0, "movement": 0.1,
          "other_hand": 1.0}
WEIGHTS = {"location": 1.0, "handshape": 0.5, "orientation": 1.0, "movement": 0.25,
           "other_hand": 0.0}


def cost_matrix(a: Trajectory, b: Trajectory) -> np.ndarray:
    """`[len(a), len(b)]` weighted sum of the aspects' Euclidean distances, step by step."""
    cost = np.zeros((len(a), len(b)))
    for aspect, weight in WEIGHTS.items():
        if weight:
            steps = a.features[aspect][:, None] - b.features[aspect][None]
            cost += weight / SCALES[aspect] * np.sqrt((steps**2).sum(axis=-1))
    return cost


def dtw(cost: np.ndarray, with_path: bool = True) -> tuple[float, np.ndarray | None]:
    """DTW over a cost matrix: (distance, path `[k, 2]` of index pairs, or None).

    Symmetric steps (Sakoe-Chiba "symmetric2"): a diagonal step adds twice the cost of the cell
    it enters, a horizontal or vertical one adds it once, so every path weighs n + m and the
    distance (total / (n + m)) is a mean cost per step. Each row is one vectorised pass: the
    left-neighbour recursion D[j] = min(a[j], c[j] + D[j-1]) is a running minimum of a - cumsum(c).
    """
    n, m = cost.shape
    total = np.empty((n, m))
    total[0] = np.cumsum(cost[0]) + cost[0, 0]  # the first cell counts twice, like a diagonal
    for i in range(1, n):
        row = cost[i]
        entry = np.empty(m)
        entry[0] = total[i - 1, 0] + row[0]
        entry[1:] = np.minimum(total[i - 1, :-1] + 2 * row[1:], total[i - 1, 1:] + row[1:])
        running = np.cumsum(row)
        total[i] = np.minimum.accumulate(entry - running) + running
    distance = float(total[-1, -1] / (n + m))
    if not with_path:
        return distance, None
    # Each inner cell's predecessor (0 diagonal, 1 above, 2 left; ties go diagonal), all at once.
    inner = cost[1:, 1:]
    step = np.argmin(np.stack([total[:-1, :-1] + 2 * inner, total[:-1, 1:] + inner,
                               total[1:, :-1] + inner]), axis=0).tolist()
    i, j = n - 1, m - 1
    path = [(i, j)]
    while i > 0 or j > 0:
        move = 2 if i == 0 else 1 if j == 0 else step[i - 1][j - 1]
        i, j = (i - 1, j - 1) if move == 0 else (i - 1, j) if move == 1 else (i, j - 1)
        path.append((i, j))
    return distance, np.array(path[::-1])


def align(a: Trajectory, b: Trajectory, with_path: bool = True) -> tuple[float, np.ndarray | None]:
    """DTW distance between two trajectories and the path of matched steps."""
    return dtw(cost_matrix(a, b), with_path)
