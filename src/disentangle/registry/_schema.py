"""The registry's tables (SQLAlchemy Core): the same definitions serve SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

# One row per file an import read: the provenance every fact points back to.
sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset", String(80), nullable=False),
    Column("file", String(300), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("retrieved", Date),
    Column("rows", Integer),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("dataset", "file", name="uq_sources_dataset_file"),
)

jurisdictions = Table(
    "jurisdictions",
    metadata,
    Column("id", String(200), primary_key=True),  # Open Civic Data division id
    Column("name", String(200), nullable=False),
    Column("level", String(20), nullable=False),
    Column("state", String(2)),
    Column("fips", String(10)),
    Column("parent_id", String(200)),
    Index("ix_jurisdictions_fips", "fips"),
    Index("ix_jurisdictions_state_level", "state", "level"),
)

agencies = Table(
    "agencies",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("state", String(2), nullable=False),
    Column("type", String(40), nullable=False),
    Column("ori", String(12)),
    Column("jurisdiction_id", String(200)),
    Column("link_rule", String(200)),
    Column("county", String(120)),
    Column("source_id", Integer, ForeignKey("sources.id")),
    # 0005: the county's OCD id, the agency's size from the FBI roster, and where its record comes from
    Column("county_id", String(200)),
    Column("officers", Integer),
    Column("population", Integer),
    Column("origin", String(20)),  # an AgencyOrigin value: ice-list, fbi-roster, facility-list
    Index("ix_agencies_ori", "ori"),
    Index("ix_agencies_jurisdiction", "jurisdiction_id"),
    Index("ix_agencies_state", "state"),
)

agency_aliases = Table(
    "agency_aliases",
    metadata,
    Column("agency_id", String(200), ForeignKey("agencies.id"), nullable=False),
    Column("alias", String(300), nullable=False),
    UniqueConstraint("agency_id", "alias", name="uq_agency_alias"),
)

agreements = Table(
    "agreements",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("agency_id", String(200), ForeignKey("agencies.id"), nullable=False),
    Column("state", String(2), nullable=False),
    Column("agency_name", String(300), nullable=False),
    Column("signed", Date),
    Column("status", String(20), nullable=False),
    Column("first_seen", Date),
    Column("last_seen", Date),
    Column("addendum", String(100)),
    Column("document_url", Text),
    Column("county", String(120)),
    Column("jurisdiction_id", String(200)),
    Column("source_id", Integer, ForeignKey("sources.id")),
    Column("source_row", Integer),
    Column("details", JSON),
    Index("ix_agreements_state_kind", "state", "kind"),
    Index("ix_agreements_agency", "agency_id"),
    Index("ix_agreements_jurisdiction", "jurisdiction_id"),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement_id", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("date", Date, nullable=False),
    Column("source_id", Integer, ForeignKey("sources.id")),
    Column("source_row", Integer),
    Column("detail", JSON),
    Index("ix_events_agreement", "agreement_id"),
    Index("ix_events_date", "date"),
)

# A published list as captured on a date; its rows say which agreement each row is.
snapshots = Table(
    "snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("list", String(20), nullable=False),  # participating | pending
    Column("captured", Date, nullable=False),
    Column("source_id", Integer, ForeignKey("sources.id"), nullable=False),
    Column("rows", Integer, nullable=False),
    Index("ix_snapshots_captured", "list", "captured"),
)

snapshot_rows = Table(
    "snapshot_rows",
    metadata,
    Column("snapshot_id", Integer, ForeignKey("snapshots.id"), nullable=False),
    Column("row", Integer, nullable=False),
    Column("agreement_id", String(200)),
    Column("state", String(2), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("agency", String(300), nullable=False),
    Column("signed", Date),
    Index("ix_snapshot_rows_snapshot", "snapshot_id"),
    Index("ix_snapshot_rows_agreement", "agreement_id"),
)

pending_requests = Table(
    "pending_requests",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("agency_id", String(200)),
    Column("state", String(2), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("agency_name", String(300), nullable=False),
    Column("first_seen", Date, nullable=False),
    Column("last_seen", Date, nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("agreement_id", String(200)),
)

# Dated program facts about a jurisdiction: Secure Communities, DHS designation, detainers declined.
facts = Table(
    "facts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("jurisdiction_id", String(200), nullable=False),
    Column("kind", String(60), nullable=False),
    Column("value", JSON),
    Column("date", Date),
    Column("source_id", Integer, ForeignKey("sources.id")),
    Column("source_row", Integer),
    Index("ix_facts_jurisdiction", "jurisdiction_id"),
    Index("ix_facts_kind", "kind"),
)

# Public-records requests a user drafted and tracks, with their dated status history.
records_requests = Table(
    "records_requests",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("agency_id", String(200)),
    Column("agency_name", String(300), nullable=False),
    Column("state", String(2), nullable=False),
    Column("topics", JSON, nullable=False),
    Column("asks", JSON, nullable=False),
    Column("requester", JSON, nullable=False),
    Column("status", String(30), nullable=False),  # the last event's status, kept for queries
    Column("received", Date),
    Column("reference", String(100)),
    Column("letter", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("campaign_id", String(40)),  # 0005: the discovery campaign it was drafted in, if any
    Index("ix_records_requests_state", "state"),
)

request_events = Table(
    "request_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(40), ForeignKey("records_requests.id"), nullable=False),
    Column("status", String(30), nullable=False),
    Column("on", Date, nullable=False),
    Column("note", Text),
    Column("promised", Date),
    Index("ix_request_events_request", "request_id"),
)

# Documents an agency released in answer to a request, stored by sha256 in the workspace.
request_documents = Table(
    "request_documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(40), ForeignKey("records_requests.id"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("filename", String(300), nullable=False),
    Column("attached_on", Date, nullable=False),
    Column("kind", String(20)),  # what the extractor says the document is
    Column("agreement_id", String(200)),  # the registry agreement it was linked to, if any
    Column("confidence", Float),
    UniqueConstraint("request_id", "sha256", name="uq_request_document"),
)

# What was read from each stored document (the originals and page texts live in the workspace's
# DocumentStore, keyed by the same sha256): computed once, after ingestion, and shown by the web app.
document_readings = Table(
    "document_readings",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("filename", String(300), nullable=False),
    Column("media_type", String(120), nullable=False),
    Column("pages", Integer, nullable=False),
    Column("ocr_pages", Integer, nullable=False),
    Column("kind", String(40), nullable=False),  # the extractor's AgreementKind value, or "unknown"
    Column("agency_name", String(300)),
    Column("state", String(2)),
    Column("signed", Date),
    Column("agreement_id", String(200)),  # the registry agreement it was linked to, if any
    Column("confidence", Float),  # how sure that link is, 0..1
    Column("extraction", JSON, nullable=False),  # Extraction.to_json()
    Column("judgement", JSON, nullable=False),  # validity flags and conflicts, or why it was not judged
    Column("comparison", JSON, nullable=False),  # Comparison.to_json() against the family's template
    Column("redline", Text, nullable=False),  # Comparison.to_html(): every text in it escaped
    Column("extractor_version", String(40), nullable=False),
    Column("read_at", DateTime(timezone=True), nullable=False),
    Column("public", Boolean),  # 0005: a person marked the document public (NULL or false: private)
    Index("ix_document_readings_state", "state"),
)

# Uploads being read in the background: the job and its progress live here, not in a process's memory.
ingest_jobs = Table(
    "ingest_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("status", String(20), nullable=False),  # a JobStatus value
    Column("total", Integer, nullable=False),
    Column("done", Integer, nullable=False),  # files with an outcome, failed ones included
    Column("failed", Integer, nullable=False),
    Column("files", JSON, nullable=False),  # one object per file, in upload order, with its outcome
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("cancel", Boolean),  # a person asked the job to stop; its worker stops at the next file or page
)

# Discovery campaigns: one records request per agency of a place, drafted and tracked together.
campaigns = Table(
    "campaigns",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("about", String(40), nullable=False),  # a campaign topic of knowledge/letters/campaigns.yaml
    Column("scope", String(300), nullable=False),  # the place or list as the person gave it
    Column("scope_id", String(200)),  # the jurisdiction's OCD id, when the scope is a place
    Column("title", String(300), nullable=False),
    Column("topics", JSON, nullable=False),  # the records-request topics each letter asks about
    Column("requester", JSON, nullable=False),
    Column("created_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Agreements read from documents (records released under a request, files a person brought). They are
# the person's work, kept across imports; the registry's agreements table shows the ones a person or a
# sure reading accepted, projected anew after every import and every change.
found_agreements = Table(
    "found_agreements",
    metadata,
    Column("sha256", String(64), primary_key=True),  # the document it was read from
    Column("agreement_id", String(200), nullable=False),  # the agreement it is: found-..., or ICE-listed
    Column("listed", Boolean, nullable=False),  # agreement_id is on ICE's lists: the document is a copy
    Column("request_id", String(40)),  # the records request that brought it out, if any
    Column("agency_id", String(200)),  # the registry agency it binds (None while unknown)
    Column("ori", String(12)),  # kept so the agency is found again if its registry id changes
    Column("state", String(2)),
    Column("agency_name", String(300), nullable=False),  # as the document names it
    Column("kind", String(20), nullable=False),
    Column("signed", Date),
    Column("review", String(20), nullable=False),  # a FoundReview value
    Column("reasons", JSON, nullable=False),  # why a person must look, one sentence each
    Column("details", JSON, nullable=False),  # title, signatories, clauses: each with its evidence
    Column("reviewed_by", String(200)),  # who confirmed or rejected it
    Column("reviewed_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_found_agreements_agreement", "agreement_id"),
    Index("ix_found_agreements_agency", "agency_id"),
)

# What a locality did about an agreement, and what became of it: dated, each with its evidence.
agreement_actions = Table(
    "agreement_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement_id", String(200), nullable=False),
    Column("kind", String(30), nullable=False),  # an EventKind value of a person's action
    Column("on", Date, nullable=False),
    Column("note", Text),
    Column("evidence", JSON, nullable=False),  # the document, letter or request it rests on
    Column("letter", Text),  # the letter drafted or sent, as written
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_agreement_actions_agreement", "agreement_id"),
)


# 0009: where each agency is counted, by the one rule of sources/counties.py. Every agency has at least
# one counted row (county_id NULL when it is statewide or placed nowhere); a row that is not counted keeps
# the county ICE printed where the rule chose another, with its own source.
agency_counties = Table(
    "agency_counties",
    metadata,
    Column("agency_id", String(200), nullable=False),
    Column("county_id", String(200)),
    Column("counted", Boolean, nullable=False),  # False: ICE's printed county, overruled by the rule
    Column("scope", String(20), nullable=False),  # a CountyScope value
    Column("rule", String(20), nullable=False),  # a CountyRule value
    Column("source", JSON),  # the Citation of the choice (or of ICE's printed county)
    Column("printed", String(200)),  # ICE's county as printed, on a row that is not counted
    Column("correction", String(300)),  # the hand correction that decided, if one did
    Column("note", Text),
    Index("ix_agency_counties_county", "county_id"),
    Index("ix_agency_counties_agency", "agency_id"),
)


@dataclass(frozen=True, slots=True)
class AddColumn:
    """A migration step that adds a column of a table defined above to a database made before it existed."""

    table: Table
    column: str


# Detainer counts (never rows about people): one row per imported detainer dataset, the facilities it
# names with how each was tied to a county and to the agency that runs it, and its counts per facility and
# period along one dimension (all detainers, or by form, lift reason, apprehension method, case status).
# Kept apart from the bundled-data tables: a rebuild of the registry replaces only the bundled dataset.
detainer_datasets = Table(
    "detainer_datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset", String(40), nullable=False),  # npr-detainers | ddp-detainers | trac-detainers
    Column("file", String(300), nullable=False),  # as the user named it, or relative to the data folder
    Column("sha256", String(64), nullable=False),
    Column("layout", String(20), nullable=False),
    Column("fiscal", Integer, nullable=False),  # 1: periods are fiscal years
    Column("rows_read", Integer, nullable=False),
    Column("rows_counted", Integer, nullable=False),
    Column("skipped", JSON, nullable=False),  # why rows were not counted -> how many
    Column("first_month", Date),
    Column("last_month", Date),
    Column("coverage", String(20), nullable=False),  # a DetainerCoverage value
    Column("imported_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("dataset", "sha256", name="uq_detainer_dataset_file"),
)

detainer_facilities = Table(
    "detainer_facilities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset_id", Integer, ForeignKey("detainer_datasets.id"), nullable=False),
    Column("slug", String(200), nullable=False),  # the facility's key across datasets
    Column("name", String(300), nullable=False),
    Column("code", String(40)),
    Column("city", String(120)),
    Column("state", String(2)),
    Column("county_fips", String(5)),
    Column("jurisdiction_id", String(200)),
    Column("link_rule", String(40)),
    Column("link_score", Float),
    Column("detloc", String(20)),
    Column("operator", String(300)),  # the agency that runs the facility, in words
    Column("operator_ori", String(12)),
    Column("operator_rule", String(60)),
    Index("ix_detainer_facilities_slug", "slug"),
    Index("ix_detainer_facilities_jurisdiction", "jurisdiction_id"),
    Index("ix_detainer_facilities_state", "state"),
    Index("ix_detainer_facilities_ori", "operator_ori"),
)

detainer_counts = Table(
    "detainer_counts",
    metadata,
    Column("dataset_id", Integer, ForeignKey("detainer_datasets.id"), nullable=False),
    Column("facility_id", Integer, ForeignKey("detainer_facilities.id")),  # None: a national count
    Column("year", Integer, nullable=False),
    Column("month", Integer),  # None: the source gives the year only
    Column("dimension", String(20), nullable=False),  # total | type | lift_reason | method | case_status
    Column("label", String(300)),  # the printed form, reason, method or status (None: total or blank)
    Column("count", Integer, nullable=False),
    Column("note", String(40)),  # 'other-than-declined' / 'pooled': NPR's right-hand counts
    Column("source_file", String(300)),  # for a dataset of several files: the file, relative
    Column("source_row", Integer),
    Index("ix_detainer_counts_facility", "facility_id"),
    Index("ix_detainer_counts_dataset", "dataset_id", "dimension"),
)

# A person's entries on the fields of a stored document (issue 14): each one is evidence of its own kind —
# who, when, the page region they looked at — kept beside the machine's reading, never over it. The latest
# entry of a field is its value; earlier ones stay as its history.
field_entries = Table(
    "field_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False),  # the stored document
    Column("field", String(80), nullable=False),  # "signatories[1].date", "agency.name", "signed_date"
    Column("value", Text),  # as the person typed or confirmed it (None: the document shows no value)
    Column("state", String(20), nullable=False),  # a FieldState value: confirmed | corrected
    Column("machine", Text),  # what the machine had read when the person entered it
    Column("entered_by", String(200), nullable=False),
    Column("entered_at", DateTime(timezone=True), nullable=False),
    Column("region", JSON),  # the page region shown to the person (page and fractions of it)
    Column("note", Text),
    Index("ix_field_entries_document", "sha256"),
)

# Alerts (issue 17): who follows a place or a campaign by e-mail, and every item each subscription was sent
# (or already had when it began: a baseline), so a digest carries each change once and a re-run sends nothing.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False),
    Column("scope", String(20), nullable=False),  # an AlertScope value
    Column("scope_id", String(200), nullable=False),  # the OCD id, agency id or campaign id
    Column("label", String(300), nullable=False),  # the place, agency or campaign as its pages name it
    Column("status", String(20), nullable=False),  # a SubscriptionStatus value: active | ended
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("language", String(8)),  # of its digests: en (also when empty, as before 0016) or es
    Index("ix_subscriptions_email", "email"),
)

alerts_sent = Table(
    "alerts_sent",
    metadata,
    Column("subscription_id", Integer, ForeignKey("subscriptions.id"), nullable=False),
    Column("item", String(400), nullable=False),  # the AlertItem key: stable across registry rebuilds
    Column("baseline", Boolean, nullable=False),  # True: already there when the subscription began, not sent
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("message_id", String(200)),  # the Message-ID of the digest that carried it
    UniqueConstraint("subscription_id", "item", name="uq_alerts_sent_item"),
)

# Redaction (issue 17): a person's review of what to black out of a stored document before it is published,
# and the redacted copy that publishing wrote. The original is never touched; only the copy leaves.
redaction_reviews = Table(
    "redaction_reviews",
    metadata,
    Column("sha256", String(64), primary_key=True),  # the stored original
    Column("boxes", JSON, nullable=False),  # every box to black out, each a Redaction
    Column("dropped", JSON, nullable=False),  # the machine's suggestions a person dropped (their keys)
    Column("reviewed_by", String(200), nullable=False),
    Column("reviewed_at", DateTime(timezone=True), nullable=False),
)

published_documents = Table(
    "published_documents",
    metadata,
    Column("sha256", String(64), primary_key=True),  # the stored original
    Column("redacted_sha256", String(64), nullable=False),  # the copy that is public, in the workspace
    Column("boxes", Integer, nullable=False),  # how many boxes were blacked out
    Column("pages", Integer, nullable=False),
    Column("published_by", String(200), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
)

# Web sign-ins (issue 18): one row per session, keyed by the sha256 of its id (the id itself lives only in
# the browser's cookie). A session belongs to a principal: today "the token holder"; later a user.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("principal", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),  # set by logout: the cookie stops working at once
    Column("client", String(100)),  # the address it signed in from, for the person's own list
    Index("ix_web_sessions_principal", "principal"),
)

# Failed sign-ins, for throttling: one row per failure, pruned as they age out of the window.
web_login_failures = Table(
    "web_login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client", String(100), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_web_login_failures_client_at", "client", "at"),
)

# Server-side secrets (the key that signs each form's CSRF token), shared by every worker process.
web_keys = Table(
    "web_keys",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# 0014: storage every machine of a coalition shares (issue 16). Originals are content-addressed blobs cut in
# chunks (a row of 1 MB each: PostgreSQL's bytea, SQLite's BLOB); the blobs row is written last, so a blob
# is whole when its row exists. The pages read from each original are kept once, as the folder store keeps
# its pages JSON. Neither is ever updated or deleted (AppendOnly below refuses it in the database itself).
blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("chunks", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

blob_chunks = Table(
    "blob_chunks",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

document_pages = Table(
    "document_pages",
    metadata,
    Column("sha256", String(64), primary_key=True),  # the original's
    Column("pages", LargeBinary, nullable=False),  # the pages JSON, as the folder store writes it
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# One row per page of a document whose OCR is fanned out one task per page: the task's claim (attempts),
# then its reading. Keyed by (document, page), so a task delivered twice (a worker killed after reading
# but before acknowledging) finds the page read and does nothing: every page is read into the store once.
ocr_pages = Table(
    "ocr_pages",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("page", Integer, primary_key=True),
    Column("state", String(20), nullable=False),  # an OcrPageState value: claimed | read | failed
    Column("attempts", Integer, nullable=False),  # how many times a worker started on it
    Column("text", Text),
    Column("confidence", Float),
    Column("error", Text),
    Column("worker", String(200)),  # the host and process that read it
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


# 0015: people and their work (issue 16). Organisations, their users with a role, each user's API tokens
# (kept as sha256: the token itself is shown once), what each organisation holds (a document, a records
# request, a campaign, an ingestion job) at which access level, and the audit log of every change.
organisations = Table(
    "organisations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),  # stored lower-cased
    Column("organisation_id", String(40), ForeignKey("organisations.id"), nullable=False),
    Column("role", String(20), nullable=False),  # a Role value: viewer | editor | admin
    Column("password_hash", String(300), nullable=False),  # argon2id, with its own salt and parameters
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled_at", DateTime(timezone=True)),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(40), ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_api_tokens_user", "user_id"),
)

holdings = Table(
    "holdings",
    metadata,
    Column("kind", String(20), primary_key=True),  # a HoldingKind value: document | request | campaign | job
    Column("key", String(200), primary_key=True),  # the sha256 or the id
    Column("organisation_id", String(40), ForeignKey("organisations.id"), primary_key=True),
    Column("owner_id", String(40)),  # the user who brought or made it (None: the organisation's)
    Column("access", String(20), nullable=False),  # an Access value: private | organisation | public
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Index("ix_holdings_organisation", "organisation_id", "kind"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(320), nullable=False),  # the user's email, or "operator" (the command line)
    Column("organisation", String(200)),  # the actor's organisation
    Column("action", String(80), nullable=False),  # what was done: "user.add", "request.status", "web POST"
    Column("subject", String(300)),  # what it was done to (a sha256, an id, an email)
    Column("detail", JSON),  # the rest, small: a role, an access level, the response status
    Index("ix_audit_log_at", "at"),
)


@dataclass(frozen=True, slots=True)
class AppendOnly:
    """A migration step: the database itself refuses UPDATE and DELETE on a table (evidence, audit log)."""

    table: Table


# Named, ordered migrations: each creates or alters what it names. Never edit a released one.
MIGRATIONS: tuple[tuple[str, tuple[Table | AddColumn | AppendOnly, ...]], ...] = (
    (
        "0001_registry",
        (
            sources,
            jurisdictions,
            agencies,
            agency_aliases,
            agreements,
            events,
            snapshots,
            snapshot_rows,
            pending_requests,
            facts,
        ),
    ),
    ("0002_records_requests", (records_requests, request_events)),
    ("0003_request_documents", (request_documents,)),
    ("0004_documents", (document_readings, ingest_jobs)),
    (
        "0005_discovery",
        (
            AddColumn(agencies, "county_id"),
            AddColumn(agencies, "officers"),
            AddColumn(agencies, "population"),
            AddColumn(agencies, "origin"),
            AddColumn(records_requests, "campaign_id"),
            AddColumn(document_readings, "public"),
            campaigns,
            found_agreements,
            agreement_actions,
        ),
    ),
    ("0007_detainers", (detainer_datasets, detainer_facilities, detainer_counts)),
    ("0009_registry_truth", (agency_counties,)),
    ("0010_review", (field_entries,)),
    ("0011_alerts", (subscriptions, alerts_sent)),
    ("0012_redaction", (redaction_reviews, published_documents)),
    ("0013_web_sessions", (web_sessions, web_login_failures, web_keys, AddColumn(ingest_jobs, "cancel"))),
    (
        "0014_shared_store",
        (
            blobs,
            blob_chunks,
            document_pages,
            ocr_pages,
            AppendOnly(blobs),
            AppendOnly(blob_chunks),
            AppendOnly(document_pages),
        ),
    ),
    ("0015_accounts", (organisations, users, api_tokens, holdings, audit_log, AppendOnly(audit_log))),
    ("0016_subscription_language", (AddColumn(subscriptions, "language"),)),
)

__all__ = [
    "MIGRATIONS",
    "AddColumn",
    "AppendOnly",
    "agencies",
    "agency_aliases",
    "agency_counties",
    "agreement_actions",
    "agreements",
    "alerts_sent",
    "api_tokens",
    "audit_log",
    "blob_chunks",
    "blobs",
    "campaigns",
    "detainer_counts",
    "detainer_datasets",
    "detainer_facilities",
    "document_pages",
    "document_readings",
    "events",
    "facts",
    "field_entries",
    "found_agreements",
    "holdings",
    "ingest_jobs",
    "jurisdictions",
    "metadata",
    "ocr_pages",
    "organisations",
    "pending_requests",
    "published_documents",
    "records_requests",
    "redaction_reviews",
    "request_documents",
    "request_events",
    "schema_migrations",
    "snapshot_rows",
    "snapshots",
    "sources",
    "subscriptions",
    "users",
    "web_keys",
    "web_login_failures",
    "web_sessions",
]
