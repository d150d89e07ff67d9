"""The one error every source raises for input it cannot use."""


class SourceError(Exception):
    """A source cannot be opened or read. The message is one line naming the source, the cause and the remedy,
    fit to print as is (the CLI prints str(err) and exits non-zero)."""
