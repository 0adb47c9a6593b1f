"""The catalogue of finding codes: every code sowpack emits, its severity and its one-line meaning."""
from __future__ import annotations

import re
from typing import Iterable, NamedTuple

ERROR = "ERROR"
WARNING = "WARNING"
INFO = "INFO"


class Code(NamedTuple):
    """One finding code: its severity and what it means (the README's tables are generated from these)."""

    severity: str
    meaning: str


#: Every finding code (Pandoc's closed message type and `messageVerbosity` in one table),
#: grouped by area. Nothing changes these at run time. tests/test_findings.py checks that
#: every code the source emits is here and every code here is emitted; the README's tables
#: are generated from it by `tools/codes_table.py`.
CODES: dict[str, Code] = {
    # --- specs (deliverable_specs/*.yaml) ---
    "spec.yaml": Code(ERROR, "a spec is not YAML that sowpack reads: a syntax error, not UTF-8, too large"),
    "spec.missing-file": Code(ERROR, "a spec file cannot be read"),
    "spec.bad-version": Code(ERROR, "the spec's `version` is not one this sowpack reads"),
    "spec.unknown-key": Code(WARNING, "a key the spec format does not know (with a did-you-mean); it is ignored"),
    "spec.unknown-rule-key": Code(ERROR, "a key its rule type does not read (with a did-you-mean): a typo "
                                         "would silently change a contract rule"),
    "spec.missing-key": Code(ERROR, "a required key is absent (a rule's `type`, `cite` or its own required keys)"),
    "spec.bad-type": Code(ERROR, "a value of the wrong type (a list for a mapping, text for a number)"),
    "spec.bad-value": Code(ERROR, "a value the key does not allow: an unknown package or rule type, a bad slug, "
                                  "a minimum over its limit"),
    "spec.bad-format": Code(ERROR, "a format other than docx, pptx, xlsx, pdf"),
    "spec.unknown-kind": Code(ERROR, "a deliverable kind that `_kinds.yaml` does not define"),
    "spec.duplicate": Code(ERROR, "a service, deliverable id, section title or column defined twice"),
    # --- engagement inputs (engagement.yaml, answers, Excel) ---
    "input.yaml": Code(ERROR, "an input is not YAML that sowpack reads: a syntax error, a tab, a control "
                              "character, not UTF-8"),
    "input.missing-file": Code(ERROR, "engagement.yaml, an answers file or an Excel file is missing or unreadable"),
    "input.unknown-key": Code(WARNING, "a key the input format does not know (with a did-you-mean); it is ignored"),
    "input.missing-key": Code(ERROR, "a required key is absent"),
    "input.bad-type": Code(ERROR, "a value of the wrong type: a date without its year, a number in words, a "
                                  "list for a mapping (the message names the accepted forms)"),
    "input.bad-value": Code(ERROR, "a value that is not allowed: a path leaving the inputs folder, a control "
                                   "character, a service bought twice, a malformed chart"),
    "input.unknown-service": Code(ERROR, "a bought service has no spec"),
    "input.unknown-package": Code(ERROR, "the service's spec has no such package"),
    "input.missing-answer": Code(ERROR, "a section that no template writes has no answer"),
    "input.unknown-section": Code(WARNING, "an answer for a section the deliverable does not have; it is ignored"),
    "input.unknown-deliverable": Code(WARNING, "a `dates:` override names a deliverable the service does not have "
                                               "(with a did-you-mean); it is ignored"),
    "input.missing-rows": Code(ERROR, "a register has no rows, or its sheet is empty"),
    "input.missing-column": Code(ERROR, "a required column is missing (a renamed one is named as a hint)"),
    "input.unknown-column": Code(WARNING, "a column the spec does not have; it is ignored"),
    "input.blank-cell": Code(ERROR, "a required column is blank in a row"),
    "input.not-allowed": Code(ERROR, "a value that is not among the column's `allowed` ones"),
    "input.bad-excel": Code(ERROR, "an Excel file that is not a workbook, is corrupt or too large, or lacks the sheet"),
    "input.misplaced-block": Code(ERROR, "text that holds a block written as YAML (`- chart: {...}` inside a "
                                         "block of text): it would print as a bullet; the message says how to "
                                         "write it"),
    "input.bad-reference": Code(ERROR, "a `{=...}` reference (or a chart's TABLE.列) that cannot be computed: an "
                                       "unknown fact, table or column, text where a number is needed"),
    "input.total-mismatch": Code(ERROR, "a table's 合计 row contradicts the rows above it (write `{=sum}` to compute "
                                        "it)"),
    "input.missing-block": Code(ERROR, "a section the spec says must hold a diagram, chart, table or findings "
                                       "(`requires:`) has none"),
    "input.bad-diagram": Code(ERROR, "a diagram that cannot be drawn: an edge to an unknown node, a group in "
                                     "itself, a node in no known group"),
    "input.placeholder": Code(ERROR, "an answer still holds placeholder text (【XXX】, TODO, 待补充...)"),
    "input.no-team": Code(ERROR, "a service with a kickoff, work plan or minutes has no people on one side"),
    "input.not-on-team": Code(ERROR, "a manager, signatory, author, reviewer, host, recorder, attendee, action or "
                                     "risk owner who does not work on the service"),
    "input.service-not-bought": Code(WARNING, "a person lists a service the engagement does not buy; it is "
                                              "ignored for that person"),
    "input.missing-meeting": Code(ERROR, "minutes without a meeting record in the answers"),
    "input.missing-verdict": Code(ERROR, "minutes of a review without its verdict (通过 / 有条件通过 / 不通过)"),
    "input.missing-project": Code(ERROR, "a kickoff or work plan without the project's background and risks"),
    # --- templates (templates/text/*.md.j2) ---
    "template.missing": Code(ERROR, "a deliverable's template does not exist"),
    "template.syntax": Code(ERROR, "a jinja syntax error, with the template's path and line"),
    "template.undefined": Code(ERROR, "a template reads a value the inputs do not give"),
    "template.unsafe": Code(ERROR, "the sandbox refused what a template tried to reach"),
    "template.error": Code(ERROR, "any other error while a template renders"),
    "template.unknown-section": Code(ERROR, "a template writes a heading its kind does not declare in _kinds.yaml"),
    # --- `sowpack check`: the files of a pack ---
    "completeness.missing-deliverable": Code(ERROR, "a required deliverable is absent in every format (found from "
                                                    "the specs even when the manifest omits it)"),
    "completeness.missing-format": Code(ERROR, "absent in one of its mandated formats (a same-named file with "
                                               "another suffix is named as a hint)"),
    "completeness.unreadable": Code(ERROR, "the file does not open: empty, corrupt, truncated"),
    "completeness.wrong-type": Code(ERROR, "not what its extension says (an .xlsx inside a .docx, a PDF named .docx)"),
    "completeness.missing-section": Code(ERROR, "docx/pdf/pptx (and the xlsx 章节 sheet): a required section title "
                                                "is absent"),
    "completeness.section-order": Code(ERROR, "a required section comes before one the spec puts ahead of it"),
    "completeness.empty-section": Code(ERROR, "a required leaf section has nothing under it"),
    "completeness.missing-block": Code(ERROR, "docx/pptx: a section the spec says must show a diagram or a chart "
                                              "(`requires:`) has no picture or chart"),
    "completeness.missing-column": Code(ERROR, "xlsx (or a docx/pptx register table): a required column is absent "
                                               "from the header"),
    "completeness.no-rows": Code(ERROR, "a register has no data row"),
    "completeness.blank-cell": Code(ERROR, "blank cells in a required column (a sign-in sheet's 签到时间/签名 are "
                                           "filled by hand)"),
    "completeness.placeholder": Code(ERROR, "【XXX】, XXXX, xxx, TODO, TBD, 待补充, 待定, `{{ }}` in body, tables, "
                                            "headers, footers, notes, comments or cells"),
    "completeness.toc-empty": Code(ERROR, "the Word table of contents was never refreshed (no entries, \"update "
                                          "field\" text)"),
    "completeness.toc-stale": Code(WARNING, "TOC entries and headings differ: edited without refreshing the TOC"),
    "completeness.toc-missing": Code(WARNING, "a Word document with headings has no TOC"),
    "completeness.no-cjk-font": Code(ERROR, "a PDF with Chinese text and no embedded CJK font (readers see boxes)"),
    "completeness.page-size": Code(WARNING, "a Word or PDF page that is not A4"),
    "completeness.too-large": Code(ERROR, "the file is over a size limit of sowpack (a zip bomb, millions of cells)"),
    "completeness.outside-pack": Code(ERROR, "the file is a link that leads outside the pack; it is not opened"),
    "completeness.draft": Code(WARNING, "`check` only: a document marked 草稿 (an acceptance report listing "
                               "deliverables not yet accepted) is not ready for signature"),
    "completeness.no-conclusion": Code(ERROR, "minutes state no conclusion under 会议结论 (a review: no "
                                              "`结论：通过 / 有条件通过 / 不通过`)"),
    "completeness.no-actions": Code(ERROR, "minutes list no action with its 责任人, 完成时间 and 状态 under 待办事项"),
    "completeness.extra-file": Code(INFO, "a file no deliverable accounts for (`~$` lock files and dot-files are "
                                          "ignored)"),
    "check.summary-mismatch": Code(ERROR, "a number the build computed from a register (a count of findings, a "
                                          "sum) no longer agrees with that register as the file shows it, or the "
                                          "summary no longer shows it"),
    "check.unknown-service": Code(WARNING, "the manifest names a service or package the specs do not know (judged "
                                           "by the manifest instead)"),
    "check.spec-changed": Code(INFO, "the spec changed since the build; the current spec is applied"),
    "check.not-in-spec": Code(INFO, "the pack holds a deliverable the spec no longer requires"),
    "check.interrupted": Code(ERROR, "the last build into the pack was interrupted: the manifest may not describe "
                                     "the files"),
    # --- the plan: document dates, in the build (document/plan.py) and in `sowpack check`
    # (checks/records.py: dates read from core properties or the PDF creation date, else the manifest)
    "plan.before-kickoff": Code(ERROR, "a deliverable is dated before its service's kickoff"),
    "plan.after-acceptance": Code(ERROR, "a deliverable is dated after its service's (last) acceptance report"),
    "plan.review-before-document": Code(ERROR, "review minutes are dated before a document they review"),
    "plan.final-before-review": Code(ERROR, "a document is issued before the meeting that reviewed its draft "
                                            "(`review_of: draft`)"),
    "plan.outside-period": Code(ERROR, "a `dates:` override is outside the service period"),
    "plan.no-period": Code(ERROR, "a service with a kickoff, work plan or minutes has no `start`/`end`"),
    "plan.calendar-unknown": Code(WARNING, "part of the period is in a year the holiday calendar does not know: "
                                           "planned Monday to Friday, said so"),
    # --- business rules (pipeline/rules/: each rule type lists the codes it emits). A purchase
    # outside what the SOW sells is an ERROR and stops the build; a commercial risk the vendor
    # may accept, or a rule that cannot be checked, is a WARNING; what is billed is INFO.
    "rules.package-limit": Code(ERROR, "a fact is over the bought package's limit (names the package that would "
                                       "cover it, or says none does)"),
    "rules.onsite-cap": Code(ERROR, "`onsite_days` over the SOW's on-site person-day cap (per package when the "
                                    "rule says so)"),
    "rules.requires-package": Code(ERROR, "a package that cannot be bought alone, bought without one that "
                                          "`includes` what it requires"),
    "rules.requires-service": Code(ERROR, "a package that needs another service (`requires_service`) the "
                                          "engagement does not buy"),
    "rules.holiday-days": Code(ERROR, "`holiday_onsite_days` more than `onsite_days`"),
    "rules.lead-time": Code(WARNING, "`applied_on` fewer Chinese working days before `start` than the SOW asks "
                                     "(says the last good day)"),
    "rules.pricing-unit-exceeded": Code(WARNING, "more pricing units needed than bought (facts `units_purchased: "
                                                 "N`, or `{fact: N}`; default 1)"),
    "rules.package-minimum": Code(WARNING, "a fact is under the bought package's minimum (`minimums:`): the "
                                           "package is sold for more (names the one meant for it)"),
    "rules.missing-fact": Code(WARNING, "a rule cannot be checked: its fact is missing from the answers or not "
                                        "a number"),
    "rules.missing-date": Code(WARNING, "a rule cannot be checked: `applied_on` or `start` is missing"),
    "rules.calendar-unknown": Code(WARNING, "a date in a year the working-day calendar does not know: not checked, "
                                            "never guessed"),
    "rules.no-holiday-in-period": Code(WARNING, "holiday on-site days claimed but no statutory holiday falls in the "
                                                "service period"),
    "rules.pricing-units": Code(INFO, "the units billed: every started unit counts (51 tables at 50 a unit = 2 "
                                      "units)"),
    "rules.holiday-rate": Code(INFO, "on-site person-days billed with holiday days at the SOW's multiplier (3×)"),
    "rules.package-oversized": Code(INFO, "a cheaper package's limit would cover the fact too"),
    "rules.not-recorded": Code(INFO, "`sowpack check`: the manifest has no rule facts for a service (built by an "
                                     "older sowpack); rebuild to check its rules"),
    # --- the sign-off ledger (`sowpack signoff verify`) ---
    "signoff.changed-after-signoff": Code(ERROR, "a file accepted (or deemed accepted) changed since"),
    "signoff.missing-after-signoff": Code(ERROR, "a file accepted (or deemed accepted) is gone"),
    "signoff.ledger-damaged": Code(ERROR, "the ledger's hash chain is broken: a line edited, removed or malformed"),
    "signoff.changed-after-submit": Code(WARNING, "a submitted file changed or is gone before the customer decided"),
    "signoff.unknown-deliverable": Code(WARNING, "the ledger names a deliverable the pack does not have"),
    "signoff.outside-pack": Code(ERROR, "a signed-off path is now a link out of the pack; it is not opened"),
    "signoff.ledger-truncated": Code(ERROR, "the ledger is shorter than the pack recorded, or gone: lines were cut "
                                            "from its end"),
    "signoff.ledger-changed": Code(ERROR, "the line where the pack recorded the ledger's end was edited or replaced"),
    "signoff.anchor-damaged": Code(ERROR, "the pack's record of the ledger (manifest.json `signoff`) is malformed"),
    "signoff.ledger-repaired": Code(WARNING, "damaged ledger lines accepted by `sowpack signoff repair` (who, when)"),
    "signoff.ledger-unanchored": Code(WARNING, "a ledger the pack has no record of yet: its end cannot be checked "
                                               "until the next signoff write or build"),
    # --- `sowpack questionnaire import` ---
    "questionnaire.refused": Code(ERROR, "a questionnaire cell refused (formula, control character, placeholder, "
                                         "not allowed, not a date or number); nothing of its register is imported"),
    "questionnaire.conflict": Code(WARNING, "an answer changed by hand since the export is kept (`--force` takes "
                                            "the questionnaire's)"),
    "questionnaire.unknown": Code(WARNING, "a question or register the engagement does not have; ignored"),
}


def severity(code: str) -> str:
    """The severity of a finding code.

    Raises:
        KeyError: the code is not in the catalogue (a bug: every emitted code must be listed).
    """
    try:
        return CODES[code].severity
    except KeyError:
        raise KeyError(f"finding code '{code}' is not in the catalogue pipeline/core/findings.py") from None


def markdown_table(areas: Iterable[str]) -> str:
    """The README table (code, severity, meaning) of every code in the given areas, in catalogue order."""
    areas = tuple(areas)
    rows = ["| code | severity | meaning |", "|---|---|---|"]
    rows += [f"| `{code}` | {c.severity} | {c.meaning} |" for code, c in CODES.items() if code.split(".")[0] in areas]
    return "\n".join(rows) + "\n"



_BLOCK = re.compile(r"(<!-- codes: ([a-z ]+) -->\n).*?(<!-- /codes -->)", re.S)


def update_tables(text: str) -> str:
    """text (the README) with every `<!-- codes: AREA... -->` block regenerated from the catalogue."""
    return _BLOCK.sub(lambda m: m.group(1) + markdown_table(m.group(2).split()) + m.group(3), text)
