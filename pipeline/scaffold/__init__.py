"""Starting an engagement: `sowpack new` writes engagement.yaml, an answers file per service in
the spec's nesting (the SOW's words as comments) and a register workbook per service; the
answers file writer is shared with the questionnaire import.

May import: core, specs, inputs.
"""
