"""Helpers shared by the tools/gen-*.py data generators.

Nothing here knows about a particular table: it finds C headers the way the
system compiler does, evaluates the integer macros they define, and writes
tab-separated tables with a provenance comment.  Python 3 standard library only;
the C preprocessor is `$CC` (default `gcc`).
"""

from __future__ import annotations

import ast
import operator
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterable, NoReturn, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "src" / "Phoebe.Lang" / "Data"

_IDENT = re.compile(r"[A-Za-z_]\w*")


def die(message: str) -> NoReturn:
    print(f"{Path(sys.argv[0]).name}: error: {message}", file=sys.stderr)
    sys.exit(2)


def warn(message: str) -> None:
    print(f"{Path(sys.argv[0]).name}: warning: {message}", file=sys.stderr)


def compiler() -> str:
    return os.environ.get("CC", "gcc")


def run_cpp(source: str, extra_args: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    """Runs the C preprocessor on `source` (C text on stdin)."""
    cmd = [compiler(), "-E", *extra_args, "-x", "c", "-"]
    try:
        return subprocess.run(cmd, input=source, capture_output=True, text=True, check=True)
    except FileNotFoundError:
        die(f"C compiler '{cmd[0]}' not found (set CC or install gcc)")
    except subprocess.CalledProcessError as e:
        die(f"'{' '.join(cmd)}' failed:\n{e.stderr}")


def find_header(name: str, extra_args: Sequence[str] = ()) -> Path:
    """Returns the file that `#include <name>` resolves to for the system compiler."""
    result = run_cpp(f"#include <{name}>\n", ["-H", *extra_args])
    for line in result.stderr.splitlines():
        # -H prints one line per included file, depth shown by leading dots;
        # the first depth-1 line is the header we asked for.
        if line.startswith(". "):
            return Path(line[2:].strip()).resolve()
    die(f"cannot locate <{name}> through the C preprocessor")


def macro_definitions(source: str, extra_args: Sequence[str] = ()) -> dict[str, str]:
    """All object-like macros defined after preprocessing `source` (`cpp -dM`)."""
    result = run_cpp(source, ["-dM", *extra_args])
    macros: dict[str, str] = {}
    for line in result.stdout.splitlines():
        m = re.match(r"#define\s+([A-Za-z_]\w*)(?!\()\s*(.*)$", line)
        if m:
            macros[m.group(1)] = m.group(2).strip()
    return macros


_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.LShift: operator.lshift,
    ast.BitOr: operator.or_,
}


def _eval_int(node: ast.AST) -> int:
    if isinstance(node, ast.Expression):
        return _eval_int(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval_int(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _BINOPS[type(node.op)](_eval_int(node.left), _eval_int(node.right))
    raise ValueError("not an integer constant expression")


def evaluate_macro(name: str, macros: dict[str, str], depth: int = 0) -> int | None:
    """Value of an integer macro, following references to other macros; None if not an integer."""
    if depth > 32 or name not in macros:
        return None
    body = macros[name]
    failed = False

    def substitute(m: re.Match[str]) -> str:
        nonlocal failed
        value = evaluate_macro(m.group(0), macros, depth + 1)
        if value is None:
            failed = True
            return "0"
        return str(value)

    # C integer suffixes (1UL) would confuse Python's parser.
    text = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", body)
    text = _IDENT.sub(substitute, text)
    if failed or not text:
        return None
    try:
        return _eval_int(ast.parse(text, mode="eval"))
    except (SyntaxError, ValueError):
        return None


def write_tsv(path: Path, comments: Iterable[str], header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """Writes a table: `# ` comment lines, a column-header line, then the rows. Returns the row count."""
    lines = [f"# {c}" for c in comments]
    lines.append("\t".join(header))
    count = 0
    for row in rows:
        for cell in row:
            if "\t" in cell or "\n" in cell or cell == "":
                raise ValueError(f"bad cell {cell!r} in row {row!r}")
        lines.append("\t".join(row))
        count += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    return count


def read_tsv(path: Path) -> list[dict[str, str]]:
    """Reads a table written by write_tsv."""
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
            else:
                rows.append(dict(zip(header, cells)))
    return rows


def kernel_headers_version() -> str:
    """`major.minor` of the installed Linux UAPI headers (the sublevel changes no table)."""
    macros = macro_definitions("#include <linux/version.h>\n")
    major = evaluate_macro("LINUX_VERSION_MAJOR", macros)
    minor = evaluate_macro("LINUX_VERSION_PATCHLEVEL", macros)
    if major is None or minor is None:
        code = evaluate_macro("LINUX_VERSION_CODE", macros)
        if code is None:
            return "unknown"
        major, minor = code >> 16, (code >> 8) & 0xFF
    return f"{major}.{minor}"
