"""The notes' d2l runs on f = 0.1 x1^2 + 2 x2^2 from (-5, -2), 20 steps, reproduced by torch.optim.SGD.

    python examples/notes_2d_results.py
"""

from __future__ import annotations

import argparse
import sys

from hbtheory.empirical import notes_2d

SETTINGS = [(0.4, 0.0), (0.6, 0.0), (0.6, 0.5), (0.6, 0.25)]


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    for eta, beta in SETTINGS:
        run = notes_2d(eta, beta)
        print(f"eta={eta}, beta={beta}: {run.d2l_line()}   (predicted rate {run.predicted_rate:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
