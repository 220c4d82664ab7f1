"""Helpers shared by the tools/gen-*.py data generators.

Nothing here knows about a particular table: it finds C headers the way the
system compiler does, evaluates the integer macros they define, indexes and
reads the section 2 manual pages (each generator parses a page itself), and
writes tab-separated tables with a provenance comment.  Python 3 standard
library only; the C preprocessor is `$CC` (default `gcc`).
"""

from __future__ import annotations

import ast
import gzip
import operator
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable, Generic, Iterable, NoReturn, Sequence, TypeVar

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


# Section 2 manual pages.

MAN2_DIR = Path("/usr/share/man/man2")  # Debian: package manpages-dev
FONT_ESCAPE = re.compile(r"\\f(?:\[[^\]]*\]|\(..|.)")  # groff font changes: \fB, \f(CW, \f[CR]
TH_VERSION = re.compile(r'\.TH\s+.*"(Linux man-pages [^"]+)"')  # a page's title line names its release
_MAN2_FILE = re.compile(r"(.+)\.2(\.gz)?")
_SO_REDIRECT = re.compile(r"\.so\s+(?:man2/)?(\S+)\.2(?:\.gz)?\s*$")
_MAX_REDIRECTS = 8


def is_groff_comment(line: str) -> bool:
    """A whole-line groff comment (`.\\"` or `'\\"`)."""
    return line.startswith(('.\\"', "'\\\""))


def read_man_source(path: Path) -> list[str]:
    """The lines of a page's groff source, gunzipped when the file name ends in .gz."""
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return raw.decode("utf-8", errors="replace").splitlines()


PageT = TypeVar("PageT")


class ManDir(Generic[PageT]):
    """The section 2 pages of a directory, each parsed once by `parse(real_file, lines)`.

    A page name is a file name without `.2` or `.2.gz` (`open.2.gz` is "open";
    with both files, `.2` wins).  A name leads to the page that documents it
    through symbolic links and `.so man2/OTHER.2` redirects (a `.so` line among
    a file's first five; at most 8 followed).  Pages are keyed and parsed by
    their real file, so every name leading to one file shares one page.
    """

    def __init__(self, root: Path, parse: Callable[[Path, list[str]], PageT]) -> None:
        self.root = root
        self._real_root = root.resolve()
        self._parse = parse
        self.files: dict[str, Path] = {}  # page name ("open") -> file
        for entry in sorted(os.listdir(root)):
            m = _MAN2_FILE.fullmatch(entry)
            if m:
                self.files.setdefault(m.group(1), root / entry)
        if not self.files:
            die(f"no section 2 pages in {root}")
        self.pages: dict[Path, PageT] = {}  # real file -> page, in the order first parsed

    def resolve(self, name: str) -> tuple[PageT | None, list[str]]:
        """The page that documents `name` and the page names passed on the way there (symbolic links, .so)."""
        chain: list[str] = []
        for _ in range(_MAX_REDIRECTS + 1):
            chain.append(name)
            file = self.files.get(name)
            if file is None:
                return None, chain
            real = file.resolve()
            target = _MAN2_FILE.fullmatch(real.name)
            if target and target.group(1) != name and real.parent == self._real_root:
                chain.append(target.group(1))
            if real in self.pages:
                return self.pages[real], list(dict.fromkeys(chain))
            lines = read_man_source(real)
            redirect = next((m for m in map(_SO_REDIRECT.match, lines[:5]) if m), None)
            if redirect:
                name = redirect.group(1)
                continue
            page = self._parse(real, lines)
            self.pages[real] = page
            return page, list(dict.fromkeys(chain))
        return None, chain

    def page(self, name: str) -> PageT | None:
        """The page that documents `name`, None when no file leads to one."""
        return self.resolve(name)[0]

    def all_pages(self) -> list[PageT]:
        """Every page of the directory, in the order first parsed (by the name of the first file leading to it)."""
        for name in self.files:
            self.resolve(name)
        return list(self.pages.values())


def man_versions(versions: Iterable[str | None]) -> str:
    """The distinct man-pages releases among pages' .TH versions, for a table's comment."""
    return ", ".join(sorted({v for v in versions if v})) or "unknown version"
