"""Fault injection for live checks: a botocore `before-send` hook on the session the checker is given.

The hook answers in place of the server with the error AWS would send, so botocore parses it and its
retry logic runs as it would against AWS. The emulator itself cannot throttle or deny.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse, HeadersDict
from botocore.exceptions import ReadTimeoutError

THROTTLING = {"query": ("Throttling", 400), "json": ("ThrottlingException", 400),
              "rest-json": ("TooManyRequestsException", 429), "rest-xml": ("SlowDown", 503),
              "ec2": ("RequestLimitExceeded", 503)}


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data


def _error_body(protocol: str, code: str, message: str) -> tuple[dict, bytes]:
    if protocol in ("json", "rest-json"):
        return ({"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code},
                json.dumps({"__type": code, "message": message}).encode())
    if protocol == "rest-xml":
        return ({"Content-Type": "application/xml"},
                f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>x</RequestId></Error>".encode())
    if protocol == "ec2":
        return ({"Content-Type": "text/xml"}, f"<Response><Errors><Error><Code>{code}</Code><Message>{message}"
                f"</Message></Error></Errors><RequestID>x</RequestID></Response>".encode())
    return ({"Content-Type": "text/xml"}, f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>"
            f"{message}</Message></Error><RequestId>x</RequestId></ErrorResponse>".encode())


@dataclass
class Fault:
    """Every send of `operation` of `service` fails: with `code` ("throttle" picks the service's own
    throttling error), with a read timeout ("timeout"), or with an HTML 500 page ("html500", which botocore
    cannot parse). `attempts` counts the sends, retries included."""

    service: str  # boto3 service name
    operation: str
    code: str
    status: int = 400
    attempts: int = field(default=0)

    def install(self, session: Any) -> None:
        import boto3

        model = boto3.Session().client(self.service, region_name="us-east-1").meta.service_model
        protocol, hook_id = model.protocol, model.service_id.hyphenize()
        code, status = THROTTLING[protocol] if self.code == "throttle" else (self.code, self.status)

        def answer(request: Any, **_: Any) -> Any:
            self.attempts += 1
            if self.code == "timeout":
                raise ReadTimeoutError(endpoint_url=request.url)
            if self.code == "html500":
                return AWSResponse(request.url, 500, HeadersDict({"Content-Type": "text/html"}),
                                   _Body(b"<html><body>Internal Server Error</body></html>"))
            headers, body = _error_body(protocol, code, f"injected {code}")
            return AWSResponse(request.url, status, HeadersDict(headers), _Body(body))

        session.events.register(f"before-send.{hook_id}.{self.operation}", answer)


def recording(session: Any) -> set[tuple[str, str]]:
    """Record (IAM service prefix, operation) of every API call made by clients of `session`."""
    seen: set[tuple[str, str]] = set()

    def record(model: Any, **_: Any) -> None:
        seen.add((model.service_model.signing_name, model.name))

    session.events.register("before-call", record)
    return seen
