"""Template-scan speed against the floor: starting Python and parsing the same files with libyaml's C loader.

    python benchmarks/scan_speed.py [--runs 15] [--corpus ../shared/corpus]

Each command runs as a whole process, interleaved with the others, `--runs` times; the minimum and
median wall times are printed with the ratio of each scan to its floor, all from the same run, and the ratio
of what every scan pays before its work (starting Python and importing the package) to the payment floor.
The payment template is scanned from the repository, so its three environments in checker.yaml
apply; the corpus is scanned from an empty directory, as one environment in us-east-1.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FLOOR = """
import sys, yaml
class Loader(yaml.CSafeLoader):
    pass
Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
for path in sys.argv[1:]:
    try:
        yaml.load(open(path, encoding="utf-8").read(), Loader=Loader)
    except Exception:
        pass
"""


def template_files(corpus: Path) -> list[str]:
    suffixes = (".yaml", ".yml", ".json", ".template", ".cfn")
    return sorted(str(p) for p in corpus.rglob("*") if p.is_file() and p.name.lower().endswith(suffixes))


def measure(commands: dict[str, tuple[Path, list[str]]], runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (cwd, command) in commands.items():
            start = time.perf_counter()
            subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            times[name].append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()

    payment = str(ROOT / "templates" / "payment-stack.yaml")
    corpus_files = template_files(args.corpus)
    python = sys.executable
    elsewhere = Path(tempfile.mkdtemp(prefix="scan-speed-"))
    commands = {
        "floor: payment template": (ROOT, [python, "-c", FLOOR, payment]),
        # What every scan pays before it reads a rule or a template: starting Python and importing the package.
        "start: python and the package's imports": (ROOT, [python, "-c", "import checker.cli.main, checker.cli.run"]),
        "scan: payment template, 3 environments": (ROOT, [python, "-m", "checker", "scan", payment]),
        "floor: corpus": (elsewhere, [python, "-c", FLOOR, *corpus_files]),
        "scan: corpus": (elsewhere, [python, "-m", "checker", "scan", str(args.corpus.resolve()),
                                     "--region", "us-east-1"]),
    }
    # Byte-compile first: with PYTHONDONTWRITEBYTECODE set, every run would otherwise recompile.
    import checker

    subprocess.run([python, "-m", "compileall", "-q", str(Path(checker.__file__).parent)], check=True)
    times = measure(commands, args.runs)
    elsewhere.rmdir()
    print(f"{len(corpus_files)} corpus files, {args.runs} runs each, interleaved")
    for name, values in times.items():
        print(f"{name:<42} min {min(values) * 1000:7.1f} ms   median {statistics.median(values) * 1000:7.1f} ms")
    for scan, floor in (("start: python and the package's imports", "floor: payment template"),
                        ("scan: payment template, 3 environments", "floor: payment template"),
                        ("scan: corpus", "floor: corpus")):
        ratio = statistics.median(times[scan]) / statistics.median(times[floor])
        best = min(times[scan]) / min(times[floor])
        print(f"{scan:<42} {ratio:5.2f}x the floor (median), {best:5.2f}x (min)")


if __name__ == "__main__":
    main()
