"""Start-up cost: defer the one import that makes ``p2c`` slow to start.

``nbformat`` (used by papermill and nbconvert) imports ``jsonschema``, whose format checkers
import ``rfc3987_syntax`` when it is installed (``jsonschema[format-nongpl]``, pulled in by the
Jupyter stack). That package compiles some 35 Lark grammars *at import time*: about 3 s on this
machine, paid by every ``p2c`` command and every worker, although no notebook schema uses the
``iri``/``iri-reference`` formats it checks (python-jsonschema/jsonschema#1428; the upstream
advice is not to import what is not used, and the GPL ``rfc3987`` package, which would also
avoid it, is not an option for an MIT project).

:func:`defer_slow_imports` puts a stand-in ``rfc3987_syntax`` module in ``sys.modules`` whose
``is_valid_syntax`` imports the real package on its first call and hands over to it. Nothing is
lost: a schema that does use ``iri`` is still checked by the real package, only later. It is
called by the ``p2c`` command, the runner and its workers; it never touches a notebook's kernel.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

_NAME = "rfc3987_syntax"


class _DeferredModule(types.ModuleType):
    """Stands in for a module until one of its attributes is used, then becomes it."""

    def __init__(self, name: str) -> None:
        super().__init__(name, f"deferred import of {name} (p2c_analysis.startup)")
        self._p2c_deferred = True

    def _load(self) -> types.ModuleType:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        real = importlib.import_module(self.__name__)
        sys.modules[self.__name__] = real
        return real

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(self._load(), attr)

    def is_valid_syntax(self, term: str, value: str) -> Any:
        """The real ``rfc3987_syntax.is_valid_syntax``, imported on first use."""
        return self._load().is_valid_syntax(term, value)


def defer_slow_imports() -> bool:
    """Install the deferred ``rfc3987_syntax`` (see the module docstring). Returns ``True`` when
    it is in place, ``False`` when the package is not installed or already imported."""
    current = sys.modules.get(_NAME)
    if current is not None:
        return bool(getattr(current, "_p2c_deferred", False))
    if importlib.util.find_spec(_NAME) is None:
        return False
    stand_in = _DeferredModule(_NAME)
    # ``from rfc3987_syntax import is_valid_syntax`` must find a plain function
    stand_in.__dict__["is_valid_syntax"] = stand_in.is_valid_syntax
    sys.modules[_NAME] = stand_in
    return True
