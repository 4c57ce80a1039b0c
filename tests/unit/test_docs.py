"""The docs stay in step: the two glossaries list the same entries, every relative link points at
a file that exists, and clouds.md covers every component on all three clouds.

Reads Markdown only; imports no project code."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"

HEADING = re.compile(r"^(#{2,3})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^()\s]*(?:\([^()]*\)[^()\s]*)*)(?:\s+\"[^\"]*\")?\)")
TRAILING_KEY = re.compile(r"\(([^()]+)\)\s*$")

# The entries the glossary must always have (the brief of issue 14), by their English heading.
REQUIRED_TERMS = {
    "Network ACL",
    "Security group",
    "Default VPC",
    "SageMaker",
    "SageMaker Autopilot",
    "SageMaker JumpStart",
    "Trainium",
    "Inferentia",
    "Lambda",
    "Lambda layer",
    "API Gateway HTTP API",
    "IAM",
    "SigV4",
    "Least privilege",
    "EventBridge",
    "SQS FIFO queue",
    "Dead-letter queue",
    "DynamoDB",
    "On-demand capacity",
    "DynamoDB transactions",
    "Conditional write",
    "S3",
    "S3 versioning",
    "SSE-KMS",
    "ECS Fargate",
    "ALB",
    "ECR",
    "CloudWatch Logs",
    "CloudWatch metrics",
    "CloudWatch alarms",
    "SNS",
    "Secrets Manager",
    "KMS",
    "Terraform",
    "LocalStack",
    "moto",
    "ONNX and onnxruntime",
    "Keras .h5",
    "Walk-forward",
    "Purge gap",
    "Look-ahead bias",
}

COMPONENTS = [
    "Web UI",
    "API",
    "Event-driven execution",
    "Scheduler",
    "Queue",
    "Ledger store",
    "Object storage",
    "Model training and registry",
    "Logs, metrics and alarms",
    "Identity and least privilege",
    "Network isolation",
]
CLOUDS = ("AWS", "Azure", "GCP")


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            out.append(line)
    return out


def headings(path: Path) -> list[tuple[int, str]]:
    found = []
    for line in prose_lines(path.read_text(encoding="utf-8")):
        m = HEADING.match(line)
        if m:
            found.append((len(m.group(1)), m.group(2).strip()))
    return found


def english_key(heading: str) -> str:
    return heading


def japanese_key(heading: str) -> str:
    """`ネットワーク ACL (Network ACL)` -> `Network ACL`; a heading kept in English (`DynamoDB`) is its own key."""
    m = TRAILING_KEY.search(heading)
    return m.group(1).strip() if m else heading


def glossary_keys(path: Path, key: Callable[[str], str]) -> list[tuple[int, str]]:
    return [(level, key(text)) for level, text in headings(path)]


def test_english_glossary_headings_have_no_parentheses() -> None:
    # The English heading is the key the Japanese heading repeats in parentheses: keep it plain.
    bad = [text for _, text in headings(DOCS / "glossary.md") if "(" in text or ")" in text]
    assert not bad, f"English glossary headings must not contain parentheses: {bad}"


def test_glossaries_have_the_same_entries_one_to_one() -> None:
    en = glossary_keys(DOCS / "glossary.md", english_key)
    ja = glossary_keys(DOCS / "glossary.ja.md", japanese_key)
    assert len(set(en)) == len(en), "duplicate headings in glossary.md"
    assert len(set(ja)) == len(ja), "duplicate heading keys in glossary.ja.md"
    missing_in_ja = [k for k in en if k not in ja]
    missing_in_en = [k for k in ja if k not in en]
    assert not missing_in_ja, f"in glossary.md but not in glossary.ja.md: {missing_in_ja}"
    assert not missing_in_en, f"in glossary.ja.md but not in glossary.md: {missing_in_en}"
    assert en == ja, "the two glossaries list the same entries in a different order"


def test_glossary_has_every_required_term() -> None:
    entries = {text for level, text in headings(DOCS / "glossary.md") if level == 3}
    missing = sorted(REQUIRED_TERMS - entries)
    assert not missing, f"glossary.md lacks entries: {missing}"


def test_every_glossary_entry_says_where_it_is_or_why_not() -> None:
    for path, markers in (
        (DOCS / "glossary.md", ("**In tradeloop:**", "**Not used")),
        (DOCS / "glossary.ja.md", ("**tradeloop では:**", "**使っていない")),
    ):
        lines = prose_lines(path.read_text(encoding="utf-8"))
        sections: dict[str, list[str]] = {}
        current = None
        for line in lines:
            m = HEADING.match(line)
            if m:
                current = m.group(2) if len(m.group(1)) == 3 else None
                if current:
                    sections[current] = []
            elif current:
                sections[current].append(line)
        flat = {h: " ".join(" ".join(body).split()) for h, body in sections.items()}  # markers may wrap
        silent = [h for h, body in flat.items() if not any(mk in body for mk in markers)]
        assert not silent, f"{path.name}: entries that say neither where nor why not: {silent}"
        unlinked = [h for h, body in sections.items() if not LINK.search("\n".join(body))]
        assert not unlinked, f"{path.name}: entries without a link into the repository: {unlinked}"


def markdown_files() -> list[Path]:
    return sorted(DOCS.glob("*.md")) + sorted(REPO.glob("README*.md"))


def relative_links(path: Path) -> list[str]:
    text = "\n".join(prose_lines(path.read_text(encoding="utf-8")))
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code is not a link
    targets = []
    for m in LINK.finditer(text):
        target = m.group(1).strip("<>")
        if not target or target.startswith("#") or re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            continue  # same-page anchor, or an absolute URL (http:, https:, mailto:)
        targets.append(target)
    return targets


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_points_at_an_existing_file(path: Path) -> None:
    broken = []
    for target in relative_links(path):
        file_part = target.split("#", 1)[0].split("?", 1)[0]
        if not (path.parent / file_part).resolve().exists():
            broken.append(target)
    assert not broken, f"{path.relative_to(REPO)}: links to missing files: {broken}"


def test_readme_links_the_docs() -> None:
    links = set(relative_links(REPO / "README.md"))
    for doc in ("docs/architecture.md", "docs/clouds.md", "docs/glossary.md", "docs/glossary.ja.md"):
        assert doc in links, f"README.md does not link {doc}"


def clouds_sections() -> dict[str, str]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in prose_lines((DOCS / "clouds.md").read_text(encoding="utf-8")):
        m = HEADING.match(line)
        if m:
            current = m.group(2)
            sections[current] = []
        elif current:
            sections[current].append(line)
    return {h: "\n".join(body) for h, body in sections.items()}


def test_clouds_has_a_section_per_component_with_all_three_clouds() -> None:
    sections = clouds_sections()
    for component in COMPONENTS:
        heads = [h for h in sections if re.fullmatch(rf"\d+\.\s+{re.escape(component)}", h)]
        assert len(heads) == 1, f"clouds.md: expected one section '<n>. {component}', found {heads}"
        body = sections[heads[0]]
        for cloud in CLOUDS:
            assert re.search(rf"^- \*\*{cloud}\b[^*]*\*\*:\s*\S", body, re.M), (
                f"clouds.md, {component}: no '- **{cloud}**: ...' entry"
            )
        assert "**What changes in tradeloop**" in body, f"clouds.md, {component}: says nothing about the code"
        assert "**Terraform**" in body, f"clouds.md, {component}: names no Terraform resources"


def table_rows(body: str) -> list[list[str]]:
    rows = []
    for line in body.splitlines():
        if line.startswith("|") and not re.match(r"^\|[\s|:-]+\|$", line):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def test_clouds_comparison_table_fills_every_component_for_every_cloud() -> None:
    rows = table_rows(clouds_sections()["At a glance"])
    header, body = rows[0], rows[1:]
    cols = {cloud: next(i for i, h in enumerate(header) if h.startswith(cloud)) for cloud in CLOUDS}
    by_component = {r[0]: r for r in body}
    for component in COMPONENTS:
        assert component in by_component, f"clouds.md comparison table has no row '{component}'"
        row = by_component[component]
        for cloud, i in cols.items():
            assert len(row) > i and row[i], f"clouds.md comparison table: '{component}' is empty for {cloud}"


def test_clouds_states_what_is_implemented_and_dates_its_prices() -> None:
    text = (DOCS / "clouds.md").read_text(encoding="utf-8")
    top = text[:1500]
    assert "implements: AWS, and the embedded moto mode" in top
    assert "design comparison, not an implementation" in top
    costs = clouds_sections()["Monthly cost at the README's load (estimates)"]
    assert re.search(r"as of [A-Z][a-z]+ \d{4}", costs), "cost section gives no price date"
    for region in ("us-east-1", "East US", "us-east1"):
        assert region in costs, f"cost section does not name the region {region}"
    total = next(r for r in table_rows(costs) if r[0].strip("*") == "total")
    assert all(re.search(r"\d", cell) for cell in total[1:4]), f"a cloud has no total: {total}"
