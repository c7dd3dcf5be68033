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
from .settings import (
    ContextSettings,
    ConversationSettings,
    LimitsSettings,
    LLMSettings,
    RetrievalSettings,
    ServeSettings,
    Settings,
    env_name_problem,
    env_value,
)
from .dates import parse_iso_day
from .formats import atomic_target, supported_extensions, write_atomic
from .models import MODELS
from .types import Answer, Citation, Lookup, Passage, SentenceCheck
from .verification import VerifierSettings

__all__ = [
    "ContextSettings",
    "ConversationSettings",
    "LimitsSettings",
    "LLMSettings",
    "RetrievalSettings",
    "ServeSettings",
    "CliCommand",
    "UsageError",
    "cli_answer_args",
    "cli_main",
    "cli_parser",
    "cli_settings",
    "env_value",
    "port_number",
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

_CLI = {"CliCommand": "Command", "UsageError": "UsageError", "cli_answer_args": "add_answer_args",
        "cli_main": "main", "cli_parser": "build_parser", "cli_settings": "settings_of", "port_number": "port_number"}
"""The command line's names for packages that add commands to it (ui/cli.py), by their name in rag.cli. Loaded
on first use, so that ``python -m rag.cli`` does not find rag.cli already imported by the package."""


def __getattr__(name: str):
    if name in _CLI:
        from . import cli

        return getattr(cli, _CLI[name])
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
