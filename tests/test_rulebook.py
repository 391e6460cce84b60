"""Every rule citation leads to a section of the rule book, docs/rules.md (issue 8 item 5).

A citation is the section sign followed by a number, `\u00a7N` or `\u00a7N.N`, as in
`(rules \u00a75.2)`. The book's sections are its headings `## N Title` and `### N.N Title`.
The old form, "spec" and a number, pointed at a document outside the repository; it may no
longer appear in src/ (migrations included). (Sample texts below spell the section sign as an
escape, so this file holds no citation of its own.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "docs" / "rules.md"
CITING = ("src", "tests", "docs", "README.md", "SECURITY.md")
NO_OLD_STYLE = ("src",)
TEXT_SUFFIXES = {".py", ".md", ".sql", ".ini", ".toml", ".txt", ".cfg", ".sh", ".yml",
                 ".yaml", ".mako"}
SKIPPED_DIRS = {"__pycache__", ".pytest_cache"}

SIGN = "\u00a7"
HEADING = re.compile(r"^(#{2,6}) (\d+(?:\.\d+)*) \S")
CITATION = re.compile(SIGN + r"(\d+(?:\.\d+)?)")
OLD_STYLE = re.compile(r"\bspec\s+\d+(?:\.\d+)?", re.IGNORECASE)

# The contract's numbering, which the book keeps so that old citations kept their meaning.
REQUIRED = {str(n) for n in range(1, 11)} | {f"5.{n}" for n in range(1, 11)}


def sections(book_text: str) -> set[str]:
    """The section numbers of the book: `## 5 ...` gives "5", `### 5.1 ...` gives "5.1"."""
    return {m.group(2) for line in book_text.splitlines() if (m := HEADING.match(line))}


def misnumbered_headings(book_text: str) -> list[str]:
    """Headings below the title that are not `## N Title` / `### N.N Title` at the level
    their number implies (one level per dot)."""
    bad = []
    for number, line in enumerate(book_text.splitlines(), 1):
        if not line.startswith("##"):
            continue
        m = HEADING.match(line)
        if m is None or len(m.group(1)) != 2 + m.group(2).count("."):
            bad.append(f"rules.md:{number}: {line}")
    return bad


def citations(text: str) -> list[tuple[int, str]]:
    """(line number, section) for every citation in a text."""
    return [(number, m.group(1)) for number, line in enumerate(text.splitlines(), 1)
            for m in CITATION.finditer(line)]


def old_style(text: str) -> list[tuple[int, str]]:
    return [(number, m.group(0)) for number, line in enumerate(text.splitlines(), 1)
            for m in OLD_STYLE.finditer(line)]


def bad_citations(texts: dict[str, str], known: set[str]) -> list[str]:
    """`file:line: <citation>` for each citation of a section the book does not have."""
    return [f"{name}:{line}: {SIGN}{section} is not a heading of docs/rules.md"
            for name, text in texts.items() for line, section in citations(text)
            if section not in known]


def old_style_citations(texts: dict[str, str]) -> list[str]:
    return [f"{name}:{line}: '{found}' cites the outside spec; cite the rule book ({SIGN}N.N)"
            for name, text in texts.items() for line, found in old_style(text)]


def text_files(roots: tuple[str, ...]) -> dict[str, str]:
    """Repository-relative name -> text, for the text files under the given roots."""
    found: dict[str, str] = {}
    for root in roots:
        path = ROOT / root
        candidates = [path] if path.is_file() else sorted(path.rglob("*")) if path.is_dir() else []
        for file in candidates:
            if (file.is_file() and file.suffix in TEXT_SUFFIXES
                    and not SKIPPED_DIRS & set(file.relative_to(ROOT).parts)):
                found[str(file.relative_to(ROOT))] = file.read_text(encoding="utf-8")
    return found


# --- the repository ----------------------------------------------------------------------------

def test_the_book_keeps_the_contracts_numbering():
    assert sections(BOOK.read_text(encoding="utf-8")) >= REQUIRED


def test_every_heading_of_the_book_is_numbered_as_citations_expect():
    assert misnumbered_headings(BOOK.read_text(encoding="utf-8")) == []


def test_every_citation_names_a_section_of_the_book():
    texts = text_files(CITING)
    assert any(citations(t) for t in texts.values()), "no citation found: is the scan broken?"
    assert bad_citations(texts, sections(BOOK.read_text(encoding="utf-8"))) == []


def test_no_citation_of_the_outside_spec_remains():
    texts = text_files(NO_OLD_STYLE)
    assert texts, "nothing scanned"
    assert old_style_citations(texts) == []


# --- the scanner itself: it finds what it must, so the tests above can fail ---------------------

SAMPLE_BOOK = "# Title\n\n## 4 GenInvoices\n\n## 5 Rules\n\n### 5.2 Dates\n"


def test_sections_are_the_numbered_headings():
    assert sections(SAMPLE_BOOK) == {"4", "5", "5.2"}


@pytest.mark.parametrize("line, expected", [
    ("## 5 The invoicing rules", []),
    ("### 5.10 Recurring promotions", []),
    ("## 5. The invoicing rules", ["rules.md:1: ## 5. The invoicing rules"]),
    ("### Tax", ["rules.md:1: ### Tax"]),
    ("## 5.1 What is due", ["rules.md:1: ## 5.1 What is due"]),  # a section as a chapter
])
def test_misnumbered_headings(line, expected):
    assert misnumbered_headings(line) == expected


@pytest.mark.parametrize("text, expected", [
    ("(rules \u00a75.2)", [(1, "5.2")]),
    ("rules \u00a74, \u00a75 and \u00a79", [(1, "4"), (1, "5"), (1, "9")]),
    ("rules \u00a75.3 to \u00a75.5.", [(1, "5.3"), (1, "5.5")]),
    ("rules \u00a72's table", [(1, "2")]),
    ("first line\n# (rules \u00a75.10)", [(2, "5.10")]),
    ("no citation, 5.2 alone", []),
])
def test_citations_are_found_with_their_line(text, expected):
    assert citations(text) == expected


def test_a_citation_of_a_missing_section_is_named_with_file_and_line():
    texts = {"src/a.py": '"""Dates (rules \u00a75.2)."""\n# tax (rules \u00a75.4)\n'}
    assert bad_citations(texts, sections(SAMPLE_BOOK)) == [
        "src/a.py:2: \u00a75.4 is not a heading of docs/rules.md"]


def test_the_old_citation_form_is_found():
    texts = {"src/b.py": "ok\n# see " + "spec 5.2 and Spec 6\n"}
    assert [line.split(": '")[0] for line in old_style_citations(texts)] == [
        "src/b.py:2", "src/b.py:2"]
    assert old_style_citations({"src/c.py": "the spec's fixed points; specs 5"}) == []


CODE_REFERENCE = re.compile(r"`([a-z_/]+\.py):([A-Za-z_][A-Za-z_.]*)`")


def stale_code_references(book_text: str, source_root: Path) -> list[str]:
    """`file.py:name` pointers of the book whose file or definition is gone."""
    stale = []
    for path, dotted in CODE_REFERENCE.findall(book_text):
        source = source_root / path
        name = dotted.rsplit(".", 1)[-1]
        defined = re.compile(rf"^\s*(?:def|class|async def) {name}\b|^{name} = ", re.M)
        if not source.is_file() or not defined.search(source.read_text("utf-8")):
            stale.append(f"{path}:{dotted}")
    return stale


def test_the_book_points_at_code_that_exists():
    book = (ROOT / "docs" / "rules.md").read_text("utf-8")
    assert CODE_REFERENCE.search(book)
    assert stale_code_references(book, ROOT / "src" / "geninvoices") == []


def test_a_stale_code_pointer_is_found(tmp_path):
    (tmp_path / "a.py").write_text("def here():\n    pass\n")
    text = "`a.py:here` `a.py:gone` `b.py:x` `a.py:Class.here`"
    assert stale_code_references(text, tmp_path) == ["a.py:gone", "b.py:x"]
