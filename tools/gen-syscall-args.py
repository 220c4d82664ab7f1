#!/usr/bin/env python3
"""Generates src/Phoebe.Lang/Data/syscall-args.tsv: syscall, its parameters as its man page declares them.

Reads:
  * the section 2 manual pages (groff sources, gzip-compressed or plain) in
    /usr/share/man/man2 (Debian: package manpages-dev) or --man-dir: the
    function prototypes of their SYNOPSIS sections;
  * syscalls.tsv (the other generated table): only syscalls found there get a row;
  * strace's x86_64 syscall table, src/linux/x86_64/syscallent.h of an unpacked
    strace source tree (`apt-get source strace`), with the files it includes,
    or the aarch64 one (src/linux/64/syscallent.h) for a syscall x86_64 lacks:
    the number of arguments (`nargs`, the first field of each entry) that the
    kernel takes, to choose between prototypes and to check the chosen one.

Reading a SYNOPSIS: the font macros (.B, .BI, .BR, .IR, ...) are rendered as the
text they print, `\\`-newline continuations joined and font escapes dropped; a
prototype is a `TYPE NAME(PARAMETERS);` statement inside one paragraph.  A raw
form `long syscall(SYS_NAME, PARAMETERS);` declares NAME with the parameters
after the SYS_NAME.  Parameters are written C's way, normalised:
`_Nullable`/`_Nonnull`/`restrict` are dropped, an array parameter becomes the
pointer it decays to (`void buf[.count]` -> `void *buf`, `char *const argv[]`
-> `char *const *argv`), a function-pointer parameter is written with its name
last (`int (*)(void *) fn`).  A variadic `...` followed by a comment that names
what it stands for takes the comment's parameters (mremap's
`... /* void *new_address */`); a bare name in the comment gives `... NAME`
(fcntl's `arg`), and a `...` with no comment stays `...`.  Other comments (the
alternatives futex's page writes as `/* or: uint32_t val2 */`) are dropped.

Which prototype describes syscall S, in this order:
  1. a function named S on S's own page (NAME.2 after symbolic links and
     `.so man2/OTHER.2` redirects), or failing that on any other page;
  2. on S's own page, a function named as glibc names S's wrapper: S without an
     `rt_` or `new` prefix, a `64` suffix or trailing digits
     (rt_sigaction -> sigaction, newfstatat -> fstatat, pselect6 -> pselect,
     prlimit64 -> prlimit);
  3. on S's own page, a function named after the page a link or redirect of S
     leads to (fadvise64.2 -> posix_fadvise.2), when its arity is strace's.
When a page declares the name more than once, the prototype with strace's
arity wins, then the raw syscall() form, then the one closest to strace's
arity: open(2) shows `open(pathname, flags)` and `open(pathname, flags, mode)`,
the second is taken.  A variadic `...` counts as one argument.

A chosen prototype whose arity differs from strace's is a glibc wrapper of
another shape (clone, sigaction for rt_sigaction): it is still written, and a
warning gives strace's arity, the kernel's.  Parameter positions in such a row
are the wrapper's, which may not be the registers'.

Output: one row per syscall of syscalls.tsv with a prototype; `params` is the
`;`-separated list of `TYPE NAME` in order, or `-` when the call takes none.
A syscall whose pages declare no prototype for it has no row.

Rerun: tools/gen-syscall-args.py STRACE_SOURCE_DIR [--syscalls FILE] [--man-dir DIR] [--out FILE],
or tools/regen-data.sh for every table.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.dont_write_bytecode = True  # keep tools/ free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))
from datagen_common import (  # noqa: E402
    DATA_DIR, FONT_ESCAPE, MAN2_DIR, TH_VERSION, ManDir, die, is_groff_comment, man_versions, read_tsv, warn,
    write_tsv,
)

FONT_MACROS = {"B", "I", "R", "SM", "SB", "BI", "IB", "BR", "RB", "IR", "RI"}
# Requests that end a paragraph of the SYNOPSIS (a prototype never spans one).
BREAKS = {"PP", "P", "LP", "nf", "fi", "RS", "RE", "TP", "TQ", "IP", "EX", "EE", "in", "br", "sp", "ad", "na"}
ESCAPES = [
    (FONT_ESCAPE, ""),                             # font changes
    (re.compile(r"\\[&|^%]"), ""),                 # zero-width
    (re.compile(r"\\[ ~0]"), " "),                 # spaces
    (re.compile(r"\\-"), "-"),
    (re.compile(r"\\e"), "\\\\"),
]
IDENT = re.compile(r"[A-Za-z_]\w*")
DROPPED_QUALIFIERS = re.compile(r"\b(?:_Nullable|_Nonnull|restrict|__restrict)\b")


@dataclass
class Prototype:
    name: str
    params: list[str]          # normalised "TYPE NAME" (or "...")
    raw_form: bool             # declared as syscall(SYS_name, ...)
    order: int                 # position on the page


@dataclass
class Page:
    path: Path
    version: str | None = None
    prototypes: dict[str, list[Prototype]] = field(default_factory=dict)


def macro_arguments(text: str) -> list[str]:
    """groff's splitting of a request line's arguments: blanks separate, double quotes group, "" is a quote."""
    args: list[str] = []
    i = 0
    while i < len(text):
        if text[i] in " \t":
            i += 1
            continue
        if text[i] == '"':
            i += 1
            arg = []
            while i < len(text):
                if text[i] == '"':
                    if i + 1 < len(text) and text[i + 1] == '"':
                        arg.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                arg.append(text[i])
                i += 1
            args.append("".join(arg))
        else:
            j = i
            while j < len(text) and text[j] not in " \t":
                j += 1
            args.append(text[i:j])
            i = j
    return args


def unescape(text: str) -> str:
    for pattern, replacement in ESCAPES:
        text = pattern.sub(replacement, text)
    return text


def synopsis_paragraphs(lines: list[str]) -> list[str]:
    """The SYNOPSIS as plain text, one string per paragraph (between breaks and #-lines)."""
    joined: list[str] = []
    pending = ""
    for line in lines:
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending += line[:-1]
            continue
        joined.append(pending + line)
        pending = ""
    if pending:
        joined.append(pending)

    paragraphs: list[str] = []
    current: list[str] = []
    inside = False

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for line in joined:
        if is_groff_comment(line):
            continue
        line = re.sub(r'\\".*$', "", line)  # groff comment at the end of a line
        request = re.match(r"[.'](\w+)\s*(.*)$", line)
        if request and request.group(1) in ("SH", "SS"):
            flush()
            inside = request.group(1) == "SH" and request.group(2).strip('" ').upper() == "SYNOPSIS"
            continue
        if not inside:
            continue
        if request:
            name, rest = request.group(1), request.group(2)
            if name in FONT_MACROS:
                args = macro_arguments(rest)
                text = (" " if len(name) == 1 or name in ("SM", "SB") else "").join(args)
            elif name in BREAKS:
                flush()
                continue
            else:
                continue
        else:
            text = line
        text = unescape(text)
        if text.lstrip().startswith("#"):
            flush()  # #include, #define: never part of a prototype
            continue
        current.append(text)
    flush()
    return [re.sub(r"\s+", " ", p).strip() for p in paragraphs]


def split_top_level(text: str, separator: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def matching_paren(text: str, open_index: int) -> int:
    depth = 0
    for i in range(open_index, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def format_param(type_: str, name: str) -> str:
    type_ = re.sub(r"\s+", " ", type_).strip()
    type_ = re.sub(r"\*\s+(?=\*)", "*", type_)
    type_ = re.sub(r"\s+\*", " *", type_)
    if not name:
        return type_
    return f"{type_}{name}" if type_.endswith("*") else f"{type_} {name}"


def normalise_param(text: str) -> str | None:
    """`TYPE NAME` for one C parameter declaration, None when it is not one (or `void`)."""
    text = DROPPED_QUALIFIERS.sub("", text)
    text = re.sub(r"\s+", " ", text).strip()
    if text in ("", "void"):
        return None
    if text == "...":
        return "..."
    # Function pointer: RET (*NAME)(ARGS)
    fp = re.fullmatch(r"(.+?)\(\s*\*\s*([A-Za-z_]\w*)\s*\)\s*(\(.*\))", text)
    if fp:
        args = re.sub(r"\s+", " ", fp.group(3).replace("( ", "(").replace(" )", ")"))
        return format_param(f"{fp.group(1).strip()} (*){args}", fp.group(2))
    # Arrays decay to pointers: T NAME[...] -> T *NAME (man-pages 6 writes `void buf[.count]`).
    arrays = 0
    while True:
        m = re.fullmatch(r"(.*?)\s*\[[^\]]*\]", text)
        if not m:
            break
        text, arrays = m.group(1), arrays + 1
    m = re.fullmatch(r"(.*?[\s*])([A-Za-z_]\w*)", text)
    if not m or not m.group(1).strip():
        return format_param(text + " *" * arrays, "")  # unnamed parameter: the type alone
    return format_param(m.group(1) + " *" * arrays, m.group(2))


def parse_prototype(statement: str, order: int) -> Prototype | None:
    """A `TYPE NAME(PARAMS)` statement (without its `;`), or None."""
    open_index = statement.find("(")
    if open_index < 0:
        return None
    head = statement[:open_index].rstrip()
    m = re.fullmatch(r"((?:\[\[\w+\]\]\s*)?(?:[A-Za-z_]\w*[\s*]+)+\**)\s*([A-Za-z_]\w*)", head)
    if not m:
        return None
    close = matching_paren(statement, open_index)
    if close < 0 or statement[close + 1:].strip():
        return None
    name, inside = m.group(2), statement[open_index + 1:close]

    # `... /* what the ellipsis stands for */`
    variadic: list[str] | None = None
    vm = re.search(r"\.\.\.\s*/\*(.*?)\*/", inside)
    if vm:
        variadic = []
        for item in vm.group(1).split(","):
            item = item.strip()
            if IDENT.fullmatch(item):
                variadic.append(f"... {item}")
            else:
                p = normalise_param(item)
                if p is not None:
                    variadic.append(p)
        inside = inside[:vm.start()] + "..." + inside[vm.end():]
    inside = re.sub(r"/\*.*?\*/", " ", inside)

    params: list[str] = []
    for part in split_top_level(inside, ","):
        p = normalise_param(part)
        if p is None:
            continue
        if p == "..." and variadic:
            params += variadic
        else:
            params.append(p)

    raw_form = False
    if name == "syscall":
        if not params or not re.fullmatch(r"SYS_\w+", params[0]):
            return None  # syscall(2) itself: long syscall(long number, ...)
        name, params, raw_form = params[0][len("SYS_"):], params[1:], True
    return Prototype(name, params, raw_form, order)


def strip_comments(text: str) -> str:
    """Drops the /* comments */ of a paragraph, except one right after a `...` (what the ellipsis stands for)."""
    def replace(m: re.Match[str]) -> str:
        return m.group(0) if text[:m.start()].rstrip().endswith("...") else " "
    return re.sub(r"/\*.*?\*/", replace, text)


def parse_page(path: Path, lines: list[str]) -> Page:
    page = Page(path)
    for line in lines[:40]:
        th = TH_VERSION.match(line)
        if th:
            page.version = th.group(1)
            break
    order = 0
    for paragraph in synopsis_paragraphs(lines):
        paragraph = strip_comments(paragraph)
        for statement in split_top_level(paragraph, ";")[:-1]:  # the text after the last ';' is no statement
            proto = parse_prototype(statement.strip(), order)
            if proto is not None:
                page.prototypes.setdefault(proto.name, []).append(proto)
                order += 1
    return page


def strace_version(root: Path) -> str:
    for name in (".tarball-version", ".version"):
        if (root / name).exists():
            return (root / name).read_text().strip()
    configure = root / "configure"
    m = re.search(r"^PACKAGE_VERSION='([^']*)'", configure.read_text(), re.MULTILINE) if configure.exists() else None
    return m.group(1) if m else "unknown"


def strace_nargs(root: Path) -> dict[str, int]:
    """name -> nargs from strace's x86_64 table, then its 64-bit generic (aarch64) table for the rest."""
    src = root / "src" if (root / "src" / "sysent.h").exists() else root
    if not (src / "sysent.h").exists():
        die(f"{root} is not an strace source tree (no src/sysent.h); get one with `apt-get source strace`")

    def table(path: Path, seen: set[Path]) -> dict[str, int]:
        entries: dict[str, int] = {}
        for line in path.read_text().splitlines():
            inc = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if inc:
                for d in (path.parent, src / "linux" / "generic", src / "linux", src):
                    target = (d / inc.group(1)).resolve()
                    if target.exists():
                        break
                else:
                    die(f"{path}: cannot resolve #include \"{inc.group(1)}\"")
                if target not in seen:
                    seen.add(target)
                    entries.update(table(target, seen))
                continue
            m = re.match(r'\s*\[[^\]]*\]\s*=\s*\{\s*(\d+)\s*,.*?"([^"]+)"', line)
            if m:
                entries[m.group(2)] = int(m.group(1))
        return entries

    nargs = table(src / "linux" / "64" / "syscallent.h", set())
    nargs.update(table(src / "linux" / "x86_64" / "syscallent.h", set()))
    if not nargs:
        die(f"no syscall entries in {src / 'linux' / 'x86_64' / 'syscallent.h'}")
    return nargs


def glibc_names(syscall: str) -> list[str]:
    """Names glibc may give the wrapper of `syscall`: without rt_/new prefixes, a 64 suffix, trailing digits."""
    names = []
    for stem in (syscall, re.sub(r"^(?:rt_|new)", "", syscall)):
        for name in (stem, re.sub(r"64$", "", stem), re.sub(r"\d+$", "", stem)):
            if name and name not in names:
                names.append(name)
    return names[1:]


def choose(candidates: list[Prototype], nargs: int | None) -> Prototype:
    def key(p: Prototype) -> tuple:
        n = len(p.params)
        return (nargs is not None and n != nargs, not p.raw_form, abs(n - nargs) if nargs is not None else 0, p.order)
    return min(candidates, key=key)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("strace_source", type=Path, help="unpacked strace source tree (apt-get source strace)")
    ap.add_argument("--syscalls", type=Path, default=DATA_DIR / "syscalls.tsv")
    ap.add_argument("--man-dir", type=Path, default=MAN2_DIR)
    ap.add_argument("--out", type=Path, default=DATA_DIR / "syscall-args.tsv")
    ap.add_argument("--verbose", action="store_true", help="list the syscalls left without a row")
    args = ap.parse_args()

    syscalls = [row["name"] for row in read_tsv(args.syscalls)]
    if not syscalls:
        die("syscalls.tsv is empty; generate it first")
    nargs = strace_nargs(args.strace_source)
    man = ManDir(args.man_dir, parse_page)
    all_pages = sorted(man.all_pages(), key=lambda p: p.path.name)

    rows = []
    without = []
    wrappers = 0
    for name in sorted(syscalls):
        page, chain = man.resolve(name)
        expected = nargs.get(name)
        chosen: Prototype | None = None
        source = ""
        # 1. the function of that name: on its own page, else on any page.
        own = page.prototypes.get(name) if page else None
        if own:
            chosen, source = choose(own, expected), page.path.name
        else:
            elsewhere = [p for p in all_pages if name in p.prototypes]
            if elsewhere:
                chosen, source = choose(elsewhere[0].prototypes[name], expected), elsewhere[0].path.name
        # 2. glibc's name for it, 3. the name a link leads to: only on its own page.
        if chosen is None and page is not None:
            for alias in glibc_names(name):
                if alias in page.prototypes:
                    chosen, source = choose(page.prototypes[alias], expected), f"{page.path.name} ({alias})"
                    break
        if chosen is None and page is not None:
            for alias in chain[1:]:
                candidates = [p for p in page.prototypes.get(alias, []) if len(p.params) == expected]
                if candidates:
                    chosen, source = choose(candidates, expected), f"{page.path.name} ({alias})"
                    break
        if chosen is None:
            without.append(name)
            continue
        if expected is None:
            warn(f"{name}: not in strace's syscall tables; arity not checked ({source})")
        elif len(chosen.params) != expected:
            wrappers += 1
            warn(f"{name}: takes {expected} argument(s) (strace), but {source} declares "
                 f"{len(chosen.params)}: {', '.join(chosen.params) or 'none'}")
        rows.append([name, ";".join(chosen.params) if chosen.params else "-"])

    versions = man_versions(p.version for p in man.pages.values())
    count = write_tsv(
        args.out,
        [
            "Generated by tools/gen-syscall-args.py; do not edit.",
            f"Source: SYNOPSIS prototypes of the section 2 manual pages ({versions}); "
            "params = 'TYPE NAME' in order, ';'-separated; '-' = none.",
            f"Among a page's prototypes of a call, the one with the argument count of strace "
            f"{strace_version(args.strace_source)}'s syscall tables is preferred.",
        ],
        ["syscall", "params"],
        rows,
    )
    print(f"{args.out.name}: {count} syscalls ({wrappers} with a glibc prototype of another arity than strace's), "
          f"{len(without)} without a prototype", file=sys.stderr)
    if args.verbose:
        print("without: " + " ".join(without), file=sys.stderr)


if __name__ == "__main__":
    main()
