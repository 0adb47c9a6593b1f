"""The pack overview: index.html at the root of every pack, one self-contained Chinese page
listing each service and deliverable with links to its files, its `check` status and its
sign-off status. `build`, `check` and `signoff` each record what they know
(.sowpack-overview.json in the pack) and write the page again.

May import: core, ledger.
"""
