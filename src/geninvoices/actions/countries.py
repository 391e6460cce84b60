"""Country names and telephone calling codes by ISO 3166-1 alpha-2 code (rules §11).

GetClientsDetails answers `countryname` and `phonecc` beside the stored code. WHMCS keeps its
own country list; this database has no country table, so the package carries a small one,
``countries.csv``: the 249 ISO 3166-1 codes, each with its English name (the common name
where ISO's is long: "Bolivia", "Taiwan") and its calling code. It was generated once from
pycountry and phonenumberslite (its header says which versions); neither is a dependency.
"""

from __future__ import annotations

import csv
import functools
from importlib import resources
from typing import NamedTuple


class Country(NamedTuple):
    name: str
    calling_code: str  # digits, or "" where none is assigned (Antarctica, Bouvet Island, ...)


@functools.cache
def countries() -> dict[str, Country]:
    text = resources.files(__package__).joinpath("countries.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {row["code"]: Country(row["name"], row["callingcode"]) for row in rows}


def country(code: str | None) -> Country:
    """The country a stored code names; an unknown or empty code has neither name nor code."""
    return countries().get((code or "").strip().upper(), Country("", ""))
