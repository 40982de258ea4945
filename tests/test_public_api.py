"""The public surface: __all__ is honest and every public name is documented."""

from __future__ import annotations

import inspect

import segment_spec


def test_all_is_honest() -> None:
    exported = set(segment_spec.__all__)
    # dir(), not vars(): REGISTRY and FORMAT_CHECKER are only made when first used.
    public = {name for name in dir(segment_spec) if not name.startswith("_")}
    # Submodules imported as packages show up in vars(); they are not API.
    modules = {name for name in public if inspect.ismodule(getattr(segment_spec, name))}
    assert exported == public - modules
    assert len(segment_spec.__all__) == len(exported)


def test_every_public_name_has_a_docstring() -> None:
    for name in segment_spec.__all__:
        value = getattr(segment_spec, name)
        if isinstance(value, int | str | tuple) and not inspect.isclass(value):
            continue
        if name == "Message":
            continue  # a type alias; documented in _message and the docs
        assert inspect.getdoc(value), name


def test_documented_contract_names_exist() -> None:
    for name in (
        "check",
        "validate",
        "iter_issues",
        "check_batch",
        "normalize",
        "api_key",
        "InvalidMessage",
        "Unauthorized",
        "Rejection",
        "Issue",
        "Message",
    ):
        assert name in segment_spec.__all__
