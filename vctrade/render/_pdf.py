"""PDF: the rendered page printed by the system's Chromium, headless.

Chromium is found as ``$VCTRADE_CHROMIUM`` or on ``PATH`` (``chromium``, ``chromium-browser``, ``google-chrome``);
vctrade never downloads a browser. It runs in a fresh temporary profile, without the sandbox only when run as
root (Chromium refuses otherwise), with background networking off, and under one deadline: past it the process
group is killed. The page itself loads nothing (its Content-Security-Policy forbids every fetch).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from vctrade.errors import OperationalError

__all__ = ["find_chromium", "render_pdf", "CHROMIUM_NAMES", "PDF_TIMEOUT"]

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT = 60.0


def find_chromium() -> str:
    """The Chromium executable to print with; :class:`OperationalError` naming what to install when there is none."""
    configured = os.environ.get("VCTRADE_CHROMIUM")
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise OperationalError(f"VCTRADE_CHROMIUM is {configured!r}, which is not an executable")
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise OperationalError("making a PDF needs Chromium, and none was found on PATH (looked for "
                           f"{', '.join(CHROMIUM_NAMES)}): install it (Debian: apt-get install chromium) or set "
                           "VCTRADE_CHROMIUM to its path")


def _arguments(chromium: str, page: Path, output: Path, profile: Path) -> list[str]:
    arguments = [chromium, "--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--mute-audio", "--hide-scrollbars",
                 f"--user-data-dir={profile}", "--no-pdf-header-footer", "--print-to-pdf-no-header",
                 f"--print-to-pdf={output}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        arguments.append("--no-sandbox")  # Chromium will not start as root with its sandbox
    return [*arguments, page.as_uri()]


def render_pdf(html: str, *, chromium: str | None = None, timeout: float = PDF_TIMEOUT) -> bytes:
    """``html`` printed to PDF by Chromium (A4, the page's print CSS); :class:`OperationalError` if it cannot be."""
    executable = chromium or find_chromium()
    with tempfile.TemporaryDirectory(prefix="vctrade-pdf-") as folder:
        work = Path(folder)
        page, output, profile = work / "page.html", work / "page.pdf", work / "profile"
        page.write_text(html, encoding="utf-8")
        environment = {**os.environ, "HOME": folder, "XDG_CONFIG_HOME": folder, "XDG_CACHE_HOME": folder}
        try:
            process = subprocess.Popen(_arguments(executable, page, output, profile), stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment,
                                       start_new_session=True)
        except OSError as exc:
            raise OperationalError(f"cannot start Chromium ({executable}): {exc.strerror or exc}") from None
        try:
            _, errors = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(process)
            raise OperationalError(f"Chromium did not print the PDF within {timeout:g} s") from None
        finally:
            _kill(process)  # its helpers (zygote, GPU process) share its process group
        data = output.read_bytes() if output.is_file() else b""
        if not data.startswith(b"%PDF"):
            tail = errors.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise OperationalError(f"Chromium ({executable}) made no PDF (exit {process.returncode})"
                                   + (": " + " / ".join(tail) if tail else ""))
        return data


def _kill(process: subprocess.Popen[bytes]) -> None:
    """End the process group this module started (Chromium and its helpers), then reap the process."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process that survives SIGKILL
        pass
