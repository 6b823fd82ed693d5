"""The agent ships alone to GPU machines: stdlib, requests and Pillow only, and no cloud SDK."""
import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "gpu_agent"
ALLOWED_THIRD_PARTY = {"requests", "PIL"}


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_agent_imports_only_stdlib_requests_and_pillow():
    sources = sorted(PACKAGE.glob("*.py"))
    assert len(sources) > 5
    for path in sources:
        foreign = _imported_roots(path) - set(sys.stdlib_module_names) - ALLOWED_THIRD_PARTY - {"gpu_agent"}
        assert not foreign, f"{path.name} imports {sorted(foreign)}"
