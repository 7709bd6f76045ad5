"""Typed configuration loaded from YAML: every config is a pydantic model."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from sciplan.errors import SciplanError

__all__ = ["load_config", "load_yaml"]

C = TypeVar("C", bound=BaseModel)


def load_yaml(path: str | os.PathLike[str]) -> dict:
    """Read a YAML mapping, with an error that names the file when it is not one."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SciplanError(f"{p}: no such config file") from None
    except IsADirectoryError:
        raise SciplanError(f"{p}: is a folder, not a YAML config file") from None
    except UnicodeDecodeError as exc:
        raise SciplanError(f"{p}: not a UTF-8 text file (byte {exc.start}); a config must be UTF-8 YAML") from None
    except OSError as exc:
        raise SciplanError(f"{p}: cannot read the config ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise SciplanError(f"{p}: not valid YAML ({exc})") from None
    except RecursionError:
        raise SciplanError(f"{p}: YAML nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SciplanError(f"{p}: expected a YAML mapping at the top level")
    return data


def load_config(path: str | os.PathLike[str], model: type[C], **overrides: object) -> C:
    """Load `path` into the config class `model`; keyword overrides win over the file."""
    data = load_yaml(path)
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = [f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise SciplanError(f"{path}: invalid {model.__name__}: " + "; ".join(lines)) from None
