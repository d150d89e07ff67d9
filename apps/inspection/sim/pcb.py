"""Draws a populated printed circuit board seen from above: solder mask, traces, mounting holes, silkscreen outlines
and SMD parts (ICs, chip resistors and capacitors, electrolytic capacitors, pin headers) on tinned pads."""
from __future__ import annotations

import cv2
import numpy as np

from .surface import PartSurface, disc_mask

_MASKS_BGR = np.array([[40, 105, 30], [115, 60, 20], [32, 32, 32], [35, 35, 120]], dtype=np.float32)
_MASK_P = np.array([0.6, 0.2, 0.12, 0.08])
_TIN = (175, 178, 182)
_SILK = (225, 230, 230)
_GOLD = (60, 170, 210)


class CircuitBoardRenderer:
    def render(self, length_px: float, width_px: float, rng: np.random.Generator, omit_feature: bool) -> PartSurface:
        w, h = int(round(length_px)), int(round(width_px))
        pad = 2
        W, H = w + 2 * pad, h + 2 * pad
        base = _MASKS_BGR[rng.choice(len(_MASKS_BGR), p=_MASK_P)] * rng.uniform(0.85, 1.15)
        bgr = np.empty((H, W, 3), np.float32)
        bgr[:] = base
        bgr += rng.normal(0, 3.0, (H, W, 1)).astype(np.float32)
        alpha = np.zeros((H, W), np.float32)
        cv2.rectangle(alpha, (pad, pad), (pad + w - 1, pad + h - 1), 1.0, -1, cv2.LINE_AA)

        trace = tuple(float(v) for v in np.clip(base * 1.35 + 8, 0, 255))
        for _ in range(int(rng.integers(12, 28))):
            x, y = int(rng.integers(pad + 4, pad + w - 4)), int(rng.integers(pad + 4, pad + h - 4))
            for _ in range(int(rng.integers(1, 4))):
                if rng.random() < 0.5:
                    nx, ny = int(np.clip(x + rng.integers(-40, 41), pad + 3, pad + w - 4)), y
                else:
                    nx, ny = x, int(np.clip(y + rng.integers(-30, 31), pad + 3, pad + h - 4))
                cv2.line(bgr, (x, y), (nx, ny), trace, int(rng.integers(1, 3)), cv2.LINE_AA)
                x, y = nx, ny

        hole_r = max(2.5, min(w, h) * 0.04)
        corners = [(pad + 1.6 * hole_r + 1, pad + 1.6 * hole_r + 1), (pad + w - 2.6 * hole_r, pad + 1.6 * hole_r + 1),
                   (pad + 1.6 * hole_r + 1, pad + h - 2.6 * hole_r), (pad + w - 2.6 * hole_r, pad + h - 2.6 * hole_r)]
        occupied = np.zeros((H, W), dtype=bool)
        for hx, hy in corners:
            cv2.circle(bgr, (int(round(hx)), int(round(hy))), int(round(hole_r + 1.5)), _GOLD, -1, cv2.LINE_AA)
            alpha *= 1.0 - disc_mask((H, W), hx, hy, hole_r)
            occupied[int(hy - 2 * hole_r):int(hy + 2 * hole_r), int(hx - 2 * hole_r):int(hx + 2 * hole_r)] = True

        footprints = self._place(w, h, pad, occupied, rng)
        # Drawn either way so a board looks identical with and without this defect except at that component.
        candidate = int(rng.integers(max(len(footprints), 1)))
        left_out = candidate if omit_feature and footprints else -1
        missing = None
        for k, (kind, x0, y0, fw, fh) in enumerate(footprints):
            variant = bool(rng.random() < 0.5)  # drawn before the skip, so leaving one out changes nothing else
            cv2.rectangle(bgr, (x0 - 2, y0 - 2), (x0 + fw + 1, y0 + fh + 1), _SILK, 1, cv2.LINE_8)
            self._pads(bgr, kind, x0, y0, fw, fh)
            if k == left_out:
                missing = np.zeros((H, W), dtype=bool)
                missing[y0 - 2:y0 + fh + 2, x0 - 2:x0 + fw + 2] = True
                continue
            self._body(bgr, kind, x0, y0, fw, fh, variant)
        paintable = (alpha > 0.99)
        paintable[: pad + 3], paintable[-pad - 3:], paintable[:, : pad + 3], paintable[:, -pad - 3:] = False, False, False, False
        if missing is not None:
            paintable &= ~cv2.dilate(missing.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        return PartSurface(np.clip(bgr, 0, 255), alpha, paintable, "soldermask", missing)

    @staticmethod
    def _place(w: int, h: int, pad: int, occupied: np.ndarray, rng: np.random.Generator) -> list[tuple[str, int, int, int, int]]:
        """Rejection-sample non-overlapping component footprints (kind, x0, y0, width, height)."""
        sizes = {"ic": lambda: (int(rng.integers(18, 34)), int(rng.integers(12, 22))),
                 "chip": lambda: (int(rng.integers(7, 11)), int(rng.integers(4, 6))),
                 "ecap": lambda: (int(rng.integers(12, 19)),) * 2,
                 "header": lambda: (int(rng.integers(4, 9)) * 5, 6)}
        kinds = ["ic", "chip", "chip", "chip", "ecap", "header"]
        out = []
        for _ in range(int(rng.integers(8, 16)) * 4):
            if len(out) >= 14:
                break
            kind = kinds[int(rng.integers(len(kinds)))]
            fw, fh = sizes[kind]()
            if rng.random() < 0.4:
                fw, fh = fh, fw
            if fw + 10 >= w or fh + 10 >= h:
                continue
            x0, y0 = int(rng.integers(pad + 5, pad + w - fw - 5)), int(rng.integers(pad + 5, pad + h - fh - 5))
            if occupied[y0 - 4:y0 + fh + 4, x0 - 4:x0 + fw + 4].any():
                continue
            occupied[y0 - 4:y0 + fh + 4, x0 - 4:x0 + fw + 4] = True
            out.append((kind, x0, y0, fw, fh))
        return out

    @staticmethod
    def _pads(bgr: np.ndarray, kind: str, x0: int, y0: int, fw: int, fh: int) -> None:
        horizontal = fw >= fh
        if kind == "chip":
            t = max(2, (fw if horizontal else fh) // 4)
            ends = [(x0, y0, x0 + t, y0 + fh), (x0 + fw - t, y0, x0 + fw, y0 + fh)] if horizontal else \
                   [(x0, y0, x0 + fw, y0 + t), (x0, y0 + fh - t, x0 + fw, y0 + fh)]
        elif kind == "ic":
            n = max(3, (fw if horizontal else fh) // 4)
            ends = []
            for i in range(n):
                if horizontal:
                    px = x0 + 2 + i * (fw - 4) // n
                    ends += [(px, y0 - 1, px + 2, y0 + 3), (px, y0 + fh - 3, px + 2, y0 + fh + 1)]
                else:
                    py = y0 + 2 + i * (fh - 4) // n
                    ends += [(x0 - 1, py, x0 + 3, py + 2), (x0 + fw - 3, py, x0 + fw + 1, py + 2)]
        elif kind == "ecap":
            ends = [(x0 + 1, y0 + fh // 2 - 2, x0 + 4, y0 + fh // 2 + 2), (x0 + fw - 4, y0 + fh // 2 - 2, x0 + fw - 1, y0 + fh // 2 + 2)]
        else:
            n = max(fw, fh) // 5
            ends = [(x0 + i * 5 + 1, y0 + 1, x0 + i * 5 + 4, y0 + 4) if horizontal else (x0 + 1, y0 + i * 5 + 1, x0 + 4, y0 + i * 5 + 4)
                    for i in range(n)]
        for ax, ay, bx, by in ends:
            cv2.rectangle(bgr, (ax, ay), (bx - 1, by - 1), _TIN, -1)

    @staticmethod
    def _body(bgr: np.ndarray, kind: str, x0: int, y0: int, fw: int, fh: int, variant: bool) -> None:
        horizontal = fw >= fh
        if kind == "ic":
            cv2.rectangle(bgr, (x0, y0 + 2) if horizontal else (x0 + 2, y0),
                          (x0 + fw - 1, y0 + fh - 3) if horizontal else (x0 + fw - 3, y0 + fh - 1), (28, 28, 30), -1)
            cv2.circle(bgr, (x0 + 4, y0 + 5), 1, (90, 90, 90), -1)
            cv2.line(bgr, (x0 + fw // 4, y0 + fh // 2), (x0 + 3 * fw // 4, y0 + fh // 2), (110, 110, 110), 1)
        elif kind == "chip":
            t = max(2, (fw if horizontal else fh) // 4)
            body = (25, 25, 25) if variant else (110, 140, 165)
            cv2.rectangle(bgr, (x0, y0), (x0 + fw - 1, y0 + fh - 1), (200, 200, 200), -1)
            inner = ((x0 + t, y0), (x0 + fw - 1 - t, y0 + fh - 1)) if horizontal else ((x0, y0 + t), (x0 + fw - 1, y0 + fh - 1 - t))
            cv2.rectangle(bgr, inner[0], inner[1], body, -1)
        elif kind == "ecap":
            cx, cy, r = x0 + fw // 2, y0 + fh // 2, fw // 2
            cv2.rectangle(bgr, (x0, y0), (x0 + fw - 1, y0 + fh - 1), (30, 30, 30), -1)
            cv2.circle(bgr, (cx, cy), r, (195, 195, 200), -1, cv2.LINE_AA)
            cv2.ellipse(bgr, (cx, cy), (r, r), 0, 210, 330, (45, 45, 45) if variant else (90, 45, 25), -1, cv2.LINE_AA)
            cv2.line(bgr, (cx - r // 2, cy), (cx + r // 2, cy), (120, 120, 125), 1)
            cv2.line(bgr, (cx, cy - r // 2), (cx, cy + r // 2), (120, 120, 125), 1)
        else:
            cv2.rectangle(bgr, (x0, y0), (x0 + fw - 1, y0 + fh - 1), (22, 22, 22), -1)
            n = max(fw, fh) // 5
            for i in range(n):
                px, py = (x0 + i * 5 + 2, y0 + 2) if horizontal else (x0 + 2, y0 + i * 5 + 2)
                cv2.rectangle(bgr, (px, py), (px + 1, py + 1), _GOLD, -1)
