"""Message-catalog maintenance: extract every `_()`/`gettext` string from api/ (Python and
templates) and merge it into each locale's catalog, keeping existing translations.

    python -m api.catalogs          # update api/locale/*/LC_MESSAGES/messages.po
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

__all__ = ["CATALOG_LOCALES", "extract_messages", "update_catalogs"]

API_DIR = Path(__file__).parent
CATALOG_LOCALES = ("zh_CN",)
_METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
_KEYWORDS: dict[str, None] = {"_": None, "gettext": None}


def extract_messages() -> dict[str, list[str]]:
    """msgid → the files that use it."""
    found: dict[str, list[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(API_DIR), _METHODS, keywords=_KEYWORDS
    ):
        if isinstance(message, str) and message:
            found.setdefault(message, []).append(filename)
    return found


def catalog_path(locale: str) -> Path:
    return API_DIR / "locale" / locale / "LC_MESSAGES" / "messages.po"


def update_catalogs() -> dict[str, list[str]]:
    """Merge new msgids into every catalog; return the untranslated ones per locale."""
    messages = extract_messages()
    missing: dict[str, list[str]] = {}
    for locale in CATALOG_LOCALES:
        path = catalog_path(locale)
        old = read_po(path.open("rb"), locale=locale) if path.exists() else Catalog(locale=locale)
        new = Catalog(locale=locale, project="dealsignal", charset="utf-8")
        for msgid, files in sorted(messages.items()):
            previous = old.get(msgid)
            new.add(msgid, previous.string if previous else "", locations=[(f, 0) for f in files])
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, new, omit_header=False, sort_output=True, include_lineno=False)
        missing[locale] = [str(m.id) for m in new if m.id and not m.string]
    return missing


if __name__ == "__main__":
    for locale, untranslated in update_catalogs().items():
        print(f"{locale}: {len(untranslated)} untranslated")
        for msgid in untranslated:
            print(f"  {msgid}")
