"""Reuters-21578 as an evaluation corpus (``rag eval reuters``).

A real newswire corpus the project did not write (``shared/data/reuters21578``,
research use only: it is read from there at run time and never copied into
the repository). The evaluation uses a fixed subset, the first two files
(``reut2-000.sgm`` and ``reut2-001.sgm``, NEWID 1-2000), and the project's
own question set about it, ``benchmarks/data/reuters_qa.json``.

The files are SGML, not XML: each article is one ``<REUTERS ... NEWID="n">``
element, parsed here on its own with regular expressions. Articles without a
``<BODY>`` (``TYPE="BRIEF"``, ``"UNPROC"``) are skipped. Each kept article is
written as a file in the product's news format (title, date ``YYYYMMDD``, a
URL-like id ``http://reuters-21578/NEWID``, then one paragraph per line) into
a work folder outside git, and indexed by the product like any user folder.

Every question is answered by the product (:class:`~rag.assistant.Assistant`)
with ``--prompt product``, or by the plain-prompt baseline
(:mod:`rag.evaluation.plain`) with ``--prompt plain``, and judged by
:func:`~rag.evaluation.metrics.judge_answer`: an answerable question is right
when the answer holds one of its accepted strings (normalised), an
unanswerable one when the system abstained. The product is scored twice from
one generation: ``verified`` (its answer) and ``unverified`` (the model's draft
before verification, abstaining only on the retrieval gate or a refusal).
"""

from __future__ import annotations

import html
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..errors import RagError
from .metrics import judge_answer, latency_summary

__all__ = [
    "SUBSET_FILES",
    "ReutersArticle",
    "parse_sgml",
    "read_sgml_file",
    "article_text",
    "write_subset",
    "url_for",
    "newid_of_url",
    "default_questions_path",
    "load_questions",
    "open_reuters_index",
    "evaluate_reuters",
    "summarize",
    "merge_result_files",
    "rejudge",
]

SUBSET_FILES = ("reut2-000.sgm", "reut2-001.sgm")
"""The files of the evaluation subset: NEWID 1-2000, 1,855 of them with a body."""

URL_PREFIX = "http://reuters-21578/"
"""The third header line of each written article, followed by its NEWID. The news loader needs an
http(s) URL there; this one names the collection and the article and points nowhere."""

_ARTICLE = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_NEWID = re.compile(r'\bNEWID="(\d+)"')
_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV",
                                       "DEC"), 1)}
_DATE = re.compile(r"(\d{1,2})-([A-Z]{3})-(\d{4})")
# Control characters survive in the bodies both raw and as references (&#3; ends every body,
# &#127; and &#22; appear in stray places); tabs and newlines are kept for paragraph splitting.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# A body's paragraphs start on a new line indented by spaces (or a tab); other line breaks wrap lines.
_PARAGRAPH_BREAK = re.compile(r"\n(?:[ \t]+|\s*\n)")
_SIGN_OFF = re.compile(r"\s*\breuter\s*$", re.I)


@dataclass(frozen=True)
class ReutersArticle:
    newid: int
    date: str
    """``YYYY-MM-DD`` from ``<DATE>``."""
    title: str
    dateline: str
    """E.g. ``SALVADOR, Feb 26 -``: where and when the story was filed ('' if none)."""
    paragraphs: tuple[str, ...]
    """The body, one paragraph per item, the dateline in front of the first, the closing "Reuter" dropped."""


def _element(block: str, tag: str) -> str | None:
    found = re.search(rf"<{tag}>(.*?)</{tag}>", block, re.S)
    return found.group(1) if found else None


def _clean(text: str) -> str:
    """Decode character references (``&lt;``, ``&#3;``) and drop the control characters they and the raw text hold."""
    return _CONTROL.sub("", html.unescape(text))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _iso_date(raw: str) -> str | None:
    found = _DATE.search(raw.upper())
    if not found or found.group(2) not in _MONTHS:
        return None
    day, month, year = int(found.group(1)), _MONTHS[found.group(2)], int(found.group(3))
    return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= day <= 31 else None


def parse_sgml(text: str) -> Iterator[ReutersArticle]:
    """The articles with a body in one SGML file's text, in file order."""
    for found in _ARTICLE.finditer(text):
        attributes, block = found.groups()
        newid = _NEWID.search(attributes)
        body = _element(block, "BODY")
        date = _iso_date(_element(block, "DATE") or "")
        if newid is None or body is None or date is None:
            continue
        title = _one_line(_clean(_element(block, "TITLE") or ""))
        dateline = _one_line(_clean(_element(block, "DATELINE") or ""))
        paragraphs = [_one_line(p) for p in _PARAGRAPH_BREAK.split(_clean(body).strip())]
        paragraphs = [p for p in paragraphs if p]
        if paragraphs:
            paragraphs[-1] = _SIGN_OFF.sub("", paragraphs[-1])
            paragraphs = [p for p in paragraphs if p]
        if not paragraphs:
            continue
        if dateline:
            paragraphs[0] = f"{dateline} {paragraphs[0]}"
        yield ReutersArticle(int(newid.group(1)), date, title or paragraphs[0][:80], dateline, tuple(paragraphs))


def read_sgml_file(path: str | os.PathLike[str]) -> list[ReutersArticle]:
    """Parse one ``reut2-NNN.sgm`` file (ASCII in practice; Latin-1 decodes any byte it might hold)."""
    try:
        return list(parse_sgml(Path(path).read_bytes().decode("latin-1")))
    except OSError as exc:
        raise RagError(f"cannot read {path}: {exc}") from None


def url_for(newid: int) -> str:
    return f"{URL_PREFIX}{newid}"


def newid_of_url(url: str | None) -> int | None:
    """The NEWID of an article written by :func:`write_subset`, from its URL (None for other documents)."""
    if url and url.startswith(URL_PREFIX) and url[len(URL_PREFIX):].isdigit():
        return int(url[len(URL_PREFIX):])
    return None


def article_text(article: ReutersArticle) -> str:
    """The article in the product's news format."""
    header = [article.title, article.date.replace("-", ""), url_for(article.newid)]
    return "\n".join(header + list(article.paragraphs)) + "\n"


def write_subset(data_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                 files: Iterable[str] = SUBSET_FILES) -> list[Path]:
    """Write the articles of ``files`` (under ``data_dir``) as ``NEWID.txt`` news files into ``out_dir``.

    Files whose content is already right are left alone (their modification time too), so
    an index built from the folder stays valid across runs. Returns the written paths.
    """
    data_dir, out_dir = Path(data_dir).expanduser(), Path(out_dir).expanduser()
    missing = [name for name in files if not (data_dir / name).is_file()]
    if missing:
        raise RagError(f"{data_dir} does not hold {', '.join(missing)}: --data expects the Reuters-21578 folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in files:
        for article in read_sgml_file(data_dir / name):
            path = out_dir / f"{article.newid:05d}.txt"
            content = article_text(article)
            if not path.exists() or path.read_text(encoding="utf-8") != content:
                path.write_text(content, encoding="utf-8")
            paths.append(path)
    return paths


# ---- the question set ---------------------------------------------------------------------
def default_questions_path() -> Path:
    """``benchmarks/data/reuters_qa.json`` of the source checkout (or of the working directory)."""
    from .results import default_results_dir

    return default_results_dir().parent / "data" / "reuters_qa.json"


def load_questions(path: str | os.PathLike[str] | None = None, split: str = "all",
                   limit: int | None = None, offset: int = 0) -> list[dict]:
    """The questions of ``split`` (``dev``, ``test`` or ``all``) in file order, from the ``offset``-th on,
    at most ``limit`` of them (a long run done in parts; :func:`summarize` merges their records)."""
    path = Path(path).expanduser() if path else default_questions_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RagError(f"cannot read the Reuters question set {path}: {exc}") from None
    rows = data.get("questions") if isinstance(data, dict) else None
    needed = {"id", "split", "question", "answerable", "answers"}
    if not isinstance(rows, list) or not all(isinstance(r, dict) and needed <= r.keys() for r in rows):
        raise RagError(f"{path} is not a question set (an object whose 'questions' items have {', '.join(sorted(needed))})")
    if split not in ("dev", "test", "all"):
        raise RagError(f"unknown split {split!r}: dev, test or all")
    rows = [r for r in rows if split == "all" or r["split"] == split][offset:]
    return rows[:limit] if limit is not None else rows


# ---- the corpus ---------------------------------------------------------------------------
def default_work_dir() -> Path:
    """``benchmarks/.work/reuters21578`` (git-ignored) of the source checkout, or of the working directory."""
    from .results import default_results_dir

    return default_results_dir().parent / ".work" / "reuters21578"


def open_reuters_index(data_dir, embedder, *, work_dir=None, index_dir=None, files: Iterable[str] = SUBSET_FILES,
                       log: Callable[[str], None] = lambda _: None):
    """Write the subset's articles into ``work_dir`` and open (building once) the product's index of them.

    Returns ``(index, info)``; ``info`` holds the index folder, whether it was reused, the build
    time, and the article count.
    """
    from .multihop import open_corpus_index

    folder = Path(work_dir).expanduser() if work_dir else default_work_dir()
    articles = folder / "articles"
    files = tuple(files)
    log(f"writing the {len(files)}-file Reuters subset to {articles}")
    paths = write_subset(data_dir, articles, files)
    index, info = open_corpus_index(articles, embedder, index_dir, log=log)
    return index, info | {"articles": len(paths), "files": list(files), "articles_dir": str(articles)}


# ---- answering and scoring ----------------------------------------------------------------
def _newids(passages) -> list[int | None]:
    return list(dict.fromkeys(newid_of_url(p.url) for p in passages))


def _answer_product(assistant, q: dict) -> dict:
    from .plain import declines

    stream = assistant.stream(q["question"])
    answer = stream.answer
    draft = stream.text.strip()
    draft_abstained = stream.abstain_reason is not None or declines(draft)
    shown = stream.evidence.passages if stream.evidence is not None else ()
    return {
        "answer": answer.text, "abstained": answer.abstained,
        "draft": draft, "draft_abstained": draft_abstained,
        # Where each citation points, not its quote: results files are committed, the corpus must not be.
        "citations": [{"n": c.n, "newid": newid_of_url(c.url), "start": c.start, "end": c.end}
                      for c in answer.citations],
        "outcome": answer.outcome,
        "left_out": [{"sentence": c.sentence, "reason": c.reason, "rule": c.rule} for c in answer.left_out],
        "conflicts": answer.conflicts,
        "retrieved": _newids(stream.passages), "shown": _newids(shown),
        "pre_abstained": stream.abstain_reason is not None,
        "verified": judge_answer(answer.text, answer.abstained, q["answers"], q["answerable"]),
        "unverified": judge_answer(draft, draft_abstained, q["answers"], q["answerable"]),
    }


def _answer_plain(assistant, q: dict) -> dict:
    from .plain import plain_answer

    plain = plain_answer(assistant, q["question"])
    return {
        "answer": plain.text, "abstained": plain.abstained,
        "retrieved": _newids(plain.passages), "shown": _newids(plain.passages),
        "plain": judge_answer(plain.text, plain.abstained, q["answers"], q["answerable"]),
    }


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summarize(records: list[dict], system: str, abstained_key: str = "abstained") -> dict:
    """Scores of one system over answered records (``record[system]`` is its correctness).

    ``wrong_when_answered`` is the share of answerable questions it answered (did not abstain
    on) whose answer is wrong: for the verified product, the "wrong but verified" rate.
    """
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]
    answered = [r for r in answerable if not r[abstained_key]]
    return {
        "questions": len(records),
        "accuracy": _share(sum(r[system] for r in records), len(records)),
        "answerable": len(answerable),
        "answerable_accuracy": _share(sum(r[system] for r in answerable), len(answerable)),
        "answerable_answered": len(answered),
        "wrong_when_answered": _share(sum(not r[system] for r in answered), len(answered)),
        "answerable_abstained": _share(sum(r[abstained_key] for r in answerable), len(answerable)),
        "unanswerable": len(unanswerable),
        "unanswerable_abstained": _share(sum(r[abstained_key] for r in unanswerable), len(unanswerable)),
    }


def evaluate_reuters(assistant, questions: list[dict], prompt: str = "product",
                     log: Callable[[str], None] = lambda _: None) -> dict:
    """Answer every question with ``prompt`` (``product`` or ``plain``) and score it; returns the results' body."""
    if prompt not in ("product", "plain"):
        raise RagError(f"unknown prompt {prompt!r}: product or plain")
    records, times = [], []
    for i, q in enumerate(questions, 1):
        t0 = time.perf_counter()
        got = _answer_product(assistant, q) if prompt == "product" else _answer_plain(assistant, q)
        times.append(time.perf_counter() - t0)
        record = {"id": q["id"], "split": q["split"], "question": q["question"], "answerable": q["answerable"],
                  "accepted": q["answers"], "doc_id": q.get("doc_id"), **got,
                  "gold_retrieved": q.get("doc_id") in got["retrieved"] if q.get("doc_id") else None,
                  "seconds": round(times[-1], 2)}
        records.append(record)
        marks = (f"verified={int(record['verified'])} unverified={int(record['unverified'])}" if prompt == "product"
                 else f"plain={int(record['plain'])}")
        log(f"  {i}/{len(questions)} {q['id']} ({'answerable' if q['answerable'] else 'unanswerable'}): {marks} "
            f"abstained={int(record['abstained'])} ({times[-1]:.1f} s)")
    if prompt == "product":
        systems = {"verified": summarize(records, "verified"),
                   "unverified": summarize(records, "unverified", "draft_abstained")}
    else:
        systems = {"plain": summarize(records, "plain")}
    with_gold = [r for r in records if r["gold_retrieved"] is not None]
    return {
        "prompt": prompt,
        "systems": systems,
        "gold_article_retrieved": _share(sum(r["gold_retrieved"] for r in with_gold), len(with_gold)),
        "seconds_per_answer": latency_summary(times),
        "records": records,
    }


def rejudge(record: dict) -> dict:
    """A results record judged again from its recorded texts with the current judge and abstention
    reading (:func:`~rag.evaluation.plain.declines`), so files written before a change to either stay comparable."""
    from .plain import declines

    r = dict(record)
    if "draft" in r:  # the product: the verified answer's abstention is the product's own
        r["draft_abstained"] = bool(r.get("pre_abstained")) or declines(r["draft"])
        r["verified"] = judge_answer(r["answer"], r["abstained"], r["accepted"], r["answerable"])
        r["unverified"] = judge_answer(r["draft"], r["draft_abstained"], r["accepted"], r["answerable"])
    else:
        r["abstained"] = declines(r["answer"])
        r["plain"] = judge_answer(r["answer"], r["abstained"], r["accepted"], r["answerable"])
    return r


def merge_result_files(paths: Iterable[str | os.PathLike[str]]) -> dict:
    """The systems' scores over the records of several results files of one prompt (a split run in
    parts with ``--offset``/``--limit``), each record judged again (:func:`rejudge`); a question
    answered in two files counts once (the later)."""
    records: dict[str, dict] = {}
    prompts = set()
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        prompts.add(data["prompt"])
        records.update({r["id"]: rejudge(r) for r in data["records"]})
    if len(prompts) != 1:
        raise RagError(f"results of different prompts cannot be merged: {sorted(prompts)}")
    rows = list(records.values())
    if prompts == {"plain"}:
        return {"prompt": "plain", "systems": {"plain": summarize(rows, "plain")}}
    return {"prompt": "product", "systems": {"verified": summarize(rows, "verified"),
                                             "unverified": summarize(rows, "unverified", "draft_abstained")}}
