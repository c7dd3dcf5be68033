"""Ask questions of your documents and get answers whose every claim is cited.

Public API::

    from rag import Assistant, Settings
    assistant = Assistant(index_dir="./my-index")
    assistant.build(["./articles"])            # index files (incremental)
    answer = assistant.ask("What did Putin say about NATO?")
    answer.text, answer.citations, answer.abstained
    for piece in (stream := assistant.stream("...")):  # streaming
        print(piece, end="")
    stream.answer                              # the verified answer
    assistant.search("red lines", k=5)         # passages only
    assistant.lookup(answer.citations[0])      # the passage in context
    assistant.sources_for("a claim")           # which passages support it
"""

from .assistant import AnswerStream, Assistant, Filters
from .conversation import Conversation, Turn
from .errors import (
    USER_ERRORS,
    ContextOverflowError,
    CorpusError,
    DocumentNotFoundError,
    EmbedderError,
    EntailmentModelError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    LLMAuthError,
    LLMServerError,
    LLMTimeoutError,
    LLMUnreachableError,
    LoaderError,
    ModelLoadError,
    ModelNotFoundError,
    RagError,
    SettingsError,
)
from .settings import Settings, env_name_problem
from .dates import parse_iso_day
from .formats import atomic_target, supported_extensions, write_atomic
from .models import MODELS
from .types import Answer, Citation, Lookup, Passage, SentenceCheck
from .verification import VerifierSettings

__all__ = [
    "Answer",
    "AnswerStream",
    "Assistant",
    "Citation",
    "ContextOverflowError",
    "Conversation",
    "CorpusError",
    "DocumentNotFoundError",
    "EmbedderError",
    "EntailmentModelError",
    "Filters",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "LLMAuthError",
    "LLMServerError",
    "LLMTimeoutError",
    "LLMUnreachableError",
    "LoaderError",
    "Lookup",
    "MODELS",
    "ModelLoadError",
    "ModelNotFoundError",
    "Passage",
    "RagError",
    "SentenceCheck",
    "Settings",
    "SettingsError",
    "Turn",
    "USER_ERRORS",
    "VerifierSettings",
    "atomic_target",
    "env_name_problem",
    "parse_iso_day",
    "supported_extensions",
    "write_atomic",
]
