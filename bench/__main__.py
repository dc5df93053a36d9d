"""`make bench`: run every bench/bench_*.py module's `run()` and write one JSON.

Each module returns a dict of named figures (and may print its own lines,
including how it turned a unix-port figure into a board estimate). Figures are
measured, never asserted: targets live in the issue tracker and the README.
"""

import argparse
import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main():
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("--out", default="build/bench.json")
    ap.add_argument("--only", help="run only bench_<ONLY>")
    ap.add_argument(
        "--update",
        action="store_true",
        help="keep the other figures already in --out (with --only: refresh one module's)",
    )
    args = ap.parse_args()
    sys.path.insert(0, str(HERE.parent))
    out = Path(args.out)
    results = json.loads(out.read_text()) if args.update and out.is_file() else {}
    for info in sorted(pkgutil.iter_modules([str(HERE)]), key=lambda m: m.name):
        if not info.name.startswith("bench_"):
            continue
        if args.only and info.name != "bench_" + args.only:
            continue
        module = importlib.import_module("bench." + info.name)
        t0 = time.time()
        print(f"== {info.name}", flush=True)
        figures = module.run()
        for key, value in figures.items():
            print(f"  {key:<40} {value}")
        results.update(figures)
        print("  (%.1f s)" % (time.time() - t0))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
