"""Engagement inputs: engagement.yaml, survey answers (YAML) and Excel sheets, read
into an Engagement with a location for every value.

May import: core, specs.
"""

