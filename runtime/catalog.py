"""The failure-mode catalog: discovers failure_modes/FM_XXX_<name>/ folders and loads them.

Metadata comes from each spec.md's front matter; the workload and policies from scenario.py.
"""

from __future__ import annotations

import functools
import importlib
import re
from pathlib import Path

import attrs
import yaml

from runtime.errors import UnknownFailureModeError
from runtime.faults import FaultPlan
from runtime.policies import Policy
from runtime.scenario import Scenario

FAILURE_MODES_DIR = Path(__file__).resolve().parent.parent / "failure_modes"
FOLDER_PATTERN = re.compile(r"^FM_(\d{3})_([a-z0-9_]+)$")
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
REQUIRED_KEYS = ("id", "title", "invariants")


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
        return importlib.import_module(f"failure_modes.{self.folder.name}.scenario")

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


def parse_front_matter(text: str, source: str) -> dict:
    match = FRONT_MATTER.match(text)
    if match is None:
        raise ValueError(f"{source} must start with a '---' front-matter block")
    data = yaml.safe_load(match.group(1)) or {}
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise ValueError(f"{source} front matter is missing {', '.join(missing)}")
    return data


def _load(folder: Path) -> FailureMode:
    spec = folder / "spec.md"
    data = parse_front_matter(spec.read_text(encoding="utf-8"), str(spec))
    number, slug = FOLDER_PATTERN.match(folder.name).groups()
    if data["id"] != f"FM_{number}":
        raise ValueError(f"{spec}: id {data['id']!r} does not match folder {folder.name}")
    return FailureMode(
        id=data["id"],
        slug=slug,
        title=data["title"],
        invariants=tuple(data["invariants"]),
        seen_in=data.get("seen_in"),
        folder=folder,
    )


def catalog(root: Path = FAILURE_MODES_DIR) -> tuple[FailureMode, ...]:
    """Every FM folder under `root`, in id order."""
    folders = sorted(p for p in root.iterdir() if p.is_dir() and FOLDER_PATTERN.match(p.name))
    return tuple(_load(folder) for folder in folders)


def normalize_id(text: str) -> str | None:
    """'FM_001', 'FM_1', 'fm1', '1' and 'FM_001_duplicate_retry' all mean FM_001."""
    match = re.fullmatch(r"(?:fm_?)?0*(\d{1,3})(?:_[a-z0-9_]+)?", text.strip().lower())
    return f"FM_{int(match.group(1)):03d}" if match else None


def find(text: str, root: Path = FAILURE_MODES_DIR) -> FailureMode:
    modes = catalog(root)
    wanted = normalize_id(text)
    for mode in modes:
        if mode.id == wanted:
            return mode
    known = ", ".join(mode.id for mode in modes)
    raise UnknownFailureModeError(f"unknown failure mode {text!r} (known: {known}); see `faultline list`")
