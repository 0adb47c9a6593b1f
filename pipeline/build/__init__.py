"""The build: phases from loading to the manifest, incremental up-to-date checks.

May import: core, specs, rules, inputs, ledger, document, readers, renderers, checks, overview.
"""
