"""Package discovery only; all metadata is in pyproject.toml.

``integrations/`` sits at the top of the repository (as in optuna-integration) and is installed
as ``optuna_qnas.integrations``; ``[tool.setuptools.packages.find]`` cannot map a folder to a
different package name, so the list is built here.
"""

from setuptools import find_namespace_packages
from setuptools import find_packages
from setuptools import setup


packages = find_packages(include=["optuna_qnas", "optuna_qnas.*"])
# Namespace packages too: the OptunaHub package folders have no __init__.py above them.
integrations = find_namespace_packages(include=["integrations", "integrations.*"])
packages += ["optuna_qnas." + name for name in integrations]
setup(
    packages=packages,
    package_dir={"optuna_qnas.integrations": "integrations"},
    package_data={
        "optuna_qnas.integrations": [
            "optunahub/**/*.md",
            "optunahub/**/LICENSE",
            "optunahub/**/*.py",
            "optunahub/**/requirements.txt",
        ]
    },
)
