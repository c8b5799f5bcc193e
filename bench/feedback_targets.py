"""Feedback on held-out signers of the sample (leave one signer out, all 17 in turn).

    uv run python -m bench.feedback_targets [--data data/sample]

Targets: a performance scores higher against its own sign's references than the other sign's in
>= 90 % of cases; a thankyou compared with the hello references is told about the forehead.
"""

import argparse
import time
from collections import defaultdict

from signbridge.config import PROJECT_ROOT
from signbridge.tutor.evaluation import held_out_comparisons, own_sign_scores_higher, told


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--data", default=str(PROJECT_ROOT / "data" / "sample"))
    args = cli.parse_args()
    start = time.perf_counter()
    records = held_out_comparisons(args.data)
    seconds = time.perf_counter() - start
    per_signer = defaultdict(list)
    for record in records:
        per_signer[record["signer"]].append(record)
    for signer, rows in sorted(per_signer.items()):
        print(f"signer {signer:>6}: own sign higher {own_sign_scores_higher(rows):6.1%}")
    print(f"own sign scores higher (pooled): {own_sign_scores_higher(records):.1%}")
    for sign, reference, words in (("thankyou", "hello", "forehead"),
                                   ("hello", "thankyou", "chin")):
        print(f"{sign} vs {reference} references told '{words}': "
              f"{told(records, sign, reference, words):.1%}")
    for sign in ("hello", "thankyou"):
        print(f"{sign} vs its own references told 'Looks like the reference': "
              f"{told(records, sign, sign, 'Looks like the reference'):.1%}")
    print(f"{len(records)} comparisons in {seconds:.1f} s")


if __name__ == "__main__":
    main()
