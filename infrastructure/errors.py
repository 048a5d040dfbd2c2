"""Errors services raise: a Chinese message for the user and the HTTP status a view answers
with.  ``field`` names the form field a message belongs to, if any.  The app's error handler
(blueprints/web.py) turns any uncaught one into its error page, after a rollback."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(ServiceError):
    """Input the user can correct (duplicate name, bad format, …)."""

    status = 400


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


class NotFound(ServiceError):
    """An object the user asked for that does not exist, or not for them."""

    status = 404
