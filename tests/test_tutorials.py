"""The tutorials: jupytext notebooks that use public names only, in the docs and the README.

Running them (quick mode, about a minute in all) is CI's separate step
``python docs/tutorials/run_all.py``; here that step is the ``slow`` test at the end.
"""

import ast
import importlib
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "docs" / "tutorials"
sys.path.insert(0, str(TUTORIALS))
import run_all  # noqa: E402

FILES = run_all.tutorials()


def test_there_are_five_tutorials():
    assert [p.name[:3] for p in FILES] == ["01_", "02_", "03_", "04_", "05_"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_tutorial_is_a_percent_notebook_with_a_quick_mode_and_checks(path):
    text = path.read_text()
    assert text.startswith("# ---\n# jupyter:") and "format_name: percent" in text
    assert text.count("\n# %% [markdown]") >= 3 and re.search(r"\n# %%\n", text)
    assert 'os.environ.get("LABCOAT_QUICK") == "1"' in text
    tree = ast.parse(text)
    asserts = [n for n in ast.walk(tree) if isinstance(n, ast.Assert)]
    checks = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and "assert" in n.attr]
    assert len(asserts) + len(checks) >= 2, "a tutorial checks its own key numbers"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_tutorial_imports_only_public_names(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("labcoat"):
            module = importlib.import_module(node.module)
            assert node.module.count(".") == 1, f"{node.module}: import from the package"
            for alias in node.names:
                assert alias.name in module.__all__, f"{node.module}.{alias.name} is not public"


def first_code_cell(path: Path) -> str:
    text = path.read_text()
    headers = re.findall(r"^# %%.*$", text, flags=re.M)
    cells = re.split(r"^# %%.*$", text, flags=re.M)[1:]
    code = [c for c, h in zip(cells, headers, strict=True) if "[markdown]" not in h]
    return code[0].strip()


def test_the_readme_quick_start_is_the_first_tutorials_first_cell():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1]
    block = re.search(r"```python\n(.*?)```", quick_start, flags=re.S)
    assert block is not None
    assert block.group(1).strip() == first_code_cell(FILES[0])


def test_the_readme_and_the_site_link_every_tutorial_and_the_build_command():
    readme = (ROOT / "README.md").read_text()
    page = (TUTORIALS / "index.md").read_text()
    nav = (ROOT / "mkdocs.yml").read_text()
    assert "tutorials/index.md" in nav
    assert "mkdocs build --strict" in readme and "run_all.py" in readme
    for path in FILES:
        assert f"docs/tutorials/{path.name}" in readme
        assert f'--8<-- "docs/tutorials/{path.name}"' in page


def test_run_all_reports_a_failing_tutorial(tmp_path, monkeypatch, capsys):
    broken = tmp_path / "01_broken.py"
    broken.write_text("import os\nassert os.environ['LABCOAT_QUICK'] == '1'\nassert 1 == 2\n")
    monkeypatch.setattr(run_all, "tutorials", lambda: [broken])
    assert run_all.main([]) == 1
    captured = capsys.readouterr()
    assert "FAIL 01_broken.py" in captured.out and "AssertionError" in captured.err


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_tutorial_runs_in_quick_mode(path):
    passed, seconds, tail = run_all.run(path, limit=120.0)
    assert passed, tail
