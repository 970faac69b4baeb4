"""File -> Document: one ingestor per format, chosen by score; originals stored by sha256.

    read_document(path)            one file -> Document (pure; nothing stored)
    DocumentStore(root).add(path)  store the original once by sha256 and its pages as JSON
    ingest_paths(paths, store)     files and folders -> the store, in worker processes, kill-safe

Formats are classes that declare what they take and bid for each file (DEFAULT_INGESTORS); the best
bidder reads it. A file that cannot be read is a DocumentError naming the file and the problem.
"""

from disentangle.ingest._base import Ingestor, Reading, ReadOptions
from disentangle.ingest._batch import IngestResult, IngestSummary, expand_paths, gather_paths, ingest_paths
from disentangle.ingest._blobs import BlobStore, FolderBlobs, FolderPages, PagesIndex
from disentangle.ingest._celery import BROKER_ENV, CeleryExecutor, broker_url, run_worker
from disentangle.ingest._docx import DocxIngestor
from disentangle.ingest._html import HtmlIngestor
from disentangle.ingest._image import ImageIngestor
from disentangle.ingest._jobs import Executor, JobControl, JobOutcome, LocalProcessExecutor
from disentangle.ingest._names import sanitize_filename
from disentangle.ingest._ocr import OcrText
from disentangle.ingest._pdf import PdfIngestor, ocr_pdf_page
from disentangle.ingest._read import DEFAULT_INGESTORS, choose_ingestor, read_document
from disentangle.ingest._store import DocumentStore
from disentangle.ingest._text import TextIngestor
from disentangle.ingest._words import ocr_words, page_sizes, page_words

__all__ = [  # noqa: RUF022 -- plain sorted(), the order tests/test_ingest.py pins
    "BROKER_ENV",
    "BlobStore",
    "CeleryExecutor",
    "DEFAULT_INGESTORS",
    "DocumentStore",
    "DocxIngestor",
    "Executor",
    "FolderBlobs",
    "FolderPages",
    "HtmlIngestor",
    "ImageIngestor",
    "IngestResult",
    "IngestSummary",
    "Ingestor",
    "JobControl",
    "JobOutcome",
    "LocalProcessExecutor",
    "OcrText",
    "PagesIndex",
    "PdfIngestor",
    "ReadOptions",
    "Reading",
    "TextIngestor",
    "broker_url",
    "choose_ingestor",
    "expand_paths",
    "gather_paths",
    "ingest_paths",
    "ocr_pdf_page",
    "ocr_words",
    "page_sizes",
    "page_words",
    "read_document",
    "run_worker",
    "sanitize_filename",
]
