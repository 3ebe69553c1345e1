"""One build step that pyproject.toml cannot say: compile the translation catalogues.

Everything else about the package is in pyproject.toml. The ``.mo`` files are
built, not committed (``.gitignore``), and without them an installed service
would serve English under ``lang="pl"``. So every build compiles them, with
Babel's own ``compile_catalog``, the command behind ``pybabel compile`` (which
``make translations`` runs in the checkout):

- a wheel (``pip install .``, ``pip wheel``, ``python -m build``) gets them in
  its build folder, next to the ``.po`` files that ``build_py`` copied there;
- an editable install (``pip install -e .``, ``make install``) gets them in the
  checkout itself, where the package is imported from.
"""

from pathlib import Path

from babel.messages.setuptools_frontend import compile_catalog
from setuptools import setup
from setuptools.command.build import build
from setuptools.errors import SetupError

TRANSLATIONS = Path("registration", "translations")


class CompileCatalogues(compile_catalog):
    """``compile_catalog`` as a step of ``build``, after ``build_py`` (setuptools'
    ``SubCommand`` protocol, which editable installs use too)."""

    description = "compile the package's translation catalogues (.po) into .mo files"

    def initialize_options(self) -> None:
        super().initialize_options()
        self.build_lib = None
        self.editable_mode = False

    def finalize_options(self) -> None:
        self.set_undefined_options("build_py", ("build_lib", "build_lib"))
        self.directory = str(self._root() / TRANSLATIONS)
        super().finalize_options()

    def run(self) -> None:
        if super().run():
            raise SetupError("the translation catalogues have errors (see above)")

    def _root(self) -> Path:
        return Path() if self.editable_mode else Path(self.build_lib)

    def _catalogues(self) -> list[Path]:
        return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/*.po"))

    def get_source_files(self) -> list[str]:
        return [str(catalogue) for catalogue in self._catalogues()]

    def get_output_mapping(self) -> dict[str, str]:
        """Each compiled file in the build folder, and what it comes from: its ``.po``,
        or for an editable install the ``.mo`` compiled in place."""
        mapping = {}
        for catalogue in self._catalogues():
            compiled = catalogue.with_suffix(".mo")
            source = compiled if self.editable_mode else catalogue
            mapping[str(Path(self.build_lib) / compiled)] = str(source)
        return mapping

    def get_outputs(self) -> list[str]:
        return list(self.get_output_mapping())


class Build(build):
    sub_commands = [*build.sub_commands, ("compile_catalogues", None)]


setup(cmdclass={"build": Build, "compile_catalogues": CompileCatalogues})
