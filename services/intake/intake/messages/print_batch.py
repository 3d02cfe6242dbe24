"""The daily print batch: the day's letters joined into one PDF for the print room, with a
manifest (letter id, pages, first page in the batch) next to it.

Every letter starts on an odd page, so a duplex printer never puts the first page of one letter
on the back of the last page of another: a letter with an odd number of pages is followed by a
blank page (the last one too, so a batch is always whole sheets). Files are never overwritten: the first batch of a day is `letters-YYYY-MM-DD.pdf`,
the next `letters-YYYY-MM-DD-2.pdf` and so on; each file is written to a temporary name and then
linked into place, which fails instead of replacing a file that is already there.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

MANIFEST_COLUMNS = ("letter_id", "pages", "first_page")
_MAX_BATCHES_A_DAY = 10_000


class PrintBatchError(ValueError):
    """The letters cannot be joined (none given, a duplicate id, bytes that are not a PDF)."""


@dataclass(frozen=True, slots=True)
class BatchedLetter:
    """One letter's place in the batch: its own page count and its first page (1-based)."""

    letter_id: str
    pages: int
    first_page: int


@dataclass(frozen=True, slots=True)
class PrintBatch:
    """A written batch: the PDF, its manifest, the letters in order and the total page count
    (blank separator pages included)."""

    path: Path
    manifest_path: Path
    letters: tuple[BatchedLetter, ...]
    pages: int


def build_print_batch(
    letters: Sequence[tuple[str, bytes]], *, day: dt.date, out_dir: Path
) -> PrintBatch:
    """Join `(letter id, pdf bytes)` into the day's next batch file in `out_dir`."""
    if not letters:
        raise PrintBatchError("a print batch needs at least one letter")
    seen: set[str] = set()
    writer = PdfWriter()
    placed: list[BatchedLetter] = []
    for letter_id, pdf in letters:
        if not letter_id or letter_id in seen:
            raise PrintBatchError(f"letter id {letter_id!r} is empty or given twice")
        seen.add(letter_id)
        try:
            reader = PdfReader(io.BytesIO(pdf), strict=True)
            pages = list(reader.pages)
        except (PyPdfError, ValueError, OSError) as exc:
            raise PrintBatchError(f"letter {letter_id!r} is not a readable PDF") from exc
        if not pages:
            raise PrintBatchError(f"letter {letter_id!r} has no pages")
        first = len(writer.pages) + 1
        for page in pages:
            writer.add_page(page)
        placed.append(BatchedLetter(letter_id, len(pages), first))
        if len(pages) % 2:
            last = pages[-1].mediabox
            writer.add_blank_page(width=float(last.width), height=float(last.height))
    # The batch carries no letter's metadata (titles name the subject of each letter).
    writer.add_metadata({"/Title": f"Letters {day.isoformat()}", "/Creator": "WW case handling"})
    pdf_bytes = io.BytesIO()
    writer.write(pdf_bytes)
    manifest = io.StringIO()
    out = csv.writer(manifest, lineterminator="\n")
    out.writerow(MANIFEST_COLUMNS)
    for letter in placed:
        out.writerow((letter.letter_id, letter.pages, letter.first_page))
    path, manifest_path = _publish(
        out_dir, f"letters-{day.isoformat()}", pdf_bytes.getvalue(), manifest.getvalue().encode()
    )
    return PrintBatch(path, manifest_path, tuple(placed), len(writer.pages))


def _publish(out_dir: Path, stem: str, pdf: bytes, manifest: bytes) -> tuple[Path, Path]:
    """Write both files under the first free `stem[-n]` name, never replacing a file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp_pdf = _temp_file(out_dir, pdf)
    tmp_csv = _temp_file(out_dir, manifest)
    try:
        for n in range(1, _MAX_BATCHES_A_DAY + 1):
            name = stem if n == 1 else f"{stem}-{n}"
            pdf_path, csv_path = out_dir / f"{name}.pdf", out_dir / f"{name}.csv"
            if csv_path.exists():
                continue  # a manifest without its PDF (a crash in between): the name is taken
            try:
                # link() is atomic and fails if the name exists: two builders racing for the same
                # name never overwrite each other; the loser takes the next number.
                os.link(tmp_pdf, pdf_path)
            except FileExistsError:
                continue
            try:
                os.link(tmp_csv, csv_path)
            except FileExistsError:  # pragma: no cover - only a foreign writer gets here
                os.unlink(pdf_path)
                continue
            _fsync_dir(out_dir)
            return pdf_path, csv_path
        raise PrintBatchError(f"more than {_MAX_BATCHES_A_DAY} batches for {stem}")
    finally:
        for tmp in (tmp_pdf, tmp_csv):
            tmp.unlink(missing_ok=True)


def _temp_file(out_dir: Path, data: bytes) -> Path:
    fd, name = tempfile.mkstemp(dir=out_dir, prefix=".batch-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
