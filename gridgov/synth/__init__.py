"""Seeded synthetic counties at any scale, for the demo, tests and benchmarks.

Three entry points share one generator. :func:`demo_county` is Huarong (华容县, 430623):
its real outline and its real 14 townships and 225 villages/communities with their
statistical codes and names (``gridgov/_data/``), dressed in synthetic geometry, people,
grids, roads, 97 stations and ~1,100 deputies. :func:`synth_county` makes a wholly
synthetic county of any size with codes that nest (county 6 digits, township +3, village
+3). :func:`synth_region` writes many counties, up to national scale (600,000
village-level units, ~2.8 million deputies), in parts, so memory stays bounded.

Geometry is built in the county's Gauss-Kruger zone (metres) and converted to CGCS2000
(EPSG:4490) at the end. Zones nest by construction: townships are Voronoi cells of
relaxed seat points clipped to the outline, villages are Voronoi cells inside their
township (communities cluster round the seat), grids are cells inside their village.
The road network is a spanning tree over township seats (plus a trunk road through the
county seat) and over village centres, with a few extra links for loops, and a village
road from every settlement to its village centre, so it is one connected component.
Everything random comes from ``numpy.random.default_rng``; one seed gives one output.
Nothing here is official data except what ``gridgov/_data/README.md`` says is real.

By concern: ``_shapes`` (sampling, partitions, spanning trees, integer shares), ``_build``
(the generator, from a county's frame to its layers), ``_county`` (the demo and synthetic
counties' frames) and ``_region`` (many counties, written in parts).
"""

from __future__ import annotations

from gridgov.synth._county import demo_county, synth_county
from gridgov.synth._region import PRESETS, synth_region

__all__ = ["PRESETS", "demo_county", "synth_county", "synth_region"]
