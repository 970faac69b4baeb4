"""Tracking a records request as a pure state machine: statuses, allowed moves, dated history, due dates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from disentangle.errors import InputError
from disentangle.letters._deadlines import Deadline, deadline_for
from disentangle.letters._laws import RecordsLaw
from disentangle.letters._letters import (
    Addressee,
    Letter,
    LetterKind,
    Requester,
    long_date,
    render_template,
)
from disentangle.letters._requests import deadline_context, recipient_lines, signature_lines


class RequestStatus(StrEnum):
    """Where a records request stands. Set only by recorded events, never inferred."""

    DRAFT = "draft"  # written, not yet sent
    SENT = "sent"  # sent to the agency; its statutory clock runs from receipt
    ACKNOWLEDGED = "acknowledged"  # the agency confirmed receipt (perhaps with an estimated date)
    AWAITING_RESPONSE = "awaiting-response"  # the agency is working on it; no records or decision yet
    EXTENDED = "extended"  # the agency invoked the law's extension; the due date moves
    PARTIALLY_FULFILLED = "partially-fulfilled"  # some records released; more to come or withheld
    FULFILLED = "fulfilled"  # all the records asked for were released (final)
    REJECTED = "rejected"  # denied in whole or in part, with nothing more coming; may be appealed
    APPEALED = "appealed"  # an appeal of a denial or of silence is pending
    WITHDRAWN = "withdrawn"  # the requester withdrew it (final)


_S = RequestStatus

# The allowed moves, as data: from each status, the statuses a recorded event may lead to.
TRANSITIONS: Mapping[RequestStatus, frozenset[RequestStatus]] = {
    _S.DRAFT: frozenset({_S.SENT, _S.WITHDRAWN}),
    _S.SENT: frozenset(
        {
            _S.ACKNOWLEDGED,
            _S.AWAITING_RESPONSE,
            _S.EXTENDED,
            _S.PARTIALLY_FULFILLED,
            _S.FULFILLED,
            _S.REJECTED,
            _S.APPEALED,  # silence past the deadline may be appealed as a denial
            _S.WITHDRAWN,
        }
    ),
    _S.ACKNOWLEDGED: frozenset(
        {
            _S.AWAITING_RESPONSE,
            _S.EXTENDED,
            _S.PARTIALLY_FULFILLED,
            _S.FULFILLED,
            _S.REJECTED,
            _S.APPEALED,
            _S.WITHDRAWN,
        }
    ),
    _S.AWAITING_RESPONSE: frozenset(
        {_S.EXTENDED, _S.PARTIALLY_FULFILLED, _S.FULFILLED, _S.REJECTED, _S.APPEALED, _S.WITHDRAWN}
    ),
    _S.EXTENDED: frozenset(
        {_S.AWAITING_RESPONSE, _S.PARTIALLY_FULFILLED, _S.FULFILLED, _S.REJECTED, _S.APPEALED, _S.WITHDRAWN}
    ),
    _S.PARTIALLY_FULFILLED: frozenset(
        {_S.PARTIALLY_FULFILLED, _S.FULFILLED, _S.REJECTED, _S.APPEALED, _S.WITHDRAWN}
    ),
    _S.REJECTED: frozenset({_S.APPEALED, _S.WITHDRAWN}),
    _S.APPEALED: frozenset({_S.PARTIALLY_FULFILLED, _S.FULFILLED, _S.REJECTED, _S.WITHDRAWN}),
    _S.FULFILLED: frozenset(),
    _S.WITHDRAWN: frozenset(),
}

# Statuses in which the agency still owes a first response, so the statutory deadline applies.
WAITING: frozenset[RequestStatus] = frozenset({_S.SENT, _S.ACKNOWLEDGED, _S.AWAITING_RESPONSE, _S.EXTENDED})


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One recorded event: the status it led to, its date, and what the agency said."""

    status: RequestStatus
    on: date
    note: str = ""
    promised: date | None = None  # a date the agency gave for its response (acknowledgement, extension)


@dataclass(frozen=True, slots=True)
class TrackedRequest:
    """A records request and its dated history. Immutable: `advance` returns a new one."""

    id: str
    agency: Addressee
    law: RecordsLaw
    asks: tuple[str, ...]
    history: tuple[StatusChange, ...] = field(default_factory=tuple)
    received: date | None = None  # when the agency received it, if known; else the day it was sent
    reference: str = ""  # the agency's own tracking number

    @classmethod
    def start(
        cls, id: str, agency: Addressee, law: RecordsLaw, asks: Sequence[str], *, drafted: date
    ) -> TrackedRequest:
        """A new request in status draft."""
        return cls(id, agency, law, tuple(asks), (StatusChange(_S.DRAFT, drafted, "drafted"),))

    @property
    def status(self) -> RequestStatus:
        return self.history[-1].status

    def advance(
        self, status: RequestStatus | str, on: date, note: str = "", *, promised: date | None = None
    ) -> TrackedRequest:
        """Record an event; a move TRANSITIONS does not allow, or a date before the last, is an InputError."""
        try:
            target = RequestStatus(status)
        except ValueError:
            names = ", ".join(s.value for s in RequestStatus)
            raise InputError(
                f"request {self.id}: unknown status {status!r}; expected one of {names}"
            ) from None
        allowed = TRANSITIONS[self.status]
        if target not in allowed:
            options = ", ".join(sorted(s.value for s in allowed)) or "none (it is final)"
            raise InputError(
                f"request {self.id}: cannot go from {self.status.value} to {target.value}; allowed: {options}"
            )
        last = self.history[-1].on
        if on < last:
            raise InputError(
                f"request {self.id}: {target.value} on {on.isoformat()} is before the last event "
                f"({self.status.value} on {last.isoformat()})"
            )
        return replace(self, history=(*self.history, StatusChange(target, on, note, promised)))

    @property
    def sent_on(self) -> date | None:
        for change in self.history:
            if change.status is _S.SENT:
                return change.on
        return None

    @property
    def received_on(self) -> date | None:
        """The day the statutory clock starts from: the recorded receipt, else the day it was sent."""
        return self.received or self.sent_on

    @property
    def extended(self) -> bool:
        return any(change.status is _S.EXTENDED for change in self.history)

    def deadline(self) -> Deadline | None:
        """The statutory deadline (extended if the agency extended); None before the request is sent."""
        received = self.received_on
        if received is None:
            return None
        return deadline_for(self.law, received, extension=self.extended)

    def statutory_due(self) -> date | None:
        """The day the law sets for a response (extended if the agency extended), or None."""
        deadline = self.deadline()
        return deadline.date if deadline else None

    def promise(self) -> StatusChange | None:
        """The latest event in which the agency gave a date for its response, if any."""
        return next((c for c in reversed(self.history) if c.promised is not None), None)

    def due(self) -> date | None:
        """The day a response is awaited: the statute's date, or a later date the agency promised.

        A promise is the agency's word, not the law's: a letter states the two apart
        (`statutory_due`, `promise`)."""
        statutory = self.statutory_due()
        promise = self.promise()
        if promise is not None and promise.promised and (statutory is None or promise.promised > statutory):
            return promise.promised
        return statutory

    def is_overdue(self, today: date) -> bool:
        """Still waiting for a first response and past the due date."""
        due = self.due()
        return self.status in WAITING and due is not None and today > due

    def days_overdue(self, today: date) -> int:
        due = self.due()
        return (today - due).days if due is not None and self.is_overdue(today) else 0

    def may_follow_up(self) -> bool:
        """A follow-up is for a request sent and still awaiting its first response."""
        return self.sent_on is not None and self.status in WAITING

    def denied_on(self) -> date | None:
        """The day of the denial that stands: a rejection or a partial release, when that is the status."""
        if self.status in (_S.REJECTED, _S.PARTIALLY_FULFILLED):
            return self.history[-1].on
        return None

    def may_appeal(self, today: date) -> bool:
        """The one rule for when a request may be appealed: it was sent, and it stands denied (rejected or
        partly fulfilled) or unanswered past the day its response was awaited."""
        return self.sent_on is not None and (self.denied_on() is not None or self.is_overdue(today))


def _history_lines(request: TrackedRequest) -> list[str]:
    lines = []
    for change in request.history[1:]:
        text = f"{long_date(change.on)}: {change.status.value.replace('-', ' ')}"
        if change.promised:
            text += f" (the agency gave {long_date(change.promised)} as its date)"
        if change.note:
            text += f": {change.note}"
        lines.append(text)
    return lines


def _sent(request: TrackedRequest) -> date:
    sent = request.sent_on
    if sent is None:
        raise InputError(f"request {request.id}: it has not been sent, so there is nothing to follow up")
    return sent


def _deadline_words(request: TrackedRequest) -> dict[str, str]:
    """The statute's deadline as the templates word it: the law's date, never a date the agency gave."""
    deadline = request.deadline()
    assert deadline is not None
    return deadline_context(request.law, deadline)


def _promise_words(request: TrackedRequest, today: date) -> dict[str, Any] | str:
    """The agency's own promised date, apart from the statute's: when it was given, and how late it is."""
    promise = request.promise()
    if promise is None or promise.promised is None:
        return ""
    statutory = request.statutory_due()
    return {
        "given": long_date(promise.on),
        "date": long_date(promise.promised),
        "later_than_law": statutory is not None and promise.promised > statutory,
        "overdue_days": max((today - promise.promised).days, 0),
    }


def draft_follow_up(request: TrackedRequest, requester: Requester, *, today: date) -> Letter:
    """A reminder citing the statute, the day the request was sent and the day a response was due."""
    sent = _sent(request)
    if not request.may_follow_up():
        raise InputError(
            f"request {request.id} is {request.status.value}: a follow-up is for a request awaiting response"
        )
    statutory = request.statutory_due()
    context = {
        "date": long_date(today),
        "law": request.law,
        "recipient_lines": recipient_lines(request.agency),
        "salutation": request.agency.attention or "Custodian of Records",
        "agency_name": request.agency.name,
        "sent": long_date(sent),
        "reference": request.reference,
        "deadline": _deadline_words(request),
        "overdue_days": max((today - statutory).days, 0) if statutory else 0,
        "promise": _promise_words(request, today),
        "history": _history_lines(request),
        "asks": list(request.asks),
        "signature_lines": signature_lines(requester),
    }
    return Letter(
        kind=LetterKind.FOLLOW_UP,
        title=f"Follow-up on {request.law.label} request to {request.agency.name}",
        agency=request.agency.name,
        state=request.agency.state,
        date=today,
        markdown=render_template("follow_up", context),
        citation=request.law.citation,
        due=request.due(),
    )


def draft_appeal(
    request: TrackedRequest,
    requester: Requester,
    *,
    today: date,
    grounds: Sequence[str] = (),
    addressee: Addressee | None = None,
) -> Letter:
    """An appeal of a denial (status rejected or partially fulfilled) or of silence past the due date.

    It goes to `addressee` when the law names another body (a commission, the agency head), else to
    the agency itself.
    """
    sent = _sent(request)
    if not request.may_appeal(today):
        raise InputError(
            f"request {request.id} is {request.status.value} and not overdue: there is no denial to appeal"
        )
    denied = request.denied_on()
    to = addressee or request.agency
    appeal = request.law.appeal
    context = {
        "date": long_date(today),
        "law": request.law,
        "recipient_lines": recipient_lines(to),
        "salutation": to.attention or "Sir or Madam",
        "agency_name": request.agency.name,
        "sent": long_date(sent),
        "reference": request.reference,
        "deadline": _deadline_words(request),
        "denied": long_date(denied) if denied else "",
        "appeal": {"route": appeal.text, "source": appeal.source} if appeal else "",
        "grounds": [" ".join(g.split()) for g in grounds if g.strip()],
        "signature_lines": signature_lines(requester),
    }
    return Letter(
        kind=LetterKind.APPEAL,
        title=f"Appeal of {request.law.label} request to {request.agency.name}",
        agency=request.agency.name,
        state=request.agency.state,
        date=today,
        markdown=render_template("appeal", context),
        citation=appeal.source if appeal else request.law.citation,
        due=None,
        sources=tuple(s for s in (request.law.citation, appeal.source if appeal else "") if s),
    )
