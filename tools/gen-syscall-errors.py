#!/usr/bin/env python3
"""Generates src/Phoebe.Lang/Data/syscall-errors.tsv: syscall, the errnos its man page lists.

Reads:
  * the section 2 manual pages (groff sources, gzip-compressed or plain) in
    /usr/share/man/man2 (Debian: package manpages-dev) or --man-dir;
  * syscalls.tsv and errnos.tsv (the other generated tables): only syscalls and
    errno names found there are written.

Which page documents a syscall: its own page NAME.2, after following symbolic
links and `.so man2/OTHER.2` redirects (openat.2 -> open.2, newfstatat.2 ->
fstatat.2 -> stat.2); a syscall without a page of its own gets the pages whose
NAME section lists it.  A page's errnos are every errno name in the tags of the
`.TP`/`.TQ` items of its ERRORS section (from `.SH ERRORS` to the next `.SH`),
so `.BR EAGAIN " or " EWOULDBLOCK` gives both; names in the descriptions under
the tags are not taken.  An ERRORS section without such tags is prose: its
errno names are taken.  The untagged paragraphs of an ERRORS section (its
prose, or the text before, between or after the tagged lists; not the
descriptions under a tag) may refer to other pages for errors: "The errors are
as given for read(2) and write(2)", "As for waitpid(2)", "can also fail for
the same reasons as lseek(2)", "the errors documented in stat(2) can also
occur", "See madvise(2) for advice-specific errors".  The errnos of the
section 2 pages referred to so (their own, not those of the pages they refer
to in turn) are added; a section 2 page named elsewhere in such a paragraph
("against a subsequent write(2)") or in a tag's description ("see fork(2)") is
not followed.  Every syscall a page documents gets the whole list, though the
page may say an errno applies to one of them only; nothing is added that the
page does not say.  The pages that gain errnos through references are listed
on stderr.

Output: one row per syscall whose page has an ERRORS section; the errnos are
sorted and unique, or '-' when the section names none ("These functions are
always successful").  A syscall without a page or without an ERRORS section has
no row.

Rerun: tools/gen-syscall-errors.py [--syscalls FILE] [--errnos FILE] [--man-dir DIR] [--out FILE],
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
    DATA_DIR, FONT_ESCAPE, MAN2_DIR, TH_VERSION, ManDir, die, is_groff_comment, man_versions, read_tsv, write_tsv,
)

ERRNO_WORD = re.compile(r"\bE[A-Z0-9]+\b")
FONT_MACRO = re.compile(r"\.(B|I|BR|RB|IR|RI|BI|IB|SM|SB)\b\s*(.*)$")
MACRO_ARGUMENT = re.compile(r'"((?:[^"]|"")*)"|(\S+)')
SPECIAL_CHARACTERS = {r"\-": "-", r"\[em]": "--", r"\[en]": "-", r"\(em": "--", r"\(en": "-",
                      r"\ ": " ", r"\~": " ", r"\&": "", r"\%": "", r"\e": "\\"}
SECTION2_REFERENCE = re.compile(r"\b([A-Za-z_][\w.]*)\(2\)")
# What, before a NAME(2) in the same sentence of an untagged ERRORS paragraph,
# makes it a reference for the errors: "The errors are as given for read(2)",
# "As for waitpid(2)", "the same reasons as lseek(2)", "The same errors that
# occur for execve(2)", "any error specified for read(2)", "the errors
# documented in stat(2)", "the error codes returned by open(2)".  "See
# madvise(2)" only when the reference follows the word directly.
REFERENCE_PHRASE = re.compile(
    r"\b(?:as given for|as for|same (?:errors? |reasons )?as|same errors that occur for"
    r"|errors?(?: codes| values)?(?: that are)? (?:documented|described|specified|returned|listed|given) (?:in|by|for))\b",
    re.IGNORECASE)
SEE_REFERENCE = re.compile(r"\bsee\s+(?:also\s+)?$", re.IGNORECASE)
# More references continuing a list: "read(2) and write(2)", "open(2), mmap(2)".
REFERENCE_LIST_GAP = re.compile(r"^\s*(?:,\s*)?(?:(?:and|or)\s+)?$")


@dataclass
class Page:
    path: Path
    version: str | None = None
    names: list[str] = field(default_factory=list)
    has_errors: bool = False
    tagged: set[str] = field(default_factory=set)   # errno words in .TP/.TQ tags
    prose: set[str] = field(default_factory=set)    # errno words in an untagged ERRORS section
    references: list[str] = field(default_factory=list)  # NAME(2) pages untagged ERRORS paragraphs refer to


def render_line(line: str) -> str | None:
    """The text a groff line prints (font macros joined as groff joins them); None for other requests."""
    if line.startswith((".", "'")):
        m = FONT_MACRO.match(line)
        if m is None:
            return None
        args = [a.group(1).replace('""', '"') if a.group(1) is not None else a.group(2)
                for a in MACRO_ARGUMENT.finditer(m.group(2))]
        # .B/.I/.SM/.SB print their arguments separated by spaces, the alternating forms (.BR ...) without.
        line = " ".join(args) if len(m.group(1)) == 1 or m.group(1) in ("SM", "SB") else "".join(args)
    text = FONT_ESCAPE.sub("", line)
    for escape, replacement in SPECIAL_CHARACTERS.items():
        text = text.replace(escape, replacement)
    return text


def paragraph_references(lines: list[str]) -> list[str]:
    """The NAME(2) pages an untagged ERRORS paragraph refers to for errors."""
    text = " ".join(t for t in map(render_line, lines) if t is not None)
    text = re.sub(r"\s+", " ", text)
    found: list[str] = []
    # A sentence ends at '.', ':' or ';' before a space ("write(2). Furthermore").
    for sentence in re.split(r"(?<=[.:;])\s+", text):
        previous_end = None  # end of the last NAME(2) taken, for lists
        for m in SECTION2_REFERENCE.finditer(sentence):
            before = sentence[:m.start()]
            taken = (
                REFERENCE_PHRASE.search(before) is not None
                or SEE_REFERENCE.search(before) is not None
                or (previous_end is not None and REFERENCE_LIST_GAP.match(sentence[previous_end:m.start()]) is not None)
            )
            if taken:
                previous_end = m.end()
                if m.group(1) not in found:
                    found.append(m.group(1))
    return found


def parse_page(path: Path, lines: list[str]) -> Page:
    page = Page(path)
    lines = [l for l in lines if not is_groff_comment(l)]
    section = None
    untagged: list[str] = []
    paragraphs: list[list[str]] = []  # untagged ERRORS paragraphs
    paragraph: list[str] = []
    in_item = False  # inside a .TP/.TQ item (its tag or description) of the ERRORS section
    tagged_any = False
    name_done = False

    def end_paragraph() -> None:
        nonlocal paragraph
        if paragraph:
            paragraphs.append(paragraph)
        paragraph = []

    for i, line in enumerate(lines):
        th = TH_VERSION.match(line)
        if th:
            page.version = th.group(1)
        sh = re.match(r'\.SH\s+"?([^"]*)"?\s*$', line)
        if sh:
            section = sh.group(1).strip().upper()
            if section == "ERRORS":
                page.has_errors = True
            end_paragraph()
            in_item = False
            continue
        if section == "NAME" and not name_done and not line.startswith("."):
            # "open, openat, creat \- open and possibly create a file", possibly over several lines.
            text = FONT_ESCAPE.sub("", line)
            name_done = "\\-" in text
            page.names += [n.strip() for n in text.split("\\-")[0].split(",") if n.strip()]
        if section != "ERRORS":
            continue
        if re.match(r"\.T[PQ]\b", line) and i + 1 < len(lines):
            tagged_any = True
            page.tagged.update(ERRNO_WORD.findall(FONT_ESCAPE.sub("", lines[i + 1])))
        else:
            untagged.append(line)
        # Paragraph structure: a .TP/.TQ starts an item, which goes on (through
        # .IP, .RS/.RE) until a new paragraph (.PP/.P/.LP/.SS) or section.
        if re.match(r"\.T[PQ]\b", line):
            end_paragraph()
            in_item = True
        elif re.match(r"\.(PP|P|LP|SS)\b", line):
            end_paragraph()
            in_item = False
        elif not in_item:
            paragraph.append(line)
    end_paragraph()
    if page.has_errors and not tagged_any:
        for line in untagged:
            page.prose.update(ERRNO_WORD.findall(FONT_ESCAPE.sub("", line)))
    for text_lines in paragraphs:
        for ref in paragraph_references(text_lines):
            if ref not in page.references:
                page.references.append(ref)
    return page


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--syscalls", type=Path, default=DATA_DIR / "syscalls.tsv")
    ap.add_argument("--errnos", type=Path, default=DATA_DIR / "errnos.tsv")
    ap.add_argument("--man-dir", type=Path, default=MAN2_DIR)
    ap.add_argument("--out", type=Path, default=DATA_DIR / "syscall-errors.tsv")
    ap.add_argument("--verbose", action="store_true", help="list the syscalls left without a row")
    args = ap.parse_args()

    syscalls = [row["name"] for row in read_tsv(args.syscalls)]
    errnos = {row["name"] for row in read_tsv(args.errnos)}
    if not syscalls or not errnos:
        die("syscalls.tsv or errnos.tsv is empty; generate them first")

    man = ManDir(args.man_dir, parse_page)
    named_in: dict[str, list[Page]] = {}
    for page in man.all_pages():
        for name in page.names:
            named_in.setdefault(name, []).append(page)

    gained: dict[str, tuple[list[str], set[str]]] = {}  # page file -> (references followed, errnos they add)

    def page_errnos(page: Page) -> set[str]:
        own = (page.tagged | page.prose) & errnos
        found = set(own)
        followed = []
        for ref in page.references:
            # One level deep: the errnos the page referred to lists itself, not
            # those of the pages it refers to in turn (so no cycles either).
            target = man.page(ref)
            if target is not None and target is not page and target.has_errors:
                found |= (target.tagged | target.prose) & errnos
                followed.append(f"{ref}(2)")
        if found - own:
            gained[page.path.name] = (followed, found - own)
        return found

    rows = []
    without = []
    for name in sorted(syscalls):
        own = man.page(name)
        pages = [own] if own is not None else sorted(named_in.get(name, []), key=lambda p: p.path.name)
        pages = [p for p in pages if p.has_errors]
        if not pages:
            without.append(name)
            continue
        found = set().union(*(page_errnos(p) for p in pages))
        rows.append([name, ",".join(sorted(found)) if found else "-"])

    versions = man_versions(p.version for p in man.pages.values())
    count = write_tsv(
        args.out,
        [
            "Generated by tools/gen-syscall-errors.py; do not edit.",
            f"Source: ERRORS sections of the section 2 manual pages ({versions}); "
            "'-' = the section names no errno.",
        ],
        ["syscall", "errnos"],
        rows,
    )
    empty = sum(1 for r in rows if r[1] == "-")
    print(f"{args.out.name}: {count} syscalls ({count - empty} with errnos, {empty} documented as not failing), "
          f"{len(without)} without a documented ERRORS section", file=sys.stderr)
    for name, (followed, added) in sorted(gained.items()):
        print(f"  {name}: +{len(added)} via {', '.join(followed)}: {','.join(sorted(added))}", file=sys.stderr)
    if args.verbose:
        print("without: " + " ".join(without), file=sys.stderr)


if __name__ == "__main__":
    main()
