"""Sentence verification: every sentence of an answer checked against the passages the model saw.

The answer is split into claims (:class:`~rag.verification.claims.Claim`, one per sentence), and
each claim is scored against every sentence of every passage:

    support = support_lexical_weight * lexical + (1 - support_lexical_weight) * semantic   (with an embedder)
    support = lexical                                                      (without)

``lexical`` is the share of the claim's content words (crude stems, :mod:`rag.text`) found in the
passage sentence, counting only the words the claim adds to the question when it adds any;
``semantic`` the cosine of the two sentence embeddings. Named rules, in the one ordered table
:data:`~rag.verification.rules.RULES`, then shape the scores and decide each sentence: kept with
its citations, or left out with a reason (every sentence an answer keeps carries a citation). Each
citation quotes the exact passage sentence, with offsets into the document.

Modules: :mod:`.settings` (:class:`VerifierSettings`: every threshold), :mod:`.claims` (answer and
passage sentences), :mod:`.support` (the overlap measures), :mod:`.rules` (the rules and the
table), :mod:`.state` (a verification in progress), :mod:`.trace` (why a sentence was left out),
:mod:`.verify` (:func:`attribute`, the walk), :mod:`.content` (what a claim must have supported and
what an answer must carry: the pure functions behind three rules). docs/VERIFIER.md is the reference page.
"""

from .claims import MARKER, split_claims, strip_markers
from .rules import NOT_IN_PASSAGES_RULES, RULES, Rule
from .settings import VerifierSettings
from .state import Embed, Entails, EntailsUnavailable, Readings
from .support import claim_support, is_conclusion
from .verify import Attribution, attribute, best_quotes

__all__ = ["Attribution", "attribute", "best_quotes", "claim_support", "is_conclusion", "MARKER", "NOT_IN_PASSAGES_RULES", "RULES", "Rule",
           "split_claims", "strip_markers", "VerifierSettings", "Embed", "Entails", "EntailsUnavailable", "Readings"]
