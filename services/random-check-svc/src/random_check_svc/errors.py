"""Domain errors of random-check-svc, rendered as RFC 9457 problem details."""

from __future__ import annotations

from svc_runtime.problems import Conflict, NotFound, Problem


class InvalidInput(Problem):
    """Input that is well-formed but wrong for the stored data (unknown codes, impossible plans)."""

    status = 422
    title = "Invalid input"


class UnknownRecord(NotFound):
    title = "Not found"


class IllegalState(Conflict):
    title = "Not allowed in this state"


class NotEnoughInspectors(Conflict):
    title = "Not enough eligible inspectors"


class EvidenceRejected(Problem):
    status = 415
    title = "Evidence type not accepted"


class EvidenceTooLarge(Problem):
    status = 413
    title = "Evidence too large"
