"""The two workflows as data: which action is allowed in which state, results per kind, deadlines.

Complaints (投诉) are private disputes settled by mediation: the acceptance decision within 7 working
days of receipt, mediation ended within 45 working days of acceptance. Reports (举报) are leads of
illegality verified within 15 working days of receipt. Both follow the 12345 closed loop: accept,
dispatch, handle, reply, (supervise), close, follow-up visit, rating.
"""

from __future__ import annotations

from datetime import datetime

from complaint_svc.complaints.models import Complaint
from supervision_schemas.complaint import ComplaintAction as A
from supervision_schemas.complaint import ComplaintKind
from supervision_schemas.complaint import ComplaintStatus as S
from svc_runtime.problems import Conflict, Problem
from svc_runtime.workdays import WorkdayCalendar

OPEN = frozenset({S.RECEIVED, S.ACCEPTED, S.DISPATCHED, S.HANDLING})

# action -> (states it is allowed in, state it leads to; None keeps the state)
RULES: dict[A, tuple[frozenset[S], S | None]] = {
    A.ACCEPT: (frozenset({S.RECEIVED}), S.ACCEPTED),
    A.REJECT: (frozenset({S.RECEIVED}), S.REJECTED),
    A.DISPATCH: (frozenset({S.ACCEPTED}), S.DISPATCHED),
    A.REASSIGN: (OPEN, None),
    A.START: (frozenset({S.DISPATCHED}), S.HANDLING),
    A.REPLY: (frozenset({S.HANDLING}), S.REPLIED),
    A.CLOSE: (frozenset({S.REPLIED}), S.CLOSED),
    A.VISIT: (frozenset({S.CLOSED}), S.VISITED),
    A.RATE: (frozenset({S.CLOSED, S.VISITED}), S.RATED),
    A.REOPEN: (frozenset({S.REPLIED, S.CLOSED, S.VISITED, S.RATED}), S.HANDLING),
    A.SUPERVISE: (OPEN, None),
    A.MERGE: (frozenset({S.RECEIVED, S.ACCEPTED}), S.MERGED),
    A.LINK: (frozenset(S) - {S.MERGED}, None),
}

RESULTS: dict[ComplaintKind, dict[str, str]] = {
    ComplaintKind.COMPLAINT: {
        "mediated": "调解成功，达成协议",
        "mediation_terminated": "调解不成，终止调解",
        "withdrawn": "投诉人撤回投诉",
        "transferred": "移交有管辖权的部门",
    },
    ComplaintKind.REPORT: {
        "case_opened": "经核查，立案调查",
        "not_opened": "经核查，不予立案",
        "unfounded": "经核查，举报事项不属实",
        "transferred": "移送有管辖权的部门",
    },
}

HANDLING_NAME = {ComplaintKind.COMPLAINT: "mediation", ComplaintKind.REPORT: "verification"}


class IllegalTransition(Conflict):
    title = "Illegal state transition"


class InvalidResult(Problem):
    status = 422
    title = "Invalid result"


def check(complaint: Complaint, action: A) -> S:
    """The state the action leads to; 409 naming the current state when it is not allowed there."""
    allowed, target = RULES[action]
    status = S(complaint.status)
    if status not in allowed:
        kind = "complaint" if complaint.kind == ComplaintKind.COMPLAINT else "report"
        raise IllegalTransition(
            f"cannot {action.value} {kind} {complaint.tracking_no}: it is in state {status.value!r} "
            f"(allowed in: {', '.join(sorted(s.value for s in allowed))})",
            state=status.value,
            action=action.value,
        )
    if action is A.REASSIGN and status is S.HANDLING:
        return S.DISPATCHED  # the new department claims it again
    return target or status


def check_result(kind: ComplaintKind, code: str) -> None:
    allowed = RESULTS[kind]
    if code not in allowed:
        raise InvalidResult(
            f"result_code {code!r} is not a {kind.value} result; allowed: {', '.join(sorted(allowed))}",
            errors=[{"loc": ["body", "result_code"], "msg": f"allowed: {', '.join(sorted(allowed))}"}],
        )


def current_due(complaint: Complaint) -> tuple[str, datetime] | None:
    """The deadline the complaint is working against now: (stage, due), or None when none applies."""
    status = complaint.status
    if status == S.RECEIVED and complaint.accept_due is not None:
        return "accept", complaint.accept_due
    if status in (S.ACCEPTED, S.DISPATCHED, S.HANDLING) and complaint.handle_due is not None:
        return HANDLING_NAME[ComplaintKind(complaint.kind)], complaint.handle_due
    return None


def due_key(stage: str, due: datetime) -> str:
    """Names one deadline of one complaint (reminders and escalation levels are recorded per deadline)."""
    return f"{stage}:{due.isoformat()}"[:60]


def is_overdue(complaint: Complaint, now: datetime) -> bool:
    due = current_due(complaint)
    return due is not None and now > due[1]


def handle_due_after_acceptance(
    calendar: WorkdayCalendar, complaint: Complaint, accepted_at: datetime
) -> datetime | None:
    if complaint.handle_due is None and complaint.handle_days:
        return calendar.deadline(accepted_at, complaint.handle_days)
    return complaint.handle_due
