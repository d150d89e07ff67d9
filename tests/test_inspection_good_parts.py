"""The shipped INT8 defect model keeps good parts good on the CPU the tests run on.

Written after an AVX2 CPU without VNNI, where ONNX Runtime's default INT8 kernel saturates, rejected 11 of 117 good
parts on exactly this recording (2 of 117 with the exact kernel EdgeSight now asks for there). The short end-to-end
evaluation did not notice: at 1 part/s it sees too few good parts."""
import pytest

from edgesight.apps.inspection.config import InspectionConfig
from edgesight.apps.inspection.sim.conveyor import LineSpec
from edgesight.apps.inspection.verdict_study import record_detections, replay_verdicts
from edgesight.core.detect import Detector
from edgesight.core.models import MODELS_DIR

MODEL = MODELS_DIR / "inspection_defects.onnx"


@pytest.mark.slow
def test_good_parts_at_line_rate_are_not_rejected() -> None:
    if not MODEL.is_file():
        pytest.skip(f"{MODEL} not built yet: `edgesight train inspection` makes it")
    config = InspectionConfig.load(MODELS_DIR.parent / "apps" / "inspection" / "lines" / "sim.yaml")
    line = LineSpec(rate_hz=4.0, belt_speed_mps=config.belt.speed_mps, diverter_mm=config.belt.diverter_mm,
                    belt_width_mm=config.belt.width_mm, defect_share=0.0, seed=5)
    recording = record_detections(config, line, Detector(MODEL, conf=0.02), fps=8.0, seconds=30.0)
    score = replay_verdicts(recording, config)
    assert score.parts >= 110 and score.defective == 0
    assert score.false_rejects <= 4, score  # 2 of 117 with the exact kernel, 11 with the saturating one
