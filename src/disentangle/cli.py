"""The command line: a thin shell over the Workspace (data on stdout, messages on stderr)."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from disentangle.errors import DisentangleError
from disentangle.workspace import Workspace

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
        obj["workspace"] = Workspace(obj.get("home"))
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
    rows: Sequence[dict[str, Any]] | dict[str, Any], fmt: str, columns: Sequence[str] | None = None
) -> None:
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, default=str, ensure_ascii=False))
        return
    records = [rows] if isinstance(rows, dict) else list(rows)
    if not records:
        click.echo("(nothing)", err=True)
        return
    keys = list(columns or records[0].keys())
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow({k: _cell(record.get(k)) for k in keys})
        click.echo(buffer.getvalue(), nl=False)
        return
    widths = {k: min(48, max(len(k), *(len(_cell(r.get(k))) for r in records))) for k in keys}
    click.echo("  ".join(k.upper().ljust(widths[k]) for k in keys))
    for record in records:
        click.echo("  ".join(_cell(record.get(k))[: widths[k]].ljust(widths[k]) for k in keys).rstrip())


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
    else:
        click.echo(f"registry is current: {report.files} files unchanged, nothing to do", err=True)


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
    _emit(
        [{**e, "source": f"{e['source']['file']} row {e['source']['row']}"} for e in result["events"]],
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
        f"{result['active_rows']} agreements"
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
