"""TF Serving's REST API (status, metadata, predict, classify, regress) on `http.server`."""

import json
import logging
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf import json_format
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2

from serving.api.rest_classify import decode_classify_request, encode_classify_response
from serving.api.rest_json import decode_request, encode_response, parse_body
from serving.api.rest_json import signature_name as json_signature_name
from serving.errors import ServingError, invalid

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 << 20
_PATH = re.compile(
    r"^/v1/models/(?P<name>[^/:]+)"
    r"(?:/versions/(?P<version>\d+)|/labels/(?P<label>[^/:]+))?"
    r"(?:(?P<metadata>/metadata)|:(?P<verb>[a-z]+))?/?$"
)
_STATE = get_model_status_pb2.ModelVersionStatus.State


def status_json(records: list[Any]) -> dict[str, Any]:
    """Returns TF Serving's JSON for a list of `VersionRecord`s."""
    return {
        "model_version_status": [
            {
                "version": str(r.version),
                "state": _STATE.Name(r.state),
                "status": {
                    "error_code": "UNKNOWN" if r.error else "OK",
                    "error_message": r.error,
                },
            }
            for r in records
        ]
    }


def metadata_json(servable: Any, signature_def_map: get_model_metadata_pb2.SignatureDefMap) -> dict[str, Any]:
    """Returns TF Serving's JSON for GetModelMetadata."""
    return {
        "model_spec": {"name": servable.name, "signature_name": "", "version": str(servable.version)},
        "metadata": {
            "signature_def": json_format.MessageToDict(
                signature_def_map, preserving_proto_field_name=True
            )
        },
    }


class RestHandler(BaseHTTPRequestHandler):
    """Routes `/v1/models/...` requests to the server's `InferenceService`."""

    server_version = "albert-serving"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def log_message(self, fmt: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), fmt % args)

    def _handle(self, method):
        try:
            body = self._read_body()
            status, payload = self._route(method, body)
        except ServingError as err:
            log.info("REST %s %s refused: %s", method, self.path, err)
            status, payload = err.http_status, {"error": err.message}
        except Exception as err:  # never let one request take the server down
            log.exception("REST %s %s failed", method, self.path)
            status, payload = 500, {"error": f"{type(err).__name__}: {err}"}
        self._send(status, payload)

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise invalid(f"request body over {MAX_BODY_BYTES} bytes")
        return self.rfile.read(length) if length else b""

    def _route(self, method, body):
        match = _PATH.match(self.path.split("?", 1)[0])
        if not match:
            raise invalid(f"Malformed request: {method} {self.path}")  # http_rest_api_handler.cc
        service = self.server.service
        name = match["name"]
        version = int(match["version"]) if match["version"] else None
        label = match["label"]
        verb = match["verb"]
        if method == "GET" and not verb:
            if match["metadata"]:
                return 200, metadata_json(*service.metadata(name, version, label))
            return 200, status_json(service.status(name, version, label))
        if method == "POST" and verb == "predict":
            return 200, self._predict(service, name, version, label, body)
        if method == "POST" and verb == "classify":
            request = _json(body)
            signature_name, input_proto = decode_classify_request(request)
            _, _, rows = service.classify(name, version, label, signature_name, input_proto)
            return 200, encode_classify_response(rows)
        if method == "POST" and verb == "regress":
            signature_name, input_proto = decode_classify_request(_json(body))
            _, _, values = service.regress(name, version, label, signature_name, input_proto)
            return 200, {"results": values}
        raise invalid(f"Malformed request: {method} {self.path}")

    @staticmethod
    def _predict(service, name, version, label, body):
        # http_rest_api_handler.cc ProcessPredictRequest: parse, then the servable
        # and signature (GetInfoMap), then the tensors (json_tensor.cc).
        doc = parse_body(body)
        servable = service.manager.resolve(name, version, label)
        signature = servable.signature(json_signature_name(doc), api="rest")
        inputs, rows = decode_request(doc, signature)
        _, _, outputs = service.predict_on(servable, signature.name, inputs)
        return encode_response(outputs, rows)

    def _send(self, status, payload):
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _json(body):
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise invalid(f"the request body is not JSON: {err}") from err


def make_rest_server(host: str, port: int, service: Any) -> ThreadingHTTPServer:
    """Returns a bound (not yet serving) `ThreadingHTTPServer`."""
    server = ThreadingHTTPServer((host, port), RestHandler)
    server.daemon_threads = True
    server.service = service
    return server
