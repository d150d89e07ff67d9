"""The repo root is the `edgesight` package: the fixed layout (core/, apps/, dashboards/, models/) installs as
edgesight.core, edgesight.apps, ..., so no bare `core` or `apps` module lands in site-packages."""
from setuptools import find_packages, setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):
    """The root package is the repo root: leave this build script out of it."""

    def find_package_modules(self, package, package_dir):
        return [m for m in super().find_package_modules(package, package_dir) if (m[0], m[1]) != ("edgesight", "setup")]


_subpackages = find_packages(where=".", include=["core", "core.*", "apps", "apps.*", "dashboards", "dashboards.*"])
setup(
    packages=["edgesight"] + [f"edgesight.{p}" for p in _subpackages],
    package_dir={"edgesight": "."},
    # Data files beside the code: shipped models and demo media, alembic migrations, broker config, SUMO
    # scenarios, site and line configs, dashboard assets.
    package_data={
        "edgesight": ["models/*.onnx", "models/*.json", "models/*.md", "assets/*"],
        "edgesight.core.store": ["migrations/*", "migrations/versions/*"],
        "edgesight.core.bus": ["*.conf", "*.acl"],
        "edgesight.apps.traffic": ["sites/*.yaml"],
        "edgesight.apps.traffic.scenarios": ["*.xml"],
        "edgesight.apps.inspection": ["lines/*.yaml"],
        "edgesight.core.training": ["architectures/*.yaml"],
        "edgesight.dashboards": ["*.toml", "*.css", ".streamlit/*", "pages/*"],
    },
    cmdclass={"build_py": BuildPy},
)
