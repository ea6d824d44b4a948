"""Writing reports from the command line: every format at once, `checker report` re-rendering and merging
saved JSON, atomic writes, one failing format not costing the others, and the git commit of a template."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import threading

import pytest

from checker.cli import main
from checker.project.options import REPORT_FORMATS
from checker.report import FORMATS, write_atomic, write_reports
from checker.report.provenance import git_revision
from tests.test_reports import FIXTURE, STACK

SCAN = ["scan", STACK, "--rules", str(FIXTURE / "rules"), "--config", str(FIXTURE / "checker.yaml"), "-q"]


def _outputs(directory, stem="report"):
    suffix = {"json": "json", "html": "html", "sarif": "sarif", "junit": "xml", "markdown": "md",
              "suggestions": "suggestions.json"}
    paths = {name: directory / f"{stem}.{suffix[name]}" for name in REPORT_FORMATS}
    return paths, [arg for name, path in paths.items() for arg in (f"--{name}", str(path))]


def test_every_format_the_cli_offers_has_a_renderer():
    assert set(REPORT_FORMATS) == set(FORMATS)


def test_scan_writes_every_requested_format(in_repo, tmp_path):
    paths, args = _outputs(tmp_path / "reports")
    assert main(SCAN + args) == 1  # the fixture has failures
    assert all(path.is_file() and path.stat().st_size for path in paths.values())
    assert [p.name for p in (tmp_path / "reports").iterdir() if p.name.startswith(".")] == []


def test_report_re_renders_a_saved_json_report_identically(in_repo, tmp_path):
    paths, args = _outputs(tmp_path)
    main(SCAN + args)
    again, again_args = _outputs(tmp_path, "again")
    assert main(["report", str(paths["json"]), *again_args]) == 1  # the scan's verdict, decided again
    for name in REPORT_FORMATS:
        assert again[name].read_text(encoding="utf-8") == paths[name].read_text(encoding="utf-8"), name


def test_report_merges_environments_and_stacks(in_repo, tmp_path):
    prod, dev, merged = tmp_path / "prod.json", tmp_path / "dev.json", tmp_path / "merged.json"
    main(SCAN + ["--env", "prod", "--json", str(prod)])
    main(SCAN + ["--env", "dev", "--json", str(dev)])
    assert main(["report", str(prod), str(dev), "--json", str(merged), "--html", str(tmp_path / "m.html")]) == 1
    parts = [json.loads(p.read_text(encoding="utf-8")) for p in (prod, dev)]
    result = json.loads(merged.read_text(encoding="utf-8"))
    assert [e["name"] for e in result["environments"]] == ["prod", "dev"]
    assert len(result["results"]) == sum(len(p["results"]) for p in parts)
    assert result["summary"]["environments"] == {**parts[0]["summary"]["environments"],
                                                 **parts[1]["summary"]["environments"]}
    assert result["summary"]["templates"] == 1 and len(result["templates"]) == 1
    assert [m["path"] for m in result["merged_from"]] == [str(prod), str(dev)]
    assert result["gate"]["decision"] == "block" and result["rule_pack"] == parts[0]["rule_pack"]
    assert "Merged from" in (tmp_path / "m.html").read_text(encoding="utf-8")


_SAVED = {"rule_id": "X", "control": "c", "severity": "high", "status": "PASS", "environment": "prod",
          "source": "template", "message": "m"}


@pytest.mark.parametrize("content, problem", [
    ("{not json", "malformed JSON"),
    ('{"results": []}', "not a checker JSON report"),
    ('{"tool": {}, "rule_pack": {}, "results": [{"rule_id": "X"}]}', "not a checker JSON report"),
    ('{"tool": {}, "rule_pack": {}, "results": [' + json.dumps(_SAVED) + ", "
     + json.dumps({**_SAVED, "severity": ["high"]}) + "]}", "result #2: severity must be text"),
    ('{"tool": {}, "rule_pack": {}, "results": [' + json.dumps({**_SAVED, "status": "GOOD"}) + "]}",
     "result #1: severity 'high' or status 'GOOD' is not one checker writes"),
])
def test_report_rejects_what_is_not_a_saved_report(tmp_path, capsys, content, problem):
    saved = tmp_path / "saved.json"
    saved.write_text(content, encoding="utf-8")
    assert main(["report", str(saved), "--html", str(tmp_path / "r.html")]) == 2
    error = capsys.readouterr().err
    assert str(saved) in error and problem in error and not (tmp_path / "r.html").exists()




def test_a_format_that_cannot_be_written_does_not_cost_the_others(in_repo, tmp_path, capsys):
    paths, args = _outputs(tmp_path)
    paths["html"].mkdir()  # a directory where the HTML report should go
    assert main(SCAN + args) == 2
    assert "could not write the html report" in capsys.readouterr().err
    assert all(paths[name].is_file() for name in REPORT_FORMATS if name != "html")


def test_a_renderer_that_breaks_does_not_cost_the_others(tmp_path, monkeypatch):
    def broken(payload):
        raise KeyError("results")

    monkeypatch.setattr("checker.report.html.render_html", broken)
    targets = {"html": str(tmp_path / "r.html"), "json": str(tmp_path / "r.json")}
    failures = write_reports({"results": []}, targets)
    assert len(failures) == 1 and "html" in failures[0] and (tmp_path / "r.json").is_file()


def test_atomic_writes_replace_whole_files_and_keep_their_mode(tmp_path):
    target = tmp_path / "out" / "report.html"
    write_atomic(target, "first")
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_umask()
    target.chmod(0o640)
    write_atomic(target, "second")
    assert target.read_text(encoding="utf-8") == "second" and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_a_report_written_in_pieces_that_fails_midway_leaves_the_old_file_whole(tmp_path):
    target = tmp_path / "report.json"
    write_atomic(target, ["{", "}\n"])
    assert target.read_text(encoding="utf-8") == "{}\n"

    def pieces():
        yield '{"results": [\n'
        raise RuntimeError("the writer failed")

    with pytest.raises(RuntimeError):
        write_atomic(target, pieces())
    assert target.read_text(encoding="utf-8") == "{}\n" and [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_the_json_report_is_written_one_result_per_line(tmp_path):
    results = [{"rule_id": f"R-{n}", "status": "PASS"} for n in range(3)]
    write_reports({"tool": {"name": "checker"}, "results": results}, {"json": str(tmp_path / "r.json")})
    lines = (tmp_path / "r.json").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line.rstrip(",")) for line in lines[1:4]] == results
    assert json.loads("\n".join(lines))["results"] == results


def test_atomic_writes_follow_links_and_stream_into_pipes(tmp_path):
    target = tmp_path / "real.md"
    link = tmp_path / "link.md"
    target.write_text("old", encoding="utf-8")
    link.symlink_to(target)
    write_atomic(link, "new")
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "new"

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text(encoding="utf-8")))
    reader.start()
    write_atomic(pipe, "summary")  # like --markdown /dev/stdout: a rename would replace the pipe
    reader.join(timeout=10)
    assert received == ["summary"] and stat.S_ISFIFO(pipe.stat().st_mode)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_templates_carry_the_git_commit_they_were_scanned_at(tmp_path):
    def git(*args):
        return subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True,
                              text=True).stdout.strip()

    git("init", "-q")
    template = tmp_path / "stack.yaml"
    template.write_text("Resources: {}\n", encoding="utf-8")
    git("add", "stack.yaml")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "stack")
    assert git_revision(str(template)) == {"repository_path": "stack.yaml", "git_commit": git("rev-parse", "HEAD"),
                                           "git_modified": False}
    template.write_text("Resources: {Changed: {}}\n", encoding="utf-8")
    assert git_revision(str(template))["git_modified"] is True


def test_templates_outside_git_have_no_commit(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    template = tmp_path / "stack.yaml"
    template.write_text("Resources: {}\n", encoding="utf-8")
    assert git_revision(str(template)) == {}
