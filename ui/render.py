"""HTML for the chat UI, built from answers, passages and document lists.

Everything here is pure (no Gradio) so it can be unit-tested. Every string
that comes from a document, a file name, the model or the user goes through
:func:`esc` before it reaches the page: documents are data, and a title such
as ``<script>`` must show as text. URLs become links only when they are
http(s), so a document cannot smuggle in a ``javascript:`` link.

Functions that can show a server path take ``show_paths``: True (the default,
a server on 127.0.0.1) shows full paths; False (a server other machines can
reach) shows only file names, so remote users do not learn the server's
folders (:func:`public_path`).
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Iterable, Sequence
from urllib.parse import urlparse

__all__ = [
    "esc",
    "safe_url",
    "link_markers",
    "answer_html",
    "streaming_html",
    "question_html",
    "evidence_html",
    "citation_detail_html",
    "detail_placeholder_html",
    "citation_choices",
    "documents_html",
    "document_choices",
    "status_html",
    "header_html",
    "index_summary_html",
    "no_index_html",
    "report_html",
    "public_path",
    "CITE_ANCHOR",
]

# Citation markers link to "#rag-cite-N". The Chatbot's sanitizer strips data-*
# attributes but keeps href, so the anchor itself carries the number; the
# page script (ui/assets.py) turns a click on it into selecting citation N.
CITE_ANCHOR = "rag-cite-"
_MARKER = re.compile(r"\[(\d{1,3})\]")

STATES = {
    "idle": "",
    "retrieving": "Retrieving passages…",
    "generating": "Generating the answer…",
    "verifying": "Verifying citations…",
    "done": "Done",
    "stopped": "Stopped",
    "abstained": "No answer found in the documents",
    "unverified": "Not confirmed by the documents",
    "error": "Error",
}


def esc(text: object) -> str:
    """HTML-escape any value (None becomes empty), quotes included so it is safe in attributes too."""
    return html.escape("" if text is None else str(text), quote=True)


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL, else None (never a javascript: or data: link)."""
    if not url:
        return None
    try:
        parsed = urlparse(url.strip())
    except ValueError:
        return None
    if parsed.scheme.lower() in ("http", "https") and parsed.netloc:
        return url.strip()
    return None


def _link(url: str | None, label: str | None = None) -> str:
    href = safe_url(url)
    if href is None:
        return esc(url or "")
    return f'<a href="{esc(href)}" target="_blank" rel="noopener noreferrer">{esc(label or url)}</a>'


def link_markers(escaped: str, known: Iterable[int]) -> str:
    """Turn ``[n]`` in already-escaped text into links to citation n; unknown numbers stay plain text."""
    known = set(known)

    def repl(m: re.Match) -> str:
        n = int(m.group(1))
        if n not in known:
            return m.group(0)
        return f'<a class="rag-marker" href="#{CITE_ANCHOR}{n}" title="Show source {n}">[{n}]</a>'

    return _MARKER.sub(repl, escaped)


def _paragraphs(escaped: str) -> str:
    return escaped.replace("\n", "<br>")


def answer_html(answer, stopped: bool = False) -> str:
    """A finished answer: markers linked, left-out (unsupported) sentences listed apart, abstention labelled.

    ``stopped``: the user pressed Stop, so this is the verified part of an unfinished answer.
    """
    if stopped and answer.abstained:
        return '<div class="rag-abstained"><strong>Stopped</strong> before the model wrote a verifiable answer.</div>'
    if answer.abstained and getattr(answer, "outcome", "") == "unverified_draft":
        # A draft exists but no passage confirms it: shown, labelled, never as "not found".
        text = answer.text.partition(f"{UNVERIFIED_LABEL} ")[2] or answer.text
        return (f'<div class="rag-abstained rag-unverified"><strong>{UNVERIFIED_LABEL}</strong> '
                f"{_paragraphs(esc(text))}</div>" + trace_html(answer))
    if answer.abstained:
        return (
            '<div class="rag-abstained"><strong>Not found in the documents.</strong> '
            f"{_paragraphs(esc(answer.text))}</div>"
        )
    out = _paragraphs(link_markers(esc(answer.text), [c.n for c in answer.citations]))
    if stopped:
        out += '<div class="rag-note">Stopped: this is the part written before Stop was pressed.</div>'
    left_out = answer.left_out
    if left_out:
        # Verification took these sentences out of the answer: shown apart, so nothing the model
        # wrote is hidden, and nothing unsupported reads as part of the answer.
        count = len(left_out)
        items = "".join(f'<li><span class="rag-unsupported">{esc(c.sentence)}</span>'
                        + (f' <span class="rag-why">({esc(c.reason)})</span>' if c.reason else "") + "</li>"
                        for c in left_out)
        out += (f'<details class="rag-note rag-left-out"><summary>{count} sentence{"s" if count > 1 else ""} '
                f"of the model's answer left out: no passage supports {'them' if count > 1 else 'it'}</summary>"
                f"<ul>{items}</ul></details>")
    return out + trace_html(answer)


UNVERIFIED_LABEL = "Not confirmed by the documents."
"""The label of an answer whose draft no passage confirms (``Answer.outcome`` ``unverified_draft``)."""


def trace_html(answer) -> str:
    """"Why kept / why left out": each sentence of the model's draft with its verdict, the rule that
    decided it, the reason, the scores it read and its quotes (the closest passages for a left-out
    one), from ``Answer.verification``; '' when there is no draft to explain."""
    checks = getattr(answer, "verification", ())
    if not checks:
        return ""
    items = []
    for check in checks:
        kind = check.verdict.replace(" ", "-")
        scores = ", ".join(f"{name} {value:.2f}" for name, value in check.scores.items())
        quotes = "".join(
            f'<blockquote class="rag-trace-quote">{f"[{c.n}] " if c.n else "closest: "}{esc(c.quote)} '
            f'<span class="rag-why">({esc(c.title)})</span></blockquote>' for c in check.citations)
        items.append(f'<li class="rag-trace-{kind}"><span class="rag-verdict rag-verdict-{kind}">{esc(check.verdict)}</span> '
                     f"{esc(check.sentence)}<div class=\"rag-why\">rule <code>{esc(check.rule)}</code>: {esc(check.reason)}"
                     + (f" ({esc(scores)})" if scores else "") + f"</div>{quotes}</li>")
    return (f'<details class="rag-note rag-trace"><summary>Why kept / why left out ({len(checks)} '
            f'sentence{"s" if len(checks) != 1 else ""})</summary><ol>{"".join(items)}</ol></details>')


def streaming_html(text: str) -> str:
    """Text still being generated: escaped, markers not yet verified so not linked."""
    return _paragraphs(esc(text)) + '<span class="rag-cursor">▍</span>'


def question_html(question: str) -> str:
    return _paragraphs(esc(question))


def public_path(path: object, show_paths: bool = True) -> str:
    """``path`` as shown: in full with ``show_paths``, else its file name only (no server folders)."""
    if path is None:
        return ""
    return str(path) if show_paths else _short_path(str(path), 1)


def _meta_line(title: str | None, date: str | None, url: str | None, path: str | None, page: int | None = None,
               show_paths: bool = True) -> str:
    bits = [f'<span class="rag-title">{esc(title or "(untitled)")}</span>']
    if date:
        bits.append(f'<span class="rag-date">{esc(date)}</span>')
    if page:
        bits.append(f"p. {int(page)}")
    if safe_url(url):
        bits.append(_link(url))
    elif path:
        bits.append(f'<span class="rag-path">{esc(public_path(path, show_paths))}</span>')
    return " · ".join(bits)


def _scores(p) -> str:
    return (f'<span class="rag-score" title="fused rank score; cosine similarity; BM25">'
            f"score {p.score:.4f} · cosine {p.dense:.2f} · BM25 {p.lexical:.2f}</span>")


def _suspicious_badge(p) -> str:
    """A warning badge on a passage holding sentences addressed to the assistant (rag.injection)."""
    if not getattr(p, "suspicious", ()):
        return ""
    return (' <span class="rag-badge rag-suspicious" title="This passage contains text addressed to the assistant '
            'rather than to readers (a possible prompt injection). Those sentences were not used as evidence.">'
            '⚠ suspicious</span>')


def _passage_text_html(p) -> str:
    """The passage text, escaped, with its suspicious sentences struck through and marked."""
    text = esc(p.text)
    for sentence in getattr(p, "suspicious", ()):
        shown = esc(sentence)
        text = text.replace(shown, f'<del class="rag-suspicious-text" title="not used: addressed to the assistant">{shown}</del>')
    return text


def evidence_html(passages: Sequence, citations: Sequence = (), *, abstained: bool = False, pending: bool = False,
                  show_paths: bool = True) -> str:
    """The retrieved passages with scores; those cited say which marker cites them.

    Shown as soon as retrieval is done (``pending``), then again with the
    citations once the answer is verified. Each passage folds open to its full text.
    """
    if not passages:
        if pending:
            return '<div class="rag-empty">Searching the index…</div>'
        return '<div class="rag-empty">Retrieved passages appear here, with their scores, as soon as the search is done.</div>'
    cited_by: dict[str, list[int]] = {}
    for c in citations:
        cited_by.setdefault(c.chunk_id, []).append(c.n)
    if abstained:
        head = ("<strong>Closest passages</strong> — the answer is not in them, as far as the model could tell. "
                "Judge for yourself:")
    elif pending:
        head = f"<strong>Retrieved {len(passages)} passages</strong> — the model is reading them now."
    else:
        uncited = sum(1 for p in passages if p.chunk_id not in cited_by)
        head = f"<strong>Retrieved {len(passages)} passages</strong> ({uncited} not cited)"
    items = []
    for i, p in enumerate(passages, 1):
        badges = "" if pending or abstained else "".join(
            f'<a class="rag-badge" href="#{CITE_ANCHOR}{n}" title="Show citation {n}">[{n}]</a>'
            for n in cited_by.get(p.chunk_id, [])
        ) or ("" if pending or abstained else '<span class="rag-badge rag-uncited">not cited</span>')
        items.append(
            f'<details class="rag-passage" data-chunk="{esc(p.chunk_id)}"><summary>'
            f'<span class="rag-rank">#{i}</span> {badges}{_suspicious_badge(p)} {_meta_line(p.title, p.date, p.url, p.path, p.page, show_paths)}'
            f"<br>{_scores(p)}</summary>"
            f'<div class="rag-passage-text">{_passage_text_html(p)}</div></details>'
        )
    return f'<div class="rag-evidence"><div class="rag-evidence-head">{head}</div>{"".join(items)}</div>'


def citation_choices(citations: Sequence) -> list[tuple[str, str]]:
    """(label, value) pairs for the citation picker: label "[n] title (date)", value "n"."""
    out = []
    for c in citations:
        date = f" ({c.date})" if c.date else ""
        out.append((f"[{c.n}] {c.title}{date}", str(c.n)))
    return out


def citation_detail_html(citation, lookup, show_paths: bool = True) -> str:
    """One citation: metadata, the passage with the quote in <mark>, and the text around it.

    The quote's offsets are into the document text, like the passage's, so its
    place in the passage is ``citation.start - lookup.start``; if that does not
    match (it always should) the quote is searched for instead.
    """
    text = lookup.text
    at = citation.start - lookup.start
    if not (0 <= at and text[at:at + len(citation.quote)] == citation.quote):
        at = text.find(citation.quote)
    if at >= 0:
        end = at + len(citation.quote)
        passage = (f"{esc(text[:at])}<mark class=\"rag-quote\" data-start=\"{citation.start}\" "
                   f"data-end=\"{citation.end}\">{esc(citation.quote)}</mark>{esc(text[end:])}")
    else:
        passage = esc(text)
    before = f'<span class="rag-context">{esc(lookup.before)}</span>' if lookup.before else ""
    after = f'<span class="rag-context">{esc(lookup.after)}</span>' if lookup.after else ""
    where = esc(public_path(lookup.path, show_paths))
    return (
        f'<div class="rag-detail" id="rag-detail-{citation.n}" data-n="{citation.n}" data-path="{where}">'
        f'<div class="rag-detail-head"><span class="rag-detail-n">[{citation.n}]</span> '
        f"{_meta_line(lookup.title, lookup.date, lookup.url, None, lookup.page)}</div>"
        f'<div class="rag-detail-sub">support {citation.support:.2f} · characters {citation.start}–{citation.end} '
        f'of <span class="rag-path">{where}</span> · passage {esc(lookup.chunk_id)}</div>'
        f'<div class="rag-detail-text">{before}<span class="rag-chunk">{passage}</span>{after}</div>'
        "</div>"
    )


def detail_placeholder_html(has_citations: bool) -> str:
    if has_citations:
        return ('<div class="rag-empty">Click a <span class="rag-marker">[n]</span> marker in the answer, or pick a '
                "citation above, to see the passage with the quoted sentence highlighted.</div>")
    return '<div class="rag-empty">Citations appear here once an answer is verified.</div>'


def documents_html(docs: Sequence[dict], uploads_dir: str | None = None, show_paths: bool = True) -> str:
    """The document list as a table; every cell escaped. ``uploads_dir`` (resolved) marks uploaded files.

    The file column shows the file name; with ``show_paths`` its tooltip has the full path."""
    if not docs:
        return '<div class="rag-empty">The index holds no documents yet.</div>'
    rows = []
    for d in docs:
        uploaded = bool(uploads_dir and d.get("path") and Path(d["path"]).parent == Path(uploads_dir))
        origin = _link(d.get("url"), d.get("source") or d.get("url")) if safe_url(d.get("url")) else esc(d.get("source") or "")
        rows.append(
            "<tr>"
            f'<td class="rag-title">{esc(d.get("title") or "(untitled)")}</td>'
            f'<td class="rag-nowrap">{esc(d.get("date") or "")}</td>'
            f"<td>{origin}</td>"
            f'<td class="rag-num">{int(d.get("chunks") or 0)}</td>'
            f'<td class="rag-num">{int(d.get("chars") or 0):,}</td>'
            f'<td class="rag-path" title="{esc(public_path(d.get("path"), show_paths))}">{"⬆ " if uploaded else ""}{esc(_short_path(d.get("path"), 1))}</td>'
            f'<td class="rag-nowrap"><code>{esc(d.get("doc_id"))}</code></td>'
            f'<td class="rag-nowrap">{esc((d.get("added_at") or "")[:10])}</td>'
            "</tr>"
        )
    head = "<tr><th>Title</th><th>Date</th><th>Source</th><th>Passages</th><th>Characters</th><th>File</th><th>Id</th><th>Added</th></tr>"
    return (f'<div class="rag-docs-wrap"><table class="rag-docs"><thead>{head}</thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _short_path(path: str | None, keep: int = 2) -> str:
    parts = str(path or "").replace("\\", "/").split("/")
    return "/".join(parts[-keep:]) if len(parts) > keep else str(path or "")


def document_choices(docs: Sequence[dict]) -> list[tuple[str, str]]:
    return [(f"{d.get('title') or '(untitled)'} · {d.get('date') or 'no date'} · {d.get('doc_id')}", d["doc_id"]) for d in docs]


def status_html(state: str, detail: str = "") -> str:
    """The progress line under the chat; ``data-state`` lets tests and CSS follow the phases."""
    label = STATES.get(state, state)
    busy = state in ("retrieving", "generating", "verifying")
    spinner = '<span class="rag-spinner"></span>' if busy else ""
    text = " · ".join(x for x in (esc(label), esc(detail)) if x)
    return f'<div class="rag-status rag-status-{esc(state)}" data-state="{esc(state)}">{spinner}{text}</div>'


def header_html(summary: str) -> str:
    """The page title with the index summary (or the no-index notice) under it."""
    return ('<div class="rag-header"><h1>Ask your documents</h1><p class="rag-tagline">Answers only from your '
            f"corpus, every claim cited. Nothing leaves this machine.</p>{summary}</div>")


def index_summary_html(stats: dict, show_paths: bool = True) -> str:
    dates = ""
    if stats.get("first_date"):
        dates = f" · dated {esc(stats['first_date'])} to {esc(stats.get('last_date'))}"
    return (f'<div class="rag-summary"><strong>{int(stats.get("documents", 0))}</strong> documents · '
            f'<strong>{int(stats.get("chunks", 0))}</strong> passages{dates} · index '
            f'<code>{esc(public_path(stats.get("path"), show_paths))}</code></div>')


def no_index_html(index_dir: str, problem: str | None = None, show_paths: bool = True) -> str:
    """Shown instead of the summary when there is no usable index, with the way out.

    Without ``show_paths`` the index folder is not named (``problem`` must already be free of paths)."""
    shown = esc(index_dir) if show_paths else "DIR"
    where = f"at <code>{shown}</code>" if show_paths else "in the folder this server was started with"
    reason = esc(problem) if problem else f"There is no index {where} yet."
    tail = "" if show_paths else ", DIR being the index folder <code>rag ui</code> was started with"
    return (
        '<div class="rag-noindex"><strong>No documents to ask about.</strong> '
        f"{reason}<br>Build the sample corpus index with the button below, add your own files in the "
        "<em>Documents</em> tab, or from a terminal run<br>"
        f"<code>rag index --sample --index {shown}</code> or "
        f"<code>rag index PATH... --index {shown}</code>{tail}.</div>"
    )


def report_html(report: dict | None, rejected: Sequence[tuple[str, str]] = (), error: str | None = None) -> str:
    """What an upload or build did: counts, then every file that was not indexed and why."""
    lines = []
    if error:
        lines.append(f'<div class="rag-error">Indexing failed: {esc(error)}. The index was left as it was.</div>')
    if report is not None:
        dup = len(report.get("duplicates", []))
        lines.append(
            f'<div class="rag-ok">Indexed: {int(report.get("added", 0))} added, {int(report.get("updated", 0))} '
            f'updated, {int(report.get("unchanged", 0))} unchanged, {dup} duplicate{"s" if dup != 1 else ""}; '
            f'{int(report.get("chunks_added", 0))} passages embedded in {float(report.get("seconds", 0)):.1f} s.</div>'
        )
        for d in report.get("duplicates", []):
            lines.append(f'<div class="rag-warn">{esc(_short_path(d["path"], 1))}: same text as '
                         f"{esc(_short_path(d['same_as'], 1))}, not added twice.</div>")
        for s in report.get("skipped", []):
            lines.append(f'<div class="rag-warn">Skipped {esc(_short_path(s["path"], 1))}: {esc(s["reason"])}</div>')
    for name, reason in rejected:
        lines.append(f'<div class="rag-warn">Rejected {esc(name)}: {esc(reason)}</div>')
    return f'<div class="rag-report">{"".join(lines)}</div>' if lines else ""
