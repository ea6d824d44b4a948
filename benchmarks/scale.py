"""How scans scale: CPU time and peak memory of whole `checker scan --json` processes against the bare parse.

    python benchmarks/scale.py [--runs 5] [--sizes 100,1000,5000] [--corpus ../shared/corpus]

Every workload runs as its own process, interleaved with its floor (starting Python and parsing the same
files with libyaml's C loader), `--runs` times; medians of CPU time (user + system) and the largest peak
RSS are printed, with the ratio to the floor measured in the same run. Synthetic templates of each size
are generated here (buckets, keys, log groups, functions with Conditions, Fn::Sub, Fn::FindInMap, Fn::If
and references), scanned in three environments, in 30, with the rule pack ten times over, and eight copies of
the middle size together (whose peak should stay near one copy's: results are spooled); the time,
memory and Python function calls per resource show whether anything grows faster than the template. The
corpus is also scanned without a report: the difference is what the JSON report costs, mostly verifying a
fix for each failure.
"""
from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from scan_speed import FLOOR, ROOT, template_files  # the bare parse every ratio is measured against

COPIES = 8  # templates of the middle size scanned together
REGIONS = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")


def synthetic_template(resources: int) -> str:
    """A template of about `resources` resources in groups of four, in the style of real stacks."""
    lines = ["AWSTemplateFormatVersion: '2010-09-09'", "Parameters:", "  Environment: {Type: String}",
             "  Suffix: {Type: String, Default: bench}", "Mappings:", "  Retention:",
             "    prod: {Days: 731, Backups: 35}", "    staging: {Days: 400, Backups: 14}",
             "    dev: {Days: 30, Backups: 7}", "Conditions:", "  IsProd: !Equals [!Ref Environment, prod]",
             "Resources:"]
    for group in range(resources // 4):
        lines += [
            f"  Key{group}:", "    Type: AWS::KMS::Key",
            "    Properties: {EnableKeyRotation: true, KeyPolicy: {Version: '2012-10-17', Statement: []}}",
            f"  Bucket{group}:", "    Type: AWS::S3::Bucket", "    Properties:",
            f"      BucketName: !Sub '${{Environment}}-data-{group}-${{Suffix}}'",
            "      VersioningConfiguration: {Status: Enabled}",
            "      BucketEncryption:", "        ServerSideEncryptionConfiguration:",
            "          - ServerSideEncryptionByDefault:",
            f"              {{SSEAlgorithm: 'aws:kms', KMSMasterKeyID: !GetAtt Key{group}.Arn}}",
            "            BucketKeyEnabled: true",
            "      LifecycleConfiguration:", "        Rules:",
            "          - {Status: Enabled, ExpirationInDays: !FindInMap [Retention, !Ref Environment, Days]}",
            f"      Tags: [{{Key: group, Value: '{group}'}},",
            "             !If [IsProd, {Key: tier, Value: gold}, !Ref AWS::NoValue]]",
            f"  Logs{group}:", "    Type: AWS::Logs::LogGroup", "    Properties:",
            f"      LogGroupName: !Sub '/bench/${{Environment}}/{group}'",
            "      RetentionInDays: !FindInMap [Retention, !Ref Environment, Days]",
            f"      KmsKeyId: !GetAtt Key{group}.Arn",
            f"  Function{group}:", "    Type: AWS::Lambda::Function", "    Properties:",
            "      Runtime: python3.12", "      Handler: index.handler",
            "      Code: {ZipFile: 'def handler(e, c): pass'}",
            f"      Role: !Sub 'arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/bench-{group}'",
            f"      Environment: {{Variables: {{BUCKET: !Ref Bucket{group}, LOGS: !Ref Logs{group}}}}}",
        ]
    return "\n".join(lines) + "\n"


def config(environments: int) -> str:
    names = ["prod", "staging", "dev"] + [f"env{n:02d}" for n in range(4, environments + 1)]
    entries = {name: {"region": REGIONS[i % len(REGIONS)],
                      "parameters": {"Environment": name if name in ("prod", "staging", "dev") else "dev"}}
               for i, name in enumerate(names[:environments])}
    return json.dumps({"environments": entries})  # JSON is YAML


def multiplied_rules(copies: int, into: Path) -> Path:
    """The bundled pack `copies` times over, each copy's rule ids renamed (its controls declared once)."""
    import re

    into.mkdir()
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        text = path.read_text()
        (into / path.name).write_text(text)
        ids = re.findall(r"^\s*- id: ([A-Z][A-Z0-9-]+)\s*$", text, re.MULTILINE)  # rules, not controls
        for copy in range(1, copies if ids else 1):
            renamed = re.sub(r"^controls:\n(?:[ #-].*\n|\n)*", "", text, flags=re.MULTILINE)
            for rule_id in ids:
                renamed = re.sub(rf"\b{re.escape(rule_id)}\b", f"{rule_id}-C{copy}", renamed)
            (into / f"{path.stem}-{copy}.yaml").write_text(renamed)
    return into


def run(command: list[str], cwd: Path, report: Path | None = None) -> tuple[float, float]:
    """CPU seconds (user + system) and peak RSS in MiB of one whole process. A scan must write its
    `report` (exit 1 for findings and 2 for some unreadable corpus files still do); a run that does not
    is a failure, not a measurement."""
    if report is not None:
        report.unlink(missing_ok=True)
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        _, _, usage = os.wait4(process.pid, 0)
        if report is not None and not report.exists():
            errors.seek(0)
            sys.exit(f"failed: {' '.join(command)}\n{errors.read().decode(errors='replace')[-2000:]}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()
    python = sys.executable
    import checker

    subprocess.run([python, "-m", "compileall", "-q", str(Path(checker.__file__).parent)], check=True)
    work = Path(tempfile.mkdtemp(prefix="checker-scale-"))
    atexit.register(shutil.rmtree, work, True)
    report = ["--json", str(work / "report.json")]
    scan = [python, "-m", "checker", "scan"]
    corpus = template_files(args.corpus)
    payment = str(ROOT / "templates" / "payment-stack.yaml")
    (work / "three.yaml").write_text(config(3))
    (work / "thirty.yaml").write_text(config(30))
    rules10 = multiplied_rules(10, work / "rules10")
    workloads: dict[str, tuple[list[str], list[str], Path]] = {
        "corpus": ([*scan, str(args.corpus.resolve()), "--region", "us-east-1", *report], corpus, work),
        "corpus, no report": ([*scan, str(args.corpus.resolve()), "--region", "us-east-1", "-q"], corpus, work),
        "payment, 3 environments": ([*scan, payment, *report], [payment], ROOT),
    }
    sizes = [int(s) for s in args.sizes.split(",")]
    for size in sizes:
        path = work / f"synthetic-{size}.yaml"
        path.write_text(synthetic_template(size))
        workloads[f"{size} resources, 3 environments"] = (
            [*scan, str(path), "--config", str(work / "three.yaml"), *report], [str(path)], work)
    middle = work / f"synthetic-{sizes[min(1, len(sizes) - 1)]}.yaml"
    workloads[f"{middle.stem.split('-')[1]} resources, 30 environments"] = (
        [*scan, str(middle), "--config", str(work / "thirty.yaml"), *report], [str(middle)], work)
    workloads[f"{middle.stem.split('-')[1]} resources, 10x rules"] = (
        [*scan, str(middle), "--config", str(work / "three.yaml"), "--rules", str(rules10), *report],
        [str(middle)], work)
    copies = work / "copies"  # memory that grows with the findings and the largest template, not the results
    copies.mkdir()
    for number in range(COPIES):
        shutil.copy(middle, copies / f"copy-{number}.yaml")
    workloads[f"{middle.stem.split('-')[1]} resources x {COPIES} templates"] = (
        [*scan, str(copies), "--config", str(work / "three.yaml"), *report],
        [str(copies / f"copy-{number}.yaml") for number in range(COPIES)], work)

    measured: dict[str, list[tuple[float, float]]] = {name: [] for name in workloads}
    floors: dict[str, list[tuple[float, float]]] = {name: [] for name in workloads}
    for _ in range(args.runs):
        for name, (command, files, cwd) in workloads.items():
            floors[name].append(run([python, "-c", FLOOR, *files], cwd))
            measured[name].append(run(command, cwd, work / "report.json" if "--json" in command else None))
    print(f"{args.runs} runs each, interleaved with the floor; CPU seconds (median), peak RSS (largest)")
    print(f"{'workload':<34} {'scan':>9} {'floor':>9} {'ratio':>7} {'peak MiB':>9}")
    for name in workloads:
        cpu = statistics.median(t for t, _ in measured[name])
        floor = statistics.median(t for t, _ in floors[name])
        peak = max(m for _, m in measured[name])
        print(f"{name:<34} {cpu:9.3f} {floor:9.3f} {cpu / floor:6.2f}x {peak:9.0f}")
    print("growth (3 environments): CPU ms, peak KiB and Python function calls per added resource, between "
          "consecutive sizes (calls, counted once under cProfile, are free of the machine's noise)")
    calls = {n: function_calls(workloads[f"{n} resources, 3 environments"][0], work) for n in sizes}
    for smaller, larger in zip(sizes, sizes[1:], strict=False):
        low, high = (measured[f"{n} resources, 3 environments"] for n in (smaller, larger))
        extra = larger - smaller
        cpu = (statistics.median(t for t, _ in high) - statistics.median(t for t, _ in low)) / extra
        peak = (max(m for _, m in high) - max(m for _, m in low)) / extra
        print(f"  {smaller:>5} -> {larger:>5}: {cpu * 1000:6.3f} ms, {peak * 1024:7.1f} KiB, "
              f"{(calls[larger] - calls[smaller]) / extra:8.1f} calls per resource")


def function_calls(command: list[str], cwd: Path) -> int:
    """The Python function calls one run of a `python -m checker ...` command makes."""
    import pstats

    profile = cwd / "calls.prof"
    subprocess.run([command[0], "-m", "cProfile", "-o", str(profile), *command[1:]], cwd=cwd,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return pstats.Stats(str(profile)).total_calls  # type: ignore[attr-defined]

if __name__ == "__main__":
    main()
