"""Errors the engine raises, each with a Chinese message and the HTTP status a view returns."""

from __future__ import annotations


class ProcessError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(ProcessError):
    status = 403


class NotFound(ProcessError):
    status = 404


class StaleSubmission(ProcessError):
    status = 409

    def __init__(self, message: str = "该事项已被他人处理") -> None:
        super().__init__(message)
