"""Every public callable of tinygrad_mlp has a docstring.

Public means: a module of the package whose dotted path has no part starting with
``_``; in it, the names of its ``__all__`` (or, without one, every name not
starting with ``_`` that the module itself defines); and in a public class, every
method, property, classmethod and staticmethod the class itself defines whose
name does not start with ``_``. One test per module, so a failure names the
module and lists each callable without a docstring.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import tinygrad_mlp


def public_modules() -> list[str]:
    names = [tinygrad_mlp.__name__]
    for info in pkgutil.walk_packages(tinygrad_mlp.__path__, prefix="tinygrad_mlp."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        names.append(info.name)
    return sorted(names)


def public_names(module) -> list[str]:
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [
        name
        for name, obj in vars(module).items()
        if not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__
    ]


def _own_doc(obj) -> str | None:
    """The docstring written on ``obj`` itself (a class's doc is not inherited)."""
    if inspect.isclass(obj):
        return obj.__dict__.get("__doc__")
    return getattr(obj, "__doc__", None)


def missing_docstrings(module_name: str) -> list[str]:
    """``module.name`` or ``module.Class.method`` for each public callable without a doc."""
    module = importlib.import_module(module_name)
    missing = []
    for name in public_names(module):
        obj = getattr(module, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue  # constants and re-exported instances
        if getattr(obj, "__module__", module_name) != module_name and module_name != "tinygrad_mlp":
            continue  # a re-export: checked where it is defined
        where = f"{obj.__module__}.{name}"
        if not (_own_doc(obj) or "").strip():
            missing.append(where)
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith("_"):
                    continue
                if isinstance(member, (staticmethod, classmethod)):
                    member = member.__func__
                elif isinstance(member, property):
                    member = member.fget
                elif not inspect.isfunction(member):
                    continue
                if not (member.__doc__ or "").strip():
                    missing.append(f"{where}.{attr}")
    return missing


@pytest.mark.parametrize("module_name", public_modules())
def test_public_callables_have_docstrings(module_name):
    missing = missing_docstrings(module_name)
    assert not missing, f"{len(missing)} public callables without a docstring:\n" + "\n".join(
        missing
    )


def test_the_checker_finds_a_missing_docstring(tmp_path, monkeypatch):
    """The check above can fail: a module with an undocumented function and method."""
    (tmp_path / "undocumented_demo.py").write_text(
        '"""A module."""\n\n__all__ = ["f", "C"]\n\n\ndef f():\n    return 1\n\n\n'
        'class C:\n    """A class."""\n\n    def m(self):\n        return 2\n\n'
        '    def ok(self):\n        """Documented."""\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert missing_docstrings("undocumented_demo") == [
        "undocumented_demo.f",
        "undocumented_demo.C.m",
    ]


def test_every_public_module_is_seen():
    modules = public_modules()
    for name in ("tinygrad_mlp.value", "tinygrad_mlp.tensor", "tinygrad_mlp.viz.playback"):
        assert name in modules
