"""Pick and open the right source for a URI or path."""
from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .errors import SourceError
from .file_source import FileSource
from .folder_source import FolderSource
from .stream_source import STREAM_SCHEMES, StreamSource, redacted
from .usb_source import UsbSource
from .video_source import VideoSource

SourceKind = type[FileSource] | type[FolderSource] | type[StreamSource] | type[UsbSource]

USB_INDEX = re.compile(r"(?:usb:)?(\d+)")
USB_DEVICE = re.compile(r"/dev/video\d+")


def open_source(
    uri: str, *, source_id: str | None = None, pace: bool = True, loop: bool = False, **options: Any
) -> VideoSource:
    """Open a video source from what a user would type:

    - "rtsp://...", "rtsps://...", "http(s)://..."  -> StreamSource (live)
    - "0", "usb:0", "/dev/video0"                    -> UsbSource (live)
    - a folder                                       -> FolderSource (replay; `fps` option, default 10)
    - anything else, or "file://..."                 -> FileSource (replay)

    `pace` and `loop` apply to replays; a live source runs at the camera's pace and has no end to loop from.
    Other keyword options go to the chosen source (see its class); an option it does not take, or any input
    that cannot be opened, raises SourceError."""
    scheme = urlsplit(uri).scheme.lower()
    if scheme in STREAM_SCHEMES:
        _check_options(StreamSource, redacted(uri), options)
        return StreamSource(uri, source_id=source_id, **options)
    if (match := USB_INDEX.fullmatch(uri)) or USB_DEVICE.fullmatch(uri):
        _check_options(UsbSource, uri, options)
        return UsbSource(int(match.group(1)) if match else uri, source_id=source_id, **options)
    path = Path(unquote(urlsplit(uri).path)) if scheme == "file" else Path(uri)
    if path.is_dir():
        _check_options(FolderSource, uri, options)
        return FolderSource(path, source_id=source_id, pace=pace, loop=loop, **options)
    _check_options(FileSource, uri, options)
    return FileSource(path, source_id=source_id, pace=pace, loop=loop, **options)


def _check_options(kind: SourceKind, shown: str, options: dict[str, Any]) -> None:
    """Name a misspelt or misplaced option, instead of the TypeError Python would give."""
    accepted = [name for name, p in inspect.signature(kind).parameters.items() if p.kind is p.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise SourceError(
            f"source {shown}: {kind.__name__} takes no option {', '.join(unknown)}; "
            f"it takes {', '.join(accepted)}"
        )
