"""``gorod bench places`` runs on a database of its own and reports its figures."""

from __future__ import annotations

import pytest

from gorod.places import bench
from gorod.places.models import District


@pytest.mark.django_db
def test_the_benchmark_reports_seeding_and_lookup_figures_without_touching_this_database():
    figures = bench.run(citizens=20, seed=1, lookups=20, postgres=False)
    assert figures["citizens"] == 20
    assert figures["database"] == "sqlite"
    assert figures["seed_seconds"] > 0
    assert figures["lookups_per_second_database"] > 0
    assert not District.objects.exists()


def test_a_benchmark_of_no_citizens_is_refused():
    with pytest.raises(ValueError, match="--citizens"):
        bench.run(citizens=0, seed=1, lookups=20, postgres=False)
