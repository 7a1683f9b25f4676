"""The exceptions raised for bad input, shared by `scratch` and `reference`.

Every message names the offending argument and the shapes, dtypes or values involved. This module
holds no math.
"""

from __future__ import annotations


class MLPInputError(ValueError):
    """Base class: an argument's value is unusable (wrong shape, non-finite, unknown name, ...)."""


class ShapeError(MLPInputError):
    """An array has the wrong number of dimensions or a shape that does not fit its partner."""


class ConfigError(MLPInputError):
    """A network description is inconsistent: unknown names, bad sizes, an unsupported pairing."""


class DTypeError(TypeError):
    """An array has a dtype the computation cannot use (integer, object, or mismatched floats)."""
