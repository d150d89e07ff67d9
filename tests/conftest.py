"""One conftest: the real-service fixtures (Mosquitto, RTSP server, databases, ...) live in tests/fixtures/,
one module per service, and are all loaded here."""
from pathlib import Path

pytest_plugins = sorted(
    f"fixtures.{p.stem}" for p in (Path(__file__).parent / "fixtures").glob("*.py") if p.stem != "__init__"
)
