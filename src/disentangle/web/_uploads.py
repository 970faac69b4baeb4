"""The one way a file enters through the web: size checked before reading, streamed to disk, read by a job.

Every form that takes files (the library's upload, the letter wizards) comes through here. The request's
declared size is checked before a byte of its body is parsed; each file is copied in chunks into a private
folder of the workspace, at most one byte past the limit (the job refuses it for its size); and the reading
itself runs in the job executor's worker processes, never in the server's own.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from disentangle.errors import InputError
from disentangle.web._site import Site
from disentangle.workspace import Workspace
from disentangle.workspace._library import MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES, FileState

CHUNK = 1024 * 1024
# The whole request: every file at its limit, plus the form's own bytes. Anything larger is refused
# before a byte of it is parsed.
MAX_REQUEST_BYTES = MAX_UPLOAD_FILES * MAX_UPLOAD_BYTES + 1024 * 1024


class UploadTooLarge(InputError):
    """The request says it is larger than any upload may be (HTTP 413)."""


def check_length(request: Request, max_bytes: int | None = None) -> None:
    """Refuse a request whose body is too large, or does not say its size, before reading it."""
    max_bytes = MAX_REQUEST_BYTES if max_bytes is None else max_bytes
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise InputError("the upload did not say its size; send it from the form")
    if int(length) > max_bytes:
        raise UploadTooLarge(
            f"too much at once: at most {max_bytes // 2**20} MB in one upload "
            f"({MAX_UPLOAD_BYTES // 2**20} MB a file)"
        )


def hidden(name: str) -> bool:
    # A folder's worth brings .DS_Store and the like with it; they are not documents anyone chose.
    return name.replace("\\", "/").rsplit("/", 1)[-1].startswith(".")


def save_uploads(
    workspace: Workspace, uploads: Sequence[UploadFile], request_id: str | None = None
) -> dict[str, Any]:
    """Copy each upload into a private folder of the workspace under a number (never under its name, which
    is only a label), at most one byte past the limit (the job refuses it for its size), and record the
    job. Runs in a thread: the copy is plain file I/O, in chunks."""
    if len(uploads) > MAX_UPLOAD_FILES:
        raise InputError(f"too many files: at most {MAX_UPLOAD_FILES} at once; send the rest after")
    if not uploads:
        raise InputError("no file was chosen: choose one or more PDF, Word, HTML, text or image files")
    folder = workspace.upload_folder()
    files: list[tuple[str, Path]] = []
    for index, part in enumerate(uploads):
        target = folder / f"{index:04d}.upload"
        left = MAX_UPLOAD_BYTES + 1
        with target.open("wb") as out:
            while left > 0 and (chunk := part.file.read(min(CHUNK, left))):
                out.write(chunk)
                left -= len(chunk)
        files.append((part.filename or "unnamed", target))
    if request_id is not None:  # what an agency released in answer to a request: filed under it
        return workspace.start_request_upload(request_id, files)
    return workspace.start_ingest_job(files)


def start_job(site: Site, job_id: str) -> None:
    """Read a job's files in the background (worker processes); the server stops it when it stops."""
    # The job runs as the person who uploaded: what it stores belongs to their organisation.
    context = contextvars.copy_context()
    thread = threading.Thread(
        target=context.run, args=(run_job, site, job_id), name=f"ingest-{job_id}", daemon=True
    )
    site.job_threads.add(thread)
    thread.start()


def run_job(site: Site, job_id: str) -> dict[str, Any] | None:
    """Run a job to its end here; whatever escapes it must not kill the server's thread quietly (the job
    marks itself interrupted on the way out)."""
    try:
        return site.workspace.run_ingest_job(job_id, stop=site.stopping)
    except Exception:
        return None
    finally:
        site.job_threads.discard(threading.current_thread())


def read_one(site: Site, upload: UploadFile) -> str:
    """Store and read one uploaded file through a job, waiting for it; its sha256, or InputError naming
    the file and its problem. For the wizards that need the document before they can go on."""
    job = save_uploads(site.workspace, [upload])
    done = run_job(site, job["id"]) if job["status"] != "done" else job
    entry = (done or site.workspace.ingest_job(job["id"]))["files"][0]
    if entry["state"] in (FileState.STORED, FileState.ALREADY_STORED) and entry.get("sha256"):
        return str(entry["sha256"])
    raise InputError(f"{entry['name']}: {entry.get('error') or 'it could not be read'}")
