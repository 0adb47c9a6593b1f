"""The SOWs' business rules (lead time, package limits, pricing units, on-site caps,
holiday rate, required packages): one class per rule type, its keys and severities.

May import: core.
"""
