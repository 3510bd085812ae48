"""The DBN and DBM reproductions are registered, say their setup and cite their source."""

from __future__ import annotations

import pytest

from neuralzoo import reproduce


@pytest.mark.parametrize("id_, published", [("dbn-class", "1.25%"), ("dbn-theano", "1.34%"), ("dbm", "-84.62")])
def test_registered_with_source_and_published_figure(id_, published):
    m = reproduce.REGISTRY[id_]
    assert m.ID == id_ and published in m.TITLE and m.SOURCE
    assert "--quick" in m.__doc__ and "Departures" in m.__doc__  # what differs from the paper is said
    assert callable(m.run)
