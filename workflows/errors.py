"""Errors the engine raises: the service errors of ``infrastructure.errors`` under process names."""

from __future__ import annotations

from infrastructure.errors import ServiceError


class ProcessError(ServiceError):
    status = 400


class NotAllowed(ProcessError):
    status = 403


class NotFound(ProcessError):
    status = 404


class StaleSubmission(ProcessError):
    status = 409

    def __init__(self, message: str = "该事项已被他人处理") -> None:
        super().__init__(message)
