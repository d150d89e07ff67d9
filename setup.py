"""The repo root is the `edgesight` package: the fixed layout (core/, apps/, dashboards/, models/) installs as
edgesight.core, edgesight.apps, ..., so no bare `core` or `apps` module lands in site-packages."""
from setuptools import find_packages, setup

_subpackages = find_packages(where=".", include=["core", "core.*", "apps", "apps.*", "dashboards", "dashboards.*"])
setup(
    packages=["edgesight"] + [f"edgesight.{p}" for p in _subpackages],
    package_dir={"edgesight": "."},
    package_data={"edgesight": ["models/*.onnx", "models/*.yaml", "models/*.md", "assets/*"],
                  "edgesight.apps.traffic": ["scenarios/*", "scenarios/*/*", "sites/*"],
                  "edgesight.apps.inspection": ["lines/*"],
                  "edgesight.dashboards": ["*.toml", "pages/*"]},
    include_package_data=False,
)
