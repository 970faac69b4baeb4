"""The domain as reviewable data files (YAML, Markdown, templates); this module only loads them."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from disentangle.errors import KnowledgeError

KNOWLEDGE_DIR = Path(str(resources.files("disentangle.knowledge")))


@cache
def load_yaml(relative: str) -> Any:
    """Parse one knowledge file; a missing or malformed file is a KnowledgeError naming it."""
    path = KNOWLEDGE_DIR / relative
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{path}: knowledge file is missing") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: not valid YAML: {exc}") from exc
