"""AWS access: the session (checked before anything is read), the Region, and clients per worker thread.

boto3 is imported here, inside functions, and only when a live scan runs: template scans never load it.
Retries are the runner's (retry.py), not botocore's: each client makes one attempt per call.
"""
from __future__ import annotations

import functools
import os
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from checker.errors import InputError

ROLE_SESSION_NAME = "checker-live"


@dataclass(frozen=True)
class AwsOptions:
    """How to reach AWS: the standard credential chain, optionally a profile, a role and an endpoint."""

    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    duration_s: int = 3600  # of each assumed-role session; refreshed before it expires
    endpoint_url: str | None = None
    max_attempts: int = 5  # total attempts per call, the first one included
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    deadline_s: float | None = None  # no call starts after this many seconds of the run
    session_name: str = ROLE_SESSION_NAME  # of each assumed-role session (CloudTrail shows it)


def open_session(options: AwsOptions, region: str | None = None, base: Any = None) -> tuple[Any, str]:
    """A checked boto3 Session (from the credential chain and `profile`, or `base`) and its account: the
    profile exists, credentials are found, the role (if any) can be assumed and the endpoint answers. Any
    of these failing is bad input (InputError), before a resource is read."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        session = base or boto3.Session(profile_name=options.profile, region_name=region)
    except ProfileNotFound:
        known = ", ".join(boto3.Session().available_profiles) or "none"
        raise InputError("--profile", f"no AWS profile named {options.profile!r} (profiles: {known})") from None
    if session.get_credentials() is None:
        raise InputError("credentials", "no AWS credentials found: set AWS_PROFILE, AWS_ACCESS_KEY_ID and "
                         "AWS_SECRET_ACCESS_KEY, or give --profile")
    if options.role_arn:
        session = _assumed(session, options, region)
    return session, check_identity(session, options, region or default_region(session) or "us-east-1")


def _assumed(source: Any, options: AwsOptions, region: str | None) -> Any:
    """A session whose credentials are the role's, refreshed by assuming it again before they expire."""
    import boto3
    import botocore.session
    from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
    from botocore.exceptions import BotoCoreError, ClientError

    extra: dict[str, Any] = {"RoleSessionName": options.session_name, "DurationSeconds": options.duration_s}
    if options.external_id:
        extra["ExternalId"] = options.external_id

    def sts_client(service: str, **kwargs: Any) -> Any:
        return source.client(service, endpoint_url=options.endpoint_url, config=client_config(options, retried=True),
                             **kwargs)

    fetcher = AssumeRoleCredentialFetcher(sts_client, source.get_credentials(), options.role_arn, extra_args=extra)
    credentials = DeferredRefreshableCredentials(fetcher.fetch_credentials, "assume-role")
    # botocore refreshes 15 minutes before expiry (10 at the latest): for sessions of 15 to 45 minutes that
    # would assume the role again before every request. Refresh in the last third (sixth) of the session.
    credentials._advisory_refresh_timeout = min(credentials._advisory_refresh_timeout, options.duration_s // 3)
    credentials._mandatory_refresh_timeout = min(credentials._mandatory_refresh_timeout, options.duration_s // 6)
    try:
        credentials.get_frozen_credentials()
    except (BotoCoreError, ClientError) as exc:
        raise InputError("--role-arn", f"could not assume {options.role_arn}: {_reason(exc)}") from None
    core = botocore.session.Session()
    core._credentials = credentials  # botocore's documented seam for refreshable credentials
    return boto3.Session(botocore_session=core, region_name=region or source.region_name)


def check_identity(session: Any, options: AwsOptions, region: str) -> str:
    """The account the credentials belong to (sts:GetCallerIdentity, which needs no permission)."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    client = session.client("sts", region_name=region, endpoint_url=options.endpoint_url,
                            config=client_config(options, retried=True))
    try:
        return str(client.get_caller_identity()["Account"])
    except EndpointConnectionError as exc:
        where = "--endpoint-url" if options.endpoint_url else "AWS"
        raise InputError(where, f"cannot reach {exc.kwargs.get('endpoint_url')}: {_reason(exc)}") from None
    except (BotoCoreError, ClientError) as exc:
        where = "--role-arn" if options.role_arn else "--profile" if options.profile else "credentials"
        raise InputError(where, f"the credentials were refused: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and response.get("Error"):
        error = response["Error"]
        return f"{error.get('Code')}: {error.get('Message')}"
    return " ".join(line.strip() for line in str(exc).splitlines() if line.strip())  # one line, all of it


def default_region(session: Any) -> str | None:
    """The Region the AWS configuration names: AWS_REGION, then AWS_DEFAULT_REGION and the profile."""
    return os.environ.get("AWS_REGION") or session.region_name


def check_region(region: str) -> str:
    """`region`, when some AWS partition has it (botocore's endpoint data)."""
    if region in _known_regions():
        return region
    raise InputError("--region", f"unknown AWS Region {region!r}")


@functools.cache
def _known_regions() -> frozenset[str]:
    """Every partition's Regions, read once: botocore's endpoint data takes a tenth of a second to load, which an
    organisation scan would otherwise pay for every stack."""
    import botocore.session

    core = botocore.session.get_session()
    return frozenset(region for partition in core.get_available_partitions()
                     for region in core.get_available_regions("sts", partition))


def client_config(options: AwsOptions, retried: bool = False) -> Any:
    """One attempt per call (the runner retries), or botocore's retries for the calls made before the scan."""
    from botocore.config import Config

    attempts = options.max_attempts if retried else 1
    return Config(retries={"mode": "standard", "total_max_attempts": attempts},
                  connect_timeout=options.connect_timeout, read_timeout=options.read_timeout, max_pool_connections=2)


class Clients:
    """One client per worker thread, service and Region, created on first use.

    A client per thread keeps each worker's connections, and any per-client state, its own. boto3 sessions
    are not thread-safe: creation happens under a lock. Every request sent is counted per "service:Operation"
    in `requests` (each attempt, and each page of a paginated call).
    """

    def __init__(self, session: Any, options: AwsOptions) -> None:
        self._session = session
        self.options = options
        self._config = client_config(options)
        self._clients: dict[tuple[int, str, str], Any] = {}
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()

    def get(self, service: str, region: str) -> Any:
        key = (threading.get_ident(), service, region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._session.client(service, region_name=region, endpoint_url=self.options.endpoint_url,
                                              config=self._config)
                client.meta.events.register("before-call", self._count)
                self._clients[key] = client
            return client

    def _count(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.requests[f"{model.service_model.service_name}:{model.name}"] += 1

    def default_region(self) -> str | None:
        return default_region(self._session)
