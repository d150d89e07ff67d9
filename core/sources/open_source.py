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
        return _construct(StreamSource, redacted(uri), uri, source_id=source_id, **options)
    if match := USB_INDEX.fullmatch(uri):
        return _construct(UsbSource, uri, int(match.group(1)), source_id=source_id, **options)
    if USB_DEVICE.fullmatch(uri):
        return _construct(UsbSource, uri, uri, source_id=source_id, **options)
    path = Path(unquote(urlsplit(uri).path)) if scheme == "file" else Path(uri)
    replay_options = {"source_id": source_id, "pace": pace, "loop": loop, **options}
    if path.is_dir():
        return _construct(FolderSource, uri, path, **replay_options)
    return _construct(FileSource, uri, path, **replay_options)


def _construct(kind: type[VideoSource], shown: str, target: object, **options: Any) -> VideoSource:
    accepted = [name for name, p in inspect.signature(kind).parameters.items() if p.kind is p.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise SourceError(
            f"source {shown}: {kind.__name__} takes no option {', '.join(unknown)}; "
            f"it takes {', '.join(accepted)}"
        )
    return kind(target, **options)
