"""The one error family of kanibako-helpers (the CLI maps ``exit_code`` to the exit status)."""

from __future__ import annotations


class HelperError(Exception):
    """Base of every kanibako-helpers failure: a runtime failure (exit status 1)."""

    exit_code = 1


class HelperUsageError(HelperError):
    """A request the caller should not have made (bad number, unknown helper): status 2."""

    exit_code = 2


class BudgetExceeded(HelperUsageError):
    """A spawn that would exceed the caller's depth or breadth budget."""


class NotPermitted(HelperUsageError):
    """An action on a helper that is not one of the caller's descendants."""


class HubUnavailable(HelperError):
    """No hub answers on the socket (no session running, or helpers disabled)."""


class HubRefused(HelperError):
    """The hub answered a request with an error; the message is the hub's reason."""

    def __init__(self, message: str, code: str = "error") -> None:
        super().__init__(message)
        self.code = code
        # A refusal of something the caller asked for is the caller's mistake.
        self.exit_code = 2 if code in _USAGE_CODES else 1


_USAGE_CODES = frozenset(
    {"budget", "forbidden", "unknown-helper", "bad-request", "state", "stopped", "too-large"}
)
