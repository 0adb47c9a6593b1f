"""The SOWs' business rules (lead time, package limits, pricing units, on-site caps,
holiday rate, required packages): one class per rule type in types.py, each declaring its
keys, the finding codes it emits and its check; the facts they read (facts.py); running
them (engine.py).

May import: core.
"""
