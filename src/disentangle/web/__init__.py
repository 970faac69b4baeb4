"""The local web app: thin views over the Workspace (map, search, place and agency pages, JSON API)."""

from disentangle.web._app import create_app
from disentangle.web._security import check_binding, is_loopback
from disentangle.web._static import SiteReport, write_site

__all__ = ["SiteReport", "check_binding", "create_app", "is_loopback", "write_site"]
