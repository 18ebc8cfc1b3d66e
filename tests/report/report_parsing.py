"""The settings of the report the tests build, and a parser that turns its HTML back into the
tables, images, headings and summary values a reader (or a screen reader) gets."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

CALIBRATION_END = "1997-09-30"
CAC = {"1 CD": 6.0, "2 CDs": 8.0, "3+ CDs": 12.0}
SETTINGS = {"margin": 0.3, "cost_per_order": 1.5, "cost_per_period": 0.1}


@dataclass
class Parsed:
    """What the report contains, as a reader (or a screen reader) gets it."""

    lang: str | None = None
    title: str = ""
    headings: list[tuple[int, str]] = field(default_factory=list)
    tables: dict[str, dict] = field(default_factory=dict)  # id → caption, head, rows
    images: list[dict] = field(default_factory=list)
    cards: dict[str, str] = field(default_factory=dict)  # id → value text
    external: list[str] = field(default_factory=list)  # src/href that would leave the file
    tags: set[str] = field(default_factory=set)


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = Parsed()
        self._text: list[str] | None = None
        self._table = None
        self._row = None
        self._heading = None
        self._card = None
        self._value = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.out.tags.add(tag)
        if tag == "html":
            self.out.lang = attrs.get("lang")
        for name in ("src", "href"):
            link = attrs.get(name)
            if link and not link.startswith(("data:", "#")):
                self.out.external.append(link)
        if tag == "img":
            self.out.images.append(attrs)
        elif tag == "table":
            self._table = {"caption": "", "head": [], "rows": [], "scopes": []}
            self.out.tables[attrs.get("id", f"table-{len(self.out.tables)}")] = self._table
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("th", "td", "caption", "title") or tag in ("h1", "h2", "h3", "h4"):
            self._text = []
            if tag == "th" and self._table is not None:
                self._table["scopes"].append(attrs.get("scope"))
            if tag.startswith("h") and tag[1:].isdigit():
                self._heading = int(tag[1])
        elif tag == "li" and "card" in (attrs.get("class") or "").split():
            self._card = attrs.get("id")
        elif tag == "span" and self._card and attrs.get("class") == "card-value":
            self._text = []
            self._value = True

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        text = " ".join("".join(self._text or []).split())
        if tag in ("th", "td") and self._row is not None:
            self._row.append(text)
        elif tag == "caption" and self._table is not None:
            self._table["caption"] = text
        elif tag == "title":
            self.out.title = text
        elif tag.startswith("h") and tag[1:].isdigit() and self._heading:
            self.out.headings.append((self._heading, text))
            self._heading = None
        elif tag == "span" and self._value:
            self.out.cards[self._card] = text
            self._card, self._value = None, False
        elif tag == "tr" and self._row is not None:
            table = self._table
            if not table["head"]:
                table["head"] = self._row
            else:
                table["rows"].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        if tag in ("th", "td", "caption", "title", "span") or tag[:1] == "h":
            self._text = None


def parse_report(html: str) -> Parsed:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.out


def table_rows(parsed: Parsed, table_id: str) -> dict[str, list[str]]:
    """A table's rows by their label (the ``<th scope="row">``)."""
    return {row[0]: row[1:] for row in parsed.tables[table_id]["rows"]}
