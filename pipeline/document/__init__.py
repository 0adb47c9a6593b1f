"""The format-neutral document model and its assembly: spec + inputs + text templates
-> Document.

May import: core, specs, inputs, rules, ledger.
"""

