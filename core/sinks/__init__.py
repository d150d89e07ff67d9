"""Generic sinks at the end of the pipeline: JSON lines, annotated video, a live window."""
from .annotated_video import AnnotatedVideoWriter
from .display import DisplayWindow
from .console import ConsoleSummary
from .json_lines import JsonLinesWriter

__all__ = ["AnnotatedVideoWriter", "ConsoleSummary", "DisplayWindow", "JsonLinesWriter"]
