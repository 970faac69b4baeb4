"""Scanned images (TIFF, PNG, JPEG) -> one OCRed page per frame, as records offices often send scans."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageSequence, UnidentifiedImageError

from disentangle.errors import DocumentError
from disentangle.ingest._base import NO_BID, SIGNATURE, Ingestor, Reading, ReadOptions
from disentangle.ingest._ocr import OCR_DPI, recognize_images
from disentangle.limits import check_page_count
from disentangle.model import Page, PageMethod

_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


class ImageIngestor(Ingestor):
    """Each frame of a TIFF (or the one picture of a PNG/JPEG) is a page read by Tesseract."""

    name = "image"
    media_types = ("image/tiff", "image/png", "image/jpeg")
    extensions = (".tif", ".tiff", ".png", ".jpg", ".jpeg")

    def content_score(self, head: bytes) -> float:
        return SIGNATURE if head.startswith(_SIGNATURES) else NO_BID

    def read(self, path: Path, options: ReadOptions) -> Reading:
        # PIL refuses at open an image of more than twice its MAX_IMAGE_PIXELS: ours, for this open only
        # (it is a global of the library; each frame is checked against ours again below).
        previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, options.limits.max_pixels
        try:
            image = Image.open(path)
        except Image.DecompressionBombError as exc:
            raise DocumentError(
                f"image too large: more than {2 * options.limits.max_pixels:,} pixels "
                f"(the limit is {options.limits.max_pixels:,} per page)"
            ) from exc
        except (UnidentifiedImageError, OSError) as exc:
            raise DocumentError("not a readable image (damaged, or not the format its name says)") from exc
        finally:
            Image.MAX_IMAGE_PIXELS = previous
        with image:
            media_type = Image.MIME.get(image.format or "", self.media_types[0])
            frames = getattr(image, "n_frames", 1)
            check_page_count(frames, options.limits, "frames (pages) in the image")
            if options.ocr and frames > options.limits.max_ocr_pages:
                raise DocumentError(
                    f"{frames:,} frames to OCR, more than the limit of {options.limits.max_ocr_pages:,} "
                    "for one document: split it, or ingest it with OCR off"
                )
            if not options.ocr:
                pages = [Page(number, "", PageMethod.EMPTY) for number in range(1, frames + 1)]
            else:
                try:
                    found = recognize_images(
                        _frames(image, options.limits.max_pixels),
                        options.ocr_languages,
                        options.ocr_workers,
                        options.limits,
                    )
                except (OSError, ValueError) as exc:
                    raise DocumentError(f"damaged image: {exc}") from exc
                pages = [
                    Page(n, ocr.text, PageMethod.OCR, ocr.confidence)
                    if ocr.text.strip()
                    else Page(n, "", PageMethod.EMPTY)
                    for n, ocr in sorted(found.items())
                ]
        return Reading(media_type, pages, {"frames": frames, "image_format": image.format})


def _frames(image: Image.Image, max_pixels: int) -> Iterator[tuple[int, Image.Image, int]]:
    for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
        width, height = frame.size
        if width * height > max_pixels:
            raise DocumentError(
                f"frame {number} is {width}x{height} pixels, more than the limit of {max_pixels:,} per page"
            )
        dpi = frame.info.get("dpi", (OCR_DPI, OCR_DPI))[0]
        dpi = round(float(dpi)) if 70 <= float(dpi) <= 1200 else OCR_DPI
        yield number, frame.convert("L"), dpi
