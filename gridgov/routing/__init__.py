"""Road graphs and cost tables, the escalation ladder, and dispatch of deputies.

Never imports :mod:`gridgov.coverage`. Filled by the coverage and whistle-to-closure work
(issues 3 and 5).
"""
