"""The customer questionnaire (调研问卷): exported from an engagement's specs and answers as an
Excel workbook (or a Word copy to read), filled by the customer, and imported back into the
answers with every refused cell located.

May import: core, specs, inputs, scaffold, document, renderers.
"""
