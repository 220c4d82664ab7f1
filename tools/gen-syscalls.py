#!/usr/bin/env python3
"""Generates src/Phoebe.Lang/Data/syscalls.tsv: name, x86_64 number, aarch64 number, strace classes.

Reads:
  * x86_64 numbers: the kernel UAPI header <asm/unistd_64.h> as the system C
    preprocessor finds it (Debian: package linux-libc-dev, x86_64 host), read
    with `gcc -E -dM`.
  * aarch64 numbers: the kernel UAPI header <asm-generic/unistd.h>, which arm64
    uses as its syscall table, run through the C preprocessor with
    __BITS_PER_LONG=64 and the __ARCH_WANT_* macros that arm64's own
    <asm/unistd.h> defines before including it (ARM64_WANTS below, as in
    arch/arm64/include/uapi/asm/unistd.h of Linux 6.1).  Pass
    --arm64-unistd PATH to read those macros from an arm64 <asm/unistd.h>
    instead (Debian: package linux-libc-dev-arm64-cross,
    /usr/aarch64-linux-gnu/include/asm/unistd.h).
  * classes: strace's own syscall tables, from an unpacked strace source tree
    (`apt-get source strace`, which needs a deb-src entry in the apt sources):
    src/linux/x86_64/syscallent.h and src/linux/64/syscallent.h (the latter is
    strace's aarch64 table), with the flag shorthands of
    src/sysent_shorthand_defs.h, the flag bits of src/sysent.h and the class
    names accepted by `strace -e trace=%CLASS` in src/basic_filters.c.  A
    class is named after its flag macro without TRACE_ (TRACE_STAT_LIKE is
    `stat_like`, which strace spells %%stat).  Classes come from the x86_64
    table, or the aarch64 table for a syscall x86_64 lacks.  Both strace tables
    are also compared with the kernel numbers, and any disagreement is printed
    as a warning.

Rerun:
  apt-get source strace            # in a scratch directory, once
  tools/gen-syscalls.py STRACE_SOURCE_DIR [--out FILE]
or regenerate every table with tools/regen-data.sh.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # keep tools/ free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))
from datagen_common import (  # noqa: E402
    DATA_DIR,
    die,
    evaluate_macro,
    find_header,
    kernel_headers_version,
    macro_definitions,
    warn,
    write_tsv,
)

# What arch/arm64/include/uapi/asm/unistd.h defines before including
# <asm-generic/unistd.h> (Linux 6.1).
ARM64_WANTS = [
    "__ARCH_WANT_RENAMEAT",
    "__ARCH_WANT_NEW_STAT",
    "__ARCH_WANT_SET_GET_RLIMIT",
    "__ARCH_WANT_TIME32_SYSCALLS",
    "__ARCH_WANT_SYS_CLONE3",
    "__ARCH_WANT_MEMFD_SECRET",
]


def x86_64_numbers() -> dict[str, int]:
    macros = macro_definitions("#include <asm/unistd_64.h>\n")
    numbers = {}
    for name in macros:
        if name.startswith("__NR_"):
            value = evaluate_macro(name, macros)
            if value is None:
                die(f"<asm/unistd_64.h>: cannot evaluate {name} = {macros[name]!r}")
            numbers[name[len("__NR_"):]] = value
    if not numbers:
        die("<asm/unistd_64.h> defines no __NR_ macros")
    return numbers


def arm64_wants(path: Path | None) -> list[str]:
    if path is None:
        return ARM64_WANTS
    wants = re.findall(r"^\s*#\s*define\s+(__ARCH_WANT_\w+)", path.read_text(), re.MULTILINE)
    if sorted(wants) != sorted(ARM64_WANTS):
        warn(f"{path} defines {wants}, the built-in list is {ARM64_WANTS}")
    return wants


def aarch64_numbers(wants: list[str]) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as tmp:
        # Shadow the host's <asm/bitsperlong.h> so the generic table is read as a 64-bit one
        # whatever the host is.
        stub = Path(tmp) / "asm" / "bitsperlong.h"
        stub.parent.mkdir()
        stub.write_text("#define __BITS_PER_LONG 64\n")
        source = "".join(f"#define {w}\n" for w in wants) + "#include <asm-generic/unistd.h>\n"
        macros = macro_definitions(source, ["-I", tmp])
    # The header text says which macros name real entries: those that are the first
    # argument of __SYSCALL/__SC_* (the table), directly or via __NR3264_*.
    header_text = find_header("asm-generic/unistd.h").read_text()
    table_entries = set(re.findall(r"\b__(?:SYSCALL|SC_\w+)\(\s*(__NR(?:3264)?_\w+)\s*,", header_text))
    numbers = {}
    for name, body in macros.items():
        if not name.startswith("__NR_"):
            continue
        if name not in table_entries and body not in table_entries:
            continue  # __NR_syscalls, __NR_arch_specific_syscall: bounds, not syscalls
        value = evaluate_macro(name, macros)
        if value is None:
            die(f"<asm-generic/unistd.h>: cannot evaluate {name} = {body!r}")
        numbers[name[len("__NR_"):]] = value
    if not numbers:
        die("<asm-generic/unistd.h> defines no syscalls")
    return numbers


class StraceTables:
    """strace's syscall tables, flag shorthands and trace classes."""

    def __init__(self, root: Path) -> None:
        src = root / "src" if (root / "src" / "sysent.h").exists() else root
        if not (src / "sysent.h").exists():
            die(f"{root} is not an strace source tree (no src/sysent.h); get one with `apt-get source strace`")
        self.src = src
        self.version = self._version(root)
        bits = self._flag_bits()
        shorthands = self._shorthands()
        self.class_bits = self._class_bits(bits)  # class name -> bit
        self.shorthand_bits = {s: bits[m] for s, m in shorthands.items() if m in bits}
        self.x86_64 = self._table(src / "linux" / "x86_64" / "syscallent.h")
        self.aarch64 = self._table(src / "linux" / "aarch64" / "syscallent.h")

    @staticmethod
    def _version(root: Path) -> str:
        for name in (".tarball-version", ".version"):
            p = root / name
            if p.exists():
                return p.read_text().strip()
        m = re.search(r"^PACKAGE_VERSION='([^']*)'", (root / "configure").read_text(), re.MULTILINE) \
            if (root / "configure").exists() else None
        return m.group(1) if m else "unknown"

    def _flag_bits(self) -> dict[str, int]:
        text = (self.src / "sysent.h").read_text()
        bits = {}
        for m in re.finditer(r"#\s*define\s+([A-Z_]+)\s+(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)\b", text):
            literal = m.group(2)
            base = 16 if literal[:2] in ("0x", "0X") else 8 if literal.startswith("0") else 10
            bits[m.group(1)] = int(literal, base)
        return bits

    def _shorthands(self) -> dict[str, str]:
        text = (self.src / "sysent_shorthand_defs.h").read_text()
        # The real definitions are in the #else branch (the first branch zeroes them for tests).
        real = text.split("#else", 1)[1] if "#else" in text else text
        return dict(re.findall(r"#\s*define\s+([A-Z]+)\s+([A-Z_]+)\b", real))

    def _class_bits(self, bits: dict[str, int]) -> dict[str, int]:
        text = (self.src / "basic_filters.c").read_text()
        start = text.index("qualify_syscall_class")
        block = text[start:text.index("};", start)]
        classes = {}
        for macro in re.findall(r"\{\s*(TRACE_[A-Z_]+)\s*,\s*\"[^\"]+\"\s*\}", block):
            classes[macro[len("TRACE_"):].lower()] = bits[macro]
        if not classes:
            die("found no syscall classes in basic_filters.c")
        return classes

    def _table(self, path: Path, seen: set[Path] | None = None) -> dict[str, tuple[int, int]]:
        """name -> (number, flags) for one syscallent.h, following its #include lines."""
        seen = seen or set()
        entries: dict[str, tuple[int, int]] = {}
        text = path.read_text()
        for line in text.splitlines():
            inc = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if inc:
                target = self._resolve_include(path, inc.group(1))
                if target not in seen:
                    seen.add(target)
                    entries.update(self._table(target, seen))
                continue
            m = re.match(r'\s*\[\s*(?:BASE_NR\s*\+\s*)?(\d+)\s*\]\s*=\s*\{\s*\w+\s*,\s*([^,]*?)\s*,'
                         r'\s*SEN\(\w+\)\s*,\s*"([^"]+)"', line)
            if not m:
                continue
            flags = 0
            for token in re.split(r"\s*\|\s*", m.group(2)):
                if token in ("", "0"):
                    continue
                if token not in self.shorthand_bits:
                    die(f"{path.name}: unknown flag {token!r}")
                flags |= self.shorthand_bits[token]
            entries[m.group(3)] = (int(m.group(1)), flags)
        return entries

    def _resolve_include(self, including: Path, name: str) -> Path:
        # strace builds with -I src/linux/<arch> -I src/linux/generic (and friends).
        for d in (including.parent, self.src / "linux" / "generic", self.src / "linux", self.src):
            if (d / name).exists():
                return (d / name).resolve()
        die(f"{including}: cannot resolve #include \"{name}\"")

    def classes_of(self, flags: int) -> list[str]:
        return sorted({name for name, bit in self.class_bits.items() if flags & bit})


def compare(arch: str, kernel: dict[str, int], strace: dict[str, tuple[int, int]]) -> None:
    for name in sorted(set(kernel) | set(strace)):
        k = kernel.get(name)
        s = strace[name][0] if name in strace else None
        if k != s:
            warn(f"{arch}: {name}: kernel headers say {k}, strace says {s}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("strace_source", type=Path, help="unpacked strace source tree (apt-get source strace)")
    ap.add_argument("--arm64-unistd", type=Path, help="arm64 <asm/unistd.h> to read the __ARCH_WANT_* macros from")
    ap.add_argument("--out", type=Path, default=DATA_DIR / "syscalls.tsv")
    args = ap.parse_args()

    strace = StraceTables(args.strace_source)
    x86 = x86_64_numbers()
    arm = aarch64_numbers(arm64_wants(args.arm64_unistd))
    compare("x86_64", x86, strace.x86_64)
    compare("aarch64", arm, strace.aarch64)

    rows = []
    for name in sorted(set(x86) | set(arm)):
        entry = strace.x86_64.get(name) or strace.aarch64.get(name)
        if name in x86 and name in arm and name in strace.x86_64 and name in strace.aarch64:
            a, b = strace.classes_of(strace.x86_64[name][1]), strace.classes_of(strace.aarch64[name][1])
            if a != b:
                warn(f"{name}: strace classes differ: x86_64 {a}, aarch64 {b}; using x86_64")
        classes = strace.classes_of(entry[1]) if entry else []
        rows.append([
            name,
            str(x86[name]) if name in x86 else "-",
            str(arm[name]) if name in arm else "-",
            ",".join(classes) if classes else "-",
        ])

    count = write_tsv(
        args.out,
        [
            "Generated by tools/gen-syscalls.py; do not edit.",
            f"Numbers: Linux {kernel_headers_version()} UAPI <asm/unistd_64.h> (x86_64) and "
            "<asm-generic/unistd.h> as arm64 configures it (aarch64); '-' = absent.",
            f"Classes: strace {strace.version} syscall tables (strace -e trace=%CLASS); "
            f"known classes: {','.join(sorted(strace.class_bits))}.",
        ],
        ["name", "x86_64", "aarch64", "classes"],
        rows,
    )
    print(f"{args.out.name}: {count} syscalls", file=sys.stderr)


if __name__ == "__main__":
    main()
