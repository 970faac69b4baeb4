"""The command line for alerts and publishing: subscriptions, digests, feeds, redaction, publishing a
document. A thin shell over the Workspace, registered on the one `disentangle` group."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from disentangle.cli import (
    DAY,
    FORMATS,
    _emit,
    _ensure_registry,
    _fail_cleanly,
    _person,
    _progress,
    _workspace,
    main,
)
from disentangle.errors import InputError
from disentangle.model import page_box

SENDER_ENV = "DISENTANGLE_MAIL_FROM"
BASE_ENV = "DISENTANGLE_BASE_URL"
DEFAULT_SENDER = "alerts@disentangle.localhost"
DEFAULT_BASE = "http://127.0.0.1:8000"


def _words() -> Any:
    from disentangle.web._alerts import english_words

    return english_words()


def _words_for(language: str) -> Any:
    from disentangle.web._alerts import words_for

    return words_for(language)


def _follow_options(function: Any) -> Any:
    for option in reversed(
        [
            click.option(
                "--place", help='A state, county or city: "TX", "Galveston County, TX", a FIPS or OCD id.'
            ),
            click.option("--agency", help="An agency: name, id or ORI."),
            click.option("--campaign", "campaign", help="A discovery campaign's id."),
        ]
    ):
        function = option(function)
    return function


@main.command()
@click.argument("email")
@_follow_options
@click.option(
    "--lang",
    "language",
    type=click.Choice(["en", "es"]),
    default="en",
    show_default=True,
    help="The language of the digests (es: Spanish).",
)
@click.pass_context
@_fail_cleanly
def subscribe(
    ctx: click.Context,
    email: str,
    place: str | None,
    agency: str | None,
    campaign: str | None,
    language: str,
) -> None:
    """Follow a place, an agency or a campaign by e-mail: `alerts send` mails it each new change once."""
    workspace = _workspace(ctx)
    subscription = workspace.subscribe(
        email, _words(), place=place, agency=agency, campaign=campaign, language=language
    )
    click.echo(json.dumps(subscription.to_json(), indent=2))
    click.echo(f"{subscription.email} follows {subscription.label}", err=True)


@main.command()
@click.argument("email")
@_follow_options
@click.pass_context
@_fail_cleanly
def unsubscribe(
    ctx: click.Context, email: str, place: str | None, agency: str | None, campaign: str | None
) -> None:
    """Stop an address's digests: for one place, agency or campaign, or (naming none) all of them."""
    workspace = _workspace(ctx)
    ended = workspace.unsubscribe(email, place=place, agency=agency, campaign=campaign)
    for subscription in ended:
        click.echo(f"{subscription.email} no longer follows {subscription.label}", err=True)


@main.command()
@click.option("--all", "everything", is_flag=True, help="Ended subscriptions too.")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
@_fail_cleanly
def subscriptions(ctx: click.Context, everything: bool, fmt: str) -> None:
    """Who follows what: the subscriptions kept in this workspace."""
    rows = [s.to_json() for s in _workspace(ctx).subscriptions(active_only=not everything)]
    _emit(rows, fmt, ["id", "email", "scope", "label", "status", "created_at"])


@main.group()
def alerts() -> None:
    """E-mail digests and Atom feeds of what changed for a place, an agency or a campaign."""


@alerts.command("send")
@click.option(
    "--smtp", help=f"The SMTP server, HOST:PORT (else ${'{'}DISENTANGLE_SMTP{'}'}, else 127.0.0.1:25)."
)
@click.option("--from", "sender", envvar=SENDER_ENV, default=DEFAULT_SENDER, show_default=True)
@click.option(
    "--base-url",
    "base",
    envvar=BASE_ENV,
    default=DEFAULT_BASE,
    show_default=True,
    help="Where the links of a digest point: the web app or the published site.",
)
@click.option(
    "--watch",
    type=click.Path(file_okay=False, path_type=Path),
    help="Import the ICE sheets dropped into this folder first (default: the workspace's watch/ folder).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be sent; send and remember nothing.")
@click.option("--today", type=DAY, help="The day deadlines are counted from (default today).")
@click.pass_context
@_fail_cleanly
def alerts_send(
    ctx: click.Context,
    smtp: str | None,
    sender: str,
    base: str,
    watch: Path | None,
    dry_run: bool,
    today: Any,
) -> None:
    """Import sheets dropped into the watched folder, then mail each subscriber one digest of what is new.
    Run it from cron: each item is sent once, so a re-run sends nothing until something changes."""
    from disentangle.publish._mail import SmtpRelay

    workspace = _workspace(ctx)
    relay = None if dry_run else SmtpRelay.parse(smtp)
    run = workspace.send_alerts(
        _words_for, relay, sender=sender, base=base, today=today.date() if today else None, watch=watch
    )
    for diff in run.imported:
        click.echo(f"imported ICE's list of {diff.captured}: {len(diff.events)} changes", err=True)
    for line in run.skipped:
        click.echo(f"skipped {line}", err=True)
    verb = "would send" if dry_run else "sent"
    for digest in run.digests:
        click.echo(
            f"{verb} {len(digest['items'])} item(s) to {digest['email']} for {digest['label']}", err=True
        )
    if not run.digests:
        click.echo("nothing new for any subscriber", err=True)
    click.echo(json.dumps(run.to_json(), indent=2, default=str))


@alerts.command("feed")
@_follow_options
@click.option("--base-url", "base", envvar=BASE_ENV, default=DEFAULT_BASE, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here (else stdout).")
@click.pass_context
@_fail_cleanly
def alerts_feed(
    ctx: click.Context,
    place: str | None,
    agency: str | None,
    campaign: str | None,
    base: str,
    out: Path | None,
) -> None:
    """The Atom feed of a place, an agency or a campaign (naming none: the nation's newest changes)."""
    from disentangle import __version__
    from disentangle.publish._feeds import atom_xml

    workspace = _workspace(ctx)
    if place or agency or campaign:
        feed = workspace.alert_feed(_words(), place=place, agency=agency, campaign=campaign)
    else:
        feed = workspace.national_feed(_words())
    text = atom_xml(feed, base, generator_version=__version__)
    if out is None:
        click.echo(text, nl=False)
        return
    temporary = out.with_name(f".{out.name}.part")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, out)
    click.echo(f"wrote {len(feed.items)} entries to {out}", err=True)


@main.command()
@click.argument("document")
@click.option(
    "--add", "adds", multiple=True, metavar="PAGE:x0,y0,x1,y1", help="A box to black out, in points."
)
@click.option("--drop", "drops", multiple=True, type=int, metavar="N", help="Drop box N of the list.")
@click.option("--accept", is_flag=True, help="Record the boxes as reviewed by you, as they are.")
@click.option("--apply", "apply_", is_flag=True, help="Write the redacted copy to --out.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="The redacted copy (a new PDF).")
@click.pass_context
@_fail_cleanly
def redact(
    ctx: click.Context,
    document: str,
    adds: tuple[str, ...],
    drops: tuple[int, ...],
    accept: bool,
    apply_: bool,
    out: Path | None,
) -> None:
    """The personal data of private people on a stored document's pages, as boxes (JSON: page, box, kind);
    review them (--add, --drop, --accept) and write a flattened, OCRed copy, the boxes black (--apply)."""
    workspace = _workspace(ctx)
    if apply_ and out is None:
        raise InputError("--apply writes the redacted copy to --out FILE.pdf")
    if adds or drops or accept:
        boxes = [page_box(text) for text in adds]
        review = workspace.review_redactions(document, by=_person(), add=boxes, drop=list(drops))
        click.echo(f"{len(review.redactions)} boxes reviewed by {review.reviewed_by}", err=True)
    else:
        review = workspace.redactions(document)
        if not review.reviewed:
            click.echo("the machine's suggestions: no person has reviewed them yet", err=True)
    if apply_:
        assert out is not None
        flattened = workspace.apply_redactions(document, out)
        click.echo(f"wrote {out}: {flattened.pages} page(s), {flattened.boxes} box(es) blacked out", err=True)
        if flattened.leftovers:
            pages = sorted({page for page, _words in flattened.leftovers})
            click.echo(f"warning: boxed words can still be read elsewhere on page(s) {pages}", err=True)
        return
    click.echo(json.dumps(review.to_json(), indent=2, ensure_ascii=False))


@main.group()
def publish() -> None:
    """Make things public: a document's redacted copy, a static site of the public records."""


@publish.command("document")
@click.argument("document")
@click.option("--withdraw", is_flag=True, help="Take the document back: private again, its copy removed.")
@click.pass_context
@_fail_cleanly
def publish_document(ctx: click.Context, document: str, withdraw: bool) -> None:
    """Make a stored document public as its redacted copy only (its boxes reviewed with `redact`)."""
    workspace = _workspace(ctx)
    if withdraw:
        workspace.unpublish_document(document)
        click.echo(f"{document}: private again", err=True)
        return
    published = workspace.publish_document(document, by=_person())
    click.echo(json.dumps(published.to_json(), indent=2))
    click.echo(
        f"published the redacted copy ({published.pages} page(s), {published.boxes} box(es)); the original "
        "stays private",
        err=True,
    )


@publish.command("site")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--in", "within", metavar="PLACE", help="Only one state or county (name, FIPS or OCD id).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
@_fail_cleanly
def publish_site(ctx: click.Context, directory: Path, within: str | None, fmt: str) -> None:
    """Write a static site (English and Spanish) of the public records to DIRECTORY: the map, every
    state, county, place, agency and agreement page, public documents, scorecards, detainers, the
    changes feed, downloads and a search that runs in the browser. Works from any host or file://."""
    from disentangle.web import write_site

    workspace = _workspace(ctx)
    _ensure_registry(workspace)
    report = write_site(workspace, directory, within=within, progress=_progress())
    _emit(report.to_dict(), fmt)
    size = f"{report.files} files, {report.bytes / 1e6:.1f} MB"
    click.echo(
        f"wrote {report.pages} pages ({size}) to {report.directory} in {report.seconds:.1f} s;"
        f" open {report.directory / 'index.html'}",
        err=True,
    )
