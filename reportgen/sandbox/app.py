"""Request routing, independent of the HTTP plumbing: a Request in, a Response out.

Endpoints:

* ``POST /graphql``: the GraphQL API (API key required).
* ``POST /files/<entity>/<project>/<run>/file_stream``: run history, summary and completion
  from wandb-core (API key required).
* ``PUT /_sandbox/files/<run>/<name>?sig=...``: run file uploads to the URLs ``createRunFiles``
  hands out; like a signed cloud-storage URL, the signature is the credential.
* ``POST /sdk/otel/v1/metrics`` and ``/logs``: wandb-core telemetry, accepted and dropped.
* ``GET /_sandbox/health``: liveness, no key needed.
* ``GET /_sandbox/stats``, ``POST /_sandbox/stats/reset``: request accounting (see stats.py).
* ``GET|PUT|DELETE /_sandbox/faults``: fault injection (see faults.py); PUT takes
  ``{"faults": [{"kind": "429", "op": "Viewer", ...}], "seed": 1}``.
* ``GET|PUT /_sandbox/settings``: behaviour switches (see settings.py); PUT takes the fields
  to change, e.g. ``{"view_upsert": "insert"}``.

Bad client input is a 4xx (or a GraphQL error with 200), never a 5xx: wandb-core retries 5xx
for a long while. Error messages and admin answers never carry the API key, even when the
client sent it in what is being echoed; GraphQL ``data`` is returned as stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, unquote

from graphql import GraphQLError

from reportgen.sandbox import stats as kinds
from reportgen.sandbox.backend import Backend
from reportgen.sandbox.db import StoreError, parse_json
from reportgen.sandbox.engine import INVALID, Engine, Operation
from reportgen.sandbox.faults import DROP, DROP_AFTER, TOO_MANY, Fault, FaultPlan
from reportgen.sandbox.pages import PageRequest, Pages
from reportgen.sandbox.stats import Stats

log = logging.getLogger("reportgen.sandbox")

_FILE_STREAM = re.compile(r"^/files/(?:([^/]*)/)?([^/]+)/([^/]+)/file_stream$")
_UPLOAD = re.compile(r"^/_sandbox/files/(\d+)/(.+)$")


@dataclass(frozen=True)
class Request:
    """What the HTTP layer read: method, path (no query string), query, headers, body."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Response:
    """What to send back; ``drop`` resets the connection without answering.

    A dropped response with a status was executed and then lost (``drop_after``); one with
    status 0 never ran (``drop``).
    """

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    drop: bool = False
    label: str = field(default="", compare=False)  # operation name, for the access log

    @classmethod
    def json(
        cls, status: int, payload: Any, label: str = "", headers: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        """A JSON response."""
        body = json.dumps(payload).encode()
        return cls(status, body, (("Content-Type", "application/json"), *headers), label=label)


def _page_response(status: int, body: bytes, headers: tuple[tuple[str, str], ...]) -> Response:
    return Response(status, body, headers, label="page")


def _error(status: int, message: str, label: str = "") -> Response:
    return Response.json(status, {"errors": [{"message": message}]}, label)


@dataclass(frozen=True)
class _Verdict:
    """What the faults made of one request: answer ``instead``, or run it (and maybe lose it)."""

    instead: Response | None = None
    lose_response: bool = False

    def deliver(self, response: Response) -> Response:
        """The response to send once the request ran: itself, or a dropped connection."""
        return replace(response, drop=True) if self.lose_response else response


class _BadBody(Exception):
    """A request body that cannot be read as the JSON the endpoint expects."""


class UploadSigner:
    """Upload URLs that carry their own credential, as signed storage URLs do."""

    def __init__(self, secret: str, base_url: str) -> None:
        self._secret = hashlib.sha256(b"reportgen-sandbox-upload\0" + secret.encode()).digest()
        self.base_url = base_url

    def _sign(self, run_pk: int, name: str) -> str:
        message = f"{run_pk}/{name}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def url(self, run_pk: int, name: str) -> str:
        """Where wandb-core should PUT the run file ``name``."""
        return (
            f"{self.base_url}/_sandbox/files/{run_pk}/{quote(name)}?sig={self._sign(run_pk, name)}"
        )

    def verify(self, run_pk: int, name: str, signature: str) -> bool:
        """Whether ``signature`` is the one ``url`` put on this file's URL."""
        return hmac.compare_digest(self._sign(run_pk, name), signature)


class App:
    """Routes requests to the GraphQL engine, the run stores and the admin endpoints."""

    def __init__(
        self,
        backend: Backend,
        api_key: str,
        signer: UploadSigner,
        stats: Stats,
        faults: FaultPlan,
        pages: Pages | None = None,
    ) -> None:
        self.backend = backend
        self.pages = pages  # view pages for a browser (pages.py), when a renderer was given
        self.engine = Engine()
        self.stats = stats
        self.faults = faults
        self._api_key = api_key
        self._api_key_in_json = json.dumps(api_key)[1:-1].encode()  # as it appears in a body
        self._signer = signer

    def handle(self, req: Request) -> Response:
        """Answer one request."""
        try:
            response = self._route(req)
        except RecursionError:
            # Whatever the client nested, it is its problem: a 5xx would be retried for long.
            response = _error(400, "the request is nested too deeply")
        return self._scrub(response, admin=req.path.startswith("/_sandbox/"))

    def _scrub(self, response: Response, admin: bool) -> Response:
        """Take the API key out of error messages and admin answers (not out of data)."""
        secret = self._api_key_in_json
        if response.drop or secret not in response.body:
            return response
        if admin or response.status >= 400:
            return replace(response, body=response.body.replace(secret, b"***"))
        payload = json.loads(response.body)
        for error in payload.get("errors") or []:
            error["message"] = str(error.get("message", "")).replace(self._api_key, "***")
        return replace(response, body=json.dumps(payload).encode())

    def _route(self, req: Request) -> Response:
        if req.path == "/_sandbox/health":
            return Response.json(200, {"ok": True})
        if req.path.startswith("/sdk/otel/"):
            verdict = self._counted(kinds.TELEMETRY, kinds.TELEMETRY)
            return verdict.instead or verdict.deliver(Response(200, label=kinds.TELEMETRY))
        upload = _UPLOAD.match(req.path)
        if upload and req.method == "PUT":
            return self._upload(req, int(upload.group(1)), unquote(upload.group(2)))
        if self.pages is not None:
            authorized = self._authorized(req.headers.get("authorization", ""))
            asked = PageRequest(req.method, req.path, req.query, req.headers, authorized)
            page: Response | None = self.pages.handle(asked, self.local_graphql, _page_response)
            if page is not None:
                return page
        if not self._authorized(req.headers.get("authorization", "")):
            self.stats.record(kinds.UNAUTHORIZED, kinds.UNAUTHORIZED)
            return _error(401, "unauthorized", kinds.UNAUTHORIZED)
        if req.path == "/graphql" and req.method == "POST":
            return self._graphql(req)
        stream = _FILE_STREAM.match(req.path)
        if stream and req.method == "POST":
            return self._file_stream(req, *(unquote(g or "") for g in stream.groups()))
        if req.path.startswith("/_sandbox/"):
            return self._admin(req)
        log.warning("unhandled request: %s %s", req.method, req.path)
        return _error(404, f"the sandbox does not serve {req.method} {req.path}")

    def local_graphql(self, query: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        """Run an operation in process (uncounted, no faults): the API a page renderer reads."""
        body, errors = self.engine.execute(
            self.engine.prepare(query), dict(variables), self.backend
        )
        if errors or body.get("errors"):
            messages = "; ".join(e.get("message", "") for e in body.get("errors") or [])
            raise RuntimeError(f"GraphQL error: {messages}")
        data: Mapping[str, Any] = body.get("data") or {}
        return data

    def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        key = decoded.partition(":")[2]
        return hmac.compare_digest(key.encode(), self._api_key.encode())

    def _counted(self, name: str, kind: str) -> _Verdict:
        """Count the request and apply any fault (waiting out any injected latency)."""
        self.stats.record(name, kind)
        decision = self.faults.decide(name)
        if decision.delayed:
            time.sleep(decision.delay)
            self.stats.record_delay(name, decision.delay)
        fault = decision.failure
        if fault is None:
            return _Verdict()
        self.stats.record_fault(name, fault.kind)
        log.info("injecting fault %s into %s", fault.kind, name)
        if fault.kind == DROP_AFTER:
            return _Verdict(lose_response=True)
        if fault.kind == DROP:
            return _Verdict(Response(0, drop=True, label=name))
        if fault.kind == TOO_MANY:
            return _Verdict(_rate_limited(fault, name))
        return _Verdict(_error(500, "injected fault: internal server error", name))

    def _graphql(self, req: Request) -> Response:
        try:
            payload = _json_body(req.body, "the GraphQL request")
        except _BadBody as exc:
            self.stats.record(INVALID, kinds.INVALID)
            return _error(400, str(exc), INVALID)
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            self.stats.record(INVALID, kinds.INVALID)
            return _error(400, "expected a JSON body with a 'query' string", INVALID)
        operation_name = payload.get("operationName")
        operation = self.engine.prepare(
            payload["query"], operation_name if isinstance(operation_name, str) else None
        )
        kind = operation.kind if operation.kind in (kinds.QUERY, kinds.MUTATION) else kinds.INVALID
        verdict = self._counted(operation.name, kind)
        if verdict.instead is not None:
            return verdict.instead
        return verdict.deliver(self._execute(operation, payload.get("variables")))

    def _execute(self, operation: Operation, variables: Any) -> Response:
        body, errors = self.engine.execute(operation, variables, self.backend)
        if operation.errors:
            # Most likely a client newer than our schema: worth noticing in the log.
            messages = "; ".join(e.message for e in operation.errors)
            log.warning("rejected %s: %s", operation.name, messages)
        else:
            for error in errors:
                _log_error(operation.name, error)
        return Response.json(200, body, operation.name)

    def _file_stream(self, req: Request, entity: str, project: str, run_name: str) -> Response:
        verdict = self._counted(kinds.FILE_STREAM, kinds.FILE_STREAM)
        if verdict.instead is not None:
            return verdict.instead
        return verdict.deliver(self._stream(req, entity, project, run_name))

    def _stream(self, req: Request, entity: str, project: str, run_name: str) -> Response:
        run = self.backend.runs.find(entity or self.backend.viewer.entity, project, run_name)
        if run is None:
            log.warning("file_stream for unknown run %s/%s/%s", entity, project, run_name)
            return _error(404, f"run {entity}/{project}/{run_name} not found", kinds.FILE_STREAM)
        try:
            payload = _json_body(req.body or b"{}", "file_stream request")
            self.backend.runs.apply_file_stream(int(run["_pk"]), payload)
        except (_BadBody, StoreError, AttributeError, TypeError, ValueError) as exc:
            return _error(400, f"bad file_stream request: {exc}", kinds.FILE_STREAM)
        return Response.json(200, {"exitcode": None, "limits": {}}, kinds.FILE_STREAM)

    def _upload(self, req: Request, run_pk: int, name: str) -> Response:
        if not self._signer.verify(run_pk, name, (req.query.get("sig") or [""])[0]):
            self.stats.record(kinds.UNAUTHORIZED, kinds.UNAUTHORIZED)
            return _error(403, "bad upload signature", kinds.UNAUTHORIZED)
        verdict = self._counted(kinds.UPLOAD, kinds.UPLOAD)
        if verdict.instead is not None:
            return verdict.instead
        self.backend.runs.store_file(run_pk, name, req.body)
        return verdict.deliver(Response(200, label=kinds.UPLOAD))

    def _admin(self, req: Request) -> Response:
        route = (req.method, req.path.rstrip("/"))
        if route == ("GET", "/_sandbox/stats"):
            return Response.json(200, self.stats.snapshot())
        if route in (("POST", "/_sandbox/stats/reset"), ("DELETE", "/_sandbox/stats")):
            self.stats.reset()
            return Response.json(200, self.stats.snapshot())
        if route == ("GET", "/_sandbox/faults"):
            return Response.json(200, self.faults.describe())
        if route == ("DELETE", "/_sandbox/faults"):
            self.faults.clear()
            return Response.json(200, self.faults.describe())
        if route == ("GET", "/_sandbox/settings"):
            return Response.json(200, self.backend.settings.describe())
        if route in (("PUT", "/_sandbox/settings"), ("POST", "/_sandbox/settings")):
            try:
                changes = _json_body(req.body, "the settings")
                if not isinstance(changes, dict):
                    raise _BadBody('expected {"view_upsert": "by-name" | "insert"}')
                self.backend.settings.update(changes)
            except (_BadBody, ValueError) as exc:
                return _error(400, f"bad settings: {exc}")
            return Response.json(200, self.backend.settings.describe())
        if route in (("PUT", "/_sandbox/faults"), ("POST", "/_sandbox/faults")):
            try:
                spec = _json_body(req.body, "the faults")
                if not isinstance(spec, dict) or not isinstance(spec.get("faults", []), list):
                    raise _BadBody('expected {"faults": [...], "seed": N}')
                faults = [Fault.from_dict(f) for f in spec.get("faults", [])]
                seed = spec.get("seed")
                self.faults.set(faults, None if seed is None else int(seed))
            except (_BadBody, TypeError, ValueError) as exc:
                return _error(400, f"bad faults: {exc}")
            return Response.json(200, self.faults.describe())
        return _error(404, f"no admin endpoint {req.method} {req.path}")


def _json_body(body: bytes, what: str) -> Any:
    try:
        return parse_json(body, what)
    except StoreError as exc:
        raise _BadBody(str(exc)) from None


def _rate_limited(fault: Fault, name: str) -> Response:
    return Response.json(
        429,
        {"errors": [{"message": "injected fault: rate limited"}]},
        name,
        (("Retry-After", fault.retry_after),),
    )


def _log_error(operation: str, error: GraphQLError) -> None:
    original = error.original_error
    if original is None or isinstance(original, (StoreError, GraphQLError, RecursionError)):
        log.info("%s: %s", operation, error.message)
    else:
        log.error("%s failed: %s", operation, error.message, exc_info=original)
