"""Readers of written files: what Word, PowerPoint, Excel and a PDF viewer show (used by
`check` and by the golden dumps).

May import: core.
"""
