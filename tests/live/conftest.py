"""A local AWS for live checks: moto's server on 127.0.0.1, reached over HTTP by real boto3 clients.

No test in this directory talks to AWS or to any address outside 127.0.0.0/8: credentials are dummies,
profiles and shared config files are ignored, instance metadata is disabled, and every client (the
checker's too) has the local server as its endpoint.
"""
from __future__ import annotations

import json
import logging
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.live import payment_env

moto_server_module = pytest.importorskip("moto.server", reason="the live tests need moto[server]")

_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
}
_UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN",
          "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")


@pytest.fixture(scope="session")
def endpoint() -> Iterator[str]:
    """The URL of a moto server started for this test session, with the AWS environment pointed at it."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # otherwise every request is logged to stderr
    with pytest.MonkeyPatch.context() as patch:
        for name in _UNSET:
            patch.delenv(name, raising=False)
        for name, value in _ENVIRONMENT.items():
            patch.setenv(name, value)
        server = moto_server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        patch.setenv("AWS_ENDPOINT_URL", url)  # a client built without an endpoint still stays local
        # Lambda: no docker. Set first: changing it after functions exist hides them.
        _post(url, "/moto-api/config", json.dumps({"lambda": {"use_docker": False}}).encode())
        _faithful_replication(patch)
        _permission_ids(patch)
        try:
            yield url
        finally:
            server.stop()


def _post(url: str, path: str, body: bytes) -> None:
    request = urllib.request.Request(url + path, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def _faithful_replication(patch: pytest.MonkeyPatch) -> None:
    """moto 5.2's GetBucketReplication hard-codes DeleteMarkerReplication {Status: Disabled} and
    Filter {Prefix: ""} and drops SourceSelectionCriteria, whatever was stored, which would make the
    replication rules read fiction. This returns the stored configuration instead. It patches the server
    running in this process (the responder class), not boto3; the checker still reads it over HTTP."""
    from moto.core.responses import ActionResult
    from moto.s3 import responses as s3_responses
    from moto.s3.exceptions import ReplicationConfigurationNotFoundError

    def as_list(value: Any) -> list:
        return value if isinstance(value, list) else [value]

    def get_bucket_replication(self: Any) -> Any:
        self.data["Action"] = "GetBucketReplication"
        stored = self.backend.get_bucket_replication(self.bucket_name)
        if not stored:
            raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
        rules = []
        for rule in as_list(stored["Rule"]):
            rule = {k: v for k, v in rule.items() if not k.startswith("@")}
            selection = rule.get("Filter") if isinstance(rule.get("Filter"), dict) else {}
            both = selection.get("And")
            if isinstance(both, dict) and "Tag" in both:
                selection = {**selection, "And": {**{k: v for k, v in both.items() if k != "Tag"},
                                                  "Tags": as_list(both["Tag"])}}
            if "Filter" in rule:
                rule["Filter"] = selection
            rules.append(rule)
        configuration = {"Role": stored["Role"], "Rules": rules}
        return self.serialized(ActionResult({"ReplicationConfiguration": configuration}))

    patch.setattr(s3_responses.S3Response, "get_bucket_replication", get_bucket_replication)


def _permission_ids(patch: pytest.MonkeyPatch) -> None:
    """moto 5.2's CloudFormation adds an AWS::Lambda::Permission's statement (with a random Sid) but gives the
    resource no physical id, so ListStackResources shows a blank one and `Ref` returns an object's repr.
    CloudFormation's physical id (and Ref) of a permission is its statement id: this records it."""
    from moto.awslambda import models

    def create(cls: Any, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str,
               **kwargs: Any) -> Any:
        properties = cloudformation_json["Properties"]
        function = models.get_backend(account_id, region_name).get_function(properties["FunctionName"])
        statement, _revision = function.policy.add_statement(raw=json.dumps(properties))
        permission = models.Permission(region=region_name)
        permission.physical_resource_id = statement["Sid"]  # type: ignore[attr-defined]
        return permission

    patch.setattr(models.Permission, "create_from_cloudformation_json", classmethod(create))


@pytest.fixture
def aws(endpoint: str) -> Callable[..., Any]:
    """aws(service, region='us-east-1'): a boto3 client of the local server, for provisioning."""
    import boto3

    session = boto3.Session()
    return lambda service, region="us-east-1": session.client(service, region_name=region, endpoint_url=endpoint)


@pytest.fixture
def zero_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """No sleeping between retries (the checker's backoff waits up to seconds)."""
    from checker.live import retry

    monkeypatch.setattr(retry, "BACKOFF_BASE_S", 0.0)


@pytest.fixture
def suffix() -> str:
    """S3 bucket names are global across moto accounts and tests: each test names its own."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def payment(aws: Callable[..., Any], suffix: str, tmp_path: Any) -> payment_env.Deployment:
    """A compliant prod payment environment, its CI outputs file and a checker.yaml, in tmp_path."""
    return payment_env.provision(aws, suffix, tmp_path)


@pytest.fixture
def drifted(aws: Callable[..., Any], payment: payment_env.Deployment) -> payment_env.Deployment:
    """The same environment after someone changed it by hand (see payment_env.DRIFT)."""
    payment_env.drift(aws, payment)
    return payment


@pytest.fixture(scope="session")
def proxy_server(endpoint: str) -> Iterator[tuple[Any, str]]:
    from moto.iam.models import get_account_id_from

    from tests.live import proxy

    state, server, url = proxy.start(endpoint, get_account_id_from)
    try:
        yield state, url
    finally:
        server.shutdown()


@pytest.fixture
def proxied(proxy_server: tuple[Any, str]) -> Iterator[tuple[Any, str]]:
    """(the fault-injecting proxy's state, its URL): give the URL as --endpoint-url, set faults on the state."""
    state, url = proxy_server
    state.reset()
    yield state, url
    state.reset()
