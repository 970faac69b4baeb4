"""Records requests: what they ask for, the tracking state machine, follow-ups, appeals, the ICS file."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from disentangle.errors import InputError
from disentangle.letters import (
    TRANSITIONS,
    Addressee,
    Requester,
    RequestStatus,
    TrackedRequest,
    asks_for,
    draft_appeal,
    draft_bulk,
    draft_follow_up,
    draft_request,
    records_law,
    to_ics,
)

PD = Addressee("Pasadena Police Department", "CA", ("207 N. Garfield Ave.", "Pasadena, CA 91101"))
ME = Requester("Alex Doe", "Community Records Project", email="records@example.org")
TODAY = date(2025, 11, 26)


@pytest.mark.parametrize(
    ("about", "present", "absent"),
    [
        (
            "agreements",
            ["287(g)", "Treasury Forfeiture Fund", "intergovernmental service agreement"],
            ["I-247A"],
        ),
        ("detainers", ["I-247A", "redacted"], ["Treasury Forfeiture Fund"]),
        ("policies", ["general order", "immigration status"], ["I-247A"]),
        ("costs", ["reimbursement claim", "overtime"], ["I-247A"]),
    ],
)
def test_request_asks_per_topic(about: str, present: list[str], absent: list[str]) -> None:
    letter = draft_request(PD, records_law("CA"), about, ME, today=TODAY)
    for words in present:
        assert words in letter.markdown
    for words in absent:
        assert words not in letter.markdown
    assert letter.markdown.count("\n1. ") == 1  # one numbered list of asks


def test_request_cites_statute_and_due_date() -> None:
    letter = draft_request(PD, records_law("CA"), "agreements", ME, today=TODAY)
    assert "Cal. Gov. Code § 7920.000 et seq." in letter.markdown
    assert "7922.535(a)" in letter.markdown
    assert "**December 8, 2025**" in letter.markdown
    assert letter.due == date(2025, 12, 8)
    assert "electronic form" in letter.markdown and "fees be waived" in letter.markdown
    assert "207 N. Garfield Ave." in letter.markdown


def test_request_under_law_without_deadline_gives_standard_and_milestones() -> None:
    sheriff = Addressee("Smith County Sheriff's Office", "TX")
    letter = draft_request(sheriff, records_law("TX"), "agreements", ME, today=date(2026, 5, 20))
    assert letter.due is None
    assert "requires a response promptly" in letter.markdown
    assert "552.301(b)" in letter.markdown and "June 4, 2026" in letter.markdown


def test_request_under_unknown_deadline_warns_sender() -> None:
    letter = draft_request(
        Addressee("Laramie County Sheriff", "WY"), records_law("WY"), "policies", ME, today=TODAY
    )
    assert letter.due is None
    assert "as promptly as the Wyoming Public Records Act requires" in letter.markdown
    assert any("not known" in note for note in letter.notes)


def test_residency_limit_note_and_statement() -> None:
    sheriff = Addressee("Shenandoah County Sheriff's Office", "VA")
    plain = draft_request(sheriff, records_law("VA"), "agreements", ME, today=TODAY)
    assert any("citizens of the Commonwealth" in note for note in plain.notes)
    resident = Requester("Alex Doe", residence="a citizen of the Commonwealth of Virginia")
    stated = draft_request(sheriff, records_law("VA"), "agreements", resident, today=TODAY)
    assert stated.notes == ()
    assert "I am a citizen of the Commonwealth of Virginia." in stated.markdown


def test_custom_topic() -> None:
    letter = draft_request(
        PD, records_law("CA"), "custom", ME, today=TODAY, custom=["The 2016 MOU renewal file"]
    )
    assert "1. The 2016 MOU renewal file" in letter.markdown
    with pytest.raises(InputError, match="custom"):
        draft_request(PD, records_law("CA"), "custom", ME, today=TODAY)
    with pytest.raises(InputError, match="custom"):
        draft_request(PD, records_law("CA"), "agreements", ME, today=TODAY, custom=["x"])
    with pytest.raises(InputError, match="unknown request topic 'budgets'"):
        draft_request(PD, records_law("CA"), "budgets", ME, today=TODAY)


def test_every_ask_cites_a_source() -> None:
    for topic in ("agreements", "detainers", "policies", "costs"):
        asks = asks_for(topic)
        assert asks and all(ask.source for ask in asks)


def test_bulk_one_letter_per_agency_under_its_own_law() -> None:
    agencies = [PD, Addressee("Cook County Sheriff", "IL"), Addressee("Collier County Sheriff", "FL")]
    letters = draft_bulk(agencies, "agreements", ME, today=TODAY)
    assert [letter.agency for letter in letters] == [a.name for a in agencies]
    assert "California Public Records Act" in letters[0].markdown
    assert "5 ILCS 140" in letters[1].markdown
    assert "Fla. Stat. ch. 119" in letters[2].markdown
    assert letters[2].due is None


# ---- tracking ----------------------------------------------------------------------------------


def _request(code: str = "CA") -> TrackedRequest:
    agency = PD if code == "CA" else Addressee("Dane County Sheriff", code)
    return TrackedRequest.start("req-1", agency, records_law(code), asks_for("agreements")[:2], drafted=TODAY)


VALID_PATHS = [
    ["sent", "acknowledged", "awaiting-response", "partially-fulfilled", "fulfilled"],
    ["sent", "extended", "fulfilled"],
    ["sent", "rejected", "appealed", "fulfilled"],
    ["sent", "appealed", "rejected"],
    ["withdrawn"],
]
INVALID_MOVES = [
    (["sent", "fulfilled"], "sent"),  # fulfilled is final
    (["withdrawn"], "sent"),  # withdrawn is final
    ([], "fulfilled"),  # a draft cannot be fulfilled
    (["sent", "rejected"], "acknowledged"),
    (["sent"], "draft"),
]


@pytest.mark.parametrize("path", VALID_PATHS)
def test_valid_paths(path: list[str]) -> None:
    request = _request()
    for step in path:
        request = request.advance(step, TODAY)
    assert request.status == RequestStatus(path[-1])
    assert len(request.history) == len(path) + 1


@pytest.mark.parametrize(("path", "bad"), INVALID_MOVES)
def test_invalid_moves_raise_clear_error(path: list[str], bad: str) -> None:
    request = _request()
    for step in path:
        request = request.advance(step, TODAY)
    with pytest.raises(InputError, match=f"cannot go from {request.status.value} to {bad}"):
        request.advance(bad, TODAY)


def test_every_status_has_transitions_entry_and_final_states_are_empty() -> None:
    assert set(TRANSITIONS) == set(RequestStatus)
    assert TRANSITIONS[RequestStatus.FULFILLED] == frozenset()
    assert TRANSITIONS[RequestStatus.WITHDRAWN] == frozenset()


def test_unknown_status_and_backdated_event() -> None:
    request = _request().advance("sent", date(2025, 12, 1))
    with pytest.raises(InputError, match="unknown status 'lost'"):
        request.advance("lost", date(2025, 12, 2))
    with pytest.raises(InputError, match="before the last event"):
        request.advance("acknowledged", date(2025, 11, 30))


def test_due_overdue_extension_and_promised_date() -> None:
    request = _request().advance("sent", TODAY)
    assert request.due() == date(2025, 12, 8)
    assert not request.is_overdue(date(2025, 12, 8))
    assert request.is_overdue(date(2025, 12, 9)) and request.days_overdue(date(2025, 12, 12)) == 4
    extended = request.advance("extended", date(2025, 12, 5), "unusual circumstances")
    assert extended.due() == date(2025, 12, 22)
    assert not extended.is_overdue(date(2025, 12, 12))
    promised = request.advance("acknowledged", date(2025, 12, 1), promised=date(2026, 1, 15))
    assert promised.due() == date(2026, 1, 15)
    done = request.advance("fulfilled", date(2025, 12, 20))
    assert not done.is_overdue(date(2026, 3, 1))  # answered: nothing is overdue
    assert _request().due() is None  # a draft has no clock


def test_follow_up_cites_statute_and_dates() -> None:
    request = _request().advance("sent", TODAY).advance("acknowledged", date(2025, 12, 1), "ref 25-1234")
    letter = draft_follow_up(request, ME, today=date(2025, 12, 15))
    text = letter.markdown
    assert "On November 26, 2025 I asked" in text
    assert "Cal. Gov. Code § 7922.535(a)" in text
    assert "§§ 12, 12a, by **December 8, 2025** the agency was to determine" in text
    assert "That date passed 7 days ago" in text
    assert "December 1, 2025: acknowledged: ref 25-1234" in text
    with pytest.raises(InputError, match="not been sent"):
        draft_follow_up(_request(), ME, today=TODAY)
    with pytest.raises(InputError, match="fulfilled"):
        draft_follow_up(request.advance("fulfilled", date(2025, 12, 20)), ME, today=date(2025, 12, 21))


def test_follow_up_states_the_statute_and_the_agencys_promise_apart() -> None:
    # Received Wednesday 26 November 2025: California's 10 days end Monday 8 December. The agency then gave
    # 15 January 2026 as its own date: that is its promise, not the statute's deadline.
    request = (
        _request()
        .advance("sent", TODAY)
        .advance("acknowledged", date(2025, 12, 1), promised=date(2026, 1, 15))
    )
    assert request.statutory_due() == date(2025, 12, 8) and request.due() == date(2026, 1, 15)
    text = draft_follow_up(request, ME, today=date(2026, 1, 20)).markdown
    assert "by **December 8, 2025** the agency was to determine" in text
    assert "That date passed 43 days ago." in text
    assert (
        "On December 1, 2025 the agency itself gave January 15, 2026 as the date of its response, "
        "later than the law allows. That date, too, has passed." in text
    )
    assert "**January 15, 2026**" not in text, "the promise is never presented as the statutory deadline"
    before = draft_follow_up(request, ME, today=date(2025, 12, 20)).markdown
    assert "That date passed 12 days ago." in before and "too, has passed" not in before
    # A law with no number of days: only the promise has a date.
    texas = TrackedRequest.start("req-9", PD, records_law("TX"), ["records"], drafted=TODAY)
    texas = texas.advance("sent", TODAY).advance(
        "acknowledged", date(2025, 12, 1), promised=date(2025, 12, 20)
    )
    words = draft_follow_up(texas, ME, today=date(2025, 12, 22)).markdown
    assert "requires a response promptly" in words and "gave December 20, 2025 as the date" in words
    assert "later than the law allows" not in words


@pytest.mark.parametrize(
    ("steps", "today", "may_appeal"),
    [
        ([], date(2025, 12, 1), False),  # a draft
        ([("sent", TODAY)], date(2025, 12, 8), False),  # sent, not yet due
        ([("sent", TODAY)], date(2025, 12, 9), True),  # silence past the statute's date
        ([("sent", TODAY), ("rejected", date(2025, 12, 2))], date(2025, 12, 3), True),
        ([("sent", TODAY), ("partially-fulfilled", date(2025, 12, 2))], date(2025, 12, 3), True),
        (
            [("sent", TODAY), ("acknowledged", date(2025, 12, 1), date(2026, 1, 15))],
            date(2025, 12, 20),
            False,
        ),
        ([("sent", TODAY), ("acknowledged", date(2025, 12, 1), date(2026, 1, 15))], date(2026, 1, 16), True),
        # An appeal pending, a request answered or withdrawn: nothing (more) to appeal.
        (
            [("sent", TODAY), ("rejected", date(2025, 12, 2)), ("appealed", date(2025, 12, 3))],
            date(2026, 3, 1),
            False,
        ),
        (
            [("sent", TODAY), ("rejected", date(2025, 12, 2)), ("withdrawn", date(2025, 12, 3))],
            date(2026, 3, 1),
            False,
        ),
        ([("sent", TODAY), ("fulfilled", date(2025, 12, 2))], date(2026, 3, 1), False),
    ],
)
def test_one_rule_says_when_a_request_may_be_appealed(
    steps: list[tuple], today: date, may_appeal: bool
) -> None:
    request = _request()
    for status, on, *promised in steps:
        request = request.advance(status, on, promised=promised[0] if promised else None)
    assert request.may_appeal(today) is may_appeal
    if may_appeal:
        assert draft_appeal(request, ME, today=today).markdown
    else:
        with pytest.raises(InputError, match=r"no denial to appeal|not been sent"):
            draft_appeal(request, ME, today=today)


def test_appeal_of_denial_and_of_silence() -> None:
    sent = _request("NY").advance("sent", date(2026, 6, 1))
    denied = sent.advance("rejected", date(2026, 6, 5))
    letter = draft_appeal(denied, ME, today=date(2026, 6, 10), grounds=["Signed agreements are not exempt."])
    assert "On June 5, 2026 the agency denied" in letter.markdown
    assert "§ 89(4)(a)" in letter.markdown and "within 30 days" in letter.markdown
    assert "- Signed agreements are not exempt." in letter.markdown
    silent = draft_appeal(sent, ME, today=date(2026, 6, 20))
    assert "which I treat as a denial" in silent.markdown and "June 8, 2026" in silent.markdown
    with pytest.raises(InputError, match="no denial to appeal"):
        draft_appeal(sent, ME, today=date(2026, 6, 3))


# ---- ICS ---------------------------------------------------------------------------------------


def _parse_ics(text: str) -> list[dict[str, str]]:
    """A small independent reader: checks CRLF, 75-octet lines and nesting; returns the VEVENTs."""
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", ""), "bare LF"
    physical = text.split("\r\n")[:-1]
    for line in physical:
        assert len(line.encode("utf-8")) <= 75, line
    logical: list[str] = []
    for line in physical:
        if line.startswith((" ", "\t")):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    assert logical[0] == "BEGIN:VCALENDAR" and logical[-1] == "END:VCALENDAR"
    events, current, depth = [], None, 0
    for line in logical:
        name, _, value = line.partition(":")
        if name == "BEGIN":
            depth += 1
            if value == "VEVENT":
                current = {}
        elif name == "END":
            depth -= 1
            if value == "VEVENT":
                events.append(current)
                current = None
        elif current is not None:
            key = name.split(";")[0]
            current[key] = (
                value.replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")
            )
    assert depth == 0
    return events


def test_ics_has_due_dates_and_parses() -> None:
    long_name = Addressee(
        "Office of the Sheriff of the City and County of Somewhere, Records Unit — Ñandú", "CA"
    )
    one = _request().advance("sent", TODAY)
    two = TrackedRequest.start("req-2", long_name, records_law("TX"), [], drafted=TODAY).advance(
        "sent", date(2026, 5, 20)
    )
    done = _request().advance("sent", TODAY).advance("fulfilled", date(2025, 12, 1))
    text = to_ics([one, two, done], now=datetime(2026, 1, 1, 12, 0, tzinfo=UTC))
    events = _parse_ics(text)
    assert [e["UID"] for e in events] == [
        "req-1-due@disentangle",
        "req-2-step1@disentangle",
        "req-2-step2@disentangle",
    ]
    assert events[0]["DTSTART"] == "20251208" and events[0]["DTEND"] == "20251209"
    assert all(e["DTSTAMP"] == "20260101T120000Z" for e in events)
    assert "7922.535" in events[0]["DESCRIPTION"]
    assert events[1]["SUMMARY"] == f"Records step due: {long_name.name}"
    assert events[1]["DTSTART"] == "20260604"
    assert "VERSION:2.0" in text and "PRODID:" in text
