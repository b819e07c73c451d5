"""The whistle-to-closure loop (网格吹哨、代表报到): issues from raising to rating.

:mod:`~gridgov.issues.lifecycle` is the pure state machine (the clock passed in, every
transition a function); :mod:`~gridgov.issues.service` puts it to work on a workspace and a
:class:`~gridgov.store.base.Store`; :mod:`~gridgov.issues.places` finds the grid a point
is in; :mod:`~gridgov.issues.access` says who may see and do what; :mod:`~gridgov.issues.dispatch` picks the nearest available deputies and
:mod:`~gridgov.issues.escalation` builds the ladder grid → station → township → county →
12345; :mod:`~gridgov.issues.stats`, :mod:`~gridgov.issues.qr` and
:mod:`~gridgov.issues.simulate` report on it, print its codes and play a week of it.
Road travel comes from :mod:`gridgov.routing`; nothing here imports the web shell.
"""
