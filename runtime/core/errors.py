"""Domain exceptions: one base class, one subclass per kind of bad input.

Messages name the offending value and say how to fix it; the CLI prints them as one line. Store
and queue outcomes are values (runtime.core.ports), never exceptions.
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
