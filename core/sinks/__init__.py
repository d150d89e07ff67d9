"""Generic sinks at the end of the pipeline: JSON lines, annotated video, a live window."""
from .annotated_video import AnnotatedVideoWriter
from .display import DisplayWindow
from .json_lines import JsonLinesWriter

__all__ = ["AnnotatedVideoWriter", "DisplayWindow", "JsonLinesWriter"]
