"""Package layout (everything else is in pyproject.toml): the top-level models/ and properties/
folders are installed inside the hacheck package, as hacheck.models and hacheck.properties, so
site-packages gets no top-level 'models' or 'properties' package to clash with other projects.
Every package under hacheck/ is found, including ones added later."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["hacheck", "hacheck.*"]) + ["hacheck.models", "hacheck.properties"],
    package_dir={"hacheck.models": "models", "hacheck.properties": "properties"},
)
