"""Moscow's enrolment rules as plain data: ages on 1 September and the priority ladder.

Pure: no Django. Ages are counted in whole months on 1 September of the school year.

- Kindergarten: from 2 months (the youngest Moscow nursery groups) and under 7 years.
- First grade: from 6 years 6 months to 8 years (Federal Law 273-FZ, article 67: not before
  six and a half, not after eight; a younger or older child needs the founder's permission,
  which this service does not handle).
- Clubs (additional education): from 5 to 18 years.

Priority groups, lower is better (docs/enrolment.md): children living in the institution's
assigned territory come first; within each half, extraordinary rights by law, then priority
rights, then a brother or sister already at the institution, then staff children, then
everyone else. A right counts only once its document is verified.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

KINDERGARTEN = "kindergarten"
SCHOOL = "school"
CLUB = "club"

AGE_LIMITS: dict[str, tuple[int, int]] = {
    KINDERGARTEN: (2, 7 * 12),
    SCHOOL: (6 * 12 + 6, 8 * 12 + 1),
    CLUB: (5 * 12, 18 * 12),
}
"""Per kind of round: (youngest, oldest exclusive) age in months on 1 September.

First grade takes a child who is 8 on 1 September but not 8 years and one month."""

DEFAULT_MAX_CHOICES = {KINDERGARTEN: 3, SCHOOL: 5, CLUB: 5}
RIGHTS = ("extraordinary", "priority", "sibling", "staff")
"""Rights in the order they rank within a territory half."""
GROUPS_PER_HALF = len(RIGHTS) + 1
GROUP_COUNT = 2 * GROUPS_PER_HALF


def school_year_start(year: int) -> dt.date:
    return dt.date(year, 9, 1)


def months_on(birth: dt.date, day: dt.date) -> int:
    """Whole months of age on ``day`` (a child born on the 31st turns a month older on the
    last day of a shorter month only when that day's number is reached)."""
    months = (day.year - birth.year) * 12 + day.month - birth.month
    return months - (day.day < birth.day)


def age_fits(kind: str, months: int) -> bool:
    low, high = AGE_LIMITS[kind]
    return low <= months < high


@dataclass(frozen=True)
class Group:
    """What a priority group number means."""

    territory: bool
    right: str | None


def priority_group(*, territory: bool, rights: set[str]) -> int:
    """The group of a child at a programme: territory half first, then the best right."""
    best = min((RIGHTS.index(right) for right in rights if right in RIGHTS), default=len(RIGHTS))
    return (0 if territory else GROUPS_PER_HALF) + best


def group_meaning(group: int) -> Group:
    half, right = divmod(group, GROUPS_PER_HALF)
    return Group(territory=half == 0, right=RIGHTS[right] if right < len(RIGHTS) else None)
