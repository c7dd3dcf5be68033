"""Which files the index can read: the one list the CLI, the UI's upload check and docs share."""

from index.loaders import supported_extensions

__all__ = ["supported_extensions"]
