"""The options of `checker org`; the rule, report, AWS and live options are the other commands' (project/options.py)."""
from __future__ import annotations

import argparse

from checker.project.options import AWS, LIVE

# The live options that apply (checker.yaml may set them too): the role is named per account, and the calls in
# flight are set per task (--calls-per-task).
ORG_AWS = tuple(option for option in AWS if option.name != "role-arn")
ORG_LIVE = tuple(option for option in LIVE if option.name != "workers")
DEFAULT_TASKS_PER_WORKER = 4
DEFAULT_CALLS_PER_TASK = 8
DEFAULT_ACCOUNT_CONCURRENCY = 4


def add_org_options(parser: argparse.ArgumentParser) -> None:
    targets = parser.add_argument_group("accounts, Regions and stacks")
    targets.add_argument("--role-name", required=True, metavar="NAME",
                         help="role assumed in every account to read it (arn:aws:iam::ACCOUNT:role/NAME)")
    targets.add_argument("--regions", required=True, metavar="R1,R2",
                         help="Regions to scan in every account, comma-separated")
    targets.add_argument("--accounts", metavar="FILE",
                         help="file of 12-digit account ids, one a line (default: the organisation's accounts "
                              "from AWS Organizations ListAccounts)")
    targets.add_argument("--ou", action="append", default=[], metavar="OU_ID",
                         help="only accounts under this organizational unit (repeatable)")
    targets.add_argument("--account-tag", action="append", default=[], metavar="KEY=VALUE",
                         help="only accounts with this tag in Organizations (repeatable: all must hold)")
    targets.add_argument("--stack-name", action="append", default=[], metavar="GLOB",
                         help="only stacks whose name matches (repeatable; * and ?; default: every stack)")
    aws = parser.add_argument_group("reaching the accounts (read-only AWS calls)")
    aws.add_argument("--role-session-name", default="checker-org", metavar="NAME",
                     help="session name of the assumed roles, as CloudTrail shows it (default: checker-org)")
    work = parser.add_argument_group("scheduling on Dask")
    work.add_argument("--scheduler", metavar="ADDRESS",
                      help="run on the Dask cluster of this scheduler (tcp://HOST:8786) instead of a local one")
    work.add_argument("--local-workers", type=int, metavar="N",
                      help="worker processes of the local cluster (default: one per core)")
    work.add_argument("--tasks-per-worker", type=int, default=DEFAULT_TASKS_PER_WORKER, metavar="N",
                      help=f"stacks each local worker scans at once (default: {DEFAULT_TASKS_PER_WORKER})")
    work.add_argument("--calls-per-task", type=int, default=DEFAULT_CALLS_PER_TASK, metavar="N",
                      help=f"API calls in flight for one stack (default: {DEFAULT_CALLS_PER_TASK})")
    work.add_argument("--account-concurrency", type=int, default=DEFAULT_ACCOUNT_CONCURRENCY, metavar="N",
                      help=f"stacks of one account scanned at once (default: {DEFAULT_ACCOUNT_CONCURRENCY})")
    work.add_argument("--account-rate", action="append", default=[], metavar="SERVICE=N",
                      help="calls a second the scan may make to SERVICE (or 'default') in one account and Region "
                           "(repeatable; see docs/org.md)")
    work.add_argument("--stream", metavar="FILE", help="write each stack's results as JSON Lines as it is scanned")
    work.add_argument("--resume", action="store_true",
                      help="skip the stacks the --stream file already holds, and add to it")
