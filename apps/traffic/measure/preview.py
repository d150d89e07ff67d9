"""Draws a site config over a camera frame, to check lanes, lines and the ground plane by eye:
`edgesight traffic site-preview --site SITE.yaml --source VIDEO_OR_IMAGE --out OUT.png [--frame N]`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import cv2
import numpy as np
import typer

from .ground_plane import GroundPlane
from .site import SiteConfig

IN_COLOUR, OUT_COLOUR = (80, 200, 80), (200, 140, 60)  # BGR: entry lanes green, exit lanes blue
COUNT_COLOUR, STOP_COLOUR, GRID_COLOUR = (0, 230, 255), (40, 40, 230), (255, 255, 255)


class SiteOverlay:
    """`draw(image)` -> a copy of `image` with the site's lanes, detector zones, lines (count lines with their
    'in' arrow) and a 5 m ground grid through the homography drawn on it."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.ground = GroundPlane(config.ground_plane)

    def draw(self, image: np.ndarray) -> np.ndarray:
        w, h = self.config.image_size
        if image.shape[1] != w or image.shape[0] != h:
            raise ValueError(f"SiteOverlay: frame is {image.shape[1]}x{image.shape[0]} but site {self.config.name} "
                             f"is drawn for {w}x{h}; use that camera's frames or fix image_size")
        canvas = image.copy()
        fill = canvas.copy()
        for lane in self.config.lanes:
            poly = np.round(np.array(lane.polygon)).astype(np.int32)
            cv2.fillPoly(fill, [poly], IN_COLOUR if lane.direction == "in" else OUT_COLOUR)
        canvas = cv2.addWeighted(fill, 0.3, canvas, 0.7, 0)
        self._grid(canvas)
        for lane in self.config.lanes:
            poly = np.round(np.array(lane.polygon)).astype(np.int32)
            colour = IN_COLOUR if lane.direction == "in" else OUT_COLOUR
            cv2.polylines(canvas, [poly], True, colour, 1, cv2.LINE_AA)
            if lane.detector:
                cv2.polylines(canvas, [np.round(np.array(lane.detector)).astype(np.int32)], True, (255, 255, 255), 1, cv2.LINE_AA)
            self._label(canvas, lane.name, poly.mean(axis=0), colour)
        for line in self.config.lines:
            a, b = np.array(line.start), np.array(line.end)
            colour = COUNT_COLOUR if line.kind == "count" else STOP_COLOUR
            cv2.line(canvas, tuple(np.round(a).astype(int)), tuple(np.round(b).astype(int)), colour, 2, cv2.LINE_AA)
            if line.in_towards is not None:
                mid = (a + b) / 2
                cv2.arrowedLine(canvas, tuple(np.round(mid).astype(int)), tuple(np.round(line.in_towards).astype(int)),
                                colour, 2, cv2.LINE_AA, tipLength=0.3)
            self._label(canvas, line.name, b, colour)
        return canvas

    def _grid(self, canvas: np.ndarray) -> None:
        """5 m squares on the road: straight, evenly shrinking squares mean the homography is right."""
        h, w = canvas.shape[:2]
        corners = self.ground.to_metres(np.array([[0, h - 1], [w - 1, h - 1], [w - 1, h * 0.4], [0, h * 0.4]]))
        if not np.isfinite(corners).all():
            return
        lo, hi = np.floor(corners.min(axis=0) / 5) * 5, np.ceil(corners.max(axis=0) / 5) * 5
        if np.any(hi - lo > 1000):
            return
        for x in np.arange(lo[0], hi[0] + 5, 5):
            self._polyline(canvas, np.column_stack([np.full(50, x), np.linspace(lo[1], hi[1], 50)]))
        for y in np.arange(lo[1], hi[1] + 5, 5):
            self._polyline(canvas, np.column_stack([np.linspace(lo[0], hi[0], 50), np.full(50, y)]))

    def _polyline(self, canvas: np.ndarray, metres: np.ndarray) -> None:
        px = self.ground.to_pixels(metres)
        h, w = canvas.shape[:2]
        keep = np.isfinite(px).all(axis=1) & (np.abs(px) < 4 * max(w, h)).all(axis=1)
        if keep.sum() >= 2:
            cv2.polylines(canvas, [np.round(px[keep]).astype(np.int32)], False, GRID_COLOUR, 1, cv2.LINE_AA)

    @staticmethod
    def _label(canvas: np.ndarray, text: str, at: np.ndarray, colour: tuple[int, int, int]) -> None:
        x, y = int(at[0]), int(at[1])
        cv2.putText(canvas, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 2, cv2.LINE_AA)
        cv2.putText(canvas, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.35, colour, 1, cv2.LINE_AA)


def read_frame(path: str | Path, index: int = 0) -> np.ndarray:
    """Frame `index` of a video, or an image file."""
    path = Path(path)
    image = cv2.imread(str(path)) if path.suffix.lower() in {".png", ".jpg", ".jpeg", ".bmp"} else None
    if image is not None:
        return image
    capture = cv2.VideoCapture(str(path))
    try:
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = capture.read()
    finally:
        capture.release()
    if not ok:
        raise ValueError(f"site preview: cannot read frame {index} of {path}; check the path and that the frame exists")
    return frame


def preview_site(site: str | Path, media: str | Path, out: str | Path, frame: int = 0) -> Path:
    """Write the site config drawn over frame `frame` of `media` to the PNG `out`."""
    config = SiteConfig.load(site)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), SiteOverlay(config).draw(read_frame(media, frame)))
    return out


def site_preview_command(
    site: Annotated[Path, typer.Option(help="site config YAML")],
    source: Annotated[Path, typer.Option("--source", "-s", help="video file or image from that camera")],
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG to write")],
    frame: Annotated[int, typer.Option(help="frame index in the video")] = 0,
) -> None:
    """Draw a site config (lanes, lines, 5 m ground grid) over a frame of its camera, to check it by eye."""
    try:
        typer.echo(preview_site(site, source, out, frame))
    except ValueError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
