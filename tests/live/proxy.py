"""A fault-injecting HTTP proxy on 127.0.0.1 in front of the local AWS emulator.

Clients use it as their endpoint; it forwards each request to the emulator, or answers in its place as AWS
would under load: throttling, 500s, connection resets, slow answers, AccessDenied, and latency on every
request. Faults are chosen per distinct request (method, path, body), so "throttled twice, then fine"
means the first two attempts of that call fail and the third reaches the emulator.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

THROTTLING = {"query": ("Throttling", 400), "json": ("ThrottlingException", 400),
              "rest-json": ("TooManyRequestsException", 429), "rest-xml": ("SlowDown", 503),
              "ec2": ("RequestLimitExceeded", 503)}
KINDS = ("throttle", "error500", "reset", "slow", "denied")
_S3_QUERY = {"replication": "GetBucketReplication", "versioning": "GetBucketVersioning",
             "lifecycle": "GetBucketLifecycleConfiguration", "encryption": "GetBucketEncryption",
             "publicAccessBlock": "GetPublicAccessBlock", "tagging": "GetBucketTagging", "policy": "GetBucketPolicy",
             "location": "GetBucketLocation"}
_CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/")


@dataclass
class Fault:
    """`kind` (KINDS) on the calls of `service`/`operation` (None: any), for a `share` of the distinct
    requests (chosen by a hash, the same in every run), on their first `times` attempts (None: every one)."""

    kind: str
    service: str | None = None
    operation: str | None = None
    share: float = 1.0
    times: int | None = None
    seconds: float = 0.0  # how long a "slow" answer takes
    account: str | None = None  # only requests signed with this account's credentials (see Proxy.account_of)


@dataclass
class Proxy:
    upstream: str  # the emulator's URL
    # The account an access key id belongs to: the in-process emulator's own mapping (faults by account).
    account_of: Callable[[str], str] | None = None
    faults: list[Fault] = field(default_factory=list)
    latency_s: float = 0.0
    requests: int = 0
    injected: dict[str, int] = field(default_factory=dict)
    _seen: dict[tuple[int, str], int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self, faults: list[Fault] | None = None, latency_s: float = 0.0) -> None:
        with self._lock:
            self.faults, self.latency_s = list(faults or []), latency_s
            self.requests, self.injected, self._seen = 0, {}, {}

    def choose(self, service: str, operation: str, key: str, access_key: str = "") -> Fault | None:
        """The fault this attempt meets, if any (counting attempts per distinct request)."""
        with self._lock:
            self.requests += 1
            for index, fault in enumerate(self.faults):
                if fault.service not in (None, service) or fault.operation not in (None, operation):
                    continue
                if fault.account is not None and (self.account_of is None or self.account_of(access_key)
                                                  != fault.account):
                    continue
                if _fraction(key) >= fault.share:
                    continue
                seen = self._seen[index, key] = self._seen.get((index, key), 0) + 1
                if fault.times is None or seen <= fault.times:
                    self.injected[fault.kind] = self.injected.get(fault.kind, 0) + 1
                    return fault
            return None


def _fraction(key: str) -> float:
    return struct.unpack(">Q", hashlib.sha256(key.encode()).digest()[:8])[0] / 2 ** 64


def _operation(service: str, method: str, path: str, headers: dict, body: bytes) -> tuple[str, str]:
    """(operation, protocol) of a request."""
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1], "json"
    form = parse_qs(body.decode(errors="replace")) if body else {}
    if "Action" in form:
        return form["Action"][0], "ec2" if service == "ec2" else "query"
    url = urlsplit(path)
    if service == "s3":
        query = parse_qs(url.query, keep_blank_values=True)
        return next((op for name, op in _S3_QUERY.items() if name in query), f"{method} {url.path}"), "rest-xml"
    if service == "lambda":
        last = url.path.rstrip("/").rsplit("/", 1)[-1]
        return {"configuration": "GetFunctionConfiguration", "policy": "GetPolicy"}.get(last, last), "rest-json"
    return f"{method} {url.path}", "rest-json"


def _error(protocol: str, code: str, message: str) -> tuple[str, bytes]:
    if protocol in ("json", "rest-json"):
        return "application/x-amz-json-1.1", json.dumps({"__type": code, "message": message}).encode()
    if protocol == "rest-xml":
        return "application/xml", f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
    if protocol == "ec2":
        return "text/xml", (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
                            "</Errors><RequestID>x</RequestID></Response>").encode()
    return "text/xml", (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                        "</Error><RequestId>x</RequestId></ErrorResponse>").encode()


def _handler(proxy: Proxy) -> type[BaseHTTPRequestHandler]:
    upstream = urlsplit(proxy.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:
            pass

        def _any(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            match = _CREDENTIAL.search(headers.get("authorization", ""))
            access_key, service = match.groups() if match else ("", "")
            operation, protocol = _operation(service, self.command, self.path, headers, body)
            signed = re.sub(rb"X-Amz-[A-Za-z]+=[^&]*", b"", body)
            fault = proxy.choose(service, operation, f"{self.command} {self.path} {signed!r}", access_key)
            if proxy.latency_s:
                time.sleep(proxy.latency_s)
            if fault and fault.kind == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
                return
            if fault and fault.kind == "slow":
                time.sleep(fault.seconds)
            if fault and fault.kind in ("throttle", "error500", "denied"):
                code, status = {"throttle": THROTTLING[protocol], "error500": ("InternalFailure", 500),
                                "denied": ("AccessDenied", 403)}[fault.kind]
                content_type, payload = _error(protocol, code, f"injected {fault.kind}")
                self._answer(status, {"Content-Type": content_type, "x-amzn-ErrorType": code}, payload)
                return
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
            try:
                connection.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
                response = connection.getresponse()
                payload = response.read()
                passed = {k: v for k, v in response.getheaders()
                          if k.lower() not in ("content-length", "transfer-encoding", "connection")}
                self._answer(response.status, passed, payload)
            finally:
                connection.close()

        def _answer(self, status: int, headers: dict, payload: bytes) -> None:
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client gave up waiting (a slow answer past its read timeout)
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any  # noqa: N815 - the server's method names

    return Handler


def start(upstream: str, account_of: Callable[[str], str] | None = None) -> tuple[Proxy, ThreadingHTTPServer, str]:
    """A running proxy in front of `upstream` on 127.0.0.1: (its state, its server, its URL)."""
    proxy = Proxy(upstream, account_of)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True, name="fault-proxy").start()
    return proxy, server, f"http://127.0.0.1:{server.server_address[1]}"
