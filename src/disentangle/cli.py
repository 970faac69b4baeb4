"""The command line: a thin shell over the Workspace (data on stdout, messages on stderr)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from disentangle import assess, extract, letters
from disentangle.errors import DisentangleError, InputError
from disentangle.model import FoundReview
from disentangle.publish import csv_cell
from disentangle.workspace import DATABASE_ENV, HOME_ENV, RECORDABLE, Workspace, default_home

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = click.Choice(["table", "json", "csv"])


def _fail_cleanly(function: F) -> F:
    """Any DisentangleError becomes one line on stderr and exit code 1 — never a traceback."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except DisentangleError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _workspace(ctx: click.Context) -> Workspace:
    obj = ctx.ensure_object(dict)
    if "workspace" not in obj:
        home = obj.get("home")
        if home is not None and not Path(home).is_dir():
            # A mistyped --workspace must not become a new, empty workspace somewhere.
            raise InputError(
                "no workspace folder there: create it first (mkdir), "
                "or leave out --workspace for the default",
                home,
            )
        obj["workspace"] = Workspace(home)
        ctx.call_on_close(obj["workspace"].close)
    workspace: Workspace = obj["workspace"]
    return workspace


def _ensure_registry(workspace: Workspace) -> None:
    report = workspace.import_bundled(progress=_progress())
    if report.changed:
        click.echo(f"registry built from {report.files} files in {report.seconds:.1f} s", err=True)


def _progress() -> Callable[[str, int, int], None]:
    last: dict[str, int] = {}

    def tick(step: str, done: int, total: int) -> None:
        if not sys.stderr.isatty() and done != total:
            return
        width = 30
        filled = int(width * done / max(total, 1))
        end = "\n" if done == total else "\r"
        if last.get(step) != done:
            click.echo(
                f"  {step:<18} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", err=True, nl=False
            )
            click.echo(end, err=True, nl=False)
            last[step] = done

    return tick


def _emit(
    rows: Sequence[Mapping[str, Any]] | Mapping[str, Any], fmt: str, columns: Sequence[str] | None = None
) -> None:
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, default=str, ensure_ascii=False))
        return
    records: list[Mapping[str, Any]] = [rows] if isinstance(rows, Mapping) else list(rows)
    if not records:
        click.echo("(nothing)", err=True)
        return
    keys = list(columns or records[0].keys())
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow({k: csv_cell(record.get(k)) for k in keys})
        click.echo(buffer.getvalue(), nl=False)
        return
    widths = {k: min(48, max(len(k), *(len(_cell(r.get(k))) for r in records))) for k in keys}
    click.echo("  ".join(k.upper().ljust(widths[k]) for k in keys))
    for record in records:
        click.echo("  ".join(_cell(record.get(k))[: widths[k]].ljust(widths[k]) for k in keys).rstrip())


def _safe_url(url: str) -> str:
    """A broker or database URL without its password."""
    return re.sub(r"://([^:@/]*):[^@/]+@", r"://\1:***@", url)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


@click.group()
@click.option(
    "--workspace",
    "home",
    type=click.Path(file_okay=False, path_type=Path),
    help="Workspace folder (else $DISENTANGLE_HOME, else a per-user data folder).",
)
@click.version_option(package_name="disentangle-watch")
@click.pass_context
def main(ctx: click.Context, home: Path | None) -> None:
    """Disentangle: local law enforcement's agreements with ICE, from public records."""
    ctx.ensure_object(dict)["home"] = home


@main.group("import", invoke_without_command=True)
@click.option("--force", is_flag=True, help="Rebuild even if no bundled file changed.")
@click.pass_context
@_fail_cleanly
def import_(ctx: click.Context, force: bool) -> None:
    """Build the registry from all bundled public data (a no-op when nothing changed)."""
    if ctx.invoked_subcommand:
        return
    workspace = _workspace(ctx)
    report = workspace.import_bundled(progress=_progress(), force=force)
    if report.changed:
        counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in report.counts.items())
        click.echo(f"imported {report.files} files in {report.seconds:.1f} s: {counts}", err=True)
        _qa_summary(report.qa)
    else:
        click.echo(f"registry is current: {report.files} files unchanged, nothing to do", err=True)


def _qa_summary(checks: Sequence[Any]) -> None:
    """One line of the registry's QA after an import, and every failing invariant on its own line."""
    counts = {status: sum(1 for c in checks if c.status == status) for status in ("pass", "fail", "info")}
    tally = f"{counts['pass']} pass, {counts['fail']} fail, {counts['info']} info"
    click.echo(f"qa: {tally} (`disentangle qa` lists them)", err=True)
    for check in checks:
        if check.status == "fail":
            click.echo(f"qa fail: {check.id}: {check.summary}", err=True)


@import_.command("ice-sheet")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--date", "captured", type=click.DateTime(["%Y-%m-%d"]), help="Capture date, if the name lacks it."
)
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def import_ice_sheet(ctx: click.Context, file: Path, captured: Any, fmt: str) -> None:
    """Diff a newly published ICE 287(g) workbook against the registry and record the changes."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    diff = workspace.import_ice_sheet(file, captured=captured.date() if captured else None)
    if diff.already_imported:
        click.echo(f"{file}: already imported (same content); nothing changed", err=True)
        return
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(diff.counts().items())) or "no changes"
    click.echo(f"{file}: {diff.list_kind} sheet of {diff.captured}, {diff.rows} rows: {counts}", err=True)
    _emit(diff.events, fmt, ["date", "kind", "agreement_id", "detail"])


@main.command()
@click.option("--state")
@click.option("--model", help="jem, wso, tfm (or a kind such as igsa)")
@click.option("--status", type=click.Choice(["active", "removed", "superseded", "pending", "listed"]))
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="As ICE's list stood on this date.")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def agreements(
    ctx: click.Context, state: str | None, model: str | None, status: str | None, as_of: Any, fmt: str
) -> None:
    """List agreements, filtered by state, model, status or date."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    rows = workspace.agreements(
        state=state, model=model, status=status, as_of=as_of.date() if as_of else None
    )
    click.echo(f"{len(rows)} agreements", err=True)
    _emit(
        rows,
        fmt,
        None if fmt != "table" else ["state", "agency", "model", "signed", "status", "jurisdiction", "ori"],
    )


@main.command()
@click.argument("place")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="json")
@click.pass_context
@_fail_cleanly
def show(ctx: click.Context, place: str, fmt: str) -> None:
    """Everything known about a jurisdiction or agency (name, OCD id, FIPS or ORI), with sources."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    _emit(workspace.show(place), "json")


@main.command()
@click.argument("agency")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def history(ctx: click.Context, agency: str, fmt: str) -> None:
    """An agency's agreements and their dated events, each with its source sheet and row."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    result = workspace.history(agency)
    if fmt == "json":
        _emit(result, "json")
        return
    click.echo(
        f"{result['agency']['name']} ({result['agency']['state']}), id {result['agency']['id']}", err=True
    )
    if result.get("history_begins"):
        click.echo(
            f"ICE's lists here begin with the list of {result['history_begins']}: an agreement on it was "
            "added on or before that date; earlier events come from older records",
            err=True,
        )
    _emit(
        [
            {
                **e,
                "source": f"{e['source']['label']}, row {e['source']['row']}" if e["source"] else "recorded",
            }
            for e in result["events"]
        ],
        fmt,
        ["date", "kind", "agreement_id", "detail", "source"],
    )


@main.command()
@click.argument("text")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def search(ctx: click.Context, text: str, fmt: str) -> None:
    """Find jurisdictions and agencies by name, OCD id, FIPS or ORI."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    _emit(workspace.search(text), fmt)


@main.command()
@click.option("--by", type=click.Choice(["model", "state", "month"]), default="model")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def stats(ctx: click.Context, by: str, as_of: Any, fmt: str) -> None:
    """Counts of agreements on ICE's lists, by model, state, or per published sheet."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    rows = workspace.stats(by, as_of=as_of.date() if as_of else None)
    if by == "month":
        columns = ["captured", "total", "287g-jem", "287g-wso", "287g-tfm"]
        _emit(rows, fmt, columns)
    else:
        _emit(rows, fmt)


@main.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--workers", default=2, show_default=True, help="Files read at once (processes).")
@click.pass_context
@_fail_cleanly
def ingest_(ctx: click.Context, paths: tuple[Path, ...], workers: int) -> None:
    """Store agreement files (PDF, scans, DOCX, HTML, text; folders recursively) and read their pages."""
    workspace = _workspace(ctx)
    done = 0

    def tick(result: Any) -> None:
        nonlocal done
        done += 1
        if result.error:
            click.echo(f"  failed  {result.path}: {result.error}", err=True)
        else:
            state = "new" if result.new else "already stored"
            ocr = f", {result.ocr_pages} by OCR" if result.ocr_pages else ""
            click.echo(
                f"  {done:>4}  {result.filename}: {result.pages} pages{ocr} ({state}) {result.sha256[:12]}",
                err=True,
            )

    shown_pages: dict[str, int] = {}

    def pages(progress: Any) -> None:
        # Each file's OCR pages as workers read them: on a terminal in place, else every tenth of them.
        step = max(1, progress.total // 10)
        due = sys.stderr.isatty() or progress.read % step == 0 or progress.read == progress.total
        if due and shown_pages.get(progress.filename) != progress.read:
            end = "\n" if progress.read == progress.total or not sys.stderr.isatty() else "\r"
            line = f"  ocr   {progress.filename}: {progress.read}/{progress.total} pages{end}"
            click.echo(line, err=True, nl=False)
            shown_pages[progress.filename] = progress.read

    executor = workspace.executor()
    broker = os.environ.get("DISENTANGLE_BROKER_URL")
    if executor is not None and broker:
        click.echo(
            f"reading on the workers of {_safe_url(broker)} (start one: `disentangle worker`)", err=True
        )
    summary = workspace.ingest(list(paths), workers=workers, progress=tick, executor=executor, on_pages=pages)
    for path, reason in summary.skipped:  # hidden files, links, folders that cannot be opened
        click.echo(f"skipped: {path}: {reason}", err=True)
    click.echo(
        f"{summary.documents} documents ({summary.new} new, {summary.already_stored} already stored), "
        f"{summary.pages} pages, {summary.ocr_pages} by OCR, {len(summary.failures)} failed"
        + (f", {len(summary.skipped)} skipped" if summary.skipped else ""),
        err=True,
    )
    for path, reason in summary.failures:
        click.echo(f"failed: {path}: {reason}", err=True)
    if summary.failures:
        sys.exit(1)  # the batch went on; the exit code still tells a script that some files failed


@main.command("documents")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_context
@_fail_cleanly
def documents(ctx: click.Context, fmt: str) -> None:
    """List the library: each stored document's sha256, file name, pages, OCR pages, state, organisation."""
    rows = [row.to_json() for row in _workspace(ctx).document_list()]
    _emit(rows, fmt, ["sha256", "filename", "pages", "ocr_pages", "state", "organisation"])


@main.group("user")
def user_group() -> None:
    """Accounts of a shared server: users of organisations, with roles viewer, editor or admin."""


@user_group.command("add")
@click.argument("email")
@click.option("--org", "organisation", required=True, help="The user's organisation (made if new).")
@click.option("--role", type=click.Choice(["viewer", "editor", "admin"]), required=True)
@click.pass_context
@_fail_cleanly
def user_add(ctx: click.Context, email: str, organisation: str, role: str) -> None:
    """Add a user; prints a one-time password and an API token (shown once, only their hashes are kept)."""
    made = _workspace(ctx).add_user(email, organisation, role)
    click.echo(f"password: {made.password}")
    click.echo(f"token: {made.token}")
    click.echo(
        f"{made.user.email} added to {made.user.organisation} as {made.user.role.value}; the password and "
        "the token above are shown once: give them to the person by a private channel",
        err=True,
    )


@user_group.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(["viewer", "editor", "admin"]))
@click.pass_context
@_fail_cleanly
def user_role(ctx: click.Context, email: str, role: str) -> None:
    """Change a user's role."""
    user = _workspace(ctx).set_role(email, role)
    click.echo(f"{user.email} ({user.organisation}) is now {user.role.value}", err=True)


@user_group.command("list")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_context
@_fail_cleanly
def user_list(ctx: click.Context, fmt: str) -> None:
    """Every user with their organisation and role."""
    rows = [
        {"email": u.email, "organisation": u.organisation, "role": u.role.value}
        for u in _workspace(ctx).users()
    ]
    _emit(rows, fmt, ["email", "organisation", "role"])


@main.command("audit")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_context
@_fail_cleanly
def audit(ctx: click.Context, limit: int, fmt: str) -> None:
    """The audit log, newest first: who changed what, when (it can be added to, never edited)."""
    rows = [entry.to_json() for entry in _workspace(ctx).audit_log(limit=limit)]
    _emit(rows, fmt, ["at", "actor", "organisation", "action", "subject", "detail"])


@main.command("worker")
@click.option("--concurrency", default=2, show_default=True, type=click.IntRange(1, 64), help="Processes.")
@click.option(
    "--broker",
    envvar="DISENTANGLE_BROKER_URL",
    required=True,
    help="Redis URL of the broker (also $DISENTANGLE_BROKER_URL), e.g. redis://127.0.0.1:6379/0.",
)
@click.option(
    "--database",
    envvar="DISENTANGLE_DATABASE_URL",
    help="The shared database (also $DISENTANGLE_DATABASE_URL).",
)
@click.pass_context
@_fail_cleanly
def worker(ctx: click.Context, concurrency: int, broker: str, database: str | None) -> None:
    """Read documents for a server: consume ingest, OCR (one page per task) and extraction tasks."""
    from disentangle import ingest

    if database:
        os.environ[DATABASE_ENV] = database
    workspace = _workspace(ctx)  # checks the database and applies its migrations before taking tasks
    click.echo(
        f"worker: {concurrency} process(es) on {_safe_url(broker)}, store {_safe_url(workspace.store.url)}",
        err=True,
    )
    workspace.close()
    ingest.run_worker(broker, concurrency)


@main.group("job")
def job_group() -> None:
    """Ingestion jobs (web uploads): list them, show one, stop one."""


@job_group.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 200))
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def job_list(ctx: click.Context, limit: int, fmt: str) -> None:
    """The latest jobs, newest first: status and how many files are done or failed."""
    rows = _workspace(ctx).ingest_jobs(limit)
    _emit(rows, fmt, ["id", "status", "total", "done", "failed", "created_at"] if fmt == "table" else None)


@job_group.command("show")
@click.argument("job_id")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def job_show(ctx: click.Context, job_id: str, fmt: str) -> None:
    """One job's files and what became of each."""
    job = _workspace(ctx).ingest_job(job_id)
    click.echo(f"job {job['id']}: {job['status']}, {job['done']} of {job['total']} done", err=True)
    _emit(
        job["files"] if fmt != "json" else job,
        fmt,
        ["name", "state", "sha256", "error"] if fmt == "table" else None,
    )


@job_group.command("cancel")
@click.argument("job_id")
@click.pass_context
@_fail_cleanly
def job_cancel(ctx: click.Context, job_id: str) -> None:
    """Stop a queued or running job: the file being read is stopped, the others are not read."""
    job = _workspace(ctx).cancel_ingest_job(job_id)
    click.echo(f"job {job['id']}: cancel asked; it stops within a few seconds", err=True)


@main.command("extract")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--json", "as_json", is_flag=True, help="Print the full JSON object (the default is a summary)."
)
@click.option("--no-ocr", is_flag=True, help="Use text layers only; pages that need OCR are listed.")
@click.pass_context
@_fail_cleanly
def extract_(ctx: click.Context, file: Path, as_json: bool, no_ocr: bool) -> None:
    """Classify an agreement and extract its terms, each with page and quote; link it to the registry."""
    workspace = _workspace(ctx)
    extraction = workspace.read_agreement(file, ocr=not no_ocr)
    result = extraction.to_json()
    result["registry_match"] = workspace.link_extraction(extraction)
    if as_json:
        _emit(result, "json")
        return
    click.echo(
        f"{file}: {result['kind']} ({(result.get('template') or {}).get('family') or 'template unknown'})"
    )
    agency = result.get("agency") or {}
    state = agency.get("state") or (
        "state: " + " or ".join(agency["state_candidates"]) if agency.get("state_candidates") else None
    )
    click.echo(f"agency: {agency.get('name')} ({state}); signed {result.get('signed_date')}")
    for signatory in result.get("signatories") or []:
        fields = [signatory.get(k) for k in ("name", "title", "date")]
        click.echo(f"  {signatory.get('side')}: " + ", ".join(str(f) for f in fields))
    click.echo(f"functions: {', '.join(result.get('functions') or []) or 'none found'}")
    for warning in result.get("warnings") or []:  # what was left empty or read with doubt, and why
        click.echo(f"warning: {warning}")
    match = result["registry_match"]
    # The registry's agency and state are ICE's listing, shown beside what the document itself says.
    click.echo(
        f"registry: {match['agreement_id']} — {match['agency']} ({match['state']}), "
        f"confidence {match['confidence']}"
        if match
        else "registry: no match"
    )


@main.command("compare")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["markdown", "json", "html"]), default="markdown")
@click.pass_context
@_fail_cleanly
def compare_(ctx: click.Context, file: Path, fmt: str) -> None:
    """Align an agreement with its family's standard text: clauses added, removed, changed."""
    comparison = extract.compare_to_template(_workspace(ctx).read_agreement(file))
    if fmt == "json":
        _emit(comparison.to_json(), "json")
    else:
        click.echo(comparison.to_html() if fmt == "html" else comparison.to_markdown())


@main.command("assess")
@click.argument("places", nargs=-1, required=True)
@click.option(
    "--policy", "policies", multiple=True, type=click.Path(path_type=Path), help="A policy text file."
)
@click.option(
    "--overrides", type=click.Path(path_type=Path), help="YAML list of {criterion, answer, note, source}."
)
@click.option("--gaps", "show_gaps", is_flag=True, help="What the place would need to adopt, per criterion.")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json", "html"]), default="markdown")
@click.pass_context
@_fail_cleanly
def assess_(
    ctx: click.Context,
    places: tuple[str, ...],
    policies: tuple[Path, ...],
    overrides: Path | None,
    show_gaps: bool,
    fmt: str,
) -> None:
    """Score places on the Local Progress checklist, with evidence for every answer; several side by side."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    given = _read_overrides(overrides) if overrides else []
    cards = [workspace.assess(place, policy_files=list(policies), overrides=given) for place in places]
    if len(cards) > 1:
        side_by_side = assess.compare(cards)
        click.echo(side_by_side.to_json() if fmt == "json" else side_by_side.to_markdown())
        return
    (scorecard,) = cards
    if show_gaps:
        found = assess.gaps(scorecard)
        if fmt == "json":
            _emit([gap.to_dict() for gap in found], "json")
        else:
            click.echo(assess.gaps_markdown(found), nl=False)
        return
    click.echo(
        {"markdown": scorecard.to_markdown, "json": scorecard.to_json, "html": scorecard.to_html}[fmt]()
    )


def _read_overrides(path: Path) -> list[dict[str, Any]]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read the overrides: {exc}", path) from exc
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise InputError("overrides must be a YAML list of {criterion, answer, note, source}", path)
    return data


@main.command("check")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--place", help="The jurisdiction the agreement binds (else the registry's link for its agency)."
)
@click.option(
    "--policy", "policies", multiple=True, type=click.Path(path_type=Path), help="A local policy text."
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
@_fail_cleanly
def check(ctx: click.Context, file: Path, place: str | None, policies: tuple[Path, ...], fmt: str) -> None:
    """Validity flags (who signed, with what authority) and conflicts with policy and state law."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    result = workspace.check_agreement(file, place=place, policy_files=list(policies))
    if fmt == "json":
        _emit(result, "json")
        return
    click.echo(
        f"{file}: {result['kind']} of {result['agency']['name']} ({result['agency']['state']}), "
        f"judged under {result['jurisdiction']['name']}"
    )
    for flag in result["flags"]:
        click.echo(f"  flag [{flag['severity']}] {flag['code']}: {flag['message']}")
    for conflict in result["conflicts"]:
        click.echo(
            f"  conflict ({conflict.get('strength')}) with {conflict.get('against_name')}: "
            f"{conflict.get('explanation')}"
        )
    if not result["flags"] and not result["conflicts"]:
        click.echo("  no flags and no conflicts found")


@main.command("cost")
@click.argument("agreement", required=False)
@click.option("--regime", help="tff-joint-operations, 287g-before-fy2026, 287g-fy2026, igsa-bed-space")
@click.option(
    "--size",
    type=click.Choice(["small", "medium", "large"]),
    help="Agency size whose defaults fill the inputs left out (default: the agreement's agency's own "
    "size from the FBI roster; medium with --regime).",
)
@click.option(
    "--set",
    "values",
    multiple=True,
    metavar="NAME=VALUE",
    help="An input: officers, base_salary, benefit_load, payroll_tax, overtime_hours, months, ...",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
@_fail_cleanly
def cost(
    ctx: click.Context,
    agreement: str | None,
    regime: str | None,
    size: str | None,
    values: tuple[str, ...],
    fmt: str,
) -> None:
    """The cost of an agreement and who pays it: `cost AGREEMENT` or `cost --regime R --set officers=2`."""
    workspace = _workspace(ctx)
    inputs: dict[str, Any] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--set takes NAME=VALUE, got {item!r}")
        inputs[name.strip()] = value.strip()
    if agreement:
        _ensure_registry(workspace)
        estimate = workspace.cost_of_agreement(agreement, size=size, **inputs)
    elif regime:
        estimate = workspace.cost(regime, inputs, size=size or "medium")
    else:
        raise InputError("give an AGREEMENT id or --regime")
    click.echo(estimate.to_json() if fmt == "json" else estimate.to_table())


def _requester_options(function: F) -> F:
    for option in reversed(
        [
            click.option(
                "--name", "requester_name", required=True, help="Who asks (a person or organization)."
            ),
            click.option("--organization"),
            click.option("--email"),
            click.option("--address", multiple=True, help="An address line (repeat for more)."),
            click.option("--residence", help="How the requester qualifies where a law limits requesters."),
        ]
    ):
        function = option(function)
    return function


def _requester(kwargs: dict[str, Any]) -> letters.Requester:
    return letters.Requester(
        name=kwargs.pop("requester_name"),
        organization=kwargs.pop("organization"),
        email=kwargs.pop("email"),
        address=tuple(kwargs.pop("address")),
        residence=kwargs.pop("residence"),
    )


def _deliver(letter: letters.Letter, out: Path | None) -> None:
    for note in letter.notes:
        click.echo(f"note: {note}", err=True)
    if out is None:
        click.echo(letter.markdown)
        return
    try:
        letters.write_letter(letter, out)
    except OSError as exc:
        raise InputError(f"cannot write the letter: {exc.strerror}", out) from exc
    click.echo(f"wrote {out}", err=True)


TOPIC_CHOICE = click.Choice(list(letters.TOPICS))
DAY = click.DateTime(["%Y-%m-%d"])


@main.group()
def request() -> None:
    """Public-records requests: draft, track, follow up, appeal; deadlines on the state's calendar."""


@request.command("new")
@click.argument("agency")
@click.option("--about", multiple=True, type=TOPIC_CHOICE, default=["agreements"], show_default=True)
@click.option("--custom", multiple=True, help="A record to ask for, with --about custom.")
@click.option("--since", type=DAY, help="Ask for records since this date.")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write .md, .docx, .pdf or .html."
)
@_requester_options
@click.pass_context
@_fail_cleanly
def request_new(
    ctx: click.Context,
    agency: str,
    about: tuple[str, ...],
    custom: tuple[str, ...],
    since: Any,
    out: Path | None,
    **kwargs: Any,
) -> None:
    """Draft a request to AGENCY (id, ORI or name) under its state's records law, and track it."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    request_id, letter = workspace.draft_request(
        agency,
        list(about),
        _requester(kwargs),
        today=date.today(),
        custom=custom,
        since=since.date() if since else None,
    )
    click.echo(
        f"{request_id}: {letter.title}; due {letter.due or 'no fixed deadline'} if received today", err=True
    )
    _deliver(letter, out)


@request.command("bulk")
@click.option("--state")
@click.option("--model", help="jem, wso or tfm")
@click.option("--about", multiple=True, type=TOPIC_CHOICE, default=["agreements"], show_default=True)
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--as", "suffix", type=click.Choice(["md", "docx", "pdf"]), default="md", show_default=True)
@_requester_options
@click.pass_context
@_fail_cleanly
def request_bulk(
    ctx: click.Context,
    state: str | None,
    model: str | None,
    about: tuple[str, ...],
    out_dir: Path,
    suffix: str,
    **kwargs: Any,
) -> None:
    """One request per agency with an active agreement in the selection (e.g. --state TX --model tfm)."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    drafted = workspace.draft_requests_bulk(
        list(about), _requester(kwargs), today=date.today(), state=state, model=model
    )
    _new_folder(out_dir)
    for request_id, letter in drafted:
        letters.write_letter(letter, out_dir / f"{request_id}.{suffix}")
    click.echo(f"drafted {len(drafted)} requests in {out_dir}", err=True)


@request.command("list")
@click.option("--overdue", is_flag=True, help="Only requests past their due date, still unanswered.")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def request_list(ctx: click.Context, overdue: bool, fmt: str) -> None:
    """Tracked requests with status, due date and days overdue."""
    _emit(_workspace(ctx).records_requests(today=date.today(), overdue=overdue), fmt)


@request.command("update")
@click.argument("request_id")
@click.argument("status", type=click.Choice([s.value for s in letters.RequestStatus]))
@click.option("--on", "on", type=DAY, help="When it happened (default today).")
@click.option("--note", default="")
@click.option("--promised", type=DAY, help="A response date the agency gave.")
@click.pass_context
@_fail_cleanly
def request_update(
    ctx: click.Context, request_id: str, status: str, on: Any, note: str, promised: Any
) -> None:
    """Record what happened to a request (sent, acknowledged, extended, fulfilled, rejected, ...)."""
    request_ = _workspace(ctx).advance_request(
        request_id,
        status,
        on.date() if on else date.today(),
        note,
        promised=promised.date() if promised else None,
    )
    click.echo(
        f"{request_id}: {request_.status.value}; due {request_.due() or 'no fixed deadline'}", err=True
    )


@request.command("letter")
@click.argument("request_id")
@click.argument("kind", type=click.Choice(["follow-up", "appeal"]))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
@_requester_options
@click.pass_context
@_fail_cleanly
def request_letter(ctx: click.Context, request_id: str, kind: str, out: Path | None, **kwargs: Any) -> None:
    """A follow-up or appeal letter citing the statute and the dates."""
    _deliver(_workspace(ctx).request_letter(request_id, kind, _requester(kwargs), today=date.today()), out)


@request.command("calendar")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_context
@_fail_cleanly
def request_calendar(ctx: click.Context, out: Path) -> None:
    """Write every request's deadlines as an ICS calendar."""
    _write_new(out, _workspace(ctx).requests_calendar().encode("utf-8"))
    click.echo(f"wrote {out}", err=True)


@request.command("attach")
@click.argument("request_id")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def request_attach(ctx: click.Context, request_id: str, files: tuple[Path, ...], fmt: str) -> None:
    """File the documents an agency released under a request; each is read and linked to the registry."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    rows = workspace.attach_to_request(request_id, list(files), today=date.today())
    _emit(rows, fmt, ["filename", "kind", "agreement_id", "review", "error"] if fmt == "table" else None)
    for row in rows:
        for reason in row.get("reasons") or []:
            click.echo(f"needs review: {row['filename']}: {reason}", err=True)
    if any(row.get("error") for row in rows):
        sys.exit(1)


@main.group()
def letter() -> None:
    """Action letters: terminate an agreement, give notice it is invalid, draft a resolution."""


@letter.command("invalidity")
@click.argument("file")
@click.option("--place", help="The jurisdiction the agreement binds.")
@click.option("--signer", required=True)
@click.option("--title", required=True)
@click.option("--body", required=True, help="The government they sign for.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
@_fail_cleanly
def letter_invalidity(
    ctx: click.Context, file: str, place: str | None, signer: str, title: str, body: str, out: Path | None
) -> None:
    """A notice that an agreement (a FILE, or a registry agreement whose document was read) was not validly
    made, quoting each rule and the agreement's own words with their pages."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    sender = letters.Sender(name=signer, title=title, body=body)
    if Path(file).exists() or not workspace.has_agreement(file):
        _deliver(workspace.invalidity_notice(Path(file), sender, today=date.today(), place=place), out)
        return
    notice = workspace.invalidity_notice_of_agreement(
        file, sender, today=date.today(), place=place, record=True
    )
    _deliver(notice, out)
    click.echo(
        f"recorded the draft among {file}'s actions; when it is sent: "
        f"`disentangle agreement record {file} challenged --on DATE`",
        err=True,
    )


@letter.command("resolution")
@click.argument("place")
@click.option("--body", "body_name", required=True, help='e.g. "City Council of the City of Pasadena"')
@click.option("--jurisdiction", "jurisdiction_words", required=True, help='e.g. "the City of Pasadena"')
@click.option("--officer", required=True, help="Who gives notice: City Manager, County Executive, ...")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
@_fail_cleanly
def letter_resolution(
    ctx: click.Context, place: str, body_name: str, jurisdiction_words: str, officer: str, out: Path | None
) -> None:
    """A draft resolution: ends what the body can bind, asks who binds the rest, warns of state law."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    body = letters.GoverningBody(name=body_name, jurisdiction=jurisdiction_words, officer=officer)
    _deliver(workspace.resolution(place, body, today=date.today(), record=True), out)


@letter.command("terminate")
@click.argument("agreement_id")
@click.option("--signer", required=True, help="Name of the official who signs.")
@click.option("--title", required=True, help="Their title, e.g. City Manager.")
@click.option("--body", required=True, help="The government they sign for.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
@_fail_cleanly
def letter_terminate(
    ctx: click.Context, agreement_id: str, signer: str, title: str, body: str, out: Path | None
) -> None:
    """A termination letter quoting the agreement's own termination clause."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    sender = letters.Sender(name=signer, title=title, body=body)
    _deliver(workspace.termination_letter(agreement_id, sender, today=date.today(), record=True), out)
    click.echo(
        f"recorded the draft among {agreement_id}'s actions; when it is sent: "
        f"`disentangle agreement record {agreement_id} termination-sent --on DATE`",
        err=True,
    )


@main.group()
def campaign() -> None:
    """Discovery campaigns: a records request to every law-enforcement agency of a place, tracked together."""


@campaign.command("new")
@click.option(
    "--about",
    required=True,
    type=click.Choice(["tff-mou", "ice-agreements"]),
    help="tff-mou: Treasury Forfeiture Fund MOUs; ice-agreements: every agreement with ICE.",
)
@click.option(
    "--in", "scope", required=True, help='A county, city or state ("Los Angeles County, CA"), or a file.'
)
@click.option("--since", type=DAY, help="Ask for records since this date.")
@_requester_options
@click.pass_context
@_fail_cleanly
def campaign_new(ctx: click.Context, about: str, scope: str, since: Any, **kwargs: Any) -> None:
    """Draft one request per agency of a place (or of a file listing agencies, one per line)."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    started = workspace.start_campaign(
        about, scope, _requester(kwargs), today=date.today(), since=since.date() if since else None
    )
    click.echo(f"{started['id']}: {started['title']}: drafted {len(started['requests'])} requests", err=True)
    _emit(started["requests"], "table", ["id", "agency", "ori", "law", "due"])


@campaign.command("list")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def campaign_list(ctx: click.Context, fmt: str) -> None:
    """Every campaign with its number of requests."""
    _emit(_workspace(ctx).campaigns(), fmt)


@campaign.command("show")
@click.argument("campaign_id")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def campaign_show(ctx: click.Context, campaign_id: str, fmt: str) -> None:
    """Each agency's request: status, due date, days overdue, replies, documents and agreements found."""
    result = _workspace(ctx).campaign(campaign_id, today=date.today())
    if fmt == "json":
        _emit(result, "json")
        return
    summary_ = result["summary"]
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(summary_["by_status"].items()))
    click.echo(
        f"{result['id']}: {result['title']}: {summary_['requests']} requests ({statuses}); "
        f"{summary_['overdue']} overdue; {summary_['documents']} documents; "
        f"{summary_['agreements_found']} agreements found",
        err=True,
    )
    rows = [
        {
            **r,
            "documents": len(r["documents"]),
            "agreements_found": ", ".join(a["agreement_id"] for a in r["agreements_found"]),
        }
        for r in result["requests"]
    ]
    _emit(rows, fmt, ["id", "agency", "status", "due", "overdue_days", "documents", "agreements_found"])


@campaign.command("export")
@click.argument("campaign_id")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="FILE.zip or FILE.csv"
)
@click.option(
    "--as", "fmt", type=click.Choice(["docx", "pdf", "md", "html"]), default="docx", show_default=True
)
@click.pass_context
@_fail_cleanly
def campaign_export(ctx: click.Context, campaign_id: str, out: Path, fmt: str) -> None:
    """Every letter of a campaign in a ZIP (with a mail-merge CSV inside), or the CSV alone."""
    workspace = _workspace(ctx)
    if out.suffix.lower() == ".csv":
        data = workspace.campaign_csv(campaign_id).encode("utf-8")
    elif out.suffix.lower() == ".zip":

        def rendered(done: int, of: int) -> None:
            if done == of or done % 50 == 0:
                click.echo(f"rendered {done}/{of} letters on the workers", err=True)

        data = workspace.campaign_bundle(campaign_id, fmt, progress=rendered)
    else:
        raise InputError("the export is a .zip (every letter) or a .csv (mail merge)", out)
    _write_new(out, data)
    click.echo(f"wrote {out}", err=True)


def _new_folder(path: Path) -> None:
    """A folder the person named to write into: made if its parent exists, never a chain of folders."""
    if not path.parent.is_dir():
        raise InputError("the folder to write into does not exist", path.parent)
    try:
        path.mkdir(exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot make the folder: {exc.strerror or exc}", path) from exc


def _write_new(path: Path, data: bytes) -> None:
    """Write a file whole or not at all; its folder must exist (nothing is created unasked)."""
    if not path.parent.is_dir():
        raise InputError("the folder to write into does not exist", path.parent)
    temporary = path.with_name(f".{path.name}.part")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise InputError(f"cannot write: {exc.strerror}", path) from exc


@main.group()
def found() -> None:
    """Agreements read from documents: the registry shows sure readings; a person confirms the others."""


@found.command("list")
@click.option("--review", type=click.Choice([r.value for r in FoundReview]), help="Only this review state.")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def found_list(ctx: click.Context, review: str | None, fmt: str) -> None:
    """Every document read as an agreement: its agreement, agency, review state and reasons."""
    rows = _workspace(ctx).found_agreements(review=review)
    if fmt == "table":
        rows = [{**r, "sha256": r["sha256"][:12], "reasons": "; ".join(r["reasons"])} for r in rows]
    _emit(
        rows,
        fmt,
        ["sha256", "agreement_id", "kind", "agency_name", "review", "reasons"] if fmt == "table" else None,
    )


@found.command("confirm")
@click.argument("document")
@click.option("--agency", help="The agency it binds (name, id or ORI), when the reader could not tell.")
@click.pass_context
@_fail_cleanly
def found_confirm(ctx: click.Context, document: str, agency: str | None) -> None:
    """Confirm a document's agreement (by sha256, 8+ characters, or agreement id): it enters the registry."""
    result = _workspace(ctx).review_found(document, "confirm", agency=agency, by=_person())
    click.echo(f"{result['agreement_id']}: confirmed; in the registry", err=True)


@found.command("reject")
@click.argument("document")
@click.pass_context
@_fail_cleanly
def found_reject(ctx: click.Context, document: str) -> None:
    """Say a document is not the agreement the reader took it for: it stays out of the registry."""
    result = _workspace(ctx).review_found(document, "reject", by=_person())
    click.echo(f"{result['sha256'][:12]}: rejected; kept out of the registry", err=True)


def _person() -> str:
    return os.environ.get("USER") or "a person"


@main.group("agreement")
def agreement_group() -> None:
    """One agreement: its record and history; what a locality did about it."""


@agreement_group.command("show")
@click.argument("agreement_id")
@click.pass_context
@_fail_cleanly
def agreement_show(ctx: click.Context, agreement_id: str) -> None:
    """An agreement with its agency, source and every dated event (JSON)."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    _emit(workspace.agreement(agreement_id), "json")


@agreement_group.command("record")
@click.argument("agreement_id")
@click.argument("event", type=click.Choice([k.value.replace("_", "-") for k in RECORDABLE]))
@click.option("--on", "on", type=DAY, help="When it happened (default today).")
@click.option("--note", default="")
@click.option(
    "--letter",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The letter sent (Markdown or text), kept with the event.",
)
@click.pass_context
@_fail_cleanly
def agreement_record(
    ctx: click.Context, agreement_id: str, event: str, on: Any, note: str, letter: Path | None
) -> None:
    """Record what happened to an agreement: challenged, termination-sent, terminated, declared-void, ..."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    text = None
    if letter is not None:
        try:
            text = letter.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the letter: {exc}", letter) from exc
    events = workspace.record_action(
        agreement_id, event, on.date() if on else date.today(), note=note, letter=text
    )
    record = workspace.agreement(agreement_id)["agreement"]
    click.echo(f"{agreement_id}: {record['status']}", err=True)
    _emit(events, "table", ["date", "kind", "detail"])


@main.command()
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def qa(ctx: click.Context, fmt: str) -> None:
    """The registry's invariants as pass/fail/info rows; exits 1 when any fails."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    checks = workspace.qa()
    rows = [check.to_json() for check in checks]
    if fmt == "table":
        rows = [{**row, "examples": "; ".join(row["examples"][:3])} for row in rows]
    _emit(rows, fmt, ["status", "check", "count", "summary", "examples"])
    if any(check.status == "fail" for check in checks):
        sys.exit(1)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
@_fail_cleanly
def summary(ctx: click.Context, fmt: str) -> None:
    """The national picture: ICE's latest list by model, agreements by status, the busiest states."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    result = workspace.summary()
    if fmt == "json":
        _emit(result, "json")
        return
    click.echo(
        f"ICE's latest 287(g) list in the registry: {result['latest_sheet']}, "
        f"{result['active_rows']} agreements; {result['latest_sheet_age_days']} days old on {result['today']}"
    )
    click.echo(
        f"the history of ICE's lists here begins with the list of {result['history_begins']}: an agreement "
        "signed before it shows that list as the day it was added"
    )
    click.echo(f"from {result['snapshots']} published sheets; {result['agencies']} agencies in the registry")
    click.echo("")
    _emit(result["by_model"], "table")
    click.echo("")
    _emit([{"status": k, "agreements": v} for k, v in sorted(result["by_status"].items())], "table")
    click.echo("")
    _emit(result["top_states"], "table")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "sqlite"]), default="csv")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
@_fail_cleanly
def export(ctx: click.Context, fmt: str, directory: Path) -> None:
    """Write the registry to DIRECTORY as CSV or JSON files (one per table) or one SQLite database."""
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    written = workspace.export(fmt, directory)
    click.echo(f"wrote {sum(written.values())} rows in {len(written)} tables to {directory}", err=True)


@main.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind; off loopback needs --token."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Server processes; each keeps its own page memo. Two use both cores of a small machine.",
)
@click.option(
    "--token",
    envvar="DISENTANGLE_TOKEN",
    help="Access token every request must carry (login form or header); required off loopback. "
    "Also read from $DISENTANGLE_TOKEN, which keeps it out of the process list.",
)
@click.option(
    "--ssl-certfile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Serve HTTPS with this certificate (PEM); give --ssl-keyfile too.",
)
@click.option(
    "--ssl-keyfile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The certificate's key.",
)
@click.option(
    "--forwarded-allow-ips",
    help="Behind a reverse proxy that ends TLS: the proxy's addresses (comma-separated), trusted for "
    "X-Forwarded-For and X-Forwarded-Proto. Without it those headers are ignored.",
)
@click.option(
    "--header-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(1, 300),
    help="Seconds a client has to send a request's headers before the connection is closed.",
)
@click.option(
    "--max-connections",
    default=400,
    show_default=True,
    type=click.IntRange(10, 50_000),
    help="Open connections per worker; beyond it the one waiting longest for its headers is closed.",
)
@click.option(
    "--database",
    envvar="DISENTANGLE_DATABASE_URL",
    help="The database to serve (also $DISENTANGLE_DATABASE_URL), e.g. postgresql+psycopg://user@host/db.",
)
@click.option(
    "--broker",
    envvar="DISENTANGLE_BROKER_URL",
    help="Redis URL of the broker (also $DISENTANGLE_BROKER_URL): uploads are read by `disentangle worker`s.",
)
@click.pass_context
@_fail_cleanly
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    workers: int,
    token: str | None,
    ssl_certfile: Path | None,
    ssl_keyfile: Path | None,
    forwarded_allow_ips: str | None,
    header_timeout: float,
    max_connections: int,
    database: str | None,
    broker: str | None,
) -> None:
    """Run the local web app: county map, search, place and agency pages, JSON API under /api."""
    if database:
        os.environ[DATABASE_ENV] = database
    if broker:
        os.environ["DISENTANGLE_BROKER_URL"] = broker
    from disentangle.web import check_binding, create_app
    from disentangle.web._app import TOKEN_ENV
    from disentangle.web._serve import ServeOptions, serve_app, serve_workers

    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise InputError("give both --ssl-certfile and --ssl-keyfile, or neither")
    try:
        check_binding(host, token)
    except InputError:
        # Off loopback without a token is safe when the workspace has user accounts (all must sign in);
        # only an existing workspace can have them, and a refused serve must not create one.
        home = ctx.ensure_object(dict).get("home") or default_home()
        if not (os.environ.get(DATABASE_ENV) or (Path(home) / "registry.sqlite").exists()):
            raise
        check_binding(host, token, accounts=_workspace(ctx).has_users())
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    options = ServeOptions(
        host=host,
        port=port,
        workers=workers,
        ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
        ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        forwarded_allow_ips=forwarded_allow_ips,
        header_seconds=header_timeout,
        max_connections=max_connections,
    )
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"serving on {options.scheme}://{shown}:{port}/ with {workers} worker(s) (Ctrl-C stops)", err=True
    )
    if workers == 1:
        serve_app(create_app(workspace, token=token), options)
        return
    # Worker processes build their own app from the environment: the same workspace, database and token.
    os.environ[HOME_ENV] = str(workspace.home)
    os.environ[DATABASE_ENV] = workspace.store.url
    if token:
        os.environ[TOKEN_ENV] = token
    serve_workers(options)


# ------------------------------------------------------------------------------------------ detainers


@import_.command("ddp-detainers")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def import_ddp_detainers(ctx: click.Context, file: Path, fmt: str) -> None:
    """Count the Deportation Data Project's ICE detainer table (.xlsx or .parquet) into the registry:
    counts per facility, month, form, outcome and apprehension method; nothing about a person is kept."""
    _import_detainers(ctx, file, fmt)


@import_.command("trac-detainers")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def import_trac_detainers(ctx: click.Context, file: Path, fmt: str) -> None:
    """Import per-facility detainer counts (TRAC-style .csv or .xlsx: facility, state, period, count)."""
    _import_detainers(ctx, file, fmt)


def _import_detainers(ctx: click.Context, file: Path, fmt: str) -> None:
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    report = workspace.import_detainer_table(file)
    if report.already_imported:
        click.echo(f"{file}: already imported (same content); nothing changed", err=True)
        return
    skipped = ", ".join(f"{n:,} {why}" for why, n in report.skipped.items() if n) or "none"
    click.echo(
        f"{file}: {report.layout} layout, {report.rows_read:,} rows read, {report.rows_counted:,} detainers "
        f"counted ({report.first_month} to {report.last_month}; skipped: {skipped}) at {report.facilities:,} "
        f"facilities ({report.facilities_placed:,} placed in a county); {report.counts_stored:,} counts "
        f"stored in {report.seconds:.1f} s; no row about a person was stored",
        err=True,
    )
    if fmt == "json":
        _emit(report.to_dict(), "json")
    else:
        _emit(report.top, fmt, ["facility", "state", "detainers", "slug"])


@main.command("detainers")
@click.argument("target", required=False)
@click.option(
    "--national", is_flag=True, help="The national counts (NPR's tables and every imported facility)."
)
@click.option("--contradictions", is_flag=True, help="Places whose detainer records contradict their policy.")
@click.option(
    "--facilities", is_flag=True, help="List the facilities the detainer data name (--state to filter)."
)
@click.option("--state", help="With --facilities: one state.")
@click.option("--from", "start", type=int, help="First year of the click-and-arrest period.")
@click.option("--to", "end", type=int, help="Last year of the click-and-arrest period.")
@click.option(
    "--set",
    "values",
    multiple=True,
    metavar="KEY=VALUE",
    help="A click-and-arrest parameter (status_error_rate, overstay_error_rate, database_share, "
    "overstay_share).",
)
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def detainers(
    ctx: click.Context,
    target: str | None,
    national: bool,
    contradictions: bool,
    facilities: bool,
    state: str | None,
    start: int | None,
    end: int | None,
    values: tuple[str, ...],
    fmt: str,
) -> None:
    """ICE detainers of a place, facility or agency (ORI), year by year, by outcome and form, with the
    source of every number; practice against policy; the click-and-arrest illustration."""
    from disentangle.publish.detainer_csv import DETAINER_COLUMNS, detainer_csv

    chosen = [flag for flag, on in (("a TARGET", bool(target)), ("--national", national)) if on]
    chosen += [
        flag for flag, on in (("--contradictions", contradictions), ("--facilities", facilities)) if on
    ]
    if len(chosen) != 1:
        raise click.UsageError("give one of: a place or facility, --national, --contradictions, --facilities")
    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    if contradictions:
        found = [c.to_dict() for c in workspace.detainer_contradictions()]
        click.echo(f"{len(found)} policies contradicted by their jails' detainer records", err=True)
        rows = [
            {
                "place": c["place"],
                "policy": c["policy"]["label"],
                "years": ", ".join(str(y["year"]) for y in c["years"] if y["verdict"] == "contradicts"),
                "evidence": "; ".join(y["reason"] for y in c["years"] if y["verdict"] == "contradicts"),
                "quote": c["policy"]["quote"],
                "policy_source": c["policy"]["source"],
            }
            for c in found
        ]
        _detainer_output(found, rows, ["place", "policy", "years", "evidence", "quote", "policy_source"], fmt)
        return
    if facilities:
        listed = workspace.detainer_facilities(state)
        columns = [
            "name",
            "city",
            "state",
            "county_fips",
            "link_rule",
            "operator",
            "operator_rule",
            "detainers",
            "slug",
        ]
        _detainer_output(listed, listed, columns, fmt)
        return
    rates = dict(_key_value(v) for v in values)
    period = (start, end)
    report = (
        workspace.detainers_national(period=period, rates=rates)
        if national
        else workspace.detainers(str(target), period=period, rates=rates)
    )
    click.echo(_detainer_summary(report), err=True)
    rows = report.rows()
    if fmt == "csv":
        click.echo(detainer_csv(rows, DETAINER_COLUMNS), nl=False)
    elif fmt == "json":
        _emit(report.to_dict(), "json")
    else:
        _emit(rows, "table", list(DETAINER_COLUMNS[:-1]))


def _detainer_output(full: Any, rows: list[dict[str, Any]], columns: list[str], fmt: str) -> None:
    from disentangle.publish.detainer_csv import detainer_csv

    if fmt == "json":
        _emit(full, "json")
    elif fmt == "csv":
        click.echo(detainer_csv(rows, columns), nl=False)
    else:
        _emit(rows, "table", columns)


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--set takes KEY=VALUE, not {text!r}")
    return key.strip(), value.strip()


def _detainer_summary(report: Any) -> str:
    lines = [f"{report.name}: detainers by year ({report.scope})"]
    for facility in report.facilities[:12]:
        where = f"{facility.get('city') or '?'}, {facility.get('state') or '?'}"
        lines.append(
            f"  facility {facility['name']} ({where}): county by {facility.get('link_rule') or 'no rule'}; "
            f"run by {facility.get('operator') or 'needs review'}"
        )
    for comparison in report.comparisons:
        lines.append(f"  policy {comparison.policy.label}: {comparison.verdict.value}")
    if report.click is not None:
        data = report.click.to_dict()
        observed = data["observed_us_citizen_lifts"]
        lines.append(
            "  click and arrest (an illustration; it scores no person): "
            f"{data['expected_holds_on_a_wrong_record']:,} holds may rest on a wrong record of "
            f"{report.click.detainers:,} {report.click.counted} ({report.click.period}); "
            "observed U.S. citizen lifts: "
            f"{observed if observed is not None else 'not in the data'}"
        )
    lines.extend(f"  note: {note}" for note in report.notes)
    return "\n".join(lines)


@main.command("review")
@click.argument("document", required=False)
@click.option("--request", "request_id", help="Only the documents released under this records request.")
@click.option("--field", help="The field to enter, e.g. signatories[0].date, agency.state, signed_date.")
@click.option("--value", help="The value you read on the page (a date as YYYY-MM-DD).")
@click.option("--confirm", "confirm_", is_flag=True, help="Take the machine's suggestion for --field.")
@click.option("--none", "none_", is_flag=True, help="Say the document shows no value for --field.")
@click.option("--by", default=None, help="Who enters it (default: $USER).")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def review_(
    ctx: click.Context,
    document: str | None,
    request_id: str | None,
    field: str | None,
    value: str | None,
    confirm_: bool,
    none_: bool,
    by: str | None,
    fmt: str,
) -> None:
    """Finish what the reader could not read. Without DOCUMENT: the documents with fields waiting for a
    person. With DOCUMENT (sha256, 8+ characters): each waiting field, the path of its page region's image,
    and a prompt for its value; or one field at once with --field and --value, --confirm or --none.
    A person's entry is kept beside the machine's reading."""
    workspace = _workspace(ctx)
    if document is None:
        if field:
            raise InputError("--field needs the DOCUMENT it belongs to")
        queue = [q.to_json() for q in workspace.review_queue(request_id=request_id)]
        if fmt == "table":
            queue = [{**q, "sha256": q["sha256"][:12], "fields": "; ".join(q["fields"])} for q in queue]
        _emit(
            queue,
            fmt,
            ["sha256", "filename", "agency_name", "open", "entered", "fields"] if fmt == "table" else None,
        )
        return
    sha256 = workspace.resolve_document(document)
    who = by or _person()
    if field:
        if sum((value is not None, confirm_, none_)) != 1:
            raise InputError("give exactly one of --value, --confirm or --none with --field")
        entered = workspace.enter_field(sha256, field, None if none_ else value, by=who, confirm=confirm_)
        click.echo(
            f"{entered.field}: {entered.value or 'none shown'} ({entered.to_json()['state']} by {who})",
            err=True,
        )
        return
    waiting = [r for r in workspace.field_reviews(sha256) if r.open]
    if fmt == "json":
        _emit([r.to_json() for r in waiting], "json")
        return
    if not waiting:
        click.echo("nothing waits for review in this document", err=True)
        return
    interactive = sys.stdin.isatty()
    for review in waiting:
        click.echo(f"\n{review.label} [{review.field}]")
        reason = review.to_json()["reason_words"] or ""
        click.echo(f"  why: {reason}{' — ' + review.detail if review.detail else ''}")
        click.echo(f"  the machine's suggestion: {review.machine or 'none'}")
        try:
            click.echo(f"  look at: {workspace.review_region(sha256, review.field)}")
        except DisentangleError as exc:
            click.echo(f"  (no page image: {getattr(exc, 'problem', exc)})")
        if not interactive:
            continue
        hint = "Enter confirms the suggestion" if review.machine else "Enter skips"
        answer = click.prompt(
            f"  value ({hint}; '-' if the document shows none, 's' skips)", default="", show_default=False
        )
        answer = answer.strip()
        if answer.lower() == "s" or (not answer and not review.machine):
            continue
        try:
            entered = workspace.enter_field(
                sha256, review.field, None if answer == "-" else (answer or None), by=who, confirm=not answer
            )
        except InputError as exc:
            click.echo(f"  not saved: {exc.problem}", err=True)
            continue
        click.echo(f"  saved: {entered.value or 'none shown'} ({entered.to_json()['state']} by {who})")
    if not interactive:
        click.echo(
            "\nnot a terminal: nothing asked; enter a value with --field FIELD --value VALUE", err=True
        )


# Alerts, redaction and publishing live in a module of their own, registered on `main` here.
from disentangle import _cli_publishing  # noqa: E402,F401
