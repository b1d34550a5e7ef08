"""Packaging: runtime, dev and optional groups kept apart, each pinned, no package-index URL anywhere;
requirements.txt (what make installs) is exactly their union."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
GROUP_FILES = sorted((ROOT / "constraints").glob("*.txt"))
PIN_FILES = [ROOT / "requirements.txt", *GROUP_FILES]


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.strip().partition("==")
            assert version, f"{path.name}: {line!r} is not pinned with =="
            found[re.sub(r"[-_.]+", "-", name).lower()] = version
    return found


def top_level(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\[<>=!~ ]", requirement, maxsplit=1)[0]).lower()


def test_no_pin_file_records_an_index_url():
    for path in PIN_FILES:
        text = path.read_text()
        assert "://" not in text and not re.search(r"^\s*-", text, re.MULTILINE), path.name


def test_requirements_txt_is_exactly_the_union_of_the_groups():
    union: dict[str, str] = {}
    for path in GROUP_FILES:
        for name, version in pins(path).items():
            assert union.setdefault(name, version) == version, f"{name} pinned twice differently"
    assert pins(ROOT / "requirements.txt") == union


def test_each_group_pins_what_pyproject_asks_for():
    groups = {"runtime": PYPROJECT["project"]["dependencies"], **PYPROJECT["project"]["optional-dependencies"]}
    for group, requirements in groups.items():
        path = ROOT / "constraints" / f"{group}.txt"
        pinned = pins(path)
        for requirement in requirements:
            assert top_level(requirement) in pinned, f"[{group}] asks for {requirement} but {path.name} does not pin it"


def test_test_only_packages_are_not_runtime_dependencies():
    runtime = {top_level(r) for r in PYPROJECT["project"]["dependencies"]}
    assert not runtime & {"hypothesis", "pytest", "schemathesis", "simpy", "procrastinate"}
