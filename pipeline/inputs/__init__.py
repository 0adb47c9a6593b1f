"""Engagement inputs: engagement.yaml, survey answers (YAML) and Excel sheets."""
