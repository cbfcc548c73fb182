"""The error type shared by the server, its transports and the client."""

import grpc

_HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


class ServingError(Exception):
    """A request failed with a gRPC status code.

    Attributes:
        code: the `grpc.StatusCode`.
        message: a human-readable reason.
    """

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        """The HTTP status TF Serving's REST API uses for this code."""
        return _HTTP_STATUS.get(self.code, 500)


def invalid(message: str) -> ServingError:
    """Returns an INVALID_ARGUMENT error."""
    return ServingError(grpc.StatusCode.INVALID_ARGUMENT, message)


def not_found(message: str) -> ServingError:
    """Returns a NOT_FOUND error."""
    return ServingError(grpc.StatusCode.NOT_FOUND, message)


def code_from_http(status: int) -> grpc.StatusCode:
    """Returns the gRPC code that best matches an HTTP status (for the REST client)."""
    for code, http in _HTTP_STATUS.items():
        if http == status:
            return code
    return grpc.StatusCode.UNKNOWN
