"""Benchmark sowpack: whole builds of the sample engagements, and whole processes against peer tools.

Run `make bench` (it installs the peers first, tools/bench_deps.sh), or
    .venv/bin/python tools/bench.py [--skip-samples] [--skip-peers] [--repeat N]

Everything is measured as a whole process (interpreter start and imports included), in
one run, so the ratios compare like with like on a shared, noisy machine: read the
ratios, not the absolute times. Each peer comparison renders the same content:

- docx: a report of seven sections of twenty paragraphs and a 40-row table (about 50
  pages), `sowpack build --only` against `pandoc` Markdown -> docx (same reference.docx);
- pdf: the same report, sowpack's PDF against LibreOffice headless docx -> PDF of
  sowpack's own docx;
- xlsx: a 10,000-row register, sowpack against XlsxWriter writing the same rows with the
  same formatting (cover sheet, header style, borders, widths, validation, filter, print setup).

Times are medians of --repeat runs (after one untimed warm-up); CPU is user+system of
the process and its children; RSS is the largest single process.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOWPACK = [sys.executable, "-m", "pipeline"]


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    total_rss_mb: float = 0.0


def _tree_rss_kb(pid: int) -> int:
    """Sum of VmRSS over a process and its descendants (Linux /proc; 0 elsewhere)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            status = (d / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        p = int(d.name)
        children.setdefault(int(fields.get("PPid", "0").strip() or 0), []).append(p)
        rss[p] = int(fields.get("VmRSS", "0 kB").split()[0]) if "VmRSS" in fields else 0
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


def run(cmd: list[str]) -> None:
    """A process whose time does not count; stop the bench if it fails."""
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{proc.stderr.decode(errors='replace')[-3000:]}")


def measured(cmd: list[str], sample_rss: bool = False) -> Run:
    """One whole process: wall time, CPU and peak RSS from wait4 (the process and the children it waited for)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_total = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            peak_total[0] = max(peak_total[0], _tree_rss_kb(proc.pid))
    sampler = threading.Thread(target=sample, daemon=True)
    if sample_rss:
        sampler.start()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    stop.set()
    if sample_rss:
        sampler.join()
    if code != 0:
        sys.exit(f"failed ({code}): {' '.join(map(str, cmd))}\n{err.decode(errors='replace')[-3000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, peak_total[0] / 1024)


def median_run(cmd: list[str], repeat: int, warm: bool = True) -> Run:
    """The median of `repeat` runs, after one untimed run that warms the OS file cache."""
    if warm:
        measured(cmd)
    runs = [measured(cmd) for _ in range(repeat)]
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs),
               max(r.rss_mb for r in runs))


# --- the same content for sowpack and the peers -----------------------------------------------------
SECTIONS = ["项目背景与目标", "现状调研与问题分析", "总体架构设计", "资源与容量评估", "实施方案与步骤", "风险与应对措施",
            "结论与后续建议"]
_WORDS = ["云上架构", "业务连续性", "高可用", "数据一致性", "容量规划", "弹性伸缩", "监控告警", "故障演练", "灾备切换",
          "网络隔离", "访问控制", "成本优化", "资源利用率", "运维自动化", "变更管理", "应急预案", "性能瓶颈",
          "数据库读写分离", "消息队列", "缓存命中率", "负载均衡", "链路追踪", "日志审计", "安全合规"]
_VERBS = ["需要进一步评估", "已完成初步梳理", "建议在下一阶段落实", "由双方共同确认", "纳入整改计划", "持续跟踪改进",
          "形成书面结论", "按季度复盘"]
REGISTER_COLUMNS = [("序号", "int"), ("资源ID", "text"), ("资源名称", "text"), ("资源类型", "text"),
                    ("所属系统", "text"), ("地域", "text"), ("状态", "text"), ("上线日期", "date")]
STATES = ["运行中", "已停止", "待释放"]
TYPES = ["ECS", "RDS", "SLB", "OSS", "Redis", "Kafka"]


def paragraph(rng: random.Random, chars: int = 330) -> str:
    out = []
    while sum(map(len, out)) < chars:
        out.append(f"{rng.choice(_WORDS)}方面，{rng.choice(_WORDS)}与{rng.choice(_WORDS)}{rng.choice(_VERBS)}，"
                   f"涉及 {rng.randint(2, 99)} 个系统和 {rng.randint(10, 999)} 项配置。")
    return "".join(out)


def report_content(rng: random.Random) -> tuple[dict[str, str], list[list[str]]]:
    """Markdown of each section (twenty paragraphs; the fourth section adds a 40-row table) and the table rows."""
    table = [[str(i), f"检查项{i:02d}", rng.choice(_WORDS), rng.choice(["通过", "不通过", "部分通过"]),
              rng.choice(_VERBS)] for i in range(1, 41)]
    sections = {}
    for k, title in enumerate(SECTIONS):
        paras = [paragraph(rng) for _ in range(20)]
        text = "\n\n".join(paras)
        if k == 3:
            head = ["序号", "检查项", "领域", "结论", "建议"]
            text += "\n\n| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n"
            text += "".join("| " + " | ".join(r) + " |\n" for r in table)
        sections[title] = text
    return sections, table


def register_rows(rng: random.Random, n: int = 10_000) -> list[list]:
    rows = []
    for i in range(1, n + 1):
        rows.append([i, f"i-bp{rng.randrange(16**10):010x}", f"{rng.choice(_WORDS)}节点{i:05d}", rng.choice(TYPES),
                     f"{rng.choice(_WORDS)}系统", rng.choice(["华东1（杭州）", "华东2（上海）", "华北2（北京）"]),
                     rng.choice(STATES), f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"])
    return rows


def _spec(service: int, title: str, slug: str, deliverables: list[dict]) -> dict:
    return {"version": 1, "service": service, "title": title, "slug": slug,
            "packages": [{"name": "标准服务", "description": "基准测试"}],
            "acceptance": {"rule": "客户确认交付物即视为验收合格。", "review_days": 5, "day_type": "working",
                           "deemed_accepted": False},
            "deliverables": deliverables}


def write_fixture(base: Path) -> dict:
    """A spec folder (the project's specs plus services 98 and 99) and an engagement that buys both.

    The report (service 99) and the register (service 98) have their own answers files, as
    two services of a real engagement do, so each comparison reads what it renders.
    """
    import yaml

    def dump(path: Path, data) -> None:
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000), encoding="utf-8")

    rng = random.Random(13)
    specs = base / "specs"
    shutil.copytree(ROOT / "deliverable_specs", specs)
    sections, _ = report_content(rng)
    rows = register_rows(rng)
    dump(specs / "99-bench-report.yaml", _spec(99, "基准测试报告服务", "bench-report", [
        {"id": "report", "seed_name": "《【XXX】基准测试报告》", "kind": "report", "formats": ["docx"],
         "sections": SECTIONS},
        {"id": "report-pdf", "seed_name": "《【XXX】基准测试报告（PDF 版）》", "kind": "report", "formats": ["pdf"],
         "sections": SECTIONS}]))
    dump(specs / "98-bench-register.yaml", _spec(98, "基准测试台账服务", "bench-register", [
        {"id": "register", "seed_name": "《【XXX】资源台账》", "kind": "register", "formats": ["xlsx"],
         "columns": [{"name": n, "type": t, **({"allowed": STATES} if n == "状态" else {})}
                     for n, t in REGISTER_COLUMNS]}]))
    eng = base / "bench-eng"
    (eng / "answers").mkdir(parents=True)
    dump(eng / "engagement.yaml", {
        "version": 1, "customer": {"name": "基准测试集团有限公司", "short_name": "基准测试集团"},
        "project": "基准测试项目", "vendor": "阿里云", "date": "2026-03-02",
        "document_control": {"version": "V1.0", "author": "张伟", "reviewer": "李娜"},
        "people": [{"name": "张伟", "org": "阿里云", "role": "项目经理"}],
        "services": [{"service": 99, "package": "标准服务", "answers": "answers/99-bench-report.yaml"},
                     {"service": 98, "package": "标准服务", "answers": "answers/98-bench-register.yaml"}]})
    dump(eng / "answers" / "99-bench-report.yaml", {"version": 1, "service": 99, "deliverables": {
        "report": {"sections": sections}, "report-pdf": {"sections": sections}}})
    names = [n for n, _ in REGISTER_COLUMNS]
    dump(eng / "answers" / "98-bench-register.yaml", {"version": 1, "service": 98, "deliverables": {
        "register": {"rows": [dict(zip(names, r)) for r in rows]}}})
    md = base / "report.md"
    md.write_text("% 基准测试集团基准测试报告\n\n" + "".join(f"# {t}\n\n{sections[t]}\n\n" for t in SECTIONS),
                  encoding="utf-8")
    xlsxwriter_script = base / "register_xlsxwriter.py"
    (base / "rows.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    xlsxwriter_script.write_text(XLSXWRITER_SCRIPT, encoding="utf-8")
    return {"specs": specs, "eng": eng, "md": md, "xlsxwriter": xlsxwriter_script, "rows": base / "rows.json"}


#: The peer for the register: XlsxWriter writing what sowpack's xlsx holds (cover, header, borders, widths,
#: dates, validation, filter, frozen header, print setup), reading the same rows from a file.
XLSXWRITER_SCRIPT = r'''
import datetime as dt, json, sys
import xlsxwriter
rows = json.load(open(sys.argv[1], encoding="utf-8"))
header = ["序号", "资源ID", "资源名称", "资源类型", "所属系统", "地域", "状态", "上线日期"]
wb = xlsxwriter.Workbook(sys.argv[2])
thin = {"border": 1, "border_color": "#A6A6A6"}
head = wb.add_format({"font_name": "微软雅黑", "bold": True, "font_color": "#FFFFFF", "bg_color": "#1F3A5F",
                      "align": "center", "valign": "vcenter", "text_wrap": True, **thin})
body = wb.add_format({"font_name": "微软雅黑", "valign": "top", "text_wrap": True, **thin})
date = wb.add_format({"font_name": "微软雅黑", "valign": "top", "text_wrap": True, "num_format": "yyyy-mm-dd", **thin})
key = wb.add_format({"font_name": "微软雅黑", "bold": True, **thin})
cover = wb.add_worksheet("封面")
cover.write(0, 0, "基准测试集团资源台账", wb.add_format({"font_name": "微软雅黑", "bold": True, "font_size": 16}))
for i, (k, v) in enumerate([("文档名称", "基准测试集团资源台账"), ("客户", "基准测试集团有限公司"),
                            ("项目名称", "基准测试项目"), ("服务", "99. 基准测试服务"), ("版本", "V1.0"),
                            ("日期", "2026年3月2日"), ("作者", "张伟"), ("审核人", "李娜"), ("编制单位", "阿里云")], 2):
    cover.write_string(i, 0, k, key)
    cover.write_string(i, 1, v, body)
cover.set_column(0, 0, 14)
cover.set_column(1, 1, 60)
ws = wb.add_worksheet("资源台账")
for j, h in enumerate(header):
    ws.write_string(0, j, h, head)
widths = [len(h) * 2 for h in header]
for i, r in enumerate(rows, 1):
    for j, v in enumerate(r):
        if j == 7:
            ws.write_datetime(i, j, dt.datetime.strptime(v, "%Y-%m-%d"), date)
        elif isinstance(v, str):
            ws.write_string(i, j, v, body)
        else:
            ws.write_number(i, j, v, body)
        widths[j] = max(widths[j], sum(2 if ord(c) > 0x2E7F else 1 for c in str(v)))
for j, w in enumerate(widths):
    ws.set_column(j, j, min(max(10, w + 2), 60))
ws.freeze_panes(1, 0)
ws.autofilter(0, 0, len(rows), len(header) - 1)
ws.data_validation(1, 6, max(len(rows), 199), 6, {"validate": "list", "source": ["运行中", "已停止", "待释放"],
                                                   "error_message": "请从列表中选择：状态"})
for sheet, wide in ((cover, False), (ws, True)):
    sheet.set_paper(9)
    sheet.set_landscape() if wide else sheet.set_portrait()
    sheet.fit_to_pages(1, 0)
ws.repeat_rows(0)
wb.close()
'''


def ratio_line(name: str, ours: Run, peer: Run, peer_name: str) -> str:
    r = ours.wall / peer.wall if peer.wall else float("inf")
    rc = ours.cpu / peer.cpu if peer.cpu else float("inf")
    verdict = "ok" if r <= 1.0 else "over goal"
    return (f"  {name:<5} sowpack {ours.wall:6.2f} s (cpu {ours.cpu:5.2f} s, {ours.rss_mb:4.0f} MB)  |  {peer_name} "
            f"{peer.wall:6.2f} s (cpu {peer.cpu:5.2f} s, {peer.rss_mb:4.0f} MB)  |  ratio {r:4.2f} wall, {rc:4.2f} cpu"
            f"  [goal <= 1.0: {verdict}]")


def pages(pdf: Path) -> str:
    try:
        out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    except OSError:
        return "?"
    return next((line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")), "?")


def bench_peers(repeat: int) -> None:
    missing = [t for t in ("pandoc", "soffice") if shutil.which(t) is None]
    try:
        import xlsxwriter  # noqa: F401
    except ImportError:
        missing.append("XlsxWriter (pip)")
    if missing:
        print(f"peers: skipped, missing {', '.join(missing)} (run tools/bench_deps.sh, or `make bench`)")
        return
    with tempfile.TemporaryDirectory(prefix="sowpack-bench-") as tmp:
        base = Path(tmp)
        fx = write_fixture(base)
        out = base / "out"
        pack = out / "bench-eng" / "99-bench-report"
        # First build: everything of the engagement (untimed), so each timed run rebuilds one file.
        run(SOWPACK + ["build", str(fx["eng"]), "--specs", str(fx["specs"]), "--out", str(out)])
        docx = next(pack.glob("*基准测试报告.docx"))
        ours_pdf = next(pack.glob("*.pdf"))
        one = ["build", str(fx["eng"]), "--specs", str(fx["specs"]), "--out", str(out), "--force", "--only"]
        print(f"peers: the same content, whole process against whole process (median of {repeat}):")
        print(f"  report: 7 sections x 20 paragraphs + a 40-row table; sowpack's PDF {pages(ours_pdf)} pages")
        s_docx = median_run(SOWPACK + one + ["99/report"], repeat)
        p_docx = median_run(["pandoc", str(fx["md"]), "-o", str(base / "pandoc.docx"),
                             "--reference-doc", str(ROOT / "templates" / "docx" / "reference.docx")], repeat)
        print(ratio_line("docx", s_docx, p_docx, "pandoc md->docx"))
        s_pdf = median_run(SOWPACK + one + ["99/report-pdf"], repeat)
        profile = (base / "lo-profile").as_uri()
        lo = ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
              "--outdir", str(base / "lo"), str(docx)]
        p_pdf = median_run(lo, repeat)
        print(ratio_line("pdf", s_pdf, p_pdf, "LibreOffice docx->pdf"))
        print(f"         (LibreOffice's PDF of sowpack's docx: {pages(base / 'lo' / (docx.stem + '.pdf'))} pages)")
        s_xlsx = median_run(SOWPACK + one + ["98/register"], repeat)
        p_xlsx = median_run([sys.executable, str(fx["xlsxwriter"]), str(fx["rows"]), str(base / "xw.xlsx")], repeat)
        print(ratio_line("xlsx", s_xlsx, p_xlsx, "XlsxWriter 10,000 rows"))


def bench_samples(repeat: int) -> None:
    engagements = sorted(str(p.parent) for p in (ROOT / "sample_inputs").glob("*/engagement.yaml"))
    jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    with tempfile.TemporaryDirectory(prefix="sowpack-bench-") as tmp:
        out_n, out_1 = Path(tmp) / "jn", Path(tmp) / "j1"
        full_n = measured(SOWPACK + ["build", *engagements, "--out", str(out_n), "-j", str(jobs)], sample_rss=True)
        files = sum(1 for p in out_n.rglob("*") if p.is_file() and p.name != "manifest.json")
        print(f"samples: {len(engagements)} engagements, {files} files")
        print(f"  full build -j {jobs}: {full_n.wall:6.1f} s (cpu {full_n.cpu:.1f} s), peak RSS {full_n.rss_mb:.0f} MB "
              f"largest process, {full_n.total_rss_mb:.0f} MB all processes together [goal <= 30 s, <= 600 MB]")
        full_1 = measured(SOWPACK + ["build", *engagements, "--out", str(out_1), "-j", "1"])
        same = all((out_1 / p.relative_to(out_n)).read_bytes() == p.read_bytes()
                   for p in out_n.rglob("*") if p.is_file() and p.name != "manifest.json")
        print(f"  full build -j 1: {full_1.wall:6.1f} s (cpu {full_1.cpu:.1f} s): -j {jobs} is "
              f"{full_1.wall / full_n.wall:.2f}x faster [goal >= 1.7 on 2 cores]; "
              f"{'byte-identical' if same else 'OUTPUTS DIFFER'}")
        re_run = median_run(SOWPACK + ["build", *engagements, "--out", str(out_n)], repeat, warm=False)
        print(f"  unchanged rebuild: {re_run.wall:5.2f} s (cpu {re_run.cpu:.2f} s) [goal <= 1 s]")
        specs = median_run(SOWPACK + ["specs"], repeat)
        largest = max((p for p in out_n.iterdir() if p.is_dir()), key=lambda p: sum(1 for _ in p.rglob("*")))
        check = median_run(SOWPACK + ["check", str(largest)], repeat)
        print(f"  `sowpack specs`: {specs.wall:.2f} s; `sowpack check` of the largest pack ({largest.name}): "
              f"{check.wall:.2f} s [goal <= 0.5 s each]")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-samples", action="store_true", help="only the peer comparisons")
    ap.add_argument("--skip-peers", action="store_true", help="only the sample builds")
    args = ap.parse_args()
    print(f"sowpack bench, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, load "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} (shared machines: compare ratios, not times)")
    if not args.skip_peers:
        bench_peers(args.repeat)
    if not args.skip_samples:
        bench_samples(args.repeat)


if __name__ == "__main__":
    main()
