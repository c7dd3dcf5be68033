"""Files, as the index defines them for everyone above it.

Which files the index can read (the one list the CLI, the UI's upload check and
docs share), and how a file is written atomically (the UI saves uploads that way).
"""

from index.atomic import atomic_target, write_atomic
from index.formats import supported_extensions

__all__ = ["atomic_target", "supported_extensions", "write_atomic"]
