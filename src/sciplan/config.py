"""Typed configuration loaded from YAML: every config is a pydantic model, loaded one way.

    cfg = load_config("configs/train/demo.yaml", TrainConfig)

- `Strict` is the base of every config model: an unknown (misspelt) key is an error.
- `base: other.yaml` makes a file the other one plus its own changes (merged key by key).
- `ConfigPath` is the one path rule: a relative path in a file is relative to the file
  that names it, wherever the command runs. Overrides given by the caller (CLI options)
  stay as given, relative to where the command runs.
- Every error names the file and the bad keys (`config_error`).
- A field is documented by a comment above it: why it exists, its unit, what None means.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, ValidationInfo

from sciplan.errors import SciplanError

__all__ = ["ConfigPath", "Strict", "config_error", "load_config", "load_yaml", "validate_config"]

C = TypeVar("C", bound=BaseModel)


class Strict(BaseModel):
    """Base of every config model: a misspelt key would otherwise silently do the wrong thing."""

    model_config = ConfigDict(extra="forbid")


def _relative_to_file(value: Path, info: ValidationInfo) -> Path:
    ctx = info.context or {}
    folder = ctx.get("config_dir")
    if folder is None or value.is_absolute() or info.field_name in ctx.get("as_given", ()):
        return value
    return (Path(folder) / value).resolve()


# A path in a config file: relative to the file that names it (see the module docstring).
ConfigPath = Annotated[Path, AfterValidator(_relative_to_file)]


def load_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
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


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _load_with_bases(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = path.resolve()
    if path in seen:
        raise SciplanError(f"{path}: `base:` configs form a cycle")
    data = load_yaml(path)
    base = data.pop("base", None)
    if base is None:
        return data
    base_path = Path(base) if Path(base).is_absolute() else path.parent / base
    if not base_path.is_file():
        raise SciplanError(f"{path}: base config {base} not found")
    return _merge(_load_with_bases(base_path, (*seen, path)), data)


def config_error(exc: ValidationError, what: str) -> SciplanError:
    """The one error format: `WHAT: key.path: message; ...`."""
    lines = []
    for e in exc.errors():
        where = ".".join(str(x) for x in e["loc"])
        msg = str(e["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {msg}" if where else msg)
    return SciplanError(f"{what}: " + "; ".join(lines))


def validate_config(data: dict[str, Any], model: type[C], *, source: str | os.PathLike[str] | None = None,
                    what: str | None = None, as_given: tuple[str, ...] = ()) -> C:
    """`data` as `model`; relative `ConfigPath`s against `source`'s folder; errors in the one format."""
    context = {"config_dir": Path(source).resolve().parent, "as_given": as_given} if source is not None else None
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise config_error(exc, what or f"{source}: invalid {model.__name__}") from None


def load_config(path: str | os.PathLike[str], model: type[C], **overrides: object) -> C:
    """Load `path` (after its `base:` chain) into `model`; non-None keyword overrides win over the file."""
    data = _load_with_bases(Path(path))
    given = {k: v for k, v in overrides.items() if v is not None}
    data.update(given)
    return validate_config(data, model, source=path, as_given=tuple(given))
