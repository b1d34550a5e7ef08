"""Domain exceptions: one base class, one subclass per kind of bad input or runtime fault.

Messages name the offending value and say how to fix it; the CLI prints them as one line.
"""


class FaultlineError(Exception):
    """Base class of every error Faultline raises on purpose."""


class BadInputError(FaultlineError):
    """A user-supplied value (FM id, seed, plan, policy field) is invalid."""


class UnknownFailureModeError(BadInputError):
    pass


class FaultPlanError(BadInputError):
    pass


class PolicyError(BadInputError):
    pass


class ScenarioError(BadInputError):
    pass


class StoreUnavailableError(FaultlineError):
    """Raised by every store call made during an injected outage."""


class StoreOverloadedError(FaultlineError):
    """Raised when a store call exceeds the store's capacity for the current window."""


class UniqueViolationError(FaultlineError):
    """Raised when an insert collides with a unique key."""


class FencedWriteError(FaultlineError):
    """Raised when a write carries a fencing token older than one the store has seen."""
