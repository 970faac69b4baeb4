"""Real policy texts score as their words say: per-criterion answers written by hand from each text."""

from __future__ import annotations

from pathlib import Path

import pytest

from disentangle.assess import (
    Answer,
    Markup,
    Meaning,
    PolicyText,
    find_provisions,
    guess_markup,
    load_toolkit,
    score_policy_texts,
    word_view,
)
from disentangle.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "policy"
Y, N, OTHER, U = Answer.YES, Answer.NO, Answer.OTHER, Answer.UNKNOWN
CRITERIA = [c.id for c in load_toolkit().criteria]


def text(name: str) -> PolicyText:
    return PolicyText(name, (FIXTURES / name).read_text(encoding="utf-8"))


# Each row: the text, then every criterion it answers, as read by hand (notes say why). Criteria not listed
# must come out "unknown": those are the negative rows.
EXPECTED: dict[str, dict[str, Answer]] = {
    # D.C. Code § 24-211.07 as amended in 2021: no holds (a)(1), no office and interviews only on a judicial
    # order or the person's request (a)(2)-(3), counsel but no know-your-rights or identification rule,
    # no release information (a)(4)(B), status inquiry barred only for people in custody (b), no conviction
    # exceptions, jail space for ICE barred (a)(4)(A) but nothing on 287(g), annual reports but no private
    # right of action (f).
    "DC_Code_24-211.07.xml": {
        "detainers": Y,
        "jail-access": Y,
        "jail-procedures": OTHER,
        "release-notification": Y,
        "information-sharing": Y,
        "status-inquiry": OTHER,
        "no-conviction-exceptions": Y,
        "contracts": OTHER,
        "oversight": OTHER,
    },
    # The 2012 version: 24-hour holds allowed with a reimbursement agreement and a conviction; no ICE office,
    # interviews with an opportunity for counsel; conviction conditions throughout.
    "DC_Code_24-211.07_2012_version_DC_Law_19-194.xml": {
        "detainers": OTHER,
        "jail-access": OTHER,
        "jail-procedures": OTHER,
        "no-conviction-exceptions": N,
    },
    # California Values Act (2017 text): holds barred (a)(1)(B); office space barred but interviews allowed
    # under the TRUTH Act (a)(5), (b)(5); release dates shared per § 7282.5 (a)(1)(C); personal information
    # (a)(1)(D); status inquiry (a)(1)(A); § 7282.5 conviction list; 287(g) functions barred (a)(1)(G), (a)(2)
    # but detention contracts only "except pursuant to Chapter 17.8" (a)(6); civil warrants incl. NCIC
    # (a)(1)(E); task-force reports (c); no moneys or personnel (a)(1).
    "CA_SB54_2017_Ch495_California_Values_Act_Gov_Code_7282-7284.12.txt": {
        "detainers": Y,
        "jail-access": OTHER,
        "jail-procedures": OTHER,
        "release-notification": OTHER,
        "information-sharing": Y,
        "status-inquiry": Y,
        "no-conviction-exceptions": N,
        "contracts": OTHER,
        "ncic-arrests": Y,
        "oversight": OTHER,
        "local-resources": Y,
    },
    # Keep Washington Working: (8) no custody on holds or civil warrants; (6) interviews with written consent;
    # consent form but no identification rule; (4)(b) notification requests; (5) personal information;
    # (4)(a) status inquiry allowed for criminal investigations; no conviction exceptions; (11) 287(g) and
    # (12) detention agreements barred. Subsection (2) is a finding, not a rule on resources.
    "WA_RCW_10.93.160.txt": {
        "detainers": Y,
        "jail-access": OTHER,
        "jail-procedures": OTHER,
        "release-notification": Y,
        "information-sharing": Y,
        "status-inquiry": OTHER,
        "no-conviction-exceptions": Y,
        "contracts": Y,
        "ncic-arrests": Y,
    },
    # SB 5818 is 10.93.160 with one change: state prisons may transfer people on a detainer during a sentence.
    "WA_SB5818_2025-26_DOC_transfer_bill_original.md": {
        "detainers": OTHER,
        "jail-access": OTHER,
        "jail-procedures": OTHER,
        "release-notification": Y,
        "information-sharing": Y,
        "status-inquiry": OTHER,
        "no-conviction-exceptions": OTHER,
        "contracts": Y,
        "ncic-arrests": Y,
    },
    # The Maryland Values Act as enacted: the 287(g) ban and the detainer sections are struck; what remains is
    # sensitive-location access (not jails) and procedures against resale of personal records.
    "MD_HB1222_2025_Ch718_Maryland_Values_Act.txt": {"information-sharing": OTHER},
    # HB 444 (2026): no immigration enforcement agreement, defined to include IGSAs and 8 U.S.C. § 1357.
    "MD_HB0444_2026_Immigration_Enforcement_Agreements_Prohibition_bill.txt": {"contracts": Y},
    # HB 675 (2026), anti: county jails must sign 287(g) JEM agreements, and detain up to 48 hours meanwhile.
    "MD_HB0675_2026_Require_287g_Agreements_bill.txt": {"detainers": N, "contracts": N},
    # HB 725 (2026), anti: 48-hour release notice; transfer only without extending custody (no hold).
    "MD_HB0725_2026_Required_Notice_and_Transfer_bill.txt": {"release-notification": N},
    # NYC Local Law 58 of 2014: holds and notifications only on a judicial warrant (plus a violent or serious
    # conviction); custody information shared for people with such convictions (h)(1); no ICE office on DOC
    # land (h)(2); reporting (f) and no private right of action (e).
    "NYC_LL2014-058_Int0486-2014_Admin_Code_9-131_DOC_detainers.txt": {
        "detainers": Y,
        "jail-access": OTHER,
        "release-notification": OTHER,
        "information-sharing": OTHER,
        "no-conviction-exceptions": N,
        "oversight": OTHER,
    },
    # NYC Local Law 228 of 2017 (§ 10-178): no city resources for immigration enforcement (c); no DHS
    # supervision of officers (b), silent on jail beds; quarterly reports (d).
    "NYC_LL2017-228_Int1568-2017_Immigration_Enforcement_Admin_Code_10-178.txt": {
        "contracts": OTHER,
        "oversight": OTHER,
        "local-resources": Y,
    },
    # Int. 515-2026, anti: repeals §§ 9-131, 9-205, 10-178 and 14-154.
    "NYC_Int0515-2026_Repeal_9-131_9-205_10-178_14-154_anti-sanctuary_pending.txt": {
        "detainers": N,
        "jail-access": N,
        "release-notification": N,
        "information-sharing": N,
        "contracts": N,
        "local-resources": N,
    },
    # Oregon HB 4079: notice when immigration authorities enter school property. Answers no jail criterion.
    "OR_HB4079_2026_enrolled_immigration_authorities_on_school_property.txt": {},
    # Oregon HB 2191, anti: repeals the resources ban, inquiry and information limits, and the agreements ban.
    "OR_HB2191_2025_introduced_repeal_sanctuary_statutes_anti.txt": {
        "information-sharing": N,
        "status-inquiry": N,
        "contracts": N,
        "local-resources": N,
    },
    # NY S306 (Dignity Not Detention): detention agreements barred; 287(g) not addressed.
    "NY_S306_2023-24_Dignity_Not_Detention_Act_bill.md": {"contracts": OTHER},
    # NY A8033, anti: no agency may "prevent or inhibit any collaboration" with immigration enforcement.
    "NY_A8033_2023-24_Require_State_Agency_Cooperation_anti-sanctuary_bill.md": {"local-resources": N},
    # NY S987 (New York for All): no transfers absent a judicial warrant; no access to non-public areas
    # without one; consent form (no identification rule); no release notice; no PII disclosure; no status
    # inquiry; no conviction exceptions; no agreements or DHS supervision (jail beds not addressed); reports
    # and Attorney General civil actions; no public resources for immigration enforcement.
    "NY_S987_2023-24_New_York_for_All_Act_bill.md": {
        "detainers": Y,
        "jail-access": Y,
        "jail-procedures": OTHER,
        "release-notification": Y,
        "information-sharing": Y,
        "status-inquiry": Y,
        "no-conviction-exceptions": Y,
        "contracts": OTHER,
        "oversight": Y,
        "local-resources": Y,
    },
    # 8 U.S.C. § 1357(g) authorizes 287(g) agreements; it answers no local-policy criterion.
    "US_8_USC_1357g_287g_agreements.md": {},
    # WA HB 2547: no jail contracts for people brought across state lines; other federal contracts allowed.
    "WA_HB2547_2025-26_Federal_custody_contracts_bill_original.md": {"contracts": OTHER},
}

ROWS = [
    (name, criterion, expected.get(criterion, U))
    for name, expected in EXPECTED.items()
    for criterion in CRITERIA
]


@pytest.fixture(scope="module")
def answers() -> dict[str, dict[str, Answer]]:
    return {name: {a.criterion: a.answer for a in score_policy_texts([text(name)])} for name in EXPECTED}


@pytest.mark.parametrize(("name", "criterion", "expected"), ROWS, ids=[f"{n[:28]}-{c}" for n, c, _ in ROWS])
def test_text_answers_criterion_as_read_by_hand(
    answers: dict[str, dict[str, Answer]], name: str, criterion: str, expected: Answer
) -> None:
    assert answers[name][criterion] is expected


def test_every_provision_quotes_the_text_at_its_span() -> None:
    for name in EXPECTED:
        policy = text(name)
        for provision in find_provisions(policy):
            original = policy.text[provision.start : provision.end]
            assert word_view(original, policy.effective_markup).words.strip() == provision.quote, (
                provision.pattern
            )


def test_unknown_answer_says_where_to_look() -> None:
    result = {a.criterion: a for a in score_policy_texts([text("US_8_USC_1357g_287g_agreements.md")])}
    detainers = result["detainers"]
    assert detainers.answer is U and not detainers.provisions
    assert "Sheriff or police-department orders and directives." in detainers.where_to_look
    # The toolkit leaves this row's "Where to Look" blank; the jail-access row's sources are given instead.
    assert result["jail-procedures"].where_to_look == result["jail-access"].where_to_look != ()


def test_struck_maryland_287g_ban_is_not_read_as_law() -> None:
    values_act = text("MD_HB1222_2025_Ch718_Maryland_Values_Act.txt")
    assert "MAY NOT ENTER INTO AN IMMIGRATION ENFORCEMENT AGREEMENT" in values_act.text
    assert (
        "may not enter into an immigration enforcement agreement"
        not in word_view(values_act.text, Markup.MARYLAND_BILL).words.lower()
    )
    # The same words in a bill where they are live law do count.
    assert (
        "may not enter into an immigration enforcement agreement"
        in word_view(
            text("MD_HB0444_2026_Immigration_Enforcement_Agreements_Prohibition_bill.txt").text,
            Markup.MARYLAND_BILL,
        ).words.lower()
    )


def test_bracketed_deletions_in_nyc_law_are_not_read() -> None:
    law = text("NYC_LL2014-058_Int0486-2014_Admin_Code_9-131_DOC_detainers.txt")
    assert guess_markup(law.text) is Markup.BRACKETED
    words = word_view(law.text, Markup.BRACKETED).words
    assert "shall not honor a civil immigration detainer by" in law.text  # deleted in 2014, in brackets
    assert "shall not honor a civil immigration detainer by" not in words
    assert "may only honor a civil immigration detainer" in words


@pytest.mark.parametrize(
    ("name", "markup"),
    [
        ("DC_Code_24-211.07.xml", Markup.XML),
        ("MD_HB0725_2026_Required_Notice_and_Transfer_bill.txt", Markup.MARYLAND_BILL),
        ("NY_S987_2023-24_New_York_for_All_Act_bill.md", Markup.NEW_YORK_BILL),
        ("NYC_LL2017-228_Int1568-2017_Immigration_Enforcement_Admin_Code_10-178.txt", Markup.BRACKETED),
        ("WA_RCW_10.93.160.txt", Markup.PLAIN),
        ("CA_SB54_2017_Ch495_California_Values_Act_Gov_Code_7282-7284.12.txt", Markup.PLAIN),
    ],
)
def test_markup_is_recognised(name: str, markup: Markup) -> None:
    assert guess_markup(text(name).text) is markup


def test_line_numbers_and_hyphenation_do_not_split_phrases() -> None:
    # "IMMI-\n GRATION" in the New York bill and "... SHALL\n17 ENTER INTO" in the Maryland bill.
    s987 = word_view(text("NY_S987_2023-24_New_York_for_All_Act_bill.md").text, Markup.NEW_YORK_BILL).words
    assert "SHALL NOT INCLUDE AUTHORITY TO ENGAGE IN IMMIGRATION ENFORCEMENT" in s987
    hb675 = word_view(
        text("MD_HB0675_2026_Require_287g_Agreements_bill.txt").text, Markup.MARYLAND_BILL
    ).words
    assert "OPERATES A CORRECTIONAL FACILITY SHALL ENTER INTO AN IMMIGRATION ENFORCEMENT AGREEMENT" in hb675


def test_texts_combine_to_the_most_protective_and_show_disagreement() -> None:
    dc = text("DC_Code_24-211.07.xml")
    nyc_10_178 = text("NYC_LL2017-228_Int1568-2017_Immigration_Enforcement_Admin_Code_10-178.txt")
    hb675 = text("MD_HB0675_2026_Require_287g_Agreements_bill.txt")
    together = {a.criterion: a for a in score_policy_texts([dc, nyc_10_178])}
    # D.C. bars jail space for ICE; § 10-178 bars DHS supervision: together both parts of criterion 8 are met.
    assert together["contracts"].answer is Y
    assert dict(together["contracts"].aspects) == {"igsa": Y, "287g": Y}
    clash = {a.criterion: a for a in score_policy_texts([dc, hb675])}
    # One text bars holds, the other requires them: the disagreement shows as Other, with both quoted.
    assert clash["detainers"].answer is OTHER
    assert {p.meaning for p in clash["detainers"].provisions} == {Meaning.SATISFIES, Meaning.CONTRADICTS}
    assert dict(clash["detainers"].per_text) == {dc.name: Y, hb675.name: N}


def test_policy_texts_need_distinct_names() -> None:
    dc = text("DC_Code_24-211.07.xml")
    with pytest.raises(InputError, match="distinct names"):
        score_policy_texts([dc, dc])
    with pytest.raises(InputError):
        PolicyText(" ", "text")
