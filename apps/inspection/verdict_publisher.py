"""VerdictPublisher: a PartResult onto the bus as events, each defect first (with a small JPEG crop), then the
part's verdict naming those defect events. All are CRITICAL, so they leave before any bulk telemetry."""
from __future__ import annotations

from datetime import UTC, datetime

import cv2
import numpy as np

from edgesight.core.bus.publisher import EventPublisher
from edgesight.core.events import MAX_CROP_BYTES, Box, Defect, PartVerdict

from .verdict import PartResult

APP = "inspection"


def crop_jpeg(crop: np.ndarray | None, max_bytes: int = MAX_CROP_BYTES) -> bytes | None:
    """JPEG of the crop within the event's size limit: lower quality first, then halve the size."""
    if crop is None or not crop.size:
        return None
    image = crop
    while True:
        for quality in (85, 60, 40):
            ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if ok and len(buf) <= max_bytes:
                return buf.tobytes()
        if min(image.shape[:2]) < 16:
            return None
        image = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA)


def _box(xyxy: np.ndarray) -> Box:
    x1, y1 = int(max(np.floor(xyxy[0]), 0)), int(max(np.floor(xyxy[1]), 0))
    return Box(x1=x1, y1=y1, x2=max(int(np.ceil(xyxy[2])), x1 + 1), y2=max(int(np.ceil(xyxy[3])), y1 + 1))


class VerdictPublisher:
    def __init__(self, publisher: EventPublisher, source: str) -> None:
        self.publisher = publisher
        self.source = source

    async def publish(self, result: PartResult) -> None:
        capture = datetime.fromtimestamp(result.capture_wall, UTC)
        defect_ids = []
        for d in result.defects:
            envelope = await self.publisher.publish(
                Defect(part_id=result.part_id, defect_class=d.defect_class, confidence=round(d.confidence, 4),
                       box=_box(d.xyxy), belt_position_mm=round(result.belt_position_mm, 1), crop_jpeg=crop_jpeg(d.crop)),
                app=APP, source=self.source, capture_time=capture)
            defect_ids.append(envelope.id)
        reason = (f"{result.worst_class} {result.worst_confidence:.2f} over {result.frames_seen} frames"
                  if result.worst_class else f"no defect over {result.frames_seen} frames")
        await self.publisher.publish(
            PartVerdict(part_id=result.part_id, verdict=result.verdict, defect_ids=defect_ids,
                        belt_position_mm=round(result.belt_position_mm, 2), reason=reason,
                        worst_class=result.worst_class,
                        worst_confidence=round(result.worst_confidence, 4) if result.worst_class else None),
            app=APP, source=self.source, capture_time=capture)
