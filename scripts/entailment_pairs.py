"""Premise/claim pairs labelled by construction, for training and testing rag/entailment.py's model.

No public NLI set is installable here, so the pairs are made from real news sentences by rules
whose label is known: a sentence entails itself, a shortened claim it states, a templated
rewording ("X said Y" -> "According to X, Y") and the claim framed as an answer to a question; it
does not entail a copy with two names or two figures swapped, a figure or date altered, the
subject replaced by a name from another passage, a negation inserted or removed, a relation made
up between two of its names, or a sentence from another passage on a similar story.

Names are capitalised word runs (not a sentence's first word unless the run is longer), figures
are found by regex: there is no tagger here, so a few pairs are wrong (a swap of the two sides of
a symmetric relation, "A met B", is still true). The held-out metrics measure the model on pairs
made the same way from passages it never saw; the fixed hand-written set in
tests/data/entailment_pairs.json measures it on pairs no rule made.

Pure Python and deterministic for a given ``random.Random``; imported by
scripts/train_entailment.py and tests/test_entailment.py.
"""

from __future__ import annotations

import re
import random
from dataclasses import dataclass
from pathlib import Path

import sys

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from index import split_sentences  # noqa: E402

POSITIVE_KINDS = ("copy", "shortened", "reworded", "framed", "role_question")
NEGATIVE_KINDS = ("name_swap", "figure_changed", "figure_swap", "neighbour_figure", "other_person", "negation",
                  "date_changed", "invented_relation", "other_passage", "role_question_wrong")
EASY_KINDS = ("other_passage", "invented_relation")
"""Negatives a lexical check already catches (little word overlap): fewer of them are kept."""

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Capitalised words that are not names: sentence openers, pronouns, calendar words.
NOT_NAMES = set(MONTHS) | set(WEEKDAYS) | {
    "The", "A", "An", "In", "On", "At", "But", "And", "Or", "If", "As", "It", "Its", "He", "She", "They", "We",
    "I", "You", "This", "That", "These", "Those", "There", "Here", "His", "Her", "Their", "Our", "My", "Your",
    "When", "While", "After", "Before", "For", "From", "With", "Without", "By", "To", "Of", "So", "Yet", "Not",
    "According", "Under", "Over", "Since", "Although", "Though", "However", "Also", "Then", "What", "Who", "Why",
    "How", "Where", "Which", "Mr", "Mrs", "Ms", "Dr", "Some", "Many", "Most", "All", "One", "Two", "Three",
    "Another", "Other", "Last", "Next", "First", "Now", "Still", "Even", "Just", "More", "Less", "Both", "Each",
    "Every", "No", "Yes", "Such", "Despite", "During", "Meanwhile", "Instead", "Because", "Once", "Only",
}
_WORD = r"[A-Z][\w'’&.-]*[\w]|[A-Z]"
_NAME_RUN = re.compile(rf"(?:{_WORD})(?:\s+(?:of\s+|de\s+|the\s+)?(?:{_WORD}))*")
_NUMBER = re.compile(r"(?<![\w.,])([$£€]\s?)?(\d+(?:[.,]\d+)*)(?![\w])(\s?(?:%|percent|per cent|million|billion|trillion)\b|%)?")
_YEAR = re.compile(r"^(19|20)\d\d$")
_AUX = re.compile(r"\b(is|was|are|were|has|have|had|will|would|can|could|should|may|might|must|does|did|do)\b(?! not\b| n't)")
_NEGATION = re.compile(r"\b(?:(is|was|are|were|has|have|had|will|would|can|could|should|does|did|do) not|never) ",
                       re.IGNORECASE)
_CONTRACTION = {"isn't": "is", "wasn't": "was", "aren't": "are", "weren't": "were", "hasn't": "has",
                "haven't": "have", "hadn't": "had", "won't": "will", "wouldn't": "would", "can't": "can",
                "couldn't": "could", "shouldn't": "should", "doesn't": "does", "didn't": "did", "don't": "do"}
_SAID = r"(?:said|says|told reporters|added|wrote|announced)"
_ROLE_TITLES = r"(?:CEO|CFO|CTO|COO|[a-z][a-z-]+)"


@dataclass(frozen=True)
class Passage:
    """One document's sentences (the title first, when it has one), with where it came from."""

    source: str
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Pair:
    premise: str
    hypothesis: str
    label: int  # 1: the premise states the hypothesis; 0: it does not
    kind: str


# ---- reading --------------------------------------------------------------------------------
def passage_from_file(path: Path) -> Passage:
    """Title + body sentences of a corpus file in the news format (title, date, url, then paragraphs).

    A Markdown file (the sample corpus's fact sheets) is read as plain paragraphs; headings and list
    markers are dropped.
    """
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.split("\n")
    if path.suffix == ".txt" and len(lines) >= 3 and re.fullmatch(r"\d{8}", lines[1].strip()):
        title, body = lines[0].strip(), "\n".join(lines[3:])
        sentences = [title] if title else []
    else:
        body = "\n".join(re.sub(r"^\s*(?:#+|[-*]|\d+\.)\s*", "", line) for line in lines
                         if not line.lstrip().startswith("|"))
        sentences = []
    sentences += [body[s.start:s.end] for s in split_sentences(body)]
    return Passage(path.name, tuple(s for s in (clean(x) for x in sentences) if usable(s)))


def clean(sentence: str) -> str:
    return re.sub(r"\s+", " ", sentence.replace("**", "")).strip()


def usable(sentence: str) -> bool:
    words = sentence.split()
    return 5 <= len(words) <= 70 and not sentence.startswith("http")


# ---- finding names and figures -------------------------------------------------------------
def names(sentence: str) -> list[str]:
    """Distinct capitalised word runs, in order; a run at the sentence start loses its first word
    (it is capitalised anyway) unless that word is a name and the run has more words."""
    found: list[str] = []
    words_all = re.findall(r"[A-Za-z][\w'’-]*", sentence)
    if words_all and sum(w[0].isupper() for w in words_all) > 0.6 * len(words_all):
        return found  # a headline in title case: every word is capitalised
    for m in _NAME_RUN.finditer(sentence):
        run = m.group(0).rstrip(".")
        words = run.split()
        if m.start() == 0 or sentence[:m.start()].rstrip().endswith(("“", '"', ":", "?", "!")):
            if words[0] in NOT_NAMES or len(words) == 1:
                words = words[1:]
        while words and words[0] in NOT_NAMES:
            words = words[1:]
        while words and words[-1] in ("of", "de", "the"):
            words = words[:-1]
        run = " ".join(words)
        if run and run not in NOT_NAMES and not run.isdigit() and len(run) > 1 and run not in found:
            found.append(run)
    return found


def figures(sentence: str) -> list[re.Match]:
    """Numbers (with currency sign or unit) that are not years."""
    return [m for m in _NUMBER.finditer(sentence) if not (_YEAR.match(m.group(2)) and not m.group(1))]


def years(sentence: str) -> list[re.Match]:
    return [m for m in re.finditer(r"\b(?:19|20)\d\d\b", sentence)]


def _replace_span(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def _swap_all(text: str, a: str, b: str) -> str:
    marker = "\x00"
    pattern_a = re.compile(rf"(?<![\w]){re.escape(a)}(?![\w])")
    pattern_b = re.compile(rf"(?<![\w]){re.escape(b)}(?![\w])")
    text = pattern_a.sub(marker, text)
    text = pattern_b.sub(lambda _: a, text)
    return text.replace(marker, b)


def _other_number(value: str, rng: random.Random) -> str:
    """A different number written like ``value`` (same separators and decimals)."""
    plain = value.replace(",", "")
    decimals = len(plain.split(".")[1]) if "." in plain else 0
    number = float(plain)
    for _ in range(20):
        if number < 20 and decimals == 0:
            new = number + rng.choice((-3, -2, -1, 1, 2, 3, 5))
        else:
            new = number * rng.choice((0.5, 0.6, 0.75, 1.25, 1.4, 1.5, 2, 3))
        if new > 0 and round(new, decimals) != round(number, decimals):
            break
    text = f"{new:,.{decimals}f}" if "," in value else f"{new:.{decimals}f}"
    return text


# ---- positives ------------------------------------------------------------------------------
def shortened(sentence: str) -> str | None:
    """The sentence without a trailing clause (or a leading adverbial), keeping subject, verb and
    object and at least one figure when it has one."""
    body = sentence.rstrip(".!?\"” ")
    cut = None
    for m in re.finditer(r",\s|\s(?:and|while|which|who|as|after|but|because|with|including)\s|\s[—–-]\s", body):
        prefix = body[:m.start()]
        if len(prefix.split()) >= 6 and prefix.count('"') % 2 == 0 and prefix.count("“") == prefix.count("”"):
            if not figures(body) or figures(prefix):
                cut = prefix
                break
    if cut is None:
        lead = re.match(r"^((?:In|On|At|During|After|Before|Last|This|Earlier)\b[^,]{0,40}),\s+(.*)$", body)
        if lead and len(lead.group(2).split()) >= 5:
            rest = lead.group(2)
            cut = rest[0].upper() + rest[1:]
    if cut is None or cut == body:
        return None
    return cut.rstrip(",;: ") + "."


def reworded(sentence: str) -> str | None:
    """"X said Y" -> "According to X, Y"; "Y, X said." -> "According to X, Y."; else None."""
    s = sentence.rstrip()
    m = re.match(rf"^(.{{3,80}}?) {_SAID} (?:that )?(.{{15,}})$", s)
    if m and not re.search(r"[,\"“]", m.group(1)) and m.group(1)[0].isupper():
        speaker, claim = m.group(1), m.group(2)
        if speaker.split()[0] in ("He", "She", "They", "It", "We", "I"):
            return None
        return f"According to {speaker}, {claim}"
    m = re.match(rf"^[\"“]?(.{{15,}}?),?[\"”]? ({names_pattern()}) {_SAID}\.?$", s)
    if m:
        claim = m.group(1).rstrip(",")
        return f"According to {m.group(2)}, {claim[0].lower() + claim[1:] if not _starts_with_name(claim) else claim}."
    return None


SAFE_REWORDINGS = ((r"\bsaid\b", "stated"), (r"\bsays\b", "states"), (r" percent\b", "%"), (r" per cent\b", "%"),
                   (r"\bmore than\b", "over"), (r"\babout\b(?= \d)", "around"), (r"\bbought\b", "purchased"),
                   (r"\bstarted\b", "began"), (r"\bbegan\b", "started"), (r"\bannounced\b", "said"),
                   (r"\bapproximately\b", "about"), (r"\bfell\b", "dropped"), (r"\brose\b", "increased"))


def reworded_lexically(sentence: str, rng: random.Random) -> str | None:
    """A faithful rewording by safe substitutions (said -> stated, 7 percent -> 7%, isn't -> is not)."""
    options = [(pattern, new) for pattern, new in SAFE_REWORDINGS if re.search(pattern, sentence)]
    options += [(rf"\b{re.escape(short)}\b", f"{full} not") for short, full in _CONTRACTION.items()
                if re.search(rf"\b{re.escape(short)}\b", sentence.replace("’", "'"))]
    if not options:
        return None
    text = sentence.replace("’", "'") if any(" not" in new for _, new in options) else sentence
    for pattern, new in rng.sample(options, min(2, len(options))):
        text = re.sub(pattern, new, text, count=1)
    return text if text != sentence else None


def appositive_dropped(sentence: str) -> str | None:
    """"The current mayor, Daniel Osei, took office" -> "The current mayor took office"."""
    m = re.search(r", ([^,\"“”]{3,60}), (?=[a-z])", sentence)
    if not m or len(sentence[:m.start()].split()) < 2:
        return None
    return sentence[:m.start()] + " " + sentence[m.end():]


def names_pattern() -> str:
    return r"[A-Z][\w'’.-]+(?: [A-Z][\w'’.-]+)*"


def _starts_with_name(text: str) -> bool:
    first = re.split(r"['’]", text.split()[0])[0] if text.split() else ""
    return first not in NOT_NAMES and first[:1].isupper()


FRAMES = ("According to the report, {}", "The coverage says that {}", "It was reported that {}",
          "The article states that {}")


def framed(claim: str, rng: random.Random) -> str:
    """The claim as an answer would put it: "According to the report, ..."."""
    body = claim if _starts_with_name(claim) else claim[0].lower() + claim[1:]
    return rng.choice(FRAMES).format(body)


ROLE_NOUNS = ("spokesman", "spokeswoman", "spokesperson", "chief", "executive", "director", "secretary", "minister",
              "president", "chair", "chairman", "chairwoman", "manager", "coach", "captain", "striker", "librarian",
              "officer", "mayor", "engineer", "teacher", "analyst", "founder", "CEO", "CFO", "CTO", "COO", "head",
              "leader", "governor", "senator", "judge", "economist", "professor", "researcher", "scientist",
              "quarterback", "receiver", "defender", "midfielder", "goalkeeper", "forward", "guard", "pitcher",
              "owner", "editor", "lawyer", "attorney", "prosecutor", "commissioner", "star", "player", "singer",
              "actor", "rapper", "champion", "councillor", "designer", "investor", "partner", "winger", "boss")
_ROLE = re.compile(rf"(?:(?<=^)|(?<=[\s,(]))((?:[A-Z][\w.&'’-]+ ){{0,3}}(?:[a-z][\w-]+ )?(?i:{'|'.join(ROLE_NOUNS)})) "
                   rf"([A-Z][\w'’-]+(?: [A-Z][\w'’-]+){{1,2}})(?![\w'’-])(,? {_SAID})?")


def role_and_name(sentence: str) -> tuple[str, str, bool] | None:
    """("Kremlin spokesman", "Dmitry Peskov", True) from "Kremlin spokesman Dmitry Peskov said ..."
    (True: the person is quoted)."""
    for m in _ROLE.finditer(sentence):
        role, person = m.group(1), m.group(2)
        words = role.split()
        if words[0] in NOT_NAMES or person.split()[0] in NOT_NAMES:
            continue
        if m.start() == 0 and len(words) == 1 or words[0] in ("Head", "Chief", "Senior", "Deputy", "Former"):
            role = role[0].lower() + role[1:]  # capitalised only because it starts the sentence
        return role, person, bool(m.group(3))
    return None


def role_question(role: str, person: str, quoted: bool, rng: random.Random) -> str:
    """A restated question answered with a name: "The Kremlin spokesman quoted in the coverage is Dmitry Peskov."."""
    where = rng.choice(("quoted in the coverage", "quoted in the report", "cited")) if quoted else \
        rng.choice(("mentioned in the coverage", "named in the report", "in question"))
    return f"The {role} {where} is {person}."


# ---- negatives ------------------------------------------------------------------------------
def name_swap(sentence: str, rng: random.Random) -> str | None:
    """Two names of the sentence exchanged (not two joined by a bare "and" or comma: a list's order
    says nothing)."""
    found = [n for n in names(sentence) if sentence.count(n) == 1]
    pairs = []
    for i, a in enumerate(found):
        for b in found[i + 1:]:
            if a in b or b in a:
                continue
            ia, ib = sentence.index(a), sentence.index(b)
            left, right = (a, b) if ia < ib else (b, a)
            between = sentence[sentence.index(left) + len(left):sentence.index(right)]
            if re.fullmatch(r"\s*(?:,|and|or|&|, and|vs\.?|versus)?\s*", between):
                continue
            pairs.append((a, b))
    if not pairs:
        return None
    a, b = rng.choice(pairs)
    return _swap_all(sentence, a, b)


def figure_changed(sentence: str, rng: random.Random) -> str | None:
    found = figures(sentence)
    if not found:
        return None
    m = rng.choice(found)
    return _replace_span(sentence, m.start(2), m.end(2), _other_number(m.group(2), rng))


def _shape(m: re.Match) -> tuple[str, str]:
    """What kind of quantity a figure is: its currency sign and unit."""
    return ((m.group(1) or "").strip(), (m.group(3) or "").strip().replace("per cent", "percent").replace("%", "percent"))


def _same_shape_pairs(sentence: str) -> list[tuple[re.Match, re.Match]]:
    def alone(m: re.Match) -> bool:  # not part of a score, time or ratio ("4-1", "10:03", ".349/.421")
        return sentence[m.start() - 1:m.start()] not in ("-", ":", "/", "–") and \
            sentence[m.end():m.end() + 1] not in ("-", ":", "/", "–")

    found = [m for m in figures(sentence) if alone(m)]
    return [(a, b) for i, a in enumerate(found) for b in found[i + 1:]
            if a.group(0) != b.group(0) and _shape(a) == _shape(b)]


def figure_swap(sentence: str, rng: random.Random) -> str | None:
    """Two different figures of the same kind exchanged: each item of an enumeration gets its neighbour's."""
    pairs = _same_shape_pairs(sentence)
    if not pairs:
        return None
    a, b = rng.choice(pairs)
    return sentence[:a.start()] + b.group(0) + sentence[a.end():b.start()] + a.group(0) + sentence[b.end():]


def neighbour_figure(sentence: str) -> tuple[str, str] | None:
    """(true, false): the sentence cut at the end of its first figure's item ("35 shops had reported
    damage, and 12 ..." -> "35 shops had reported damage."), and the same claim with the next figure
    of the same kind in its place -- the number that belongs to the neighbouring item."""
    pairs = _same_shape_pairs(sentence)
    if not pairs:
        return None
    first, second = pairs[0]
    end = re.search(r"[,;(]|\s(?:and|while|but|compared)\s|[.!?]?$", sentence[first.end():])
    stop = first.end() + (end.start() if end else 0)
    if stop > second.start():
        return None  # both figures in one item ("voted 9 to 2"): there is no neighbouring item
    claim = sentence[:stop].rstrip(",;:—–- ")
    if len(claim.split()) < 4 or claim.count('"') % 2 or claim.count("“") != claim.count("”"):
        return None
    false = claim[:first.start()] + second.group(0) + claim[first.end():]
    return claim + ".", false + "."


def other_person(sentence: str, pool: list[str], rng: random.Random) -> str | None:
    """The sentence's speaker or first name replaced by a name the passage never mentions."""
    found = names(sentence)
    if not found or not pool:
        return None
    said = re.search(rf"({names_pattern()}),? {_SAID}", sentence)
    target = said.group(1) if said and said.group(1) in found else found[0]
    width = len(target.split())
    candidates = [p for p in pool if len(p.split()) == width and p not in sentence and target not in p]
    if not candidates:
        candidates = [p for p in pool if p not in sentence]
    if not candidates:
        return None
    return re.sub(rf"(?<![\w]){re.escape(target)}(?![\w])", rng.choice(candidates).replace("\\", ""), sentence, count=1)


def negated(sentence: str) -> str | None:
    """"is" -> "is not" at the first auxiliary, or the negation taken out of a negative sentence."""
    for word, plain in _CONTRACTION.items():
        hit = re.search(rf"\b{re.escape(word)}\b", sentence, re.IGNORECASE)
        if hit:
            return _replace_span(sentence, hit.start(), hit.end(), plain)
    hit = re.search(r"\bno longer\b", sentence)
    if hit:
        return _replace_span(sentence, hit.start(), hit.end(), "still")
    if re.search(r"\b(?:not|never|no|nobody|nothing|none)\b", sentence):
        hit = _NEGATION.search(sentence)
        return _replace_span(sentence, hit.start(), hit.end(), (hit.group(1) + " ") if hit.group(1) else "") \
            if hit else None
    hit = _NEGATION.search(sentence)
    if hit:
        kept = hit.group(1)
        return _replace_span(sentence, hit.start(), hit.end(), (kept + " ") if kept else "")
    hit = _AUX.search(sentence)
    if hit:
        return _replace_span(sentence, hit.end(), hit.end(), " not")
    return None


def date_changed(sentence: str, rng: random.Random) -> str | None:
    """A year, month or weekday replaced by another."""
    options = []
    for m in years(sentence):
        options.append((m.start(), m.end(), str(int(m.group(0)) + rng.choice((-2, -1, 1, 2)))))
    for group in (MONTHS, WEEKDAYS):
        for m in re.finditer(r"\b(" + "|".join(group) + r")\b", sentence):
            if group is MONTHS and m.group(0) == "May" and not re.match(r"May \d", sentence[m.start():]):
                continue  # "may" the verb at a sentence start
            options.append((m.start(), m.end(), rng.choice([g for g in group if g != m.group(0)])))
    if not options:
        return None
    start, end, new = rng.choice(options)
    return _replace_span(sentence, start, end, new)


INVENTED = ("{a} worked for {b} before joining {c}.", "{a} is a subsidiary of {b}.", "{a} owns {b}.",
            "{a} was acquired by {b}.", "{a} is the chief executive of {b}.", "{a} signed a contract with {b}.",
            "{a} criticised {b}.", "{a} said that {b} would take part.", "{a} and {b} announced a partnership.",
            "{a} has sued {b}.")


def invented_relation(premise_names: list[str], rng: random.Random, pool: list[str]) -> str | None:
    """A relation between two names the premise mentions that the premise does not state."""
    if len(premise_names) < 2:
        return None
    a, b = rng.sample(premise_names, 2)
    template = rng.choice(INVENTED)
    c = next((n for n in premise_names if n not in (a, b)), None) or (rng.choice(pool) if pool else "Acme")
    return template.format(a=a, b=b, c=c)


# ---- pairs ----------------------------------------------------------------------------------
def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[\w']+", text) if len(w) > 3}


def _overlap(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


def nearest_passages(passages: list[Passage]) -> list[int]:
    """For each passage, the index of the most similar other one (shared names and long words)."""
    keys = [_words(" ".join(p.sentences)) | {n.lower() for s in p.sentences for n in names(s)} for p in passages]
    out = []
    for i, key in enumerate(keys):
        best, score = (i + 1) % len(passages), -1.0
        for j, other in enumerate(keys):
            if j != i:
                s = len(key & other) / max(1, len(key | other))
                if s > score:
                    best, score = j, s
        out.append(best)
    return out


def premise_for(passage: Passage, index: int, neighbour: Passage, rng: random.Random) -> str:
    """One to three sentences with sentence ``index`` among them: alone, with its passage
    neighbours, or with a sentence of a similar passage (a distractor)."""
    target = passage.sentences[index]
    roll = rng.random()
    if roll < 0.35:
        return target
    if roll < 0.75 and len(passage.sentences) > 1:
        size = rng.choice((2, 3))
        start = max(0, min(index - rng.randrange(size), len(passage.sentences) - size))
        return " ".join(passage.sentences[start:start + size])
    extra = [s for s in neighbour.sentences if _overlap(s, target) < 0.6]
    if not extra:
        return target
    chosen = rng.sample(extra, min(len(extra), rng.choice((1, 2))))
    parts = chosen + [target]
    rng.shuffle(parts)
    return " ".join(parts)


def speakers(sentence: str) -> list[str]:
    """Names of people quoted in the sentence ("Ruth Okonkwo said", "spokesman Dmitry Peskov said")."""
    found = [m.group(1) for m in re.finditer(rf"(?<![\w])((?:[A-Z][\w'’-]+ ){{1,2}}[A-Z][\w'’-]+),? {_SAID}", sentence)]
    return [f for f in found if f.split()[0] not in NOT_NAMES and f in names(sentence)]


def pairs_for_passage(passage: Passage, neighbour: Passage, pool: list[str], rng: random.Random,
                      persons: list[str] | None = None) -> list[Pair]:
    """Every pair kind that applies to each sentence of the passage (at most one of each kind)."""
    out: list[Pair] = []
    for i, sentence in enumerate(passage.sentences):
        premise = premise_for(passage, i, neighbour, rng)

        def add(hypothesis: str | None, label: int, kind: str, where: str = premise) -> None:
            if hypothesis and hypothesis.strip() and (label == 1 or hypothesis.strip() != sentence.strip()):
                out.append(Pair(where, hypothesis.strip(), label, kind))

        short = shortened(sentence)
        # A negative is sometimes made from the shortened claim, so that length is no cue.
        base = short if short and rng.random() < 0.5 else sentence
        add(sentence, 1, "copy")
        add(short, 1, "shortened")
        add(reworded(sentence) or reworded_lexically(sentence, rng), 1, "reworded")
        add(appositive_dropped(sentence), 1, "shortened")
        add(framed(short or sentence, rng), 1, "framed")
        role = role_and_name(sentence)
        if role:
            title, person, quoted = role
            add(role_question(title, person, quoted, rng), 1, "role_question")
            others = [n for n in names(premise) if n != person and person not in n and n not in title
                      and len(n.split()) > 1]
            outside = [p for p in (persons or pool) if p not in premise]
            wrong = rng.choice(others) if others and rng.random() < 0.6 else (rng.choice(outside) if outside else None)
            if wrong:
                add(role_question(title, wrong, quoted, rng), 0, "role_question_wrong")
        add(name_swap(base, rng) or name_swap(sentence, rng), 0, "name_swap")
        add(figure_changed(base, rng) or figure_changed(sentence, rng), 0, "figure_changed")
        add(figure_swap(sentence, rng), 0, "figure_swap")
        near = neighbour_figure(sentence)
        if near:
            add(near[0], 1, "shortened")
            add(near[1], 0, "neighbour_figure")
        quoted = speakers(base)
        add(other_person(base, persons if quoted and persons else pool, rng), 0, "other_person")
        if not sentence.rstrip().endswith("?"):
            add(negated(base), 0, "negation")
        add(date_changed(base, rng) or date_changed(sentence, rng), 0, "date_changed")
        add(invented_relation(names(premise), rng, pool), 0, "invented_relation")
        candidates = [s for s in neighbour.sentences if _overlap(s, premise) < 0.5]
        candidates += [s for j, s in enumerate(passage.sentences) if j != i and s not in premise
                       and _overlap(s, premise) < 0.5]
        if candidates:
            add(rng.choice(candidates), 0, "other_passage")
    # Frame some negatives the way positives are framed, so that the frame is no cue either.
    return [Pair(p.premise, framed(p.hypothesis, rng), 0, p.kind)
            if p.label == 0 and p.kind not in ("role_question_wrong", "invented_relation") and rng.random() < 0.15
            else p for p in out]


def generate(passages: list[Passage], seed: int, rounds: int = 1) -> list[Pair]:
    """Pairs from ``rounds`` passes over the passages (each pass draws new premises, swaps and
    figures), de-duplicated, in a fixed shuffled order."""
    rng = random.Random(seed)
    passages = [p for p in passages if p.sentences]
    nearest = nearest_passages(passages)
    by_passage = [[n for s in p.sentences for n in names(s)] for p in passages]
    quoted = [[n for s in p.sentences for n in speakers(s)] for p in passages]
    pairs: list[Pair] = []
    for _ in range(rounds):
        for i, passage in enumerate(passages):
            own = set(by_passage[i])
            pool = [n for j, found in enumerate(by_passage) if j != i for n in found
                    if n not in own and not any(n in o or o in n for o in own)]
            pool = rng.sample(pool, min(200, len(pool)))
            persons = sorted({n for j, found in enumerate(quoted) if j != i for n in found if n not in own})
            pairs += pairs_for_passage(passage, passages[nearest[i]], pool, rng, persons)
    unique = list({(p.premise, p.hypothesis): p for p in pairs}.values())
    rng.shuffle(unique)
    return unique


def balance(pairs: list[Pair], seed: int, cap_per_kind: int, cap_easy: int | None = None) -> list[Pair]:
    """At most ``cap_per_kind`` pairs of each kind (``cap_easy`` of :data:`EASY_KINDS`), then as
    many positives as negatives."""
    rng = random.Random(seed)
    kept: list[Pair] = []
    for kind in POSITIVE_KINDS + NEGATIVE_KINDS:
        group = [p for p in pairs if p.kind == kind]
        cap = cap_easy if cap_easy is not None and kind in EASY_KINDS else cap_per_kind
        kept += group[:cap]
    positives = [p for p in kept if p.label == 1]
    negatives = [p for p in kept if p.label == 0]
    n = min(len(positives), len(negatives))
    rng.shuffle(positives)
    rng.shuffle(negatives)
    out = positives[:n] + negatives[:n]
    rng.shuffle(out)
    return out
