"""Recompute the totals the source states and report where they disagree.

The source's figures are never changed: each check compares a stated figure
with one recomputed from other records, and every disagreement is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from amhe_kg.sources import Sources


@dataclass(frozen=True)
class Check:
    """One stated figure compared with its recomputation."""

    name: str
    subject: str
    stated: int
    recomputed: int

    @property
    def agrees(self) -> bool:
        return self.stated == self.recomputed

    def describe(self) -> str:
        verdict = "agrees" if self.agrees else "DISAGREES"
        return (
            f"{self.name}: {self.subject}: stated {self.stated}, "
            f"recomputed {self.recomputed} ({verdict})"
        )


def check_totals(s: Sources) -> list[Check]:
    """Every recomputable total, in a stable order."""
    checks: list[Check] = []
    for c in s.characteristics.values():
        checks.append(
            Check(
                "Table 3 studies by characteristic = sum over its subtypes",
                c.label,
                c.stated_studies,
                sum(t.stated_studies for t in c.subtypes),
            )
        )
        checks.append(
            Check(
                "Table 5 total by characteristic type = sum over its subtypes",
                c.label,
                c.table5_total,
                sum(t.table5_total for t in c.subtypes),
            )
        )
        checks.append(
            Check(
                "Table 3 studies by characteristic = Table 5 total by characteristic type",
                c.label,
                c.stated_studies,
                c.table5_total,
            )
        )
        for t in c.subtypes:
            checks.append(
                Check(
                    "Table 3 studies by subtype = Table 5 total by subtype",
                    f"{c.label} / {t.label}",
                    t.stated_studies,
                    t.table5_total,
                )
            )
    all_subtypes = [t for c in s.characteristics.values() for t in c.subtypes]
    checks.append(
        Check(
            "Table 5 ticks over all rows = sum of Table 5 subtype totals",
            "Table 5",
            sum(t.table5_total for t in all_subtypes),
            sum(i.ticks for i in s.interventions.values()),
        )
    )
    for itype in s.intervention_types.values():
        rows = sum(itype.key in i.types for i in s.interventions.values())
        checks.append(
            Check(
                "Table 2 studies by type = Table 5 rows of that type",
                itype.label,
                itype.stated_studies,
                rows,
            )
        )
    for c in s.characteristics.values():
        for t in c.subtypes:
            ref = f"{c.key}/{t.key}"
            curated = sum(
                any(target.subtype == ref for target in i.targets) for i in s.interventions.values()
            )
            if curated > t.table5_total:
                checks.append(
                    Check(
                        "Table 5 total by subtype >= curated targets",
                        f"{c.label} / {t.label}",
                        t.table5_total,
                        curated,
                    )
                )
    return checks
