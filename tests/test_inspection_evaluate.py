"""End to end with the shipped defect model: simulator -> camera -> detection -> MQTT -> controller -> diverter on a
fixed seed meets the line's targets (escapes and false rejects <= 1 %, no deadline miss)."""
import pytest

from edgesight.apps.inspection.config import InspectionConfig
from edgesight.apps.inspection.evaluation import LineEvaluation
from edgesight.apps.inspection.sim.conveyor import LineSpec
from edgesight.core.models import MODELS_DIR

MODEL = MODELS_DIR / "inspection_defects.onnx"


@pytest.mark.slow
def test_short_evaluation_meets_the_targets(tmp_path, mosquitto) -> None:
    if not MODEL.is_file():
        pytest.skip(f"{MODEL} not built yet: `edgesight train inspection` makes it")
    config = InspectionConfig.load(MODELS_DIR.parent / "apps" / "inspection" / "lines" / "sim.yaml")
    line = LineSpec(rate_hz=4.0, belt_speed_mps=config.belt.speed_mps, diverter_mm=config.belt.diverter_mm,
                    defect_share=0.25, seed=3)
    report = LineEvaluation(config, line, MODEL, seconds=20.0, fps=10.0, seed=3, broker_url=mosquitto.url,
                            workdir=tmp_path).run()
    assert report.parts_seen >= 70 and report.defective >= 10
    assert report.verdicts >= report.parts_seen
    assert report.escape_rate <= 0.01, report
    assert report.false_reject_rate <= 0.01, report
    assert report.deadline_misses == 0, report
    assert report.duplicates == 0
