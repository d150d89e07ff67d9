"""End to end with the shipped defect model: simulator -> camera -> detection -> MQTT -> controller -> diverter on a
fixed seed meets the line's targets (escapes and false rejects <= 1 %, no deadline miss), with the controller calling
the simulator's diverter itself and with it sending diverter commands over MQTT to the line.

It runs in real time on whatever CPU CI has, next to other tests: the line runs at 1 part/s and 0.2 m/s, where a part
stays wholly in view for ~0.8 s, so even 1.5 frames/s of inference (a heavily loaded 2-core box) see every part
whole. The 4 parts/s figures come from `edgesight inspection evaluate` on an idle machine."""
import pytest

from edgesight.apps.inspection.config import InspectionConfig
from edgesight.apps.inspection.evaluation import LineEvaluation
from edgesight.apps.inspection.sim.conveyor import LineSpec
from edgesight.core.models import MODELS_DIR

MODEL = MODELS_DIR / "inspection_defects.onnx"


@pytest.mark.slow
@pytest.mark.parametrize("diverter_route", ["direct", "mqtt"])
def test_short_evaluation_meets_the_targets(tmp_path, mosquitto, diverter_route) -> None:
    if not MODEL.is_file():
        pytest.skip(f"{MODEL} not built yet: `edgesight train inspection` makes it")
    config = InspectionConfig.load(MODELS_DIR.parent / "apps" / "inspection" / "lines" / "sim.yaml")
    config = config.model_copy(update={"belt": config.belt.model_copy(update={"speed_mps": 0.2})})
    line = LineSpec(rate_hz=1.0, belt_speed_mps=0.2, diverter_mm=config.belt.diverter_mm,
                    belt_width_mm=config.belt.width_mm, defect_share=0.5, seed=3)
    report = LineEvaluation(config, line, MODEL, seconds=20.0, fps=5.0, seed=3, broker_url=mosquitto.url,
                            workdir=tmp_path, diverter_route=diverter_route).run()
    assert report.parts_seen >= 16 and report.defective >= 7, report
    assert report.verdicts >= report.parts_seen
    assert report.escape_rate <= 0.01, report
    assert report.false_reject_rate <= 0.01, report
    assert report.deadline_misses == 0, report
    assert report.duplicates == 0
    if diverter_route == "mqtt":  # every command reached the line before its part reached the diverter
        assert report.commands_late == 0 and report.command_slack_min_ms > 0, report
