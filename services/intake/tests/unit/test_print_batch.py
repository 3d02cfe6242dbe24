"""The daily print batch (issue 14, paper channel): one valid PDF of the day's letters, each
starting on an odd page, a manifest next to it, and no batch ever overwritten."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from pathlib import Path

import pypdf
import pytest

from intake.messages.letters import Letter, Recipient, Sender, render_letter
from intake.messages.print_batch import PrintBatchError, build_print_batch

DAY = dt.date(2026, 12, 7)
SENDER = Sender(
    "UWV Amsterdam", "Karspeldreef", "16", "1102 BR", "Amsterdam", "088 898 92 94", "a@uwv.nl"
)


def _letter_pdf(name: str, paragraphs: int = 1) -> bytes:
    body = "\n\n".join(
        f"Alinea {i}: " + "Een zin over uw rechten en plichten bij de WW. " * 8
        for i in range(paragraphs)
    )
    letter = Letter(
        sender=SENDER,
        recipient=Recipient(name, "Dorpsstraat 1", "1011 AB", "Amsterdam"),
        date=DAY,
        reference=f"M-{name[:6].upper()}",
        subject="Uitnodiging",
        body=body,
    )
    return render_letter(letter)


def _pages(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
def letters() -> list[tuple[str, bytes]]:
    """Four letters of 1, 2, 3 and 1 pages."""
    out = [
        ("L1", _letter_pdf("Anna Alkema")),
        ("L2", _letter_pdf("Bram Bakker", 10)),
        ("L3", _letter_pdf("Cor de Vries", 20)),
        ("L4", _letter_pdf("Dewi Dijkstra")),
    ]
    assert [_pages(pdf) for _, pdf in out] == [1, 2, 3, 1]
    return out


def _manifest(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_the_batch_is_one_valid_pdf_with_every_letter_on_an_odd_page(
    tmp_path: Path, letters: list[tuple[str, bytes]]
) -> None:
    batch = build_print_batch(letters, day=DAY, out_dir=tmp_path)
    assert batch.path == tmp_path / "letters-2026-12-07.pdf"
    assert batch.manifest_path == tmp_path / "letters-2026-12-07.csv"
    # 1 + blank, 2, 3 + blank, 1 + blank
    assert [(e.letter_id, e.pages, e.first_page) for e in batch.letters] == [
        ("L1", 1, 1),
        ("L2", 2, 3),
        ("L3", 3, 5),
        ("L4", 1, 9),
    ]
    assert batch.pages == 10
    reader = pypdf.PdfReader(batch.path, strict=True)
    assert len(reader.pages) == batch.pages
    texts = [page.extract_text() for page in reader.pages]
    names = {"L1": "Anna Alkema", "L2": "Bram Bakker", "L3": "Cor de Vries", "L4": "Dewi Dijkstra"}
    for entry in batch.letters:
        assert entry.first_page % 2 == 1
        # The letter's first page (with the address block) is where the manifest says.
        assert names[entry.letter_id] in texts[entry.first_page - 1]
    for blank in (2, 8, 10):
        assert texts[blank - 1].strip() == ""
    # The letters' own pages, in order: each letter's last page carries its closing.
    assert "Pagina 2 van 2" in texts[3]
    assert "Pagina 3 van 3" in texts[6]
    assert reader.metadata is not None
    assert "Bakker" not in repr(dict(reader.metadata))


def test_the_manifest_lists_every_letter(tmp_path: Path, letters: list[tuple[str, bytes]]) -> None:
    batch = build_print_batch(letters, day=DAY, out_dir=tmp_path)
    assert batch.manifest_path.read_text().splitlines()[0] == "letter_id,pages,first_page"
    assert _manifest(batch.manifest_path) == [
        {"letter_id": "L1", "pages": "1", "first_page": "1"},
        {"letter_id": "L2", "pages": "2", "first_page": "3"},
        {"letter_id": "L3", "pages": "3", "first_page": "5"},
        {"letter_id": "L4", "pages": "1", "first_page": "9"},
    ]


def test_a_second_batch_the_same_day_never_overwrites_the_first(
    tmp_path: Path, letters: list[tuple[str, bytes]]
) -> None:
    first = build_print_batch(letters[:1], day=DAY, out_dir=tmp_path)
    before = first.path.read_bytes(), first.manifest_path.read_bytes()
    second = build_print_batch(letters[1:2], day=DAY, out_dir=tmp_path)
    third = build_print_batch(letters[2:], day=DAY, out_dir=tmp_path)
    other_day = build_print_batch(letters[:1], day=DAY + dt.timedelta(days=1), out_dir=tmp_path)
    assert second.path.name == "letters-2026-12-07-2.pdf"
    assert second.manifest_path.name == "letters-2026-12-07-2.csv"
    assert third.path.name == "letters-2026-12-07-3.pdf"
    assert other_day.path.name == "letters-2026-12-08.pdf"
    assert (first.path.read_bytes(), first.manifest_path.read_bytes()) == before
    assert [r["letter_id"] for r in _manifest(second.manifest_path)] == ["L2"]
    # No temporary files are left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "letters-2026-12-07-2.csv",
        "letters-2026-12-07-2.pdf",
        "letters-2026-12-07-3.csv",
        "letters-2026-12-07-3.pdf",
        "letters-2026-12-07.csv",
        "letters-2026-12-07.pdf",
        "letters-2026-12-08.csv",
        "letters-2026-12-08.pdf",
    ]


def test_a_leftover_file_keeps_its_name(tmp_path: Path, letters: list[tuple[str, bytes]]) -> None:
    """A PDF (or a manifest) already there from an earlier run is never replaced."""
    (tmp_path / "letters-2026-12-07.pdf").write_bytes(b"printed yesterday")
    (tmp_path / "letters-2026-12-07-2.csv").write_text("letter_id,pages,first_page\n")
    batch = build_print_batch(letters[:1], day=DAY, out_dir=tmp_path)
    assert batch.path.name == "letters-2026-12-07-3.pdf"
    assert (tmp_path / "letters-2026-12-07.pdf").read_bytes() == b"printed yesterday"
    assert not (tmp_path / "letters-2026-12-07-2.pdf").exists()


def test_builders_racing_for_the_same_day_get_their_own_files(
    tmp_path: Path, letters: list[tuple[str, bytes]]
) -> None:
    results: list[Path] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def build(i: int) -> None:
        try:
            start.wait()
            results.append(build_print_batch([letters[i]], day=DAY, out_dir=tmp_path).path)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 4
    ids = sorted(
        _manifest(p.with_suffix(".csv"))[0]["letter_id"] for p in results
    )  # each file holds the letter its builder wrote
    assert ids == ["L1", "L2", "L3", "L4"]
    for p in results:
        assert len(pypdf.PdfReader(p).pages) >= 1


def test_the_out_dir_is_created(tmp_path: Path, letters: list[tuple[str, bytes]]) -> None:
    batch = build_print_batch(letters[:1], day=DAY, out_dir=tmp_path / "state" / "letters")
    assert batch.path.exists()
    assert batch.pages == 2  # one page and its blank back


@pytest.mark.parametrize(
    ("given", "match"),
    [
        ([], "at least one"),
        ([("L1", b"not a pdf")], "not a readable PDF"),
        ([("L1", b"%PDF-1.4\n%%EOF")], "L1"),
        ([("", b"")], "empty"),
    ],
)
def test_unusable_input_is_refused(
    tmp_path: Path, given: list[tuple[str, bytes]], match: str
) -> None:
    with pytest.raises(PrintBatchError, match=match):
        build_print_batch(given, day=DAY, out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_duplicate_letter_id_is_refused(tmp_path: Path, letters: list[tuple[str, bytes]]) -> None:
    with pytest.raises(PrintBatchError, match="twice"):
        build_print_batch([letters[0], letters[0]], day=DAY, out_dir=tmp_path)
