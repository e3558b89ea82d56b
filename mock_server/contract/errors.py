"""Domain errors: each knows its HTTP status and `message_code`, so handlers just raise."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error the client caused or must see; rendered as the JSON error envelope."""

    status: int = 400
    message_code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}
        self.extra = extra or {}

    def envelope(self) -> dict[str, Any]:
        """The JSON body: `message`, `message_code` and any extra members (e.g. `errors`)."""
        return {"message": self.message, "message_code": self.message_code, **self.extra}


class Unauthorized(ApiError):
    status = 401
    message_code = "unauthorized"


class Forbidden(ApiError):
    status = 403
    message_code = "forbidden"


class NotFound(ApiError):
    status = 404
    message_code = "not_found"


class MethodNotAllowed(ApiError):
    status = 405
    message_code = "method_not_allowed"


class Conflict(ApiError):
    status = 409
    message_code = "conflict"


class InvalidJson(ApiError):
    status = 400
    message_code = "invalid_json"


class PayloadTooLarge(ApiError):
    status = 413
    message_code = "payload_too_large"


class UnsupportedMediaType(ApiError):
    status = 415
    message_code = "unsupported_media_type"


class ValidationFailed(ApiError):
    status = 422
    message_code = "validation_error"


class QuotaExceeded(ApiError):
    """A workspace holds as many deployments as the mock allows (protects the process)."""

    status = 403
    message_code = "quota_exceeded"


class StateWriteFailed(ApiError):
    """The `--state-file` could not be written (full disk, read-only...): the change is undone."""

    status = 507
    message_code = "state_write_failed"


class BadRequest(ApiError):
    """A request that is not valid HTTP/1.1 (rejected by the HTTP parser, below the app)."""

    status = 400
    message_code = "bad_request"


class RequestTimeout(ApiError):
    """The client did not send its whole body within the client timeout (slow client)."""

    status = 408
    message_code = "request_timeout"


class HeaderTooLarge(ApiError):
    """The request line or header section is over the configured size."""

    status = 431
    message_code = "header_too_large"


class TooManyConnections(ApiError):
    """The mock already holds its maximum of open connections (protects the process)."""

    status = 503
    message_code = "too_many_connections"


class InternalError(ApiError):
    status = 500
    message_code = "internal_error"
