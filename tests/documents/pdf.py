"""Reading PDFs back with poppler-utils (pdftotext, pdfinfo, pdftoppm), as a person would."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def text(pdf: Path, page: int | None = None) -> str:
    which = ["-f", str(page), "-l", str(page)] if page else []
    out = subprocess.run(["pdftotext", "-layout", *which, str(pdf), "-"], capture_output=True,
                         text=True, check=True)
    return out.stdout


def flat(value: str) -> str:
    """Text with runs of white space made one space: what a reader sees in a line."""
    return re.sub(r"\s+", " ", value)


def first_page_png(pdf: Path, directory: Path) -> Path:
    stem = directory / (pdf.stem + "-page")
    subprocess.run(["pdftoppm", "-png", "-r", "72", "-f", "1", "-l", "1", str(pdf), str(stem)],
                   check=True)
    return next(directory.glob(stem.name + "*.png"))
