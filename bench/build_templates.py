"""Rebuild the consensus template of each family from the corpus, and cluster the corpus with MinHash/LSH.

    python bench/build_templates.py [--corpus ../shared/corpus/moa] [--check] [--min-members 3]

Writes src/disentangle/knowledge/agreements/templates/<family>.yaml (one per family with enough clean
members) and prints, as Markdown, the families, the near-duplicate clusters and the outliers that
docs/extraction.md reports. --check rebuilds in memory and fails if a stored template differs.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from disentangle.extract import extract_agreement  # noqa: E402
from disentangle.extract._clauses import split_clauses  # noqa: E402
from disentangle.extract._minhash import MinHasher, clusters, estimate, shingles  # noqa: E402
from disentangle.extract._template import (  # noqa: E402
    TEMPLATES_DIR,
    agency_names,
    build_template,
    compare_clauses,
    load_template,
    write_template,
)
from extract_eval import DEFAULT_CORPUS, corpus_items  # noqa: E402

LABELS = {
    "287g-jem-2019-2020": "287(g) Jail Enforcement Model, 2019–2020 text",
    "287g-wso-2019-2020": "287(g) Warrant Service Officer, 2019–2020 text",
    "287g-jem-2025": "287(g) Jail Enforcement Model, 2025 re-issue (Revised 02/15/2025)",
    "287g-wso-2025": "287(g) Warrant Service Officer, 2025 re-issue (Revised 02/14–02/15/2025)",
    "287g-tfm-2025": "287(g) Task Force Model, 2025 (Revised 02/12, 02/14, 03/07/2025)",
    "287g-tfm-2025-01": "287(g) Task Force Model, January 2025 text (before the dated revisions)",
}
MIN_READABILITY = 0.8  # members must have clean text: OCR-damaged copies would pull the consensus astray


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--check", action="store_true", help="fail if a stored template is out of date")
    parser.add_argument("--min-members", type=int, default=3)
    parser.add_argument("--scans", action="store_true", help="also read the image-only PDFs (OCR, cached)")
    parser.add_argument("--threshold", type=float, default=0.6, help="MinHash Jaccard to join a cluster")
    args = parser.parse_args(argv)

    hasher = MinHasher.create()
    by_family: dict[str, list] = defaultdict(list)
    signatures: dict[str, tuple[int, ...]] = {}
    info: dict[str, dict[str, str]] = {}
    extracted = {}
    for item in corpus_items(args.corpus, scans=args.scans):
        result = extract_agreement(item.document)
        doc_id = item.row["doc_id"]
        family = result.template.family if result.template else f"{result.kind}-?"
        clauses = split_clauses(item.document, agency_names(result))
        extracted[doc_id] = (result, clauses)
        info[doc_id] = {"family": family, "kind": result.kind, "group": item.group}
        words = " ".join(c.key for c in clauses).split()
        signatures[doc_id] = hasher.signature(shingles(words))
        if result.template and result.readability >= MIN_READABILITY and item.group == "text":
            meta = {"doc_id": doc_id, "url": item.row["ice_url"], "sha256": result.sha256}
            by_family[family].append((meta, clauses))

    print("## Families\n")
    print("| family | members used | clauses in consensus | of which fill-ins |")
    print("|---|---:|---:|---:|")
    stale = []
    for family in sorted(by_family):
        members = by_family[family]
        if len(members) < args.min_members:
            print(f"| {family} | {len(members)} | (too few to build) | |")
            continue
        template = build_template(family, LABELS.get(family, family), members)
        if args.check:
            stored = load_template(family)
            if stored is None or [c.key for c in stored.clauses] != [c.key for c in template.clauses]:
                stale.append(family)
        else:
            write_template(template)
        variable = sum(c.variable for c in template.clauses)
        print(f"| {family} | {template.members} | {len(template.clauses)} | {variable} |")

    groups = clusters(signatures, threshold=args.threshold)
    print(f"\n## Near-duplicate clusters (MinHash 128 perms, LSH 32x4, Jaccard >= {args.threshold})\n")
    print("| cluster | size | template families | kinds |")
    print("|---:|---:|---|---|")
    singles = []
    for number, group in enumerate(groups, start=1):
        if len(group) == 1:
            singles.append(group[0])
            continue
        families = Counter(info[d]["family"] for d in group)
        kinds = Counter(info[d]["kind"] for d in group)
        print(
            f"| {number} | {len(group)} | "
            + ", ".join(f"{f} ({n})" for f, n in families.most_common())
            + " | "
            + ", ".join(f"{k} ({n})" for k, n in kinds.most_common())
            + " |"
        )
    print(f"\n{len(singles)} documents have no near-duplicate at that threshold:\n")
    for doc_id in singles:
        best = max(
            (estimate(signatures[doc_id], signatures[o]) for o in signatures if o != doc_id), default=0.0
        )
        print(f"- {doc_id} ({info[doc_id]['family']}; closest other document: J ≈ {best:.2f})")

    print("\n## Largest deviations from the family template\n")
    rows = []
    for doc_id, (result, clauses) in extracted.items():
        family = info[doc_id]["family"]
        template = load_template(family)
        if template is None:
            continue
        counts = compare_clauses(result.sha256, template, clauses).counts()
        rows.append((counts["changed"] + counts["removed"] + counts["added"], doc_id, family, counts))
    print("| document | family | same | changed | local | removed | added |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for _, doc_id, family, counts in sorted(rows, reverse=True)[:15]:
        print(
            f"| {doc_id} | {family} | {counts['same']} | {counts['changed']} | {counts['local']} | "
            f"{counts['removed']} | {counts['added']} |"
        )
    if stale:
        print(f"\nout of date: {', '.join(stale)} — run bench/build_templates.py", file=sys.stderr)
        return 1
    print(f"\nTemplates in {TEMPLATES_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
