"""The failure-mode catalog: discovers failure_modes/FM_XXX_<name>/ folders and loads them.

Metadata comes from each spec.md's front matter; the workload and policies from scenario.py.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import re
import sys
import tomllib
from pathlib import Path

import attrs
import yaml

from runtime.core.errors import BadInputError, UnknownFailureModeError
from runtime.core.faults import FaultPlan
from runtime.core.policy import Policy
from runtime.core.scenario import Scenario

FAILURE_MODES_DIR = Path(__file__).resolve().parent.parent / "failure_modes"
FM_PATH_ENV = "FAULTLINE_FM_PATH"


def failure_modes_dir(start: Path | None = None) -> Path:
    """Where this project's failure modes live: `--fm-path` (the FAULTLINE_FM_PATH variable), else
    `[tool.faultline] failure_modes` in the nearest pyproject.toml from the working folder up
    (relative to that file), else Faultline's own catalog."""
    configured = os.environ.get(FM_PATH_ENV)
    if configured:
        return Path(configured).resolve()
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            try:
                settings = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("faultline", {})
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
                raise BadInputError(f"{pyproject}: cannot be read ({error}); fix it or pass --fm-path") from None
            path = settings.get("failure_modes")
            if path is None:
                break  # the nearest pyproject decides: no setting, Faultline's own catalog
            if not isinstance(path, str) or not path:
                raise BadInputError(f'{pyproject}: [tool.faultline] failure_modes must be a folder path, e.g. "fms"')
            return (candidate / path).resolve()
    return FAILURE_MODES_DIR


def is_checkout() -> bool:
    """Faultline runs from its own repository (its Makefile beside its failure modes), not from an
    installed wheel, whose catalog lives read-only in site-packages."""
    return (FAILURE_MODES_DIR.parent / "Makefile").is_file()


FOLDER_PATTERN = re.compile(r"^FM_(\d{3})_([a-z0-9_]+)$")
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
REQUIRED_KEYS = ("id", "title", "invariants")


class SpecError(BadInputError):
    """A failure mode's spec.md is broken: the message names the file and the problem."""


@attrs.frozen(kw_only=True)
class FailureMode:
    id: str
    slug: str
    title: str
    invariants: tuple[str, ...]
    """The invariants its naive run violates (the spec's promise)."""
    seen_in: str | None
    folder: Path

    @property
    def number(self) -> int:
        return int(self.id.split("_")[1])

    @functools.cached_property
    def module(self):
        if self.folder.parent == FAILURE_MODES_DIR:
            return importlib.import_module(f"failure_modes.{self.folder.name}.scenario")
        # A project's own folder, outside Faultline: load its scenario.py from the file.
        name = f"faultline_fm.{self.folder.name}.scenario"
        if name not in sys.modules:
            spec = importlib.util.spec_from_file_location(name, self.folder / "scenario.py")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        return sys.modules[name]

    @property
    def scenario(self) -> Scenario:
        return self.module.SCENARIO

    def policy(self, fixed: bool) -> Policy:
        return self.module.FIXED_POLICY if fixed else self.module.NAIVE_POLICY

    def test_path(self, which: str) -> Path:
        return self.folder / f"test_{which}_fm{self.number:03d}.py"

    def run(
        self,
        *,
        fixed: bool = False,
        seed: int = 0,
        plan: FaultPlan | None = None,
        policy: Policy | None = None,
    ):
        from runtime.sim import run

        return run(self.scenario, policy or self.policy(fixed), seed, plan)


@functools.lru_cache(maxsize=256)
def _parse_yaml(text: str):
    """A front matter's YAML, parsed once per distinct text (every command reads the whole catalog;
    the result is read-only). libyaml's parser when PyYAML has it."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def parse_front_matter(text: str, source: str) -> dict:
    match = FRONT_MATTER.match(text)
    if match is None:
        raise SpecError(f"{source} must start with a '---' front-matter block")
    try:
        data = _parse_yaml(match.group(1)) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise SpecError(f"{source}: front matter is not valid YAML{where}; fix it or run `faultline fm new`") from None
    if not isinstance(data, dict):
        raise SpecError(f"{source}: front matter must be a YAML mapping with {', '.join(REQUIRED_KEYS)}")
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise SpecError(f"{source} front matter is missing {', '.join(missing)}")
    return data


def _known_invariants() -> set[str]:
    from invariants import REGISTRY

    return set(REGISTRY)


def _load(folder: Path) -> FailureMode:
    spec = folder / "spec.md"
    try:
        text = spec.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"{spec}: cannot be read ({error.__class__.__name__})") from None
    data = parse_front_matter(text, str(spec))
    match = FOLDER_PATTERN.match(folder.name)
    if match is None:
        raise SpecError(f"{folder}: not a failure mode folder (FM_NNN_<name>)")
    number, slug = match.groups()
    if data["id"] != f"FM_{number}":
        raise SpecError(f"{spec}: id {data['id']!r} does not match folder {folder.name}")
    invariants = data["invariants"]
    if not isinstance(invariants, list) or not all(isinstance(i, str) for i in invariants):
        raise SpecError(f"{spec}: invariants must be a list of INV_XXX ids, e.g. [INV_001]")
    unknown = [i for i in invariants if i not in _known_invariants()]
    if unknown:
        raise SpecError(f"{spec}: unknown invariant {unknown[0]!r} (see docs/01_invariants.md)")
    if not isinstance(data["title"], str) or not data["title"].strip():
        raise SpecError(f"{spec}: title must be a non-empty string")
    seen_in = data.get("seen_in")
    return FailureMode(
        id=data["id"],
        slug=slug,
        title=data["title"],
        invariants=tuple(invariants),
        seen_in=str(seen_in) if seen_in is not None else None,
        folder=folder,
    )


def _folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and FOLDER_PATTERN.match(p.name))


def load_all(root: Path | None = None) -> tuple[tuple[FailureMode, ...], tuple[SpecError, ...]]:
    """Every FM folder under `root` (default: failure_modes_dir()) in id order, and the errors of
    those whose spec is broken."""
    root = failure_modes_dir() if root is None else root
    if not root.is_dir():
        raise BadInputError(f"failure-mode folder {str(root)!r} does not exist; create it or fix --fm-path")
    modes, errors = [], []
    for folder in _folders(root):
        try:
            modes.append(_load(folder))
        except SpecError as error:
            errors.append(error)
    return tuple(modes), tuple(errors)


def catalog(root: Path | None = None) -> tuple[FailureMode, ...]:
    """Every loadable FM folder under `root`, in id order (a broken spec skips only its own FM)."""
    return load_all(root)[0]


def normalize_id(text: str) -> str | None:
    """'FM_001', 'FM_1', 'fm1', '1' and 'FM_001_duplicate_retry' all mean FM_001."""
    match = re.fullmatch(r"(?:fm_?)?0*(\d{1,3})(?:_[a-z0-9_]+)?", text.strip().lower(), flags=re.ASCII)
    return f"FM_{int(match.group(1)):03d}" if match else None


def find(text: str, root: Path | None = None) -> FailureMode:
    root = failure_modes_dir() if root is None else root
    modes, errors = load_all(root)
    wanted = normalize_id(text)
    for mode in modes:
        if mode.id == wanted:
            return mode
    for folder in _folders(root):
        if wanted and folder.name.startswith(wanted + "_"):
            raise next(e for e in errors if str(folder) in str(e))
    known = ", ".join(mode.id for mode in modes)
    raise UnknownFailureModeError(f"unknown failure mode {text!r} (known: {known}); see `faultline list`")
