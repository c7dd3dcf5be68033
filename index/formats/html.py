"""HTML: the article's main text, without navigation, scripts and page furniture.

trafilatura does the extraction: it scores the page's blocks and keeps the main
content, and reads title, author, date (``article:published_time``, JSON-LD
``datePublished``, ``<time datetime>``, ...), canonical URL and site name. It
works offline on the string it is given. When it finds nothing (a very short
page) or is not installed, a small standard-library extractor takes over: it
drops ``script``/``style``/``nav``/``header``/``footer``/``aside``/``form``
content and keeps block text, preferring ``<article>``/``<main>`` when present.

``Document.text`` is the extracted text, one paragraph (or heading, or list
item) per line; chunk offsets are into it.
"""

from __future__ import annotations

import codecs
import json
import re
import warnings
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

from ..documents import Document
from ..errors import LoaderError
from ._common import clean_line, normalize_date, site_of

__all__ = ["load_html", "extract_html", "basic_extract"]

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)


def decode_html(raw: bytes) -> str:
    """Decode with the BOM, else the ``<meta charset>``, else UTF-8, else cp1252."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return raw.decode(encoding, errors="replace")
    declared = _CHARSET.search(raw[:4096])
    candidates = ["utf-8", "cp1252"]
    if declared:
        try:
            candidates.insert(0, codecs.lookup(declared.group(1).decode("ascii")).name)
        except LookupError:
            pass
    for encoding in candidates:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("cp1252", errors="replace")


def _tidy(text: str) -> str:
    lines = (clean_line(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def extract_html(html: str) -> dict:
    """Main text and metadata of a page: keys text, title, author, date, url, site, hostname, description."""
    result: dict = {}
    try:
        import trafilatura  # lazy: ~0.5 s import, paid only when a folder holds HTML
    except ImportError:  # pragma: no cover - trafilatura is a dependency; the fallback keeps HTML working without it
        trafilatura = None
    if trafilatura is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lxml FutureWarnings from inside trafilatura
            try:
                extracted = trafilatura.bare_extraction(
                    html, with_metadata=True, include_comments=False, include_tables=True,
                    include_images=False, include_links=False, deduplicate=False,
                    # Dates from markup only: the extensive search guesses from prose and
                    # took a footer's "(c) 2019" for the publication date.
                    date_extraction_params={"original_date": True, "extensive_search": False,
                                            "max_date": datetime.now().strftime("%Y-%m-%d")})
            except Exception:  # lxml/trafilatura failures on odd markup: the stdlib extractor still reads it
                extracted = None
        if extracted is not None:
            get = (lambda k: getattr(extracted, k, None)) if not isinstance(extracted, dict) else extracted.get
            result = {k: get(k) for k in ("title", "author", "date", "url", "sitename", "hostname", "description")}
            result["site"] = result.pop("sitename")
            result["text"] = _tidy(get("text") or "")
    basic = None
    if not result.get("text"):
        basic = basic_extract(html)
        result = {**basic, **{k: v for k, v in result.items() if v}}
    if not (result.get("date") and result.get("url")):
        # Fill what trafilatura left empty from the explicit markup only (never guessed from prose).
        basic = basic or basic_extract(html)
        for key in ("date", "url", "site", "title"):
            if not result.get(key) and basic.get(key):
                result[key] = basic[key]
    return result


# ---- standard-library fallback ---------------------------------------------------------

_SKIP = {"script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "nav", "header",
         "footer", "aside", "form", "button", "select", "menu", "dialog"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_BLOCK = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl",
          "dt", "dd", "blockquote", "pre", "table", "tr", "td", "th", "caption", "figure", "figcaption",
          "address", "br", "hr", "title", "body", "details", "summary"}
_DATE_META = ("article:published_time", "og:article:published_time", "datepublished", "pubdate", "publishdate",
              "date", "dc.date", "dc.date.issued", "dcterms.created", "sailthru.date", "parsely-pub-date")


class _Extractor(HTMLParser):
    """Collects block text outside boilerplate elements, plus the page's metadata tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.skip_depth = 0
        self.blocks: dict[str, list[str]] = {"all": [], "article": [], "main": []}
        self.current: list[str] = []
        self.meta: dict[str, str] = {}
        self.title_parts: list[str] = []
        self.h1: str | None = None
        self.h1_parts: list[str] | None = None
        self.canonical: str | None = None
        self.time_datetime: str | None = None
        self.json_ld: list[str] = []
        self.in_json_ld = False
        self.in_title = False

    def _flush(self) -> None:
        text = clean_line("".join(self.current))
        self.current = []
        if text:
            self.blocks["all"].append(text)
            for container in ("article", "main"):
                if container in self.stack:
                    self.blocks[container].append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (attr.get("property") or attr.get("name") or attr.get("itemprop") or "").lower()
            if key and attr.get("content") and key not in self.meta:
                self.meta[key] = attr["content"]
        elif tag == "link" and "canonical" in attr.get("rel", "").lower().split() and attr.get("href"):
            self.canonical = self.canonical or attr["href"]
        elif tag == "time" and attr.get("datetime") and self.time_datetime is None:
            self.time_datetime = attr["datetime"]
        elif tag == "script" and "ld+json" in attr.get("type", "").lower():
            self.in_json_ld = True
        if tag in _VOID:
            if tag in ("br", "hr") and not self.skip_depth:
                self._flush()
            return
        if tag in _BLOCK and not self.skip_depth:
            self._flush()
        self.stack.append(tag)
        if tag in _SKIP:
            self.skip_depth += 1
        if tag == "title":
            self.in_title = True
        if tag == "h1" and self.h1 is None and not self.skip_depth:
            self.h1_parts = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or tag not in self.stack:
            return
        # Close everything up to the matching tag (tolerates unclosed <p>, <li>, ...).
        while self.stack:
            open_tag = self.stack.pop()
            if open_tag in _SKIP:
                self.skip_depth -= 1
            if open_tag == "h1" and self.h1_parts is not None:
                self.h1 = clean_line("".join(self.h1_parts)) or None
                self.h1_parts = None
            if open_tag == tag:
                break
        if tag == "title":
            self.in_title = False
        if tag == "script":
            self.in_json_ld = False
        if tag in _BLOCK and not self.skip_depth:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.in_json_ld:
            self.json_ld.append(data)
        elif self.in_title:
            self.title_parts.append(data)
        elif not self.skip_depth:
            self.current.append(data)
            if self.h1_parts is not None:
                self.h1_parts.append(data)


def _json_ld_fields(blobs: list[str]) -> dict:
    found: dict = {}

    def visit(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            for key in ("datePublished", "dateCreated", "headline", "url"):
                if key in node and key not in found and isinstance(node[key], str):
                    found[key] = node[key]
            publisher = node.get("publisher")
            if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
                found.setdefault("publisher", publisher["name"])
            visit(node.get("@graph"))

    for blob in blobs:
        try:
            visit(json.loads(blob))
        except ValueError:
            continue
    return found


def basic_extract(html: str) -> dict:
    """Stdlib extraction: text of the main container (or of all non-boilerplate blocks) and metadata."""
    parser = _Extractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception as exc:  # html.parser is lenient; this is a last resort
        raise ValueError(f"unreadable HTML ({exc})") from None
    parser._flush()
    blocks = parser.blocks["article"] or parser.blocks["main"] or parser.blocks["all"]
    meta, ld = parser.meta, _json_ld_fields(parser.json_ld)
    date = next((normalize_date(meta[k]) for k in _DATE_META if k in meta and normalize_date(meta[k])), None)
    date = date or normalize_date(ld.get("datePublished") or ld.get("dateCreated")) or normalize_date(parser.time_datetime)
    url = parser.canonical or meta.get("og:url") or ld.get("url")
    title = (meta.get("og:title") or ld.get("headline") or parser.h1 or clean_line("".join(parser.title_parts)) or None)
    return {
        "text": "\n".join(blocks),
        "title": title,
        "author": meta.get("author") or meta.get("article:author"),
        "date": date,
        "url": url,
        "site": meta.get("og:site_name") or ld.get("publisher"),
        "hostname": site_of(url),
        "description": meta.get("description") or meta.get("og:description"),
    }


def load_html(path: Path, doc_id: str) -> Document:
    raw = path.read_bytes()
    if not raw.strip():
        raise LoaderError(f"{path}: file is empty")
    if b"\x00" in raw[:4096] and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise LoaderError(f"{path}: looks like a binary file (NUL bytes), not HTML")
    page = extract_html(decode_html(raw))
    text = page.get("text") or ""
    if not text.strip():
        raise LoaderError(f"{path}: no main text found in the HTML page")
    url = page.get("url") or None
    hostname = page.get("hostname") or site_of(url)
    metadata = {"format": "html"}
    for key in ("author", "site", "description"):
        if page.get(key):
            metadata[key] = page[key]
    if hostname:
        metadata["hostname"] = hostname
    return Document(
        id=doc_id,
        title=page.get("title") or path.stem,
        text=text,
        path=str(path),
        date=normalize_date(page.get("date")),
        url=url,
        source=page.get("site") or hostname,
        metadata=metadata,
    )
