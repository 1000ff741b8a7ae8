"""The exceptions Accord raises.

Every error derives from :class:`AccordError` and also from the builtin exception that
matches it, so callers may catch either.  Errors carry structured fields (line, field,
expected, received) besides their message, so that a program can act on them and a person
can read them.
"""

from __future__ import annotations


class AccordError(Exception):
    """Base class of every error Accord raises on purpose."""


class FormatError(AccordError, ValueError):
    """Given input that does not follow its format, say where and what was expected.

    ``line`` is 1-based within the input; ``field`` names the column or keyword;
    ``expected`` and ``received`` are short texts shown to the user.
    """

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
        expected: str | None = None,
        received: str | None = None,
    ) -> None:
        self.message = message
        self.line = line
        self.field = field
        self.expected = expected
        self.received = received
        super().__init__(self.describe())

    def describe(self) -> str:
        """Return the full message: location, problem, expected and received."""
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field {self.field}")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.expected is not None:
            text += f"\n  expected: {self.expected}"
        if self.received is not None:
            text += f"\n  received: {self.received}"
        return text

    def at_line(self, offset: int) -> FormatError:
        """Return a copy whose line number is shifted by ``offset`` lines."""
        return FormatError(
            self.message,
            line=None if self.line is None else self.line + offset,
            field=self.field,
            expected=self.expected,
            received=self.received,
        )


class NotFoundError(AccordError, LookupError):
    """The record does not exist, or the caller may not know that it exists."""


class ConfigurationError(AccordError, RuntimeError):
    """Settings or the store are missing or inconsistent."""


class InvalidRequestError(AccordError, ValueError):
    """A request's arguments are out of range or inconsistent (not a format problem)."""


class ConflictError(AccordError):
    """The request does not fit the record's state (e.g. accepting a manoeuvre nobody
    proposed)."""


class ForbiddenError(AccordError, PermissionError):
    """The caller's role does not allow this action (only for actions: a record the caller
    may not read is a NotFoundError, never this)."""
