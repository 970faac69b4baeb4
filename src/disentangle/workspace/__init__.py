"""The one facade: wires the stages to the registry. The CLI, the web app and the tests call only this.

The Workspace is assembled from one part per step of the workflow, each in its own module: importing
(registry building), reading (documents), queries (the registry), judging (scorecards, validity), binding
(who can bind each agency), costing, acting (requests, letters) and exporting. Only these parts touch the
registry; the stages they call never do.
"""

from disentangle.workspace._accounts import Access, AuditEntry, HoldingKind, NewUser, Role, User
from disentangle.workspace._alerts import AlertRun, AlertsMixin
from disentangle.workspace._base import (
    DATA_DIR_ENV,
    DATABASE_ENV,
    HOME_ENV,
    Progress,
    bundled_data_dir,
    default_home,
)
from disentangle.workspace._costing import CostMixin
from disentangle.workspace._detainers import DetainerImport, DetainerReport, DetainersMixin
from disentangle.workspace._discovery import RECORDABLE, DiscoveryMixin
from disentangle.workspace._exporting import ExportMixin
from disentangle.workspace._importing import ImportMixin, ImportReport, SheetDiff, SourceFile
from disentangle.workspace._overview import OverviewMixin
from disentangle.workspace._publishing import PublishingMixin, SiteContents
from disentangle.workspace._redacting import PublishedDocument, RedactionMixin, RedactionReview
from disentangle.workspace._reviewing import QueueEntry, ReviewMixin
from disentangle.workspace._sessions import SessionsMixin, WebSession


class Workspace(
    AlertsMixin,
    ImportMixin,
    ExportMixin,
    OverviewMixin,
    RedactionMixin,
    ReviewMixin,
    PublishingMixin,
    DiscoveryMixin,
    DetainersMixin,
    CostMixin,
    SessionsMixin,
):
    """A user's workspace: the registry database and stored documents, under one folder."""


__all__ = [
    "DATABASE_ENV",
    "DATA_DIR_ENV",
    "HOME_ENV",
    "RECORDABLE",
    "Access",
    "AlertRun",
    "AuditEntry",
    "DetainerImport",
    "DetainerReport",
    "HoldingKind",
    "ImportReport",
    "NewUser",
    "Progress",
    "PublishedDocument",
    "QueueEntry",
    "RedactionReview",
    "Role",
    "SheetDiff",
    "SiteContents",
    "SourceFile",
    "User",
    "WebSession",
    "Workspace",
    "bundled_data_dir",
    "default_home",
]
