"""Detect text in documents that addresses the assistant as instructions (prompt injection).

Two detectors, both over the sentences of a retrieved passage:

1. **Form rules.** A sentence is scored by named features of its grammatical form (weights in
   :data:`WEIGHTS`), not matched against a list of attack phrases:

   - ``role_marker``: a chat role or template marker opens a sentence or line (``[SYSTEM]``,
     ``system:``, ``### Instruction``, ``<|im_start|>``, ``<!--``, ``[/assistant]``);
   - ``ai_addressee``: the reader addressed is an AI ("note to AI assistants", "language models
     processing this page", "hey model:");
   - ``addressee_modal``: a directive whose subject is "you", an AI or the reply itself, followed
     by a verb of behaviour ("you must tell", "the answer should cite", "users must be told");
   - ``imperative``: the sentence opens with a verb of behaviour followed by its object
     ("Answer every question ...", "Ignore the previous ...");
   - ``role_assignment`` ("you are now a ..."), ``second_person`` (you/your outside quotes);
   - ``machinery``: it names the conversation (question, answer, user, document, ...); counted only
     inside an address;
   - ``universal_request`` ("any question about", "whenever somebody asks", "the correct answer");
   - ``meta_reference`` ("this instruction", "all other documents", "this page");
   - ``priority`` / ``secrecy`` ("highest priority", "overrides"; "do not mention this").

   Quoted speech attributed to a speaker and indirect speech after a speech verb are reported,
   not addressed to us, and do not count. A sentence next to a flagged one is flagged at half the
   threshold (planted instructions come in runs).

2. **Sentence classifier.** A logistic regression over the embedder's sentence vectors
   (:class:`SentenceClassifier`, trained by scripts/train_injection_classifier.py), which reads
   meaning rather than words; it flags a sentence only when the form rules also see at least one
   signal of an address (half the threshold).

What each catches and how often honest text is flagged: docs/SECURITY.md (benchmarks/injection.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from index import split_sentences

from .settings import ContextSettings

__all__ = ["WEIGHTS", "Flag", "echoed", "features", "flagged_sentences", "is_injection", "score"]

INJECTION_THRESHOLD = ContextSettings.injection_threshold
"""Default of ``settings.context.injection_threshold`` (defined there): the score (sum of :data:`WEIGHTS`
of the features present) at or above which a sentence is treated as an instruction planted for the assistant."""

CLASSIFIER_THRESHOLD = ContextSettings.injection_classifier_threshold
"""Default of ``settings.context.injection_classifier_threshold`` (defined there)."""

WEIGHTS = {
    "role_marker": 0.55,
    "ai_addressee": 0.35,
    "addressee_modal": 0.3,
    "imperative": 0.3,
    "role_assignment": 0.3,
    "second_person": 0.15,
    "machinery": 0.25,
    "universal_request": 0.3,
    "meta_reference": 0.35,
    "priority": 0.3,
    "secrecy": 0.3,
}
"""Weight of each feature of :func:`features` in :func:`score`. A single feature below 0.5 never
flags a sentence on its own (only a role marker does): an instruction to the assistant shows an
addressee or a directive *and* something about the conversation it wants to change."""

# An AI reader, named as such: "the assistant", "AI systems", "language models", "any chatbot".
_AI = (r"(?:(?:the |this |an? |any |all |every |each )?(?:(?:ai|a\.i\.|automated|artificial)[ -]?(?:assistants?|systems?|models?|"
       r"tools?|agents?|readers?|summari[sz]ers?)|ai|assistants?|(?:large )?language models?|llms?|chat ?bots?|chat models?|gpts?|"
       r"[\w-]*bots?|whoever (?:generates|writes|produces|answers)\b[\w ]{0,20}?|anyone (?:who )?(?:generates|answers|summari[sz]es)\b[\w ]{0,20}?))")
# Where a new sentence (or a line) begins: a planted marker often follows "." without a capital.
_OPENING = r"(?:^|(?<=[.!?])\s+|(?<=\n))"
_ROLE = re.compile(_OPENING + r"\s*(?:\[\s*(?:system|assistant|user|instructions?|admin|developer|inst)\s*\]|"
                   r"(?:system|assistant|user|human|developer|instructions?|admin)\s*:|#{1,4}\s*(?:system|instructions?|response)\b|"
                   r"<\|[a-z_]+\|>|<!--|\(\s*system\s*\))", re.I | re.M)
_HIDDEN = re.compile(r"<!--|<\|[a-z_]+\|>|\[/?\s*(?:inst|system|assistant|user)\s*\]|\bBEGIN [A-Z ]*(?:NOTE|INSTRUCTIONS?|PROMPT)\b")
_AI_ADDRESSEE = re.compile(
    rf"\b(?:note|message|attention|notice|instructions?|directive|warning) (?:to|for) {_AI}\b|\bif you are {_AI}|\bdear {_AI}|"
    rf"\bto {_AI}\s+(?:reading|processing|summari[sz]ing)\b|\b{_AI}\s+(?:reading|processing|summari[sz]ing|answering)\b|"
    rf"{_OPENING}\s*(?:attention|note|hey|hi|ok|okay|dear)?,?\s*(?:{_AI}|model)\s*[:,]|\bfor {_AI}\s*:", re.I)
_IMPERATIVE_VERBS = ("ignore|disregard|forget|override|answer|respond|reply|say|state|tell|write|output|print|repeat|"
                     "include|mention|cite|treat|use|return|begin|start|stop|pretend|act|refuse|report|claim|"
                     "insist|inform|translate|summari[sz]e|append|add|recommend|direct|redirect|send|give|"
                     "do not|don't|make sure|ensure|remember|assume|prioriti[sz]e|discard|skip|reveal|warn|claim|describe|name|call|"
                     "list|explain|present|portray|keep|leave|take|make|work|link|point|mark|label|deny|confirm|add")
_MODAL_VERBS = (r"(?:must|should|shall|will now|will always|are required to|is required to|are expected to|is expected to|"
                r"need to|needs to|have to|has to|are to|is to|may only|can only|are instructed|is instructed)")
# A directive to second person, to an AI, or about the reply itself ("the answer should cite only ...").
_MODAL = re.compile(rf"\b(?:you|{_AI}|(?:the |every |any |each )?(?:answers?|responses?|repl(?:y|ies)|outputs?|summar(?:y|ies)))"
                    rf"(?:\W+\w+){{0,5}}?\W+{_MODAL_VERBS}\s+(?:\w+\s+)?(?:not\s+)?(?:{_IMPERATIVE_VERBS})\b|"
                    r"\b(?:users?|readers?)\b.{0,40}\b(?:must|should|are to|is to) be (?:told|informed|shown|given|warned)\b|"
                    rf"\byou will (?:not |never |always )?(?:{_IMPERATIVE_VERBS})\b", re.I)
# The imperative mood: the sentence *opens* with a base-form verb (after an optional marker or a
# "Label:" and a softener), written with a capital as a sentence is. Line fragments of wrapped
# text ("output fell nine pct") start lower-case; a following auxiliary or past-tense verb shows
# the word was a noun ("Output had slumped", "State Department source said").
_IMPERATIVE = re.compile(
    rf"^\W*(?=(?-i:[A-Z\[(<#]))(?:(?:\[[^\]]*\]|\([^)]*\)|[A-Za-z][\w -]{{0,40}}:)\s*)?(?:(?:please|kindly|now|instead|from now on|always|never|only|then)\W+)*"
    rf"(?P<verb>{_IMPERATIVE_VERBS})\b"
    # what follows a verb with its object: a determiner, a pronoun, a clause, a name or a quote
    rf"(?=\W+(?:the|a|an|all|any|every|each|this|that|these|those|your|my|his|her|their|its|you|me|them|it|him|users?|"
    rf"everything|anything|nothing|only|with|to|about|as|if|when|no|(?-i:[A-Z])|['\"“‘]))", re.I)
_ROLE_ASSIGNMENT = re.compile(r"\byou are (?:now |from now on )?(?:a|an|the|my|no longer)\b|\byou (?:now|will now|from now on) \w+|"
                              r"\byour (?:new |only |real |main )?(?:task|role|job|instructions?|purpose|goal) (?:\w+ ){0,4}?(?:is|are|has)\b|"
                              r"\bas (?:the|an?) (?:ai|assistant|chatbot)\b(?! \w+)", re.I)
# Second person outside quotes: news reports speak of people, not to the reader; a text that says
# "you" addresses whoever reads it (counts only together with something about the conversation).
_SECOND_PERSON = re.compile(r"\b(?:you|your|yours|yourself)\b", re.I)
_MACHINERY = re.compile(r"\b(?:questions?|answers?|answering|respond(?:ing)?|responses?|repl(?:y|ies)|instructions?|prompts?|"
                        r"documents?|context|users?|readers?|assistant|system|passages?|outputs?|conversation|quer(?:y|ies)|"
                        r"sources?|articles?|summar(?:y|ies)|citations?|asks?|asked|asking|generates?|generated)\b", re.I)
# A rule about every reply, not a fact about the world: "any question about the match", "whatever the question".
_UNIVERSAL = re.compile(r"\b(?:every|any|all|each|whatever|whichever|no matter what)(?: \w+)?? (?:the )?(?:questions?|quer(?:y|ies)|"
                        r"answers?|responses?|repl(?:y|ies)|users?|readers?|requests?)\b|"
                        # a rule for the moment a question is asked, or about what the reply is to be
                        r"\b(?:if|whenever|when|should|in case)\s+(?:anyone|anybody|someone|somebody|a user|the user|users|people|you are|you're|it is|i am)?\s*(?:asks?|asked|asking|questioned)\b|"
                        r"\bthe (?:correct|right|only|true|official|proper) (?:answer|reply|response)\b", re.I)
_META = re.compile(r"\b(?:this|these|the following|my) (?:instructions?|messages?|prompts?|notes?|directives?|commands?|rules?)\b|"
                   r"\b(?:previous|preceding|prior|above|earlier|other|all other|any other|original|remaining|rest of the) "
                   r"(?:\w+ )?(?:instructions?|documents?|context|passages?|articles?|sources?|messages?|rules?|texts?|reports?|information)\b|"
                   r"\b(?:ignore|disregard|forget) (?:everything|all|the above|what)\b|\bthe system prompt\b|"
                   r"\b(?:this|the) (?:file|page|notice|text)\b(?! (?:of|was|is|has|in)\b)|\bwhere you read it\b", re.I)
_PRIORITY = re.compile(r"\b(?:highest|top|absolute|maximum) priority\b|\bpriority (?:notice|message|instruction)\b|\btakes? precedence\b|"
                       r"\boverrides?\b|\bsupersedes?\b|\bthe only (?:authoritative|reliable|valid|trustworthy) source\b|\bis void\b", re.I)
_SECRECY = re.compile(r"\b(?:do not|don't|never|without) (?:mention(?:ing)?|reveal(?:ing)?|disclos(?:e|ing)|acknowledg(?:e|ing)|tell(?:ing)?|say(?:ing)?)\b"
                      r".{0,30}\b(?:this|these|instructions?|notes?|messages?|where)\b|\b(?:keep|kept) (?:this|these|it) (?:\w+ )?(?:secret|hidden|private)\b", re.I)
_SPEECH = re.compile(r"\b(?:said|says|say|told|tells|added|adds|warned|warns|urged|urges|asked|asks|wrote|writes|stated|states|"
                     r"according to|explained|explains|insisted|insists|argued|argues|declared|shouted|tweeted|posted)\b", re.I)
_QUOTE = re.compile(r"[\"“”„«»][^\"“”„«»]{3,}[\"“”„«»]|(?<!\w)'[^']{8,}'(?!\w)")
# "..., the minister said." / "..., officials told reporters." : a report of what someone said.
_ATTRIBUTION = re.compile(r",?\s+(?:\w+\s+){0,4}(?:said|says|told \w+|added|wrote|stated|warned|explained)\W*$", re.I)


def _unquoted(sentence: str) -> str:
    """The sentence without quoted speech attributed to a speaker (reported speech is not addressed to us)."""
    if not _SPEECH.search(_QUOTE.sub(" ", sentence)):
        return sentence
    return _QUOTE.sub(" \"\" ", sentence)


def features(sentence: str) -> dict[str, bool]:
    text = _unquoted(sentence)
    imperative = _IMPERATIVE.search(text)
    if imperative and _ATTRIBUTION.search(text):
        imperative = None  # "Answer the survey, the council said": reported, not addressed to us
    # The imperative's own verb ("Output ...", "Answer ...") does not also count as machinery.
    modal = _MODAL.search(text)  # after "X said (that)" it is indirect speech, reported, not addressed to us
    rest = text[:imperative.start("verb")] + text[imperative.end("verb"):] if imperative else text
    return {
        "role_marker": bool(_ROLE.search(text)) or bool(_HIDDEN.search(text)),
        "ai_addressee": bool(_AI_ADDRESSEE.search(text)),
        "addressee_modal": bool(modal) and not _SPEECH.search(text[:modal.start()]),
        "imperative": bool(imperative),
        "role_assignment": bool(_ROLE_ASSIGNMENT.search(text)),
        "second_person": bool(_SECOND_PERSON.search(text)),
        "machinery": bool(_MACHINERY.search(rest)),
        "universal_request": bool(_UNIVERSAL.search(text)),
        "meta_reference": bool(_META.search(text)),
        "priority": bool(_PRIORITY.search(text)),
        "secrecy": bool(_SECRECY.search(text)),
    }


_ADDRESS = ("imperative", "addressee_modal", "ai_addressee", "role_marker", "role_assignment", "second_person")


def score(sentence: str) -> float:
    """The summed :data:`WEIGHTS` of the features of ``sentence``; naming the conversation's
    machinery only counts inside an address (a directive, an AI addressee or a role marker)."""
    f = features(sentence)
    total = sum(WEIGHTS[name] for name, on in f.items() if on)
    if f["machinery"] and not any(f[name] for name in _ADDRESS):
        total -= WEIGHTS["machinery"]
    return round(total, 3)


def is_injection(sentence: str, threshold: float = INJECTION_THRESHOLD) -> bool:
    return score(sentence) >= threshold


@dataclass(frozen=True)
class Flag:
    start: int
    end: int
    text: str
    score: float


CLASSIFIER_FILE = Path(__file__).parent / "data" / "injection_classifier.json"


@dataclass(frozen=True)
class SentenceClassifier:
    """Logistic regression over sentence embeddings: P(the sentence addresses the assistant).

    Trained by scripts/train_injection_classifier.py on the planted instructions written for this
    project against honest news sentences; it only applies to vectors of the embedder it was
    trained with (``embedder``)."""

    embedder: str
    weights: np.ndarray
    bias: float

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(np.asarray(vectors, dtype=np.float64) @ self.weights + self.bias)))


@lru_cache(maxsize=1)
def sentence_classifier() -> SentenceClassifier | None:
    """The shipped classifier (None when its file is missing or unreadable: the form rules still apply)."""
    try:
        data = json.loads(CLASSIFIER_FILE.read_text(encoding="utf-8"))
        return SentenceClassifier(data["embedder"], np.asarray(data["weights"], dtype=np.float64), float(data["bias"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


Embed = Callable[[Sequence[str]], np.ndarray]


def flagged_sentences(text: str, threshold: float = INJECTION_THRESHOLD, *, embed: Embed | None = None,
                      embedder_id: str | None = None, classifier_threshold: float = CLASSIFIER_THRESHOLD) -> list[Flag]:
    """The sentences of ``text`` that address the assistant (offsets into ``text``).

    A sentence is flagged when its form score (:func:`score`) reaches ``threshold``, or, given the
    embedder (``embed`` and its ``embedder_id``) the classifier was trained for, when the
    classifier's probability reaches ``classifier_threshold`` and the form score half the threshold. A sentence next to a flagged one is
    flagged at half the form threshold: planted instructions come in runs."""
    spans = [(s.start, s.end, text[s.start:s.end]) for s in split_sentences(text)]
    scores = [score(t) for _, _, t in spans]
    hit = [sc >= threshold for sc in scores]
    classifier = sentence_classifier() if embed is not None else None
    if classifier is not None and classifier.embedder == embedder_id and spans:
        probabilities = classifier.probabilities(embed([t for _, _, t in spans]))
        # Meaning alone is not enough (news about AI reads like instructions to it): the classifier
        # flags a sentence that also shows at least one form signal of an address.
        hit = [h or bool(p >= classifier_threshold and sc >= threshold / 2)
               for h, p, sc in zip(hit, probabilities, scores)]
    first = list(hit)
    for i, sc in enumerate(scores):
        if not hit[i] and sc >= threshold / 2 and ((i > 0 and first[i - 1]) or (i + 1 < len(scores) and first[i + 1])):
            hit[i] = True
    return [Flag(s, e, t, sc) for (s, e, t), sc, h in zip(spans, scores, hit) if h]


_WORD = re.compile(r"[^\W_]+(?:[.'’][^\W_]+)*", re.U)
_URL = re.compile(r"\b(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/\S*)?", re.I)
ECHO_NGRAM = 4
"""Words in a row that an answer must share with a flagged sentence, and with no honest text, to
count as copying it: short enough to catch a paraphrase that keeps the planted claim's wording,
long enough that function-word runs ("the city said that") are shared with honest text too."""


def _ngrams(text: str, n: int = ECHO_NGRAM) -> set[tuple[str, ...]]:
    words = [w.lower() for w in _WORD.findall(text)]
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def _hosts(text: str) -> set[str]:
    return {m.group(0).lower().split("://")[-1].split("/")[0] for m in _URL.finditer(text)}


def echoed(answer: str, flagged: Sequence[str], honest: Sequence[str]) -> str | None:
    """The flagged sentence that ``answer`` copies, or None.

    The answer copies a flagged sentence when it shares a run of :data:`ECHO_NGRAM` words, or a web
    address, with it that none of the ``honest`` texts (the unflagged evidence) holds: such words
    can only have come from the planted instruction, not from the reporting around it."""
    if not flagged:
        return None
    honest_grams = set().union(*(_ngrams(t) for t in honest)) if honest else set()
    honest_hosts = set().union(*(_hosts(t) for t in honest)) if honest else set()
    answer_grams, answer_hosts = _ngrams(answer), _hosts(answer)
    for sentence in flagged:
        if (answer_grams & _ngrams(sentence)) - honest_grams or (answer_hosts & _hosts(sentence)) - honest_hosts:
            return sentence
    return None
