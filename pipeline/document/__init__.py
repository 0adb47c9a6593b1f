"""The format-neutral document model between templates and renderers."""
