"""Known ICE signers (names corrected, the side of a block decided) and the NCIC/ORI code of a 287(g)
agreement: each rule on documents built here from the fixture agreements, positive and negative rows."""

from __future__ import annotations

from dataclasses import replace

import pytest

from disentangle.errors import KnowledgeError
from disentangle.extract import DEFAULT_EXTRACTORS, extract_agreement
from disentangle.extract._signers import (
    CORRECTED_RULE,
    KnownSigner,
    KnownSignersExtractor,
    known_ice_signers,
    match_signer,
    parse_signers,
    signers_from,
)
from disentangle.model import Document, FieldState, Page, ReviewReason
from test_extract_golden import fixture_document

SIGNERS = (
    KnownSigner(
        "C. M. Cronen", ("C.M. Cronen", "CHRISTOPHER M CRONEN"), ("Assistant Director, Enforcement",), ("x",)
    ),
    KnownSigner("Enrique M. Lucero", (), ("Executive Associate Director",), ("x",)),
    KnownSigner("Todd M. Lyons", (), ("Acting Director",), ("x",)),
    KnownSigner("Timothy S. Robbins", (), ("Acting Executive Associate Director",), ("x",)),
)
WITHOUT_LIST = tuple(
    KnownSignersExtractor(()) if isinstance(e, KnownSignersExtractor) else e for e in DEFAULT_EXTRACTORS
)


@pytest.mark.parametrize(
    ("read", "signer", "how"),
    [
        ("C. M. Cronen", "C. M. Cronen", "printing"),
        ("C.M.Cronen", "C. M. Cronen", "printing"),  # spaces lost
        ("CHRISTOPHER M CRON EN", "C. M. Cronen", "printing"),  # the stamp's printing, split by OCR
        ("C. M. Crone", "C. M. Cronen", "fuzzy"),  # the last letter lost
        ("Todd M. Lyon", "Todd M. Lyons", "fuzzy"),
        ("M. Lucero", "Enrique M. Lucero", "initials"),  # the first name under the signature
        ("M. Cronen", "C. M. Cronen", "fuzzy"),
        ("Daryl Daniels", None, None),
        ("Robert Lucero", None, None),  # another Lucero: not the official
        ("J. Cronin", None, None),  # initials that are not his, a surname that is not his
        ("M. Robbins", None, None),  # M is no initial of Timothy S. Robbins
        ("Todd Smith", None, None),
        ("", None, None),
    ],
)
def test_a_read_name_is_a_known_signer_only_when_close(
    read: str, signer: str | None, how: str | None
) -> None:
    found = match_signer(read, SIGNERS)
    assert (found.signer.name if found else None) == signer
    assert (found.how if found else None) == how


def test_two_officials_too_alike_are_neither() -> None:
    twins = (
        KnownSigner("John A. Smithson", (), (), ("x",)),
        KnownSigner("John A. Smithsen", (), (), ("x",)),
    )
    assert match_signer("John A. Smithsan", twins) is None  # 94 % alike to both: no margin


def test_the_shipped_list_cites_ice_published_agreements() -> None:
    signers = known_ice_signers()
    assert {"C. M. Cronen", "Todd M. Lyons", "Caleb Vitello"} <= {s.name for s in signers}
    for signer in signers:
        assert signer.sources and all(
            s.startswith("https://www.ice.gov/doclib/287gMOA/") for s in signer.sources
        )
        assert signer.titles


@pytest.mark.parametrize(
    "entry",
    [
        {"name": "Cronen", "sources": ["https://www.ice.gov/x.pdf"]},  # one word
        {"name": "C. M. Cronen", "sources": []},  # no source
        {"name": "C. M. Cronen", "sources": ["ice.gov/x.pdf"]},  # not an address
    ],
)
def test_a_signer_without_a_full_name_or_a_public_source_is_refused(entry: dict[str, object]) -> None:
    with pytest.raises(KnowledgeError, match=r"ice_signers\.yaml: each signer needs"):
        parse_signers({"signers": [entry]})


def test_signers_from_training_names_take_the_commonest_printing() -> None:
    signers = signers_from(
        [
            ("C. M. Cronen", "Assistant Director, Enforcement"),
            ("C.M. Cronen", "Assistant Director, Enforcement"),
            ("C. M. Cronen", None),
            ("Todd M. Lyons", "Acting Director"),
            ("Vitello", None),  # one word: no name
        ]
    )
    assert [(s.name, s.also) for s in signers] == [("C. M. Cronen", ("C.M. Cronen",)), ("Todd M. Lyons", ())]
    assert match_signer("C.M.Cronen", signers) is not None


# ---------------------------------------------------------------------------------- a built signature page

# The layout of Floyd County GA's 2020 JEM signature page (an OCR'd text layer): ICE's digital stamp indented
# into the middle of the page, so the columns split in the wrong place and both blocks were read as the LEA's.
STRAY_STAMP_PAGE = """\
By signing this MOA, each party represents it is fully authorized to enter into this MOA, accepts
the terms, responsibilities, obligations, and limitations of this MOA, and agrees to be bound thereto
to the fullest extent allowed by law.


                                                                         s75/4 -
D ate: CHRISTOPHER
       MCRONEN
C. M. Cronen
                              Digitally signed by
                              CHRISTOPHER M CRONEN
                              Date: 2020.06.10 14:10:10
                              -04'00'
                                                              ~-~----~
                                                              Date :




A ssistant Director Enforceme nt                              Sheriff
Enforcement and Removal Operatio ns                           Clay Cou nty She ri ff's O ffi ce
U.S. Immigrati on and Customs Enforcement
D epartment of Ho mela nd Security
"""


def _with_signature_page(text: str, marker: str) -> Document:
    """The Clay County JEM fixture with the page that holds `marker` replaced by `text`."""
    document = fixture_document("clay_jem_2020")
    pages = [Page(p.number, text if marker in p.text else p.text, p.method) for p in document.pages]
    assert any(p.text == text for p in pages)
    return replace(document, pages=pages)


def _floyd_like() -> Document:
    return _with_signature_page(STRAY_STAMP_PAGE, "Date:        5- I I - 2-o -z.o")


def test_without_the_list_the_stray_stamp_makes_two_local_blocks() -> None:
    result = extract_agreement(_floyd_like(), WITHOUT_LIST)
    page_7 = [s for s in result.signatories if s.part == "agreement"]
    assert [s.side for s in page_7] == ["lea", "lea"]  # the failure the list fixes
    assert page_7[0].name == "C. M. Cronen"


def test_a_known_ice_signer_s_block_is_ice_s_and_the_stray_stamp_goes_with_it() -> None:
    result = extract_agreement(_floyd_like(), (*WITHOUT_LIST[:-1], KnownSignersExtractor(SIGNERS)))
    ice, lea = [s for s in result.signatories if s.part == "agreement"]
    assert (ice.side, ice.name, ice.title, ice.date.isoformat() if ice.date else None) == (
        "ice",
        "C. M. Cronen",
        "Assistant Director",
        "2020-06-10",  # the digital stamp, read in the local column, is ICE's signature date
    )
    assert (lea.side, lea.title, lea.date) == ("lea", "Sheriff", None)
    assert any("read as ICE's: 'C. M. Cronen' is the known ICE signer" in w for w in result.warnings)
    ice_name = next(
        r for r in result.review() if r.field == f"signatories[{result.signatories.index(ice)}].name"
    )
    assert ice_name.state is FieldState.READ
    assert ice_name.detail == "ICE's signer by rule: 'C. M. Cronen' is a known ICE signer"
    assert ice_name.evidence is not None and ice_name.evidence.quote == "C. M. Cronen"
    # The stamp's name in the local column is never the sheriff's: it waits for a person, with the reason.
    reviews = {r.field: r for r in result.review()}
    index = result.signatories.index(lea)
    name = reviews[f"signatories[{index}].name"]
    assert name.state is FieldState.NEEDS_REVIEW and name.reason is ReviewReason.CONFLICTING
    date_review = reviews[f"signatories[{index}].date"]
    assert date_review.state is FieldState.NEEDS_REVIEW and date_review.reason is ReviewReason.HANDWRITTEN
    # The evidence of the moved date is still the stamp's words on the page.
    facts = result.evidence_for(f"signatories[{result.signatories.index(ice)}].date")
    assert facts and "2020.06.10" in facts[0].evidence.quote


def test_the_shipped_list_is_the_default() -> None:
    result = extract_agreement(_floyd_like())
    assert [s.side for s in result.signatories if s.part == "agreement"] == ["ice", "lea"]


ADDENDUM_PAGE = """\
By signing this addendum, each party represents it is fully authorized to enter into this addendum,
accepts the terms, responsibilities, obligations, and limitations of this addendum, and agrees to be
bound thereto to the fullest extent allowed by law. This addendum is effective upon signature by
both parties.




{name}                              Daryl Daniels
Assistant Director, Enforcement          Sheriff
Enforcement and Removal Operations       Clay County Sheriffs Office
U.S. Immigration and Customs Enforcement
Department of Homeland Security
"""


@pytest.mark.parametrize(
    ("printed", "read"),
    [
        ("M. Cronen", "C. M. Cronen"),  # the first initial under the signature
        ("C.M.Cronen", "C. M. Cronen"),  # spaces lost
        ("C. M. Cronen", "C. M. Cronen"),  # as printed: nothing to correct
        ("C.M. Cronen", "C.M. Cronen"),  # another printing: kept as printed
        ("P. Q. Rowan", "P. Q. Rowan"),  # no known signer: kept, never corrected
    ],
)
def test_an_ocr_damaged_ice_name_is_read_as_the_known_signer_and_says_so(printed: str, read: str) -> None:
    page = ADDENDUM_PAGE.format(name=printed.ljust(12))
    document = _with_signature_page(page, "C. M. Cronen                              arryl Daniels")
    result = extract_agreement(document, (*WITHOUT_LIST[:-1], KnownSignersExtractor(SIGNERS)))
    [ice] = [s for s in result.signatories if s.part == "addendum" and s.side == "ice"]
    assert ice.name == read
    index = result.signatories.index(ice)
    [fact] = result.evidence_for(f"signatories[{index}].name")
    review = next(r for r in result.review() if r.field == f"signatories[{index}].name")
    page_text = document.pages[fact.evidence.page - 1].text
    assert page_text[fact.evidence.start : fact.evidence.end] == printed  # the quote stays the page's words
    if read != printed:
        assert fact.value == read and fact.evidence.rule.endswith(CORRECTED_RULE)
        assert review.state is FieldState.READ
        assert review.detail == f"corrected by rule: the page reads {printed!r}"
        assert any(
            f"read {printed!r}, corrected to the known ICE signer {read!r}" in w for w in result.warnings
        )
    else:
        assert CORRECTED_RULE not in fact.evidence.rule
        assert not any("corrected to the known ICE signer" in w for w in result.warnings)


# ---------------------------------------------------------------------------------- NCIC/ORI in a 287(g) MOA


def _jackson_county(line: str | None) -> Document:
    """Baker County's 2019 WSO agreement as if it were Jackson County's under the Atlanta field office (GA or
    NC by the name and the office), with `line` added to the LEA's point of contact."""
    document = fixture_document("baker_wso_2019")
    pages = []
    for p in document.pages:
        text = (
            p.text.replace("Baker County", "Jackson County")
            .replace("BAKER COUNTY", "JACKSON COUNTY")
            .replace("Macclenny, FL 32063", "Macclenny")
            .replace("Orlando, FL 32803", "Orlando")
            .replace("The Miami", "The Atlanta")
        )
        if line:
            officer = "Major Randy Crews, Public Infonnation Officer"
            text = text.replace(officer, f"{officer}\n{line}")
        pages.append(Page(p.number, text, p.method))
    return replace(document, pages=pages)


@pytest.mark.parametrize(
    ("line", "ori", "state"),
    [
        (None, None, None),  # GA or NC: left empty
        ("ORI: GA0730000", "GA0730000", "GA"),
        ("ORI # NC0490000", "NC0490000", "NC"),
        ("NCIC/ORI GA0730000", "GA0730000", "GA"),
        ("ORI Number GA 0730000", "GA0730000", "GA"),
        ("NCIC CODE # NC0490000", "NC0490000", "NC"),  # the TFF MOUs' wording, in a 287(g) agreement
        ("ORI: NC0490O00", "NC0490000", "NC"),  # OCR's letter O for the digit 0
        ("ORIGINAL GA0730000", None, None),  # no ORI label
        ("ORI: ZZ0730000", None, None),  # no state starts so
        ("priority GA0730000", None, None),
    ],
)
def test_the_state_from_an_ori_printed_in_a_287g_agreement(
    line: str | None, ori: str | None, state: str | None
) -> None:
    result = extract_agreement(_jackson_county(line))
    assert result.kind == "287g-wso"
    assert (result.ori, result.state) == (ori, state)
    if ori:
        rules = {f.evidence.rule for f in result.evidence_for("agency.state")}
        assert "state.ori_prefix" in rules
    else:
        assert sorted(result.state_candidates) == ["GA", "NC"]


# ------------------------------------------------------------------------------- the cross-validation's list


def test_the_cross_validation_s_signer_list_never_learns_from_the_fold_it_scores() -> None:
    """bench/extract_eval.py builds each fold's ICE signer list from the other folds' documents only: labelled
    ICE signatories, and plausible ICE names the reader gave in two training documents or more."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
    from disentangle.extract import Extraction
    from disentangle.model import Signatory
    from extract_eval import CorpusItem, training_signers
    from review_cv import fold_of

    ids = [f"doc-{i}" for i in range(40)]
    held = next(d for d in ids if fold_of(d, 5) == 0)
    others = [d for d in ids if fold_of(d, 5) != 0][:3]

    def reading(doc: str, name: str) -> Extraction:
        return Extraction(
            doc, doc, "287g-wso", 1.0, signatories=[Signatory("ice", name, "Acting Director", None)]
        )

    def item(doc: str) -> CorpusItem:
        return CorpusItem({"doc_id": doc}, Document(doc, doc, "text/plain", []), "text", "pdftotext")

    label = {"signatories": [{"side": "ice", "name": "Zed Q. Heldout", "title": "Director"}]}
    unlisted = [
        (item(held), reading(held, "Zed Q. Heldout"), label),  # the scored fold: labelled and read
        (item(others[0]), reading(others[0], "Todd M. Lyons"), None),
        (item(others[1]), reading(others[1], "Todd M. Lyons"), None),
        (item(others[2]), reading(others[2], "Ann B. Once"), None),  # read in one training document only
    ]
    names = {s.name for s in training_signers(unlisted, 0, 5)}
    assert names == {"Todd M. Lyons"}
    assert "Zed Q. Heldout" in {s.name for s in training_signers(unlisted, fold_of(others[0], 5), 5)}


@pytest.mark.parametrize(
    ("printed", "title", "read"),
    [
        ("T imothy S. Robbins", "Acting Executive Associate Director", "Timothy S. Robbins"),  # split word
        ("Name: To d M. Lyons", "Acting Director", "Todd M. Lyons"),  # a label, a lost letter
        ("C.M.;Cro n", "Assistant Director, Enforcement", "C. M. Cronen"),  # the start, with his title
        ("C.M.;Cro n", "Acting Director", None),  # the start of his name under another official's title
        ("C.M.;", "Assistant Director, Enforcement", None),  # too little to say whose
        ("Zed Q. Heldo ut", "Acting Director", None),  # no known official
    ],
)
def test_a_known_signer_s_name_the_parser_missed_is_found_above_the_title(
    printed: str, title: str, read: str | None
) -> None:
    page = ADDENDUM_PAGE.replace(
        "{name}                              Daryl Daniels", printed.ljust(42) + "Daryl Daniels"
    )
    page = page.replace("Assistant Director, Enforcement          Sheriff", title.ljust(41) + "Sheriff")
    document = _with_signature_page(page, "C. M. Cronen                              arryl Daniels")
    before = extract_agreement(document, WITHOUT_LIST)
    [ice_before] = [s for s in before.signatories if s.part == "addendum" and s.side == "ice"]
    assert ice_before.name is None  # the parser does not take the damaged words as a name
    result = extract_agreement(document, (*WITHOUT_LIST[:-1], KnownSignersExtractor(SIGNERS)))
    [ice] = [s for s in result.signatories if s.part == "addendum" and s.side == "ice"]
    assert ice.name == read
    if read is None:
        return
    index = result.signatories.index(ice)
    [fact] = result.evidence_for(f"signatories[{index}].name")
    page_text = document.pages[fact.evidence.page - 1].text
    quoted = page_text[fact.evidence.start : fact.evidence.end]
    assert quoted == printed.removeprefix("Name: ")  # the page's words, never the corrected name
    review = next(r for r in result.review() if r.field == f"signatories[{index}].name")
    assert review.state is FieldState.READ
    assert review.detail == f"corrected by rule: the page reads {quoted!r}"
