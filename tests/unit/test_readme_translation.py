"""README.ja.md stays in step with README.md.

The Japanese README is a translation, not a copy, so the prose is free; what must not drift is what a
reader runs or reads off: the heading structure, the code blocks (copied byte for byte), the numbers in
the tables, the link targets. Both files are read with a small Markdown reader (stdlib only), their
sections are paired by what cannot change in translation (code blocks, table numbers, links, heading
levels), and every difference is reported with the section it is in and what to change in README.ja.md.
Also: every local link target exists, every in-page `#anchor` resolves, and the two READMEs link each
other at the top.

When README.md changes (a new section, a new figure, a changed command), these tests fail and say
which section, code block, table cell or link of README.ja.md to update, and where."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote

import pytest

REPO = Path(__file__).resolve().parents[2]
EN_NAME, JA_NAME = "README.md", "README.ja.md"

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
TABLE_DELIMITER = re.compile(r"^\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?$")
CELL_SPLIT = re.compile(r"(?<!\\)\|")
CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
# [text](target) and ![alt](target), the text may hold one level of brackets (an image in a link).
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^()\s<>]*(?:\([^()]*\)[^()\s<>]*)*)>?(?:\s+\"[^\"]*\")?\s*\)")
BARE_URL = re.compile(r"https?://[^\s<>()\[\]`'\"、。，（）]+")
HTML_ANCHOR = re.compile(r"<a\s[^>]*?\b(?:id|name)\s*=\s*[\"']([^\"']+)[\"']", re.I)
HTML_TAG = re.compile(r"<[^>]+>")
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
# A number: digits with `,` thousands or `.` decimals (an IP address is one number), an exponent, a
# sign when it starts the number, a percent sign. Digits glued to a letter (S3, IPv4, p95, 24x7's 7)
# are part of a name, not a figure.
NUMBER = re.compile(r"(?<![A-Za-z0-9_.,])[+\-−]?\d+(?:[.,]\d+)*(?:[eE][+\-]?\d+)?(?:\s?%)?")

# How far from the top the link to the other language must be (lines).
TOP_LINES = 5


@dataclass
class CodeBlock:
    info: str
    text: str
    line: int

    @property
    def content(self) -> str:
        return f"{self.info}\n{self.text}"

    def first_line(self) -> str:
        lines = [x for x in self.text.splitlines() if x.strip()]
        return lines[0].strip() if lines else "(empty)"


@dataclass
class Table:
    rows: list[list[str]]
    line: int

    def numbers(self) -> tuple[tuple[tuple[str, ...], ...], ...]:
        return tuple(tuple(tuple(sorted(cell_numbers(c))) for c in row) for row in self.rows)


@dataclass
class Section:
    doc: str
    index: int  # 0: the text before the first heading
    level: int  # 0 for that text
    title: str
    line: int
    code_blocks: list[CodeBlock] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    prose: list[tuple[int, str]] = field(default_factory=list)  # (line number, text) outside code blocks

    def name(self) -> str:
        if self.level == 0:
            return f"the top of {self.doc} (before the first heading)"
        return f"'{'#' * self.level} {self.title}' ({self.doc} line {self.line})"


@dataclass
class Doc:
    name: str
    sections: list[Section]

    @property
    def headings(self) -> list[Section]:
        return [s for s in self.sections if s.level > 0]


def parse(text: str, name: str) -> Doc:
    """Headings, fenced code blocks, pipe tables and the remaining prose of a Markdown file, by section."""
    lines = text.splitlines()
    sections = [Section(name, 0, 0, "", 1)]
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence:
            marker = fence.group(1)
            closing = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}\s*$")
            j = i + 1
            while j < len(lines) and not closing.match(lines[j]):
                j += 1
            sections[-1].code_blocks.append(CodeBlock(fence.group(2).strip(), "\n".join(lines[i + 1 : j]), i + 1))
            i = j + 1
            continue
        heading = HEADING.match(line)
        if heading:
            sections.append(Section(name, len(sections), len(heading.group(1)), heading.group(2).strip(), i + 1))
            i += 1
            continue
        if line.lstrip().startswith("|") and i + 1 < len(lines) and TABLE_DELIMITER.match(lines[i + 1].strip()):
            rows = [cells(line)]
            j = i + 2
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                rows.append(cells(lines[j]))
                j += 1
            sections[-1].tables.append(Table(rows, i + 1))
            sections[-1].prose.extend((k + 1, lines[k]) for k in range(i, j))
            i = j
            continue
        sections[-1].prose.append((i + 1, line))
        i += 1
    return Doc(name, sections)


def cells(line: str) -> list[str]:
    s = line.strip()
    s = s[1:] if s.startswith("|") else s
    s = s[:-1] if s.endswith("|") and not s.endswith("\\|") else s
    return [c.strip() for c in CELL_SPLIT.split(s)]


def cell_numbers(cell: str) -> list[str]:
    return [re.sub(r"\s", "", m.group(0)).replace("−", "-") for m in NUMBER.finditer(cell)]


def links(section: Section) -> list[str]:
    """Link targets of a section: [text](target), ![alt](target) and bare URLs, outside code."""
    text = CODE_SPAN.sub(" ", "\n".join(line for _, line in section.prose))
    found = [m.group(1) for m in LINK.finditer(text)]
    rest = LINK.sub(" ", text)
    found += [m.group(0).rstrip(".,;:") for m in BARE_URL.finditer(rest)]
    return found


def explicit_anchors(doc: Doc) -> dict[str, Section]:
    return {
        m.group(1): s
        for s in doc.sections
        for _, line in s.prose
        for m in HTML_ANCHOR.finditer(CODE_SPAN.sub("", line))
    }


def slug(title: str) -> str:
    """GitHub's heading anchor (github-slugger): the rendered text lower-cased, everything but letters,
    marks, digits, `_`, `-` and spaces dropped, spaces turned into `-`."""
    text = HTML_TAG.sub("", re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", title)).lower()
    kept = "".join(
        ch for ch in text if ch in " -" or unicodedata.category(ch)[0] in "LMN" or unicodedata.category(ch) == "Pc"
    )
    return kept.replace(" ", "-")


def heading_anchors(doc: Doc) -> dict[str, Section]:
    anchors: dict[str, Section] = {}
    seen: Counter[str] = Counter()
    for s in doc.headings:
        base = slug(s.title)
        anchor = base if not seen[base] else f"{base}-{seen[base]}"
        seen[base] += 1
        anchors[anchor] = s
    return anchors


def anchors(doc: Doc) -> dict[str, Section]:
    return {**heading_anchors(doc), **explicit_anchors(doc)}


# ---------------------------------------------------------------------------------------------------
# Pairing the sections of the two files


def is_language_switch(target: str) -> bool:
    return target.split("#", 1)[0] in (EN_NAME, JA_NAME)


def external_links(section: Section) -> tuple[str, ...]:
    return tuple(sorted(t for t in links(section) if not t.startswith("#") and not is_language_switch(t)))


def strong_key(s: Section) -> Hashable:
    return (s.level, tuple(c.content for c in s.code_blocks), tuple(t.numbers() for t in s.tables), external_links(s))


def weak_key(s: Section) -> Hashable:
    return (s.level, external_links(s))


def level_key(s: Section) -> Hashable:
    return s.level


T = TypeVar("T")


def align(a: Sequence[T], b: Sequence[T], keys: Sequence[Callable[[T], Hashable]]) -> list[tuple[T | None, T | None]]:
    """Pairs items of a and b in order, matching on the first key, then on the next keys inside the
    stretches that did not match; what is left pairs by position when both stretches are as long."""
    if not keys:
        if len(a) == len(b):
            return list(zip(a, b, strict=True))
        return [(x, None) for x in a] + [(None, y) for y in b]
    matcher = difflib.SequenceMatcher(None, [keys[0](x) for x in a], [keys[0](y) for y in b], autojunk=False)
    pairs: list[tuple[T | None, T | None]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs += list(zip(a[i1:i2], b[j1:j2], strict=True))
        elif tag == "replace":
            pairs += align(a[i1:i2], b[j1:j2], keys[1:])
        elif tag == "delete":
            pairs += [(x, None) for x in a[i1:i2]]
        else:
            pairs += [(None, y) for y in b[j1:j2]]
    return pairs


def section_pairs(en: Doc, ja: Doc) -> list[tuple[Section | None, Section | None]]:
    return align(en.sections, ja.sections, [strong_key, weak_key, level_key])


def counterpart(pairs: list[tuple[Section | None, Section | None]], en_section: Section) -> Section | None:
    return next((y for x, y in pairs if x is en_section), None)


def where_to_insert(pairs: list[tuple[Section | None, Section | None]], position: int) -> str:
    """Where README.ja.md should get the counterpart of the English section at pairs[position]."""
    for x, y in reversed(pairs[:position]):
        if x is not None and y is not None:
            return f"after the section {y.name()} (the counterpart of {x.name()})"
    return f"at the top of {JA_NAME}"


# ---------------------------------------------------------------------------------------------------
# The checks: each returns the differences as sentences that say what to change in README.ja.md


def check_headings(en: Doc, ja: Doc) -> list[str]:
    problems = []
    pairs = section_pairs(en, ja)
    for position, (x, y) in enumerate(pairs):
        if x is not None and y is None:
            contents = f"{len(x.code_blocks)} code block(s), {len(x.tables)} table(s)"
            problems.append(
                f"{x.name()} has no counterpart in {JA_NAME}: translate that section ({contents}) and insert it "
                f"as a level-{x.level} heading {where_to_insert(pairs, position)} (if its text is already there "
                f"under another heading, put the heading back)"
            )
        elif x is None and y is not None:
            problems.append(
                f"{y.name()} matches no heading of {EN_NAME}: remove it from {JA_NAME}, or, if {EN_NAME} "
                f"renamed or moved that section, move or merge it to follow {EN_NAME}"
            )
        elif x is not None and y is not None and x.level != y.level:
            problems.append(
                f"heading level differs: {x.name()} is level {x.level}, its counterpart {y.name()} is level "
                f"{y.level}: write it as '{'#' * x.level} {y.title}' in {JA_NAME}"
            )
    if problems:
        problems.insert(
            0,
            f"{EN_NAME} has {len(en.headings)} headings (levels {[s.level for s in en.headings]}), {JA_NAME} has "
            f"{len(ja.headings)} (levels {[s.level for s in ja.headings]})",
        )
    return problems


def both(pairs: list[tuple[Section | None, Section | None]]) -> list[tuple[Section, Section]]:
    return [(x, y) for x, y in pairs if x is not None and y is not None]


def check_code_blocks(en: Doc, ja: Doc) -> list[str]:
    problems = []
    for x, y in both(section_pairs(en, ja)):
        for a, b in align(x.code_blocks, y.code_blocks, [lambda c: c.content, lambda c: c.info]):
            if b is None and a is not None:
                problems.append(
                    f"code block at {EN_NAME} line {a.line} in {x.name()} (starts `{a.first_line()}`) is missing "
                    f"from its counterpart {y.name()}: copy it verbatim from {EN_NAME}"
                )
            elif a is None and b is not None:
                problems.append(
                    f"code block at {JA_NAME} line {b.line} in {y.name()} (starts `{b.first_line()}`) is not in "
                    f"{x.name()}: remove it, or copy the current block from {EN_NAME}"
                )
            elif a is not None and b is not None and a.content != b.content:
                diff = "\n".join(
                    difflib.unified_diff(
                        a.content.splitlines(), b.content.splitlines(), EN_NAME, JA_NAME, lineterm="", n=1
                    )
                )
                problems.append(
                    f"code block at {EN_NAME} line {a.line} ({x.name()}) differs from {JA_NAME} line {b.line} "
                    f"({y.name()}); code blocks are copied byte for byte: replace the block in {JA_NAME} with the "
                    f"one from {EN_NAME}:\n{diff}"
                )
    return problems


def row_label(table: Table, r: int) -> str:
    return "the header row" if r == 0 else f"row {r} ('{table.rows[r][0]}')"


def row_differences(a: Table, b: Table) -> str:
    """Which rows one table has and the other lacks, matched on their numbers."""
    key = lambda row: tuple(tuple(sorted(cell_numbers(c))) for c in row)  # noqa: E731
    out = []
    for ra, rb in align(a.rows, b.rows, [key]):
        if rb is None and ra is not None:
            out.append(f"; add the row '{' | '.join(ra)}'")
        elif ra is None and rb is not None:
            out.append(f"; {JA_NAME}'s row '{' | '.join(rb)}' matches none of {EN_NAME}")
    return "".join(out)


def check_tables(en: Doc, ja: Doc) -> list[str]:
    problems = []
    for x, y in both(section_pairs(en, ja)):
        shape = lambda t: tuple(len(row) for row in t.rows)  # noqa: E731
        for k, (a, b) in enumerate(align(x.tables, y.tables, [lambda t: t.numbers(), shape])):
            if b is None and a is not None:
                problems.append(
                    f"table at {EN_NAME} line {a.line} in {x.name()} (header: {' | '.join(a.rows[0])}) is missing "
                    f"from its counterpart {y.name()}: translate it, keeping every number"
                )
                continue
            if a is None and b is not None:
                problems.append(
                    f"table at {JA_NAME} line {b.line} in {y.name()} (header: {' | '.join(b.rows[0])}) is not in "
                    f"{x.name()}: remove it, or translate the current table of {EN_NAME}"
                )
                continue
            assert a is not None and b is not None
            where = f"table {k + 1} of '{x.title}' / '{y.title}' ({EN_NAME} line {a.line}, {JA_NAME} line {b.line})"
            if len(a.rows) != len(b.rows):
                problems.append(
                    f"{where}: {EN_NAME} has {len(a.rows) - 1} body rows, {JA_NAME} has {len(b.rows) - 1}: "
                    f"translate the table row by row, in the order of {EN_NAME}{row_differences(a, b)}"
                )
                continue
            for r, (row_a, row_b) in enumerate(zip(a.rows, b.rows, strict=True)):
                if len(row_a) != len(row_b):
                    problems.append(
                        f"{where}, {row_label(a, r)}: {len(row_a)} cells in {EN_NAME}, {len(row_b)} in {JA_NAME}: "
                        "keep one cell per column"
                    )
                    continue
                for c, (cell_a, cell_b) in enumerate(zip(row_a, row_b, strict=True)):
                    na, nb = Counter(cell_numbers(cell_a)), Counter(cell_numbers(cell_b))
                    if na != nb:
                        problems.append(
                            f"{where}, {row_label(a, r)}, column {c + 1} ('{a.rows[0][c]}'): {EN_NAME} has the "
                            f"numbers {sorted(na.elements())}, {JA_NAME} has {sorted(nb.elements())}: update the "
                            f"cell in {JA_NAME} ('{cell_b}') to the numbers of '{cell_a}'"
                        )
    return problems


def link_places(doc: Doc) -> dict[str, list[Section]]:
    places: dict[str, list[Section]] = {}
    for s in doc.sections:
        for target in external_links(s):
            places.setdefault(target, []).append(s)
    return places


def check_links(en: Doc, ja: Doc) -> list[str]:
    problems = []
    pairs = section_pairs(en, ja)
    en_places, ja_places = link_places(en), link_places(ja)
    for target in sorted(set(en_places) - set(ja_places)):
        x = en_places[target][0]
        y = counterpart(pairs, x)
        into = f"into its counterpart {y.name()}" if y else "into the translation of that section"
        problems.append(f"{EN_NAME} links '{target}' in {x.name()}, {JA_NAME} never does: add the link {into}")
    for target in sorted(set(ja_places) - set(en_places)):
        problems.append(
            f"{JA_NAME} links '{target}' in {ja_places[target][0].name()}, {EN_NAME} never does: link what "
            f"{EN_NAME} links (the Japanese glossary is linked from both)"
        )
    return problems


def check_local_links(doc: Doc) -> list[str]:
    """Every relative link target exists; a `#fragment` into a Markdown file names one of its headings."""
    problems = []
    for s in doc.sections:
        for target in links(s):
            if target.startswith("#") or SCHEME.match(target):
                continue
            path_part, _, fragment = target.partition("#")
            path = (REPO / unquote(path_part.split("?", 1)[0])).resolve()
            if not path.exists():
                problems.append(
                    f"{doc.name}, {s.name()}: the link target '{target}' does not exist in the repository: fix the "
                    f"path (relative to the repository root)"
                )
            elif fragment and path.suffix == ".md":
                target_doc = parse(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))
                if unquote(fragment) not in anchors(target_doc):
                    close = difflib.get_close_matches(unquote(fragment), list(anchors(target_doc)), n=1)
                    hint = f" (did you mean '#{close[0]}'?)" if close else ""
                    problems.append(
                        f"{doc.name}, {s.name()}: '{target}' names no heading of {path_part}{hint}: point it at the "
                        f"heading's anchor"
                    )
    return problems


def in_page_links(doc: Doc) -> list[tuple[Section, str]]:
    return [(s, t[1:]) for s in doc.sections for t in links(s) if t.startswith("#")]


def check_in_page_anchors(doc: Doc) -> list[str]:
    problems = []
    known = anchors(doc)
    for s, fragment in in_page_links(doc):
        if unquote(fragment) not in known:
            close = difflib.get_close_matches(unquote(fragment), list(known), n=1)
            hint = f" (nearest: '#{close[0]}')" if close else ""
            problems.append(
                f"{doc.name}, {s.name()}: the link '#{fragment}' matches no heading and no <a id> anchor{hint}. "
                f"A heading's anchor is its text lower-cased, punctuation dropped, spaces as '-' (so "
                f"'## AWS へのデプロイ' is '#aws-へのデプロイ'); or put <a id=\"{fragment}\"></a> at the target"
            )
    return problems


def check_in_page_links_correspond(en: Doc, ja: Doc) -> list[str]:
    """Each in-page link of README.md has one in README.ja.md to the counterpart section."""
    pairs = section_pairs(en, ja)
    en_known, ja_known = anchors(en), anchors(ja)
    wanted = Counter((x.index, en_known[unquote(f)].index) for x, f in in_page_links(en) if unquote(f) in en_known)
    en_of_ja = {y.index: x for x, y in both(pairs)}
    have = Counter(
        (en_of_ja[y.index].index, en_of_ja[ja_known[unquote(f)].index].index)
        for y, f in in_page_links(ja)
        if unquote(f) in ja_known and y.index in en_of_ja and ja_known[unquote(f)].index in en_of_ja
    )
    problems = []
    for (src, dst), n in sorted((wanted - have).items()):
        x_src, x_dst = en.sections[src], en.sections[dst]
        y_src, y_dst = counterpart(pairs, x_src), counterpart(pairs, x_dst)
        if y_src is None or y_dst is None:
            continue  # reported by check_headings
        anchor = next(a for a, s in ja_known.items() if s is y_dst)
        problems.append(
            f"{EN_NAME} links {x_dst.name()} from {x_src.name()} ({n}x); {JA_NAME} lacks that link from "
            f"{y_src.name()}: add [{y_dst.title}](#{anchor})"
        )
    ja_of_en = {x.index: y for x, y in both(pairs)}
    for (src, dst), n in sorted((have - wanted).items()):
        problems.append(
            f"{JA_NAME} links {ja_of_en[dst].name()} from {ja_of_en[src].name()} ({n}x), {EN_NAME} does not link "
            f"{en.sections[dst].name()} from {en.sections[src].name()}: remove the link or follow {EN_NAME}"
        )
    return problems


def check_language_links(doc: Doc, other: str) -> list[str]:
    top = Section(doc.name, 0, 0, "", 1)
    top.prose = [(n, line) for s in doc.sections for n, line in s.prose if n <= TOP_LINES]
    if other not in links(top):
        return [f"{doc.name} does not link {other} in its first {TOP_LINES} lines: add a line like [..]({other})"]
    return []


def all_problems(en: Doc, ja: Doc) -> list[str]:
    return (
        check_headings(en, ja)
        + check_code_blocks(en, ja)
        + check_tables(en, ja)
        + check_links(en, ja)
        + check_in_page_anchors(en)
        + check_in_page_anchors(ja)
        + check_in_page_links_correspond(en, ja)
    )


def report(problems: list[str]) -> str:
    lines = [f"{JA_NAME} is out of step with {EN_NAME}; update {JA_NAME}:"]
    lines += [f"  {i}. {p}" for i, p in enumerate(problems, 1)]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# The tests


def read(name: str) -> str:
    return (REPO / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def en() -> Doc:
    return parse(read(EN_NAME), EN_NAME)


@pytest.fixture(scope="module")
def ja() -> Doc:
    return parse(read(JA_NAME), JA_NAME)


def test_the_reader_finds_the_structure(en: Doc) -> None:
    # Guards the comparisons below against passing because nothing was parsed.
    assert len(en.headings) >= 10 and en.headings[0].level == 1
    assert sum(len(s.code_blocks) for s in en.sections) >= 10
    assert sum(len(s.tables) for s in en.sections) >= 5
    assert any("make demo" in c.text for s in en.sections for c in s.code_blocks)
    assert "docs/clouds.md" in [t for s in en.sections for t in links(s)]


def test_same_heading_structure(en: Doc, ja: Doc) -> None:
    problems = check_headings(en, ja)
    assert not problems, report(problems)
    assert [s.level for s in en.headings] == [s.level for s in ja.headings]


def test_same_code_blocks(en: Doc, ja: Doc) -> None:
    problems = check_code_blocks(en, ja)
    assert not problems, report(problems)
    blocks = lambda d: [c.content for s in d.sections for c in s.code_blocks]  # noqa: E731
    assert blocks(en) == blocks(ja), report(["the code blocks differ in number or order: copy them from README.md"])


def test_same_numbers_in_tables(en: Doc, ja: Doc) -> None:
    problems = check_tables(en, ja)
    assert not problems, report(problems)
    numbers = lambda d: [t.numbers() for s in d.sections for t in s.tables]  # noqa: E731
    assert numbers(en) == numbers(ja), report(["the tables differ in number or order: follow README.md"])


def test_same_link_targets(en: Doc, ja: Doc) -> None:
    problems = check_links(en, ja)
    assert not problems, report(problems)


@pytest.mark.parametrize("name", [EN_NAME, JA_NAME])
def test_local_link_targets_exist(name: str) -> None:
    problems = check_local_links(parse(read(name), name))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", [EN_NAME, JA_NAME])
def test_in_page_anchors_resolve(name: str) -> None:
    problems = check_in_page_anchors(parse(read(name), name))
    assert not problems, "\n".join(problems)


def test_in_page_links_point_at_the_same_sections(en: Doc, ja: Doc) -> None:
    problems = check_in_page_links_correspond(en, ja)
    assert not problems, report(problems)


def test_the_readmes_link_each_other_at_the_top(en: Doc, ja: Doc) -> None:
    problems = check_language_links(en, JA_NAME) + check_language_links(ja, EN_NAME)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("name", "docs"),
    [(EN_NAME, ["docs/clouds.md", "docs/glossary.md"]), (JA_NAME, ["docs/clouds.md", "docs/glossary.ja.md"])],
)
def test_the_readmes_link_the_docs(name: str, docs: list[str]) -> None:
    doc = parse(read(name), name)
    targets = {t for s in doc.sections for t in links(s)}
    missing = [d for d in docs if d not in targets]
    assert not missing, f"{name} does not link {missing}"


# ---------------------------------------------------------------------------------------------------
# The comparison can fail: mutated copies are reported, with the place and the fix


def mutated(name: str, old: str, new: str) -> Doc:
    text = read(name)
    assert text.count(old) == 1, f"the mutation's anchor text {old!r} is not unique in {name}"
    return parse(text.replace(old, new), name)


def test_a_dropped_heading_is_reported(en: Doc, ja: Doc) -> None:
    broken = mutated(JA_NAME, "\n## ダッシュボード\n", "\n")
    problems = check_headings(en, broken)
    assert problems
    assert any(
        "'## Dashboard'" in p and "has no counterpart" in p and "マーケットデータと日次パイプライン" in p
        for p in problems
    ), problems
    assert check_headings(en, ja) == []


def test_a_new_english_section_says_where_to_translate_it(en: Doc) -> None:
    # What README.md will do: a section with a table appears; the message names it and where it goes.
    new = "\n## Benchmarks\n\n| run | seconds |\n|---|---|\n| cold | 1.5 |\n\n## Deploy to AWS\n"
    broken_en = mutated(EN_NAME, "\n## Deploy to AWS\n", new)
    ja = parse(read(JA_NAME), JA_NAME)
    problems = check_headings(broken_en, ja)
    assert any(
        "'## Benchmarks'" in p
        and "1 table(s)" in p
        and "insert it as a level-2 heading after the section '## 速度" in p
        for p in problems
    ), problems
    assert check_tables(broken_en, ja) == []  # the new table is part of the missing section, said once


def test_a_changed_table_number_is_reported() -> None:
    en = parse(read(EN_NAME), EN_NAME)
    broken = mutated(JA_NAME, "| 16.45 | 16.50 |", "| 16.45 | 16.60 |")
    problems = check_tables(en, broken)
    assert len(problems) == 1, problems
    p = problems[0]
    assert "'Deploy to AWS' / 'AWS へのデプロイ'" in p and "Application Load Balancer" in p and "column 3" in p, p
    assert "['16.50']" in p and "['16.60']" in p, p


def test_a_dropped_table_row_is_reported(en: Doc) -> None:
    # The model-file row of the speed table, whatever its figures are today
    ja_row = next(line for line in (REPO / JA_NAME).read_text().splitlines() if line.startswith("| モデルファイル |"))
    en_row = next(line for line in (REPO / EN_NAME).read_text().splitlines() if line.startswith("| model file |"))
    broken = mutated(JA_NAME, ja_row + "\n", "")
    problems = check_tables(en, broken)
    assert len(problems) == 1, problems
    p = problems[0]
    assert "'Speed (`make bench`)'" in p and "8 body rows" in p and "has 7" in p, p
    assert f"add the row '{en_row.strip('| ')}'" in p, p


def test_a_changed_command_is_reported(ja: Doc) -> None:
    # README.md changes a command; README.ja.md still has the old one.
    broken_en = mutated(EN_NAME, "make test-unit     # seconds", "make test-unit -n2 # seconds")
    problems = check_code_blocks(broken_en, ja)
    assert len(problems) == 1, problems
    p = problems[0]
    assert "'## Development'" in p and "'## 開発'" in p and "byte for byte" in p, p
    assert "-make test-unit -n2 # seconds" in p and "+make test-unit     # seconds" in p, p


def test_a_missing_code_block_is_reported(en: Doc) -> None:
    text = read(JA_NAME)
    block = "```bash\nAWS_PROFILE=trading AWS_REGION=eu-west-1 make destroy\n```\n"
    assert text.count(block) == 1
    problems = check_code_blocks(en, parse(text.replace(block, ""), JA_NAME))
    assert any("make destroy" in p and "missing" in p and "'## AWS へのデプロイ'" in p for p in problems), problems


def test_a_missing_link_and_a_broken_anchor_are_reported(en: Doc) -> None:
    broken = mutated(JA_NAME, "[Azure・GCP との比較](docs/clouds.md)", "Azure・GCP との比較")
    assert any("'docs/clouds.md'" in p and "add the link" in p for p in check_links(en, broken))
    broken = mutated(JA_NAME, "(#aws-へのデプロイ)", "(#deploy-to-aws)")
    problems = check_in_page_anchors(broken)
    assert len(problems) == 1 and "'#deploy-to-aws'" in problems[0] and "'#aws-へのデプロイ'" in problems[0], problems
    assert any("add [AWS へのデプロイ](#aws-へのデプロイ)" in p for p in check_in_page_links_correspond(en, broken))


def test_a_missing_local_file_is_reported() -> None:
    broken = mutated(JA_NAME, "(docs/glossary.ja.md)", "(docs/glossary.jp.md)")
    problems = check_local_links(broken)
    assert len(problems) == 1 and "'docs/glossary.jp.md' does not exist" in problems[0], problems


def test_the_whole_comparison_is_clean() -> None:
    en, ja = parse(read(EN_NAME), EN_NAME), parse(read(JA_NAME), JA_NAME)
    problems = all_problems(en, ja)
    assert not problems, report(problems)
