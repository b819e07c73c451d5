"""Folium rendering of gridgov results (coverage and consolidation maps).

Only turns core results into ``folium.Map`` objects; the core never imports this package.
"""
