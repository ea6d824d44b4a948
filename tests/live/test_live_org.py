"""`checker org` on a simulated organisation: accounts from AWS Organizations, an audit role assumed in each,
stacks in two Regions, scanned on a real dask.distributed cluster of worker processes that reach the local
emulator over HTTP. Faults are injected by the proxy in front of the emulator (worker processes do not see
hooks installed in this one)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest

from checker.cli import main
from checker.engine.rules import bundled_rule_dirs, load_rules
from checker.org.run import scan_org
from checker.org.schedule import Cluster
from checker.org.stream import Stream
from checker.org.targets import Account
from checker.org.work import OrgSpec, pack_rules
from checker.report.payload import rule_pack_version
from tests.live import org_env
from tests.live.proxy import Fault

distributed = pytest.importorskip("distributed")
REGIONS = ["us-east-1", "us-west-2"]
RULES = load_rules(bundled_rule_dirs())


@pytest.fixture(scope="module")
def organization(endpoint):
    with pytest.MonkeyPatch.context() as patch:
        org_env.refuse_missing_roles(patch)
        suffix = uuid.uuid4().hex[:8]
        accounts = org_env.create_accounts(endpoint, 3, suffix)
        yield org_env.provision(endpoint, accounts, REGIONS, 2, suffix, without_role=(accounts[2],))


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None,
                                  silence_logs=50) as local, distributed.Client(local) as client:
        yield client


def org_args(endpoint: str, directory: Path, *extra: str) -> list[str]:
    return ["org", "--role-name", org_env.ROLE, "--regions", ",".join(REGIONS), "--endpoint-url", endpoint,
            "--json", str(directory / "org.json"), "--stream", str(directory / "org.jsonl"), "-q", *extra]


@pytest.fixture(scope="module")
def org_run(endpoint, organization, cluster, tmp_path_factory):
    """One `checker org` run over the whole organisation: (exit code, JSON report, its directory)."""
    directory = tmp_path_factory.mktemp("org")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(directory)  # no checker.yaml: each account is its own environment
        code = main(org_args(endpoint, directory, "--scheduler", cluster.scheduler.address))
    return code, json.loads((directory / "org.json").read_text()), directory


def verdicts(results: list[dict]) -> set[tuple]:
    return {(r["rule_id"], r["resource"], r["status"], r["message"], tuple(r["decided_by"])) for r in results}


def test_org_scan_gives_the_verdicts_of_checker_live_per_stack(org_run, organization, endpoint, tmp_path,
                                                               monkeypatch):
    _, payload, _ = org_run
    monkeypatch.chdir(tmp_path)
    compared = 0
    for (account, region, stack), parameters in organization.stacks.items():
        if account in organization.without_role:
            continue
        body = org_env.client(endpoint, "cloudformation", region, account).get_template(StackName=stack)
        template = tmp_path / f"{account}-{region}-{stack}.json"
        template.write_text(json.dumps(body["TemplateBody"]))
        report = tmp_path / "live.json"
        main(["live", "--stack-name", stack, "--template", str(template), "--region", region, "--env", account,
              "--account-id", account, "--role-arn", f"arn:aws:iam::{account}:role/{org_env.ROLE}",
              "--endpoint-url", endpoint, "-q", "--json", str(report),
              *[f"--param={k}={v}" for k, v in parameters.items()]])
        live = json.loads(report.read_text())["results"]
        mine = [r for r in payload["results"] if (r["account"], r["region"], r["stack"]) == (account, region, stack)]
        assert verdicts(mine) == verdicts(live)
        compared += 1
    assert compared == 8


def test_every_result_names_its_account_region_and_stack(org_run, organization):
    _, payload, _ = org_run
    scanned = {(r["account"], r["region"], r["stack"]) for r in payload["results"] if r["stack"]}
    assert scanned == {key for key in organization.stacks if key[0] not in organization.without_role}
    assert {r["environment"] for r in payload["results"]} == set(organization.accounts)


def test_an_account_whose_role_is_missing_is_error_in_each_region_and_not_scanned(org_run, organization):
    code, payload, _ = org_run
    missing = organization.without_role[0]
    entries = [e for e in payload["org"]["not_scanned"] if e["account"] == missing]
    assert {(e["region"], e["stack"]) for e in entries} == {(region, None) for region in REGIONS}
    assert all("AccessDenied" in e["cause"] and f"{missing}:role/{org_env.ROLE}" in e["cause"] for e in entries)
    mine = [r for r in payload["results"] if r["account"] == missing]
    assert {(r["rule_id"], r["region"], r["status"]) for r in mine} == {
        (rule.id, region, "ERROR") for rule in RULES if "live" in rule.sources and rule.applies_in(missing)
        for region in REGIONS}
    assert code == 1


def test_the_stream_holds_each_stack_once_after_its_results(org_run, organization):
    _, _, directory = org_run
    lines = [json.loads(line) for line in (directory / "org.jsonl").read_text().splitlines()]
    stacks = [(line["account"], line["region"], line["stack"]) for line in lines if line["kind"] == "stack"]
    assert sorted(stacks) == sorted(k for k in organization.stacks if k[0] not in organization.without_role)


def test_resume_scans_only_the_stacks_the_stream_lacks(org_run, endpoint, tmp_path, monkeypatch):
    _, first, directory = org_run
    monkeypatch.chdir(tmp_path)
    lines = (directory / "org.jsonl").read_text().splitlines(keepends=True)
    cut = [i for i, line in enumerate(lines) if json.loads(line)["kind"] == "stack"][2]  # three stacks written,
    (tmp_path / "org.jsonl").write_text("".join(lines[:cut + 1]) + lines[cut + 1][:40])  # then a torn line
    code = main(org_args(endpoint, tmp_path, "--resume", "--local-workers", "1", "--tasks-per-worker", "2"))
    again = json.loads((tmp_path / "org.json").read_text())
    assert again["org"]["stacks_resumed"] == 3
    assert again["org"]["stacks_scanned"] == first["org"]["stacks_scanned"]
    key = lambda r: (r["account"], r["region"], r["stack"], r["rule_id"], r["resource"], r["status"])  # noqa: E731
    assert sorted(map(key, again["results"])) == sorted(map(key, first["results"]))
    assert code == 1


def test_a_throttled_account_is_error_and_the_others_are_scanned(org_run, organization, cluster, proxied, tmp_path,
                                                                monkeypatch):
    state, url = proxied
    _, first, _ = org_run
    monkeypatch.chdir(tmp_path)
    throttled, healthy = organization.accounts[:2]
    state.reset([Fault("throttle", account=throttled)])
    accounts = tmp_path / "accounts.txt"
    accounts.write_text(f"{throttled}\n{healthy}  # payments\n")
    code = main(org_args(url, tmp_path, "--accounts", str(accounts), "--max-attempts", "2",
                         "--scheduler", cluster.scheduler.address))
    payload = json.loads((tmp_path / "org.json").read_text())
    assert {(e["account"], e["region"]) for e in payload["org"]["not_scanned"]} == {(throttled, r) for r in REGIONS}
    assert all("Throttling" in e["cause"] for e in payload["org"]["not_scanned"])
    assert {r["status"] for r in payload["results"] if r["account"] == throttled} == {"ERROR"}
    assert verdicts([r for r in payload["results"] if r["account"] == healthy]) == verdicts(
        [r for r in first["results"] if r["account"] == healthy])
    assert code == 1


def test_a_worker_killed_mid_run_loses_and_repeats_nothing(org_run, organization, cluster, proxied, tmp_path):
    state, url = proxied
    _, first, _ = org_run
    state.reset(latency_s=0.15)  # stacks take seconds: one is being scanned when its worker dies
    accounts = [Account(a) for a in organization.accounts if a not in organization.without_role]
    spec = OrgSpec(run=uuid.uuid4().hex[:12], role_name=org_env.ROLE, endpoint_url=url, calls_per_task=2,
                   rules=pack_rules(bundled_rule_dirs(), rule_pack_version(RULES)))
    stream = Stream(str(tmp_path / "org.jsonl"), {"rule_pack": spec.rules.version}, resume=False)
    done: list = []
    runner = threading.Thread(target=lambda: done.append(scan_org(Cluster(cluster, "test cluster"), spec, RULES,
                                                                  accounts, REGIONS, stream)))
    runner.start()
    pids = cluster.run(os.getpid)
    victim = None
    for _ in range(400):
        busy = [w for w, keys in cluster.processing().items() if any("checker-scan" in str(k) for k in keys)]
        if busy:
            victim = busy[0]
            os.kill(pids[victim], signal.SIGKILL)
            break
        time.sleep(0.05)
    runner.join(timeout=300)
    stream.close()
    assert victim is not None and done
    scan = done[0]
    keys = [(s["account"], s["region"], s["stack"]) for s in scan.stacks]
    assert sorted(keys) == sorted(k for k in organization.stacks if k[0] not in organization.without_role)
    assert all(s["failure"] is None for s in scan.stacks)
    rows = [(r.account, r.region, r.stack, r.rule_id, r.resource, r.status) for r in scan.results]
    assert len(rows) == len(set(rows))
    assert sorted(rows) == sorted((r["account"], r["region"], r["stack"], r["rule_id"], r["resource"], r["status"])
                                  for r in first["results"] if r["account"] not in organization.without_role
                                  and r["account"] in {a.id for a in accounts})


def test_org_report_renders_in_every_format(org_run, tmp_path):
    _, _, directory = org_run
    shutil.copy(directory / "org.json", tmp_path / "org.json")
    outputs = {name: tmp_path / f"org.{name}" for name in ("html", "sarif", "junit", "markdown")}
    code = main(["report", str(tmp_path / "org.json"), *[f"--{k}={v}" for k, v in outputs.items()]])
    assert code == 1  # decided again: the organisation has failures
    assert (tmp_path / "org-accounts").is_dir()
    assert {p.name for p in (tmp_path / "org-accounts").iterdir()} == {
        f"{a['id']}.html" for a in json.loads((tmp_path / "org.json").read_text())["org"]["accounts"]}
    assert all(path.stat().st_size for path in outputs.values())


def test_every_call_an_org_scan_makes_is_in_the_org_iam_policy(org_run):
    from checker.live.permissions import iam_policy
    from tests.live.test_live_stack import S3_ACTIONS

    _, payload, _ = org_run
    prefixes = {"elbv2": "elasticloadbalancing"}
    called = {f"{prefixes.get(service, service)}:{S3_ACTIONS.get(op, op) if service == 's3' else op}"
              for service, op in (key.split(":") for key in payload["live"]["api_calls"])}
    assert {"cloudformation:DescribeStacks", "cloudformation:GetTemplate", "kms:GetKeyRotationStatus"} <= called
    assert called <= set(iam_policy(org=True)["Statement"][0]["Action"])


def test_no_stack_is_scanned_after_the_deadline(organization, endpoint, cluster, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(org_args(endpoint, tmp_path, "--deadline", "0.001", "--scheduler", cluster.scheduler.address))
    payload = json.loads((tmp_path / "org.json").read_text())
    assert {(e["account"], e["region"], e["cause"]) for e in payload["org"]["not_scanned"]} == {
        (a, r, "the run's deadline passed before it was scanned") for a in ["123456789012", *organization.accounts]
        for r in REGIONS}
    assert {r["status"] for r in payload["results"]} == {"ERROR"}
    assert code == 1


def test_accounts_are_chosen_by_organizational_unit_and_by_tag(organization, endpoint):
    import boto3

    from checker.live.aws import AwsOptions, Clients
    from checker.live.runner import Runner
    from checker.org.targets import organization_accounts

    orgs = org_env.client(endpoint, "organizations")
    root = orgs.list_roots()["Roots"][0]["Id"]
    unit = orgs.create_organizational_unit(ParentId=root, Name=f"pci-{uuid.uuid4().hex[:6]}")["OrganizationalUnit"]
    inner = orgs.create_organizational_unit(ParentId=unit["Id"], Name="cardholder-data")["OrganizationalUnit"]
    orgs.move_account(AccountId=organization.accounts[0], SourceParentId=root, DestinationParentId=inner["Id"])
    tag = uuid.uuid4().hex[:6]
    orgs.tag_resource(ResourceId=organization.accounts[1], Tags=[{"Key": "Scope", "Value": tag}])
    runner = Runner(Clients(boto3.Session(), AwsOptions(endpoint_url=endpoint)), 1)
    assert [a.id for a in organization_accounts(runner, [unit["Id"]])] == [organization.accounts[0]]
    assert [a.id for a in organization_accounts(runner, tags={"Scope": tag})] == [organization.accounts[1]]


def test_stacks_the_configuration_maps_to_a_repository_template_point_at_its_lines(organization, endpoint, cluster,
                                                                                   tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    account = organization.accounts[0]
    (tmp_path / "stack.json").write_text(json.dumps(org_env.TEMPLATE, indent=1))
    (tmp_path / "checker.yaml").write_text(
        "organization:\n  environments:\n    - {tag: Missing}\n    - {region: us-west-2, environment: dev}\n"
        "  templates:\n    - {stack: payments-0, template: stack.json}\n")
    (tmp_path / "accounts.txt").write_text(account)
    main(org_args(endpoint, tmp_path, "--accounts", "accounts.txt", "--scheduler", cluster.scheduler.address))
    results = json.loads((tmp_path / "org.json").read_text())["results"]
    assert {(r["stack"], r["file"]) for r in results if r["resource"]} == {
        ("payments-0", "stack.json"), ("payments-1", None)}  # beside the configuration, as it names it
    assert all(r["line"] for r in results if r["file"] and r["resource"])
    assert {(r["region"], r["environment"]) for r in results} == {("us-east-1", account), ("us-west-2", "dev")}
