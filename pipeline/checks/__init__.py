"""`sowpack check`: judge a written pack against the specs and the manifest.

May import: core, specs, rules, readers, renderers.
"""

