"""Video sources: files, image folders, RTSP/HTTP streams and USB cameras behind one interface.

    with open_source("rtsp://cam/stream") as source:
        for frame in source:
            ...
"""
from .errors import SourceError
from .file_source import FileSource
from .folder_source import FolderSource
from .health import SourceHealth, SourceState
from .live_source import LiveSource
from .open_source import open_source
from .replay_source import ReplaySource
from .stream_source import StreamSource
from .usb_source import UsbSource
from .video_source import VideoSource

__all__ = [
    "FileSource",
    "FolderSource",
    "LiveSource",
    "ReplaySource",
    "SourceError",
    "SourceHealth",
    "SourceState",
    "StreamSource",
    "UsbSource",
    "VideoSource",
    "open_source",
]
