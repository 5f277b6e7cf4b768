"""The package layout: labcoat.* imports, no bare root folders in site-packages or in code."""

import importlib
import importlib.metadata
import importlib.util
import re
import site
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUBPACKAGES = ("envs", "agents", "models", "classic", "exercises")


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_subpackage_maps_to_root_folder(name):
    module = importlib.import_module(f"labcoat.{name}")
    assert Path(module.__file__).resolve().parent == ROOT / name


def test_nothing_but_labcoat_lands_in_site_packages():
    dists = [
        d
        for d in importlib.metadata.distributions(path=site.getsitepackages())
        if d.metadata["Name"] == "labcoat"
    ]
    assert dists, "labcoat is not installed in this environment's site-packages"
    top = {Path(str(f)).parts[0].split(".")[0] for f in dists[0].files or []}
    assert not top & set(SUBPACKAGES)
    for name in SUBPACKAGES:  # found at most as a folder of the checkout (cwd on sys.path)
        spec = importlib.util.find_spec(name)
        assert spec is None or Path(spec.origin or "").resolve().is_relative_to(ROOT), name


def test_code_never_imports_bare_root_folders():
    names = "|".join(SUBPACKAGES)
    pattern = re.compile(rf"^\s*(from|import)\s+({names})(\.|\s|$)", re.M)
    offenders = [
        str(path.relative_to(ROOT))
        for folder in (*SUBPACKAGES, "tests", "benchmarks")
        for path in (ROOT / folder).rglob("*.py")
        if pattern.search(path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_public_names_resolve_and_are_documented(name):
    module = importlib.import_module(f"labcoat.{name}")
    assert module.__all__, f"labcoat.{name} exports nothing"
    for public in module.__all__:
        obj = getattr(module, public)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), f"labcoat.{name}.{public} has no docstring"


def test_cli_lists_envs_exercises_and_agents(capsys):
    from labcoat.envs import ENV_IDS
    from labcoat.exercises import EXERCISES
    from labcoat.exercises.cli import main

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for item in (*ENV_IDS, *EXERCISES, "QLearning", "SemiGradientSarsa", "UCB"):
        assert item in out
