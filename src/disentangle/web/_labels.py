"""Words the pages show for the registry's codes (models, statuses, event and fact kinds)."""

from __future__ import annotations

from typing import Any

from disentangle.assess import describe_fact

MODELS = {
    "287g-jem": "287(g) Jail Enforcement Model",
    "287g-wso": "287(g) Warrant Service Officer",
    "287g-tfm": "287(g) Task Force Model",
    "287g-hybrid": "287(g) jail and task force (“Hybrid”)",
    "287g": "287(g), model not stated",
    "igsa": "Detention contract (IGSA)",
    "usms-iga": "Detention contract (USMS IGA)",
    "tff-mou": "Treasury Forfeiture Fund joint-operations MOU",
    "other": "Other agreement",
}

SHORT_MODELS = {
    "287g-jem": "JEM",
    "287g-wso": "WSO",
    "287g-tfm": "TFM",
    "287g-hybrid": "Hybrid",
    "287g": "287(g)",
    "igsa": "IGSA",
    "usms-iga": "USMS IGA",
    "tff-mou": "TFF MOU",
    "other": "agreement",
}

STATUSES = {
    "active": "active",
    "removed": "removed from ICE's list",
    "superseded": "superseded",
    "pending": "pending",
    "listed": "used by ICE (facility list of 2017)",
    "in-force": "in force (found in records)",
    "terminated": "terminated",
    "void": "declared void",
    "expired": "expired",
    "historical": "known from records before ICE's lists here",
}

EVENTS = {
    "added": "Added to ICE's list",
    "removed": "Removed from ICE's list",
    "addendum": "Addendum posted",
    "signed_changed": "Signing date changed",
    "renamed": "Agency renamed on the list",
    "resigned": "Signed again",
    "superseded": "Superseded by a newer agreement",
    "restored": "Restored to ICE's list",
    "signed": "Signed, as an earlier record dates it",
    "listed": "Named as signed on an earlier record",
    "pending": "Named as pending",
    "found": "Found in records",
    "document_found": "A copy read from records",
    "invalidity_drafted": "Notice of invalidity drafted",
    "challenged": "Notice of invalidity sent",
    "termination_drafted": "Termination letter drafted",
    "termination_sent": "Termination letter sent",
    "terminated": "Terminated",
    "declared_void": "Declared void",
    "expired": "Expired",
    "resolution_drafted": "Resolution drafted",
}

COUNTY_RULES = {
    "correction": "a hand correction of the county ICE prints",
    "declared": "the counties this body serves, from its own public source",
    "jurisdiction": "its own jurisdiction is the county",
    "subdivision": "the county its township or town lies in",
    "statewide": "a state agency: the whole state",
    "facility-name": "the county the facility's name names",
    "roster": "the FBI roster's county for its ORI",
    "ice-county": "the county ICE prints",
    "none": "nothing places it in a county",
}

REVIEWS = {
    "read": "read by the machine, sure",
    "needs-review": "needs a person's review",
    "confirmed": "confirmed by a person",
    "rejected": "rejected by a person",
}

ORIGINS = {
    "ice-list": "on ICE's 287(g) lists",
    "fbi-roster": "FBI agency roster",
    "facility-list": "ICE's detention facility list",
}

FACTS = {
    "secure_communities_activated": "Secure Communities activated",
    "dhs_sanctuary_designation": "Named on DHS's list of “sanctuary jurisdictions”",
    "detainers_declined": "ICE detainers declined (NPR data)",
}


# Where a piece of scorecard evidence comes from (assess.EvidenceKind), as a scorecard row names it.
EVIDENCE_KINDS = {
    "policy": "the policy text given",
    "state-law": "state law",
    "registry": "the registry's agreements",
    "signal": "program facts",
}


# What a piece of scorecard evidence does to its criterion (assess.Meaning), as the scorecard says it.
MEANINGS = {
    "satisfies": "satisfies",
    "partial": "partial",
    "exception": "exception",
    "contradicts": "contradicts",
}


# The size bands of knowledge/costs/defaults.yaml, as a cost estimate names them.
AGENCY_SIZES = {"small": "a small agency", "medium": "a medium agency", "large": "a large agency"}


# What a redaction box hides (model.RedactionKind), as the review page names it.
REDACTION_KINDS = {
    "ssn": "Social Security number",
    "alien-number": "A-number",
    "birth-date": "date of birth",
    "booking-number": "booking number",
    "case-number": "case number",
    "phone": "phone number",
    "email": "e-mail address",
    "street-address": "street address",
    "person-name": "name of a private person",
    "person": "drawn by a person",
}


def label(table: dict[str, str], code: Any) -> str:
    """The label for a code, or the code itself when the table does not know it."""
    if code is None:
        return ""
    return table.get(str(code), str(code).replace("_", " "))


def fact_value(kind: str, value: Any) -> str:
    """A fact's value in words."""
    return describe_fact(kind, value)
