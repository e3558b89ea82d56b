"""The broken variants are honest: each shows its own planted defect over HTTP and no other.

Every symptom probe is run against every variant: the correct mock and the tolerated variant
show none, each broken variant shows exactly its own. So when the contract suite fails a
variant, it failed it for that one defect, not for collateral breakage.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiohttp import web

from mock_server.server import BackgroundServer
from tests.defects.catalogue import DEFECTS, Defect, Kind
from tests.defects.probe import Api
from tests.defects.servers import correct_app
from tests.defects.tolerated import tolerant_app


def symptoms_shown(app: web.Application) -> set[str]:
    """The names of the catalogued defects whose symptom this served app shows."""
    with BackgroundServer(app) as server:
        api = Api(server.url)
        return {defect.name for defect in DEFECTS if defect.symptom(api)}


def test_every_kind_of_issue_3_has_a_variant() -> None:
    assert {defect.kind for defect in DEFECTS} == set(Kind)


@pytest.mark.parametrize(
    "build", [correct_app, tolerant_app], ids=["correct-mock", "tolerated-variant"]
)
def test_correct_servers_show_no_symptom(build: Callable[[], web.Application]) -> None:
    assert symptoms_shown(build()) == set()


@pytest.mark.parametrize("defect", DEFECTS, ids=[defect.name for defect in DEFECTS])
def test_variant_shows_its_defect_and_no_other(defect: Defect) -> None:
    assert symptoms_shown(defect.build()) == {defect.name}
