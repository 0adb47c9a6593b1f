"""Customer wording: what a customer's IT director reads in every sample pack (from the golden dumps)
and in every title any pack can hold (from the specs)."""
from __future__ import annotations

import re
from collections import defaultdict

import pytest

from conftest import GOLDEN, SPECS

#: Words of the contract documents and their UI that never reach a customer.
CONTRACT = ("工作说明书", "点击", "按钮", "进签署", "SOW")
PARTIES = ("甲方", "乙方")


def _files():
    """(engagement, service folder, file name, dump lines) of every file of every golden pack."""
    out = []
    for path in sorted(GOLDEN.glob("*/*.txt")):
        name, lines = None, []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("=== "):
                if name:
                    out.append((path.parent.name, path.stem, name, lines))
                name, lines = line[4:], []
            else:
                lines.append(line)
        if name:
            out.append((path.parent.name, path.stem, name, lines))
    return out


FILES = _files()


def test_the_golden_packs_are_there():
    assert len({e for e, *_ in FILES}) >= 20 and len(FILES) > 300


def test_no_contract_wording_reaches_a_document():
    bad = []
    for eng, folder, name, lines in FILES:
        # 28's deliverable 《成本管家服务工作说明书》 (7.2, 服务启动) is a statement of work by name:
        # its title may be cited, never the contract's own document.
        words = [w for w in CONTRACT if not (w == "工作说明书" and "工作说明书" in name)]
        bad += [f"{eng}/{folder}/{name}: {w}" for line in lines for w in words
                if w in line.replace("成本管家服务工作说明书", "")]
    assert not bad, bad[:10]


def test_the_parties_are_named_except_in_forms_the_sow_lays_out_with_those_labels():
    # 24's 验收确认单 (附件一) is such a form: 甲方/乙方 label its fields.
    bad = [f"{eng}/{folder}/{name}: {line[:80]}" for eng, folder, name, lines in FILES if "验收确认单" not in name
           for line in lines if any(p in line for p in PARTIES)]
    assert not bad, bad[:10]


def test_no_internal_service_number_in_document_control():
    # The 服务 row of document control: a table row in Word, PDF and PowerPoint dumps; in a workbook's
    # cover sheet, the label in column A and the value beside it (numbered lists elsewhere are fine).
    bad = []
    for eng, _, name, lines in FILES:
        for i, line in enumerate(lines):
            label = re.match(r"\s*A(\d+) \[s\] 服务$", line)
            if re.search(r"\| 服务 \| \d+\. ", line) or (
                    label and i + 1 < len(lines) and re.match(rf"\s*B{label.group(1)} \[s\] \d+\. ", lines[i + 1])):
                bad.append(f"{eng}/{name}: {line} {lines[i + 1] if label else ''}")
    assert not bad, bad[:10]


def test_titles_are_unique_within_a_pack():
    folders = defaultdict(set)
    for eng, folder, name, _ in FILES:
        folders[(eng, name.rsplit(".", 1)[0])].add(folder)
    clash = {k: v for k, v in folders.items() if len(v) > 1}
    assert not clash, clash


def test_the_running_header_does_not_repeat_the_short_name():
    bad = []
    for eng, _, name, lines in FILES:
        for line in lines:
            m = re.match(r"HEADER (?:草稿 · )?(\S+) · (.*)", line)
            if m and m.group(1) in m.group(2):
                bad.append(f"{eng}/{name}: {line}")
    assert not bad, bad[:10]


def test_every_title_any_pack_can_hold_is_unique_and_service_names_are_customer_words():
    from pipeline.specs.load import require_specs

    specs, _ = require_specs(SPECS)
    seen: dict[str, str] = {}
    clashes = []
    for s in specs:
        assert not any(w in s.name for w in ("工作说明书", "说明书")), s.name
        for d in s.deliverables:
            title = d.display_title("某客户")
            if title in seen:
                clashes.append(f"{title}: {seen[title]} and {s.service}/{d.id}")
            seen[title] = f"{s.service}/{d.id}"
    assert not clashes, clashes


@pytest.mark.parametrize("word", ["【XXX】", "XXXX", "xxx"])
def test_no_placeholder_fill_is_left_in_a_title(word):
    from pipeline.specs.load import require_specs

    specs, _ = require_specs(SPECS)
    assert not [d.id for s in specs for d in s.deliverables if word in d.display_title("某客户")]
