"""PDF through the system's Chromium (headless): a real PDF whose first page poppler renders, and whose QR code a real
decoder (zxing-cpp) reads back as the verify link; a missing Chromium or a hung one is an operational error (exit 3).

Chromium and poppler-utils are system packages (tests/system-packages.sh installs them): these tests need them.
Set VCTRADE_SHOTS to a folder to keep the page images they render.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from vctrade import VerificationResult
from vctrade.errors import OperationalError
from vctrade.render import find_chromium, render_html, render_pdf, verify_link

VERIFY_URL = "https://verify.cbp.example/c/{id}"


def _page_image(pdf: Path, folder: Path, *, dpi: int, gray: bool) -> Path:
    """Page 1 of ``pdf`` as PNG (or 8-bit PGM when ``gray``), rendered by poppler's pdftoppm."""
    stem = folder / f"{pdf.stem}-{dpi}{'-gray' if gray else ''}"
    options = ["-gray"] if gray else ["-png"]
    subprocess.run(["pdftoppm", *options, "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
                   check=True, timeout=60)
    return stem.with_suffix(".pgm" if gray else ".png")


class _Gray:
    """An 8-bit grayscale image (a binary PGM) as the array zxing-cpp reads."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        fields: list[bytes] = []
        at = 0
        while len(fields) < 4:  # P5, width, height, maxval (comments are not written by pdftoppm)
            while data[at:at + 1].isspace():
                at += 1
            end = at
            while not data[end:end + 1].isspace():
                end += 1
            fields.append(data[at:end])
            at = end
        assert fields[0] == b"P5" and fields[3] == b"255", fields
        width, height = int(fields[1]), int(fields[2])
        pixels = data[at + 1:at + 1 + width * height]
        self.__array_interface__ = {"shape": (height, width), "typestr": "|u1", "data": pixels, "version": 3}


def _decoded(image: Path) -> list[str]:
    import zxingcpp

    return [found.text for found in zxingcpp.read_barcodes(_Gray(image))]


def _keep(*images: Path) -> None:
    folder = os.environ.get("VCTRADE_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for image in images:
            shutil.copy(image, Path(folder) / image.name)


def test_chromium_is_found() -> None:
    assert Path(find_chromium()).is_file(), "install Chromium (tests/system-packages.sh) to test PDF output"


def test_the_pdf_prints_the_certificate_and_its_qr_code_decodes_to_the_verify_link(
        tmp_path: Path, issued: dict[str, dict[str, Any]], checked: Callable[..., VerificationResult],
        render_now: datetime) -> None:
    document = issued["origin"]
    pdf = tmp_path / "certificate-of-origin.pdf"
    pdf.write_bytes(render_pdf(render_html(document, checked(document), now=render_now, verify_url=VERIFY_URL)))
    assert pdf.read_bytes().startswith(b"%PDF-")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "A4" in info
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "VERIFIED" in text and "USMCA Certification of Origin" in text and "575,900.00 USD" in text
    png = _page_image(pdf, tmp_path, dpi=110, gray=False)
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    gray = _page_image(pdf, tmp_path, dpi=200, gray=True)
    assert _decoded(gray) == [verify_link(VERIFY_URL, document["id"])]
    _keep(png)


def test_a_tampered_certificate_prints_not_verified(tmp_path: Path, tampered_invoice: dict[str, Any],
                                                    checked: Callable[..., VerificationResult],
                                                    render_now: datetime) -> None:
    pdf = tmp_path / "tampered-invoice.pdf"
    pdf.write_bytes(render_pdf(render_html(tampered_invoice, checked(tampered_invoice), now=render_now)))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "NOT VERIFIED: proof.signature: the eddsa-rdfc-2022 signature does not match the document" in " ".join(
        text.split())
    _keep(_page_image(pdf, tmp_path, dpi=110, gray=False))


def test_a_qr_code_carrying_a_vc_jwt_decodes_to_the_token(tmp_path: Path, jwt_credential: str,
                                                          checked: Callable[..., VerificationResult],
                                                          render_now: datetime) -> None:
    pdf = tmp_path / "ctpat-jwt.pdf"
    pdf.write_bytes(render_pdf(render_html(jwt_credential, checked(jwt_credential), now=render_now)))
    assert _decoded(_page_image(pdf, tmp_path, dpi=600, gray=True)) == [jwt_credential]


def test_the_cli_writes_a_pdf(tmp_path: Path, issued: dict[str, dict[str, Any]],
                              run_cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    import json

    source = tmp_path / "coo.json"
    source.write_text(json.dumps(issued["origin"]))
    done = run_cli("render", str(source), "--pdf", "-o", str(tmp_path / "coo.pdf"), "--now", "2026-11-13T00:00:00Z",
                   "--verify-url", VERIFY_URL)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "coo.pdf").read_bytes().startswith(b"%PDF")
    assert done.stderr.splitlines() == [f"wrote {tmp_path / 'coo.pdf'}", "VERIFIED"]


def test_without_chromium_the_cli_says_what_to_install_and_exits_3(
        tmp_path: Path, issued: dict[str, dict[str, Any]],
        run_cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    import json

    source = tmp_path / "coo.json"
    source.write_text(json.dumps(issued["origin"]))
    empty = tmp_path / "bin"
    empty.mkdir()
    environment = {"PATH": str(empty), "VCTRADE_CHROMIUM": ""}
    done = run_cli("render", str(source), "--pdf", "-o", str(tmp_path / "coo.pdf"), env=environment)
    assert done.returncode == 3
    assert done.stderr.strip() == ("error: making a PDF needs Chromium, and none was found on PATH (looked for "
                                   "chromium, chromium-browser, google-chrome, google-chrome-stable): install it "
                                   "(Debian: apt-get install chromium) or set VCTRADE_CHROMIUM to its path")
    assert not (tmp_path / "coo.pdf").exists()
    named = run_cli("render", str(source), "--pdf", "-o", str(tmp_path / "coo.pdf"),
                    env={"VCTRADE_CHROMIUM": str(tmp_path / "no-such-chromium")})
    assert named.returncode == 3
    assert "VCTRADE_CHROMIUM is" in named.stderr and "not an executable" in named.stderr


def _fake_chromium(folder: Path, script: str) -> str:
    path = folder / "fake-chromium"
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)
    return str(path)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_a_chromium_that_hangs_is_stopped_at_the_deadline(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    chromium = _fake_chromium(tmp_path, f"sleep 30 & echo $$ $! > {pids}; wait")  # like Chromium, it has helpers
    started = time.monotonic()
    with pytest.raises(OperationalError, match=r"^Chromium did not print the PDF within 1 s$"):
        render_pdf("<p>x</p>", chromium=chromium, timeout=1)
    assert time.monotonic() - started < 10
    deadline = time.monotonic() + 5
    found = [int(pid) for pid in pids.read_text().split()]
    while any(_alive(pid) for pid in found) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in found)  # the script and its helper: the whole process group ended


def test_a_chromium_that_makes_no_pdf_is_an_operational_error(tmp_path: Path) -> None:
    chromium = _fake_chromium(tmp_path, "echo 'cannot open display' >&2; exit 1")
    with pytest.raises(OperationalError, match=r"made no PDF \(exit 1\): cannot open display"):
        render_pdf("<p>x</p>", chromium=chromium, timeout=10)
