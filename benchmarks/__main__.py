"""Run every `benchmarks/bench_*.py` module's `main()`; `python -m benchmarks NAME` runs those matching NAME."""

import importlib
import pkgutil
import sys
from pathlib import Path

if __name__ == "__main__":
    wanted = sys.argv[1:]
    for module in sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])):
        if module.startswith("bench_") and (not wanted or any(w in module for w in wanted)):
            importlib.import_module(f"benchmarks.{module}").main()
