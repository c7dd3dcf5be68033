"""Every number the sentence verifier decides with, in one frozen group (``Settings.verification``)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

__all__ = ["VerifierSettings"]


@dataclass(frozen=True)
class VerifierSettings:
    """The verifier's thresholds and switches (:mod:`rag.verification`; docs/VERIFIER.md lists the rules).

    Each default is defined here and nowhere else. The values were tuned on MultiHop-RAG dev
    (docs/decisions/2026-11-28-verifier-*.md) unless a field says otherwise.
    """

    keep_threshold: float = 0.45
    """Support from which a passage sentence is among those the entailment model reads for a claim
    (:func:`rag.verification.rules.entailment_candidates`). It was also the support from which the rule
    ``cited_passage`` kept the passage the model cited; that rule was removed
    (docs/decisions/2026-12-06-verifier-rule-pruning.md)."""

    add_threshold: float = 0.55
    """Support from which the best passage is cited for a sentence whose own markers do not hold
    (rule ``best_passage``), and from which two sentences together support a two-source claim
    (rule ``two_sources``). Higher than ``keep_threshold``: the model did not point at it."""

    min_lexical: float = 0.5
    """Share of the sentence's own words a passage sentence must hold before its similarity counts
    at all (rule ``lexical_floor``): a sentence whose words are mostly absent is not supported,
    however similar it sounds."""

    support_lexical_weight: float = 0.6
    """Weight of the word overlap in the support blend; the embedding cosine gets the rest
    (``1 - support_lexical_weight``). Without an embedder the support is the word overlap alone."""

    missing_number_factor: float = 0.5
    """Factor on the support when the sentence states a number the passage sentence does not hold
    (rule ``number_stated``): numbers are where small models invent."""

    missing_name_factor: float = 0.5
    """Factor on the support when the sentence names someone or something that neither the passage
    sentence, its neighbours nor its article's title and source mention (rule ``name_stated``)."""

    anchor_share: float = 0.5
    """Share of the sentence's subject words (those it repeats from the question) that must be in the
    passage sentence, the sentences before it or the article's title when it states a number
    (rule ``number_about_subject``)."""

    name_share: float = 0.5
    """Rarity-weighted share of the subject words that must be around the passage sentence when the
    sentence names something the question does not (rule ``name_about_subject``)."""

    name_subject_max: int = 6
    """Subject words up to which ``name_about_subject`` applies: a longer subject is a multi-part
    question's, spread over several articles, which no one window holds."""

    min_subject_weight: float = 0.05
    """Total rarity weight of the subject below which ``name_about_subject`` cannot tell sentences
    apart (every subject word is everywhere or nowhere) and does not apply."""

    context_sentences: int = 2
    """Sentences before a quote that may name its subject ("It opens in June.")."""

    premise_coverage: float = 0.5
    """Share of a restated question's words that up to ``cover_sentences`` passage sentences must hold
    together to be cited for it (rules ``restated_parts`` and ``restated_question_alone``)."""

    cover_sentences: int = 3
    """Passage sentences that may share the parts of a restated question."""

    bearing_share: float = 2 / 3
    """Of the question's words that the most bearing fact holds, the share a verdict's other facts need
    to be cited for the verdict too (rule ``conclusion_rests_on_facts``)."""

    pair_passages: int = 4
    """Passages, by word overlap, whose best sentences are paired for a two-source claim (rule ``two_sources``)."""

    pair_words: int = 2
    """Words of the claim each sentence of a two-source pair must hold in its own text."""

    min_subject_words: int = 2
    """Words a claim must repeat from the question to have a subject that ``number_about_subject`` and
    ``name_about_subject`` check a passage sentence against (fewer: nothing to check)."""

    cover_gain_words: int = 2
    """Words of a restated question a passage sentence must add to be one of its cover sentences."""

    negation_scope: int = 3
    """Content words after "not" (or "never", "no longer" ...) that it denies, for rule ``negation_agrees``:
    "did not approve the merger of Tellan Mobile" denies approving the merger, not every word to the end
    of the clause ("with no minimum purchase amount or Two-Day Delivery through December 22nd" does not
    deny the delivery; to the clause's end, a MultiHop dev yes/no answer lost a right citation)."""

    verify_entailment: bool = False
    """Verification also reads each answer sentence against its quote with the shipped entailment model
    (rag/entailment.py, rag/data/entailment): a sentence stays only where its quote states it
    (``entailment_reject``), and a sentence the word-overlap check leaves out is kept when a passage
    sentence states it in other words (``entailment_accept``); rules ``quote_entails_claim`` and
    ``passage_entails_claim``. Off: on the 250 MultiHop-RAG dev drafts it raised gold citation precision
    0.780 -> 0.834 but withdrew right answers (strict 0.648 -> 0.396; at a reject threshold of 0.1,
    0.548); the model misses exactly the relation errors it was meant for
    (docs/decisions/2026-12-06-entailment-in-verification.md)."""

    entailment_judge: str = "model"
    """Who reads the entailment rules' pairs when ``verify_entailment`` is on: ``model``, the shipped
    cross-encoder (thresholds ``entailment_reject`` / ``entailment_accept``), or ``llm``, the answering
    LLM asked Yes or No per pair (rag/judge.py; with ``llm_url``, the server; thresholds ``judge_reject`` /
    ``judge_accept``). The LLM judge separates the hand-written pairs far better (AUC 0.95 against the
    model's 0.73) but changed no answer on MultiHop-RAG dev (60 queries, 15 per type) or Reuters dev at
    ``judge_reject`` 0.35, and costs about 3 s a pair with the default model on 2 cores
    (docs/decisions/2026-12-06-llm-judge.md); ``verify_entailment`` stays off."""

    entailment_reject: float = 0.5
    """Probability below which the entailment model's reading of a quote does not support the sentence citing it."""

    entailment_accept: float = 0.9
    """Probability from which a passage sentence supports an answer sentence the word-overlap check left out."""

    judge_reject: float = 0.35
    """With ``entailment_judge = "llm"``: P(Yes) (the logistic of the Yes-minus-No margin at the first reply
    position) below which the LLM's reading of a quote does not support the sentence citing it. 0.35 (a
    margin of about -0.6) is the highest that withdrew no right answer on MultiHop-RAG dev and Reuters dev;
    0.5 withdrew 2 and 1, 0.8 withdrew 16 and 6, and none of them withdrew a wrong answer but at 0.8 one
    (docs/decisions/2026-12-06-llm-judge.md)."""

    judge_accept: float = 0.9
    """With ``entailment_judge = "llm"``: P(Yes) from which a passage sentence the LLM reads as stating an
    answer sentence the word-overlap check left out supports it (rule ``passage_entails_claim``)."""

    entailment_candidates: int = 3
    """Sentences per claim the entailment model reads besides those the word-overlap pass keeps."""

    check_question_names: bool = False
    """Rule ``names_in_passages``: a claim's names and numbers must be in the passages, the question's
    too (:func:`rag.verification.content.unsupported_names`). Off: on the recorded drafts it withdrew 3
    right MultiHop dev answers and none wrong (strict 0.648 -> 0.636), on test 6 right and 3 wrong
    (0.688 -> 0.664), and changed nothing on Reuters, the sample or the conversations
    (docs/decisions/2026-12-06-claim-content-rules.md)."""

    disabled_rules: frozenset[str] = field(default_factory=frozenset)
    """Names of rules (:data:`rag.verification.rules.RULES`) switched off, for ablation
    (``benchmarks.ablate_verifier``). Empty in use."""

    @property
    def semantic_weight(self) -> float:
        """Weight of the embedding cosine in the support blend (the rest of ``support_lexical_weight``)."""
        return 1 - self.support_lexical_weight

    def blend(self, lexical, semantic):
        """The support of a sentence by a passage sentence from its word overlap and embedding cosine."""
        return self.support_lexical_weight * lexical + self.semantic_weight * semantic

    def on(self, rule: str) -> bool:
        """Whether rule ``rule`` applies (not in ``disabled_rules``)."""
        return rule not in self.disabled_rules

    @property
    def reject_threshold(self) -> float:
        """The entailment judge's reject threshold: ``judge_reject`` for the LLM, else ``entailment_reject``."""
        return self.judge_reject if self.entailment_judge == "llm" else self.entailment_reject

    @property
    def accept_threshold(self) -> float:
        """The entailment judge's accept threshold: ``judge_accept`` for the LLM, else ``entailment_accept``."""
        return self.judge_accept if self.entailment_judge == "llm" else self.entailment_accept

    @classmethod
    def numeric_fields(cls) -> list[str]:
        """The thresholds: every field but the switches."""
        return [f.name for f in fields(cls)
                if f.name not in ("verify_entailment", "entailment_judge", "check_question_names", "disabled_rules")]
