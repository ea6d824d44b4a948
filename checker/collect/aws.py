"""AWS access: the session, retry configuration and one shared client per (service, region).

boto3 is imported here, inside functions, and only when a live scan runs: template scans never load it.
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AwsOptions:
    """How to reach AWS: the standard credential chain, optionally a profile, a role and an endpoint."""

    profile: str | None = None
    role_arn: str | None = None
    endpoint_url: str | None = None
    retry_mode: str = "standard"
    max_attempts: int = 5  # total attempts per call, the first one included
    connect_timeout: float = 5.0
    read_timeout: float = 30.0


def open_session(options: AwsOptions, region: str | None = None) -> Any:
    """A boto3 Session from the credential chain (and `profile`); with `role_arn`, the assumed role's."""
    import boto3

    session = boto3.Session(profile_name=options.profile, region_name=region)
    if not options.role_arn:
        return session
    sts = session.client("sts", endpoint_url=options.endpoint_url, config=client_config(options, 1))
    credentials = sts.assume_role(RoleArn=options.role_arn, RoleSessionName="checker-live")["Credentials"]
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials["SessionToken"], region_name=region)


def client_config(options: AwsOptions, workers: int) -> Any:
    from botocore.config import Config

    return Config(retries={"mode": options.retry_mode, "total_max_attempts": options.max_attempts},
                  connect_timeout=options.connect_timeout, read_timeout=options.read_timeout,
                  max_pool_connections=max(10, workers))


class Clients:
    """One client per (service, region), created on first use and shared by every worker thread.

    boto3 clients are thread-safe, sessions are not: creation happens under a lock. Every API request a
    client sends is counted per "service:Operation" (pages of a paginated call count one each).
    """

    def __init__(self, session: Any, options: AwsOptions, workers: int = 1) -> None:
        self._session = session
        self._endpoint_url = options.endpoint_url
        self._config = client_config(options, workers)
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()

    def get(self, service: str, region: str) -> Any:
        with self._lock:
            client = self._clients.get((service, region))
            if client is None:
                client = self._session.client(service, region_name=region, endpoint_url=self._endpoint_url,
                                              config=self._config)
                client.meta.events.register("before-call", self._count)
                self._clients[(service, region)] = client
            return client

    def _count(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    def default_region(self) -> str | None:
        return self._session.region_name
