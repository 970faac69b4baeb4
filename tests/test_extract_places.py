"""The agency's state from what an agreement shows without printing it: each rule on real wording, positive
and negative rows, and the vote that leaves an ambiguous state empty."""

from __future__ import annotations

import pytest

from disentangle.extract import extract_agreement
from disentangle.extract._places import StateClue, clues_from_name, decide, office_area, state_knowledge
from disentangle.model import Document, Evidence, Page, PageMethod


def _doc(*pages: str) -> Document:
    return Document(
        sha256="0" * 64,
        filename="t.txt",
        media_type="text/plain",
        pages=[Page(i + 1, text, PageMethod.TEXT_LAYER) for i, text in enumerate(pages)],
    )


def _where(name: str) -> Evidence:
    return Evidence("0" * 64, 1, 0, len(name), name, "agency.parties_clause", 0.95)


@pytest.mark.parametrize(
    ("name", "rule", "states"),
    [
        ("Miami-Dade Sheriff's Office", "state.sheriff_of_county", {"FL"}),
        ("Whitfield County Sheriffs Office", "state.county_in_agency_name", {"GA"}),
        ("Hillsborough County Sheriff's Office", "state.county_in_agency_name", {"FL", "NH"}),
        ("Daytona Beach Shores Dept. of Public Safety", "state.municipal_police", {"FL"}),
        ("City of St. Augustine", "state.municipality_named", {"FL", "IL"}),
        ("Albemarle District Jail", "state.place_starts_agency_name", {"NC", "VA"}),
    ],
)
def test_a_place_in_the_agency_name_gives_the_states_that_have_it(
    name: str, rule: str, states: set[str]
) -> None:
    clues = [c for c in clues_from_name(name, _where(name)) if c.evidence.rule == rule]
    assert clues and set(clues[0].states) == states
    assert clues[0].evidence.quote == name  # the quote is the document's words, nothing added


@pytest.mark.parametrize(
    "name",
    [
        "Florida Department of Law Enforcement",  # a state: the state-named-agency rule, not a place
        "Office of the Sheriff",
    ],
)
def test_no_place_is_read_from_a_generic_name(name: str) -> None:
    assert list(clues_from_name(name, _where(name))) == []


def test_a_single_generic_word_is_never_looked_up_alone() -> None:
    # An OCR typo ("Ciy") breaks the city's name; "Beach" (a city in North Dakota) must not stand for it.
    name = "Panama Ciy Beach Police Dept"
    assert all("ND" not in clue.states for clue in clues_from_name(name, _where(name)))


def test_field_office_areas_come_from_the_knowledge_table() -> None:
    assert office_area("St. Paul") == {"IA", "MN", "NE", "ND", "SD"}
    assert office_area("New Orleans Field Office") >= {"AL", "TN", "LA"}  # type: ignore[operator]
    assert office_area("Gotham") is None
    assert state_knowledge().area_codes["219"] == "IN" and state_knowledge().zip_prefixes["492"] == "MI"


def _clue(states: set[str], rule: str, confidence: float) -> StateClue:
    return StateClue(frozenset(states), Evidence("0" * 64, 1, 0, 1, "x", rule, confidence))


def test_the_vote_leaves_two_equally_allowed_states_empty() -> None:
    # Dakota County (Minnesota and Nebraska) in the St. Paul field office's area: no guess.
    dakota = [
        _clue({"MN", "NE"}, "state.county_in_agency_name", 0.75),
        _clue({"IA", "MN", "NE", "ND", "SD"}, "state.field_office_area", 0.6),
    ]
    assert decide(dakota)[0] is None
    # Jasper County with the Chicago field office and an Indiana area code: Indiana.
    jasper = [
        _clue({"IN", "IA", "MS", "MO", "SC", "TX", "GA", "IL"}, "state.county_in_agency_name", 0.75),
        _clue({"IL", "IN", "KS", "KY", "MO", "WI"}, "state.field_office_area", 0.6),
        _clue({"IN"}, "state.lea_area_code", 0.7),
    ]
    assert decide(jasper)[0] == "IN"
    # One rule counts once per state, however often it is seen.
    assert decide([_clue({"FL"}, "r", 0.3), _clue({"FL"}, "r", 0.3)], margin=0.5)[0] is None


PREAMBLE = (
    "MEMORANDUM OF AGREEMENT\n287(g) Task Force Model\n\nThis Memorandum of Agreement (MOA) constitutes an "
    "agreement between United States Immigration and Customs Enforcement (ICE), a component of the "
    "Department of Homeland Security (DHS), and the Jasper County Sheriff's Office, pursuant to which ICE "
    "delegates to nominated, trained, and certified officers or employees of the Jasper County Sheriff's "
    'Office (hereinafter interchangeably referred to as "Law Enforcement Agency" (LEA)), the authority to '
    "perform certain immigration enforcement functions as specified herein. The power and authority to "
    "interrogate any alien.\n"
)


def test_the_lea_contact_block_gives_its_area_code_and_ice_headquarters_does_not() -> None:
    contact = (
        "For the LEA:                              For ICE:\n"
        "  JASON WALLACE                           Office of Public Affairs\n"
        "  JASPER COUNTY SHERIFF'S OFFICE          Washington, DC 20536\n"
        "  (219) 866-4985                          202-732-4242\n"
    )
    result = extract_agreement(_doc(PREAMBLE, contact))
    assert result.agency_name == "Jasper County Sheriff's Office"
    assert result.state == "IN"
    rules = {f.evidence.rule: f.evidence for f in result.evidence_for("agency.state")}
    assert rules["state.lea_area_code"].quote == "(219) 866-4985"
    assert rules["state.lea_area_code"].page == 2
    # Without the telephone, eight states have a Jasper County: the state stays empty, and a warning says why.
    result = extract_agreement(_doc(PREAMBLE, contact.replace("(219) 866-4985", "")))
    assert result.state is None
    assert any("several states" in w for w in result.warnings)


def test_a_cited_state_statute_names_the_state() -> None:
    text = (
        PREAMBLE.replace("Jasper County Sheriff's Office", "Town Marshal")
        + "as required by Fla. Stat. 908.\n"
    )
    result = extract_agreement(_doc(text))
    assert result.state == "FL"
    assert result.evidence_for("agency.state")[0].evidence.rule == "state.statute_cited"


@pytest.mark.parametrize(
    ("read", "name"),
    [
        ("Austin County Sheritrs Office", "Austin County Sheriffs Office"),  # OCR'd agency word
        ("Okeechobee County Sheri f r s Office", "Okeechobee County Sheriffs Office"),  # letters spaced apart
        ("PALM BEACH POLICE DEPTARTMENT", "PALM BEACH POLICE DEPARTMENT"),
        ("Dune County Sherif’s Office", "Dune County Sheriff's Office"),  # OCR's curly apostrophe (Dunn ND)
        ("O'Brien County Sheriff's Office", "O'Brien County Sheriff's Office"),
        ("Centre County Sheriff", "Centre County Sheriff"),  # a place name is never "repaired"
        # OCR's letter confusions (c/e, t/f, l/i): Calhoun County FL's 2019 text layer.
        ("Calhoun County Shcritrs Otlice", "Calhoun County Sheriffs Office"),
        ("Potce Department", "Police Department"),  # Palm Beach Gardens' scan
        # Real words a confusion brings near a vocabulary word stay as they are ("State" is not "Safety").
        ("Division of the Florida State Guard", "Division of the Florida State Guard"),
        ("Virginia State Police", "Virginia State Police"),
        ("Pierce County Sherm. P1i 1rn Coc:nly", "Pierce County Sherm. P1i 1rn Coc:nly"),  # too far: as read
    ],
)
def test_misspelt_agency_words_are_read_as_the_word(read: str, name: str) -> None:
    from disentangle.extract._fields import repair_agency_words

    assert repair_agency_words(read) == name


@pytest.mark.parametrize(
    ("read", "name"),
    [
        ("Walworth County Sheriffs Office, Elkhorn, WI", "Walworth County Sheriffs Office, WI"),
        ("WAUPACA COUNTY SHERIFF'S OFFICE, WAUPACA", "WAUPACA COUNTY SHERIFF'S OFFICE"),
        (
            "Citrus County Sheriff's Office, FL",
            "Citrus County Sheriff's Office, FL",
        ),  # the state rule's to strip
        ("Oklahoma Highway Patrol, a division of the Oklahoma Department of Public Safety", None),
    ],
)
def test_a_seat_printed_after_the_name_is_left_out(read: str, name: str | None) -> None:
    from disentangle.extract._fields import _without_address

    assert _without_address(read) == (name or read)


@pytest.mark.parametrize(
    ("printed", "name", "state"),
    [
        ("Nash County, NC Sheriff's Office", "Nash County Sheriff's Office", "NC"),
        ("Troy, New Hampshire Police", "Troy Police", "NH"),
    ],
)
def test_a_state_inside_the_name_is_read_and_left_out_of_it(printed: str, name: str, state: str) -> None:
    result = extract_agreement(_doc(PREAMBLE.replace("Jasper County Sheriff's Office", printed)))
    assert (result.agency_name, result.state) == (name, state)
    assert result.evidence_for("agency.state")[0].evidence.rule == "state.agency_name_suffix"


def test_an_ambiguous_state_lists_the_states_the_document_allows() -> None:
    text = PREAMBLE.replace("Jasper County Sheriff's Office", "Portage County Sheriff's Office")
    result = extract_agreement(_doc(text))
    assert result.state is None and result.state_candidates == ["OH", "WI"]
    assert result.to_json()["agency"]["state_candidates"] == ["OH", "WI"]


def test_the_generated_place_tables_are_up_to_date() -> None:
    # scripts/build_place_index.py regenerates them from data/; ZIP and area-code tables need two PyPI
    # packages and are checked only where those are installed.
    import importlib.util
    import sys
    from pathlib import Path

    script = Path(__file__).parents[1] / "scripts" / "build_place_index.py"
    spec = importlib.util.spec_from_file_location("build_place_index", script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_place_index"] = module
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0


# ----------------------------------------------------------------------------------------------------------
# An OCR-damaged place in the agency's name, read as the nearest place of the agency's state


@pytest.mark.parametrize(
    ("name", "states", "snapped"),
    [
        ("Dune County Sheriff's Office", ["ND"], "Dunn County Sheriff's Office"),  # Dunn ND's scan
        (  # Palm Beach Gardens FL's scan, its agency word already repaired
            "©*otPatn Beach Gardens Police Department",
            ["FL"],
            "Palm Beach Gardens Police Department",
        ),
    ],
)
def test_an_ocr_damaged_place_is_read_as_the_nearest_place_of_the_state(
    name: str, states: list[str], snapped: str
) -> None:
    from disentangle.extract._places import snap_place

    found = snap_place(name, states)
    assert found is not None and found[0] == snapped


@pytest.mark.parametrize(
    ("name", "states"),
    [
        ("Dunn County Sheriff's Office", ["ND"]),  # already a county of the state
        ("Dune County Sheriff's Office", ["WI", "ND"]),  # Dane WI and Dunn ND/WI are as near: no telling
        ("Dune County Sheriff's Office", ["TX"]),  # no Texas county is near
        ("Sheriff's Office", ["ND"]),  # no place in the name
        ("Dune County Sheriff's Office", []),  # no state
    ],
)
def test_a_place_is_left_as_read_unless_one_place_of_the_state_is_clearly_nearest(
    name: str, states: list[str]
) -> None:
    from disentangle.extract._places import snap_place

    assert snap_place(name, states) is None


_DUNE = (  # the 2025 template's parties clause (Crenshaw AL's wording), with Dunn ND's OCR misreading
    "MEMORANDUM OF AGREEMENT\n\nThis Memorandum of Agreement (MOA) constitutes an agreement between U.S. "
    "Immigration and\nCustoms Enforcement (ICE), a component of the Department of Homeland Security (DHS), "
    "and\nthe Dune County Sheriff's Office, ND , hereinafter the\nlaw enforcement agency (LEA) , pursuant "
    "to which ICE delegates to nominated, trained,\ncertified, and authorized LEA personnel the authority to "
    "perform certain immigration\nenforcement functions as specified herein. 287(g) Task Force Model.\n"
)


@pytest.mark.parametrize(("method", "name"), [(PageMethod.OCR, "Dunn"), (PageMethod.TEXT_LAYER, "Dune")])
def test_only_an_ocr_reading_of_the_name_is_snapped_and_the_evidence_keeps_the_words_read(
    method: PageMethod, name: str
) -> None:
    document = Document("0" * 64, "t.pdf", "application/pdf", [Page(1, _DUNE, method)])
    result = extract_agreement(document)
    assert result.state == "ND"
    assert result.agency_name == f"{name} County Sheriff's Office"
    (fact,) = result.evidence_for("agency.name")
    assert str(fact.value).startswith(result.agency_name)
    assert fact.evidence.quote.startswith("Dune County Sheriff's Office")  # the page's words
    snapped = fact.evidence.rule.endswith("+agency.place_snapped_to_state")
    assert snapped is (method is PageMethod.OCR)
    assert any("'Dune'" in w and "'Dunn'" in w for w in result.warnings) is snapped


def test_a_scan_whose_parties_clause_ocr_damaged_reads_the_agency_of_its_state() -> None:
    """Palm Beach Gardens FL's 2025 TFM scan, its OCR text as read: debris before the name, "Potce", a "|"
    for the comma, and the abbreviation misread ("PRGPD"); its contact block shows Florida."""
    page = (
        "MEMORANDUM OF AGREEMENT\n287(g) Task Force Model\n\n This Memorandum of Agreement (MOA)          "
        "constitutes an agreement between United States\n Immigration and Customs Enforcement (ICE), a "
        "component of the Department         of Homeland\n Security (DHS), and the ©*otPatn Beach Gardens "
        "Potce Department | pursuant to which ICE delegates to nominated,\n trained, and certified "
        "officers or "
        "employees of the PRGPD  (hereinafter interchangeably referred\n to as “Law Enforcement Agency” "
        "(LEA)), the authority to perform certain immigration enforcement\n functions as specified herein.\n"
        "For the LEA:\n Cily of Palm Beach Gardens\n Attn: Chief\n 10500 N. Military Trait\n"
        " Palm Beach Gardens\n Florida 33410\n"
    )
    document = Document("0" * 64, "t.pdf", "application/pdf", [Page(1, page, PageMethod.OCR)])
    result = extract_agreement(document)
    assert (result.agency_name, result.state) == ("Palm Beach Gardens Police Department", "FL")
    (fact,) = result.evidence_for("agency.name")
    assert fact.evidence.quote == "otPatn Beach Gardens Potce Department"
    assert page[fact.evidence.start : fact.evidence.end] == fact.evidence.quote


def test_a_name_with_a_lone_letter_of_debris_gives_way_to_its_clean_running_footer() -> None:
    """Rusk County TX's 2025 WSO scan: the parties clause reads "Sheriffs Ofte s", the footer of page after
    page "Rusk County Sheriff's Office"."""
    clause = (
        "I. PARTIES\n\n    This Memorandum of Agreement (MOA) constitutes an agreement between U.S. "
        "Immigration and\n    Customs Enforcement (ICE), a component of the Department of Homeland "
        "Security (DHS), and\n"
        "    the                       Rusk County Sheriffs Ofte s                , hereinafter the law\n"
        "    enforcement agency (LEA) , pursuant to which ICE delegates to nominated, trained, certified,"
        " and\n"
        "    authorized LEA personnel the authority. Warrant Service Officer Program\n\n"
    )
    footer = "\n\n   Rusk County Sheriff's Office                                   Rev 2/14/25 {}"
    pages = [clause + footer.format(1), "LEA personnel shall be deemed certified." + footer.format(2)]
    document = Document(
        "0" * 64, "t.pdf", "application/pdf", [Page(i + 1, t, PageMethod.OCR) for i, t in enumerate(pages)]
    )
    assert extract_agreement(document).agency_name == "Rusk County Sheriff's Office"


@pytest.mark.parametrize(
    ("contact", "state"),
    [
        ("For the LEA: Jailer Jason Woosley", "KY"),  # Grayson County KY's point of contact, as printed
        ("For the LEA: Chief Jailer of the County", None),  # a rank (Oconee County GA), not Kentucky's office
        ("For the LEA: Sheriff of the County", None),
    ],
)
def test_a_county_jailer_heading_the_lea_tells_kentucky_beside_the_county_name(
    contact: str, state: str | None
) -> None:
    clause = (
        "This Memorandum of Agreement (MOA) constitutes an agreement between U.S. Immigration and Customs "
        "Enforcement (ICE), a component of the Department of Homeland Security (DHS), and the Grayson County "
        "Detention Center, hereinafter the law enforcement agency (LEA), pursuant to which ICE delegates to "
        "nominated, trained, certified, and authorized LEA personnel the authority. Jail Enforcement "
        "Model\n\n"
        "VII. POINTS OF CONTACT\n\nICE and the LEA points of contact (POCs) for purposes of this MOA are:\n"
    )
    result = extract_agreement(_doc(clause + contact + "\nFor DHS:\n"))
    assert result.agency_name == "Grayson County Detention Center"
    assert result.state == state
    if state is None:  # Grayson County: Kentucky, Texas and Virginia
        assert {"KY", "TX", "VA"} <= set(result.state_candidates)
    else:
        rules = {f.evidence.rule for f in result.evidence_for("agency.state")}
        assert rules == {"state.lea_head_is_county_jailer", "state.county_in_agency_name"}
