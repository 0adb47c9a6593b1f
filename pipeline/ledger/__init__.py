"""The sign-off ledger as data: its events and hash chain, each deliverable's status,
the files it protects, and the view the acceptance report shows.

May import: core.
"""
