"""The shape figures of issue 16: longest functions and longest modules of the runtime code.

    python scripts/code_shape.py [--top N] [--check] [paths...]

Runtime code is services/<svc>/ and shared/ and ww/, without tests, migrations or the web front
end's templates. A function over 60 lines (def line to its end, decorators excluded) is allowed
when the line after its signature carries a `# long: <reason>` comment; `--check` exits 1 when a
module is over 500 lines or a long function has no reason.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
DEFAULT_ROOTS = ("services", "shared", "ww")


def runtime_files(roots: list[str]) -> list[Path]:
    files = []
    for root in roots:
        for path in sorted(Path(root).rglob("*.py")):
            text = str(path)
            if "/tests/" in text or "/migrations/" in text or text.startswith("services/web/"):
                continue
            files.append(path)
    return files


def functions(path: Path) -> list[tuple[int, int, str, bool]]:
    """(length, line, qualified name, has a `# long:` reason) for every function in `path`."""
    lines = path.read_text().splitlines()
    tree = ast.parse("\n".join(lines), str(path))
    rows = []
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, prefix = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = prefix + child.name
                body_start = child.body[0].lineno
                # The reason sits between the signature and the first statement of the body
                # (or is the first line of the docstring's neighbour).
                window = lines[child.lineno - 1 : body_start + 1]
                reasoned = any("# long:" in line for line in window)
                assert child.end_lineno is not None
                rows.append((child.end_lineno - child.lineno + 1, child.lineno, name, reasoned))
                stack.append((child, name + "."))
            elif isinstance(child, ast.ClassDef):
                stack.append((child, prefix + child.name + "."))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("paths", nargs="*", default=list(DEFAULT_ROOTS))
    args = parser.parse_args()
    files = runtime_files(args.paths)
    modules = sorted(((len(p.read_text().splitlines()), str(p)) for p in files), reverse=True)
    rows = sorted(
        ((n, str(p), line, name, why) for p in files for n, line, name, why in functions(p)),
        reverse=True,
    )
    print(f"{len(files)} modules, {len(rows)} functions")
    print(f"\nlongest {args.top} functions:")
    for n, path, line, name, why in rows[: args.top]:
        print(f"{n:5d}  {path}:{line}  {name}{'  (# long)' if why else ''}")
    big_modules = [(n, p) for n, p in modules if n > MAX_MODULE_LINES]
    long_bare = [r for r in rows if r[0] > MAX_FUNCTION_LINES and not r[4]]
    long_all = [r for r in rows if r[0] > MAX_FUNCTION_LINES]
    print(f"\nmodules over {MAX_MODULE_LINES} lines: {len(big_modules)}")
    for n, p in big_modules:
        print(f"{n:5d}  {p}")
    print(
        f"functions over {MAX_FUNCTION_LINES} lines: {len(long_all)}, "
        f"of which without a '# long:' reason: {len(long_bare)}"
    )
    for n, path, line, name, _ in long_bare:
        print(f"{n:5d}  {path}:{line}  {name}")
    return 1 if args.check and (big_modules or long_bare) else 0


if __name__ == "__main__":
    sys.exit(main())
