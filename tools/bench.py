"""Benchmark sowpack: whole builds of the sample engagements, and whole processes against peer tools.

Run `make bench` (it installs the peers first, tools/bench_deps.sh), or
    .venv/bin/python tools/bench.py [--skip-samples] [--skip-peers] [--rounds N] [--repeat N]
                                    [--before TREE [--before-python PY]]

--before runs another source tree of sowpack beside this one, measurement by
measurement, for a before/after comparison in one run:
    git archive COMMIT | tar -x -C /tmp/before && .venv/bin/python tools/bench.py --before /tmp/before

Everything is measured as a whole process (interpreter start and imports included), in
one run, so the ratios compare like with like on a shared, noisy machine: read the
ratios, not the absolute times. Each peer comparison renders the same content:

- docx: a report of seven sections of twenty paragraphs and a 40-row table (about 50
  pages), a whole `sowpack build --force` of an engagement holding just that report,
  against `pandoc` Markdown -> docx (with the same reference.docx);
- pdf: the same report, sowpack's PDF against LibreOffice headless docx -> PDF of
  sowpack's own docx;
- xlsx: a 10,000-row register, sowpack against XlsxWriter writing the same rows with the
  same formatting (cover sheet, header style, borders, widths, validation, filter, print setup).

Each tree's sources are byte-compiled first, as an installed package's are. A peer and the
trees run in --rounds rounds, back to back within a round (after one untimed run each): the
ratio printed is the median of the rounds' ratios, so that a machine slowing down for a minute
slows both sides of a ratio. Other times are medians of --repeat runs; CPU is user+system of
the process and its children; RSS is the largest single process, and for the full build the
memory of all its processes together is sampled as PSS (shared pages divided among the
processes sharing them; the sum of their RSS is printed beside it). The builds use a cache as a
user's builds do (stamps, remembered reads and pictures), one folder per tree, made for the
run: the full build is timed after an untimed one into another folder, for -j 1 and -j N
alike, and the first build on a machine (SOWPACK_NO_CACHE=1) is timed too. The -j N speed-up is
printed beside the machine's own: N copies of a CPU-bound loop together against one alone,
measured before each round (on a shared host, busy cores slow each other down).

--before-python runs the --before tree on another interpreter (a venv holding the project's
requirements), for a before/after of an interpreter; XlsxWriter then runs on each tree's own.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
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

@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    total_rss_mb: float = 0.0
    total_pss_mb: float = 0.0


def _tree_memory_kb(pid: int) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) over a process and its descendants (Linux /proc; zeros elsewhere).

    RSS counts a page once in every process that maps it: the render workers, forked from
    the build, share its imported libraries, and every process maps the same font files.
    PSS (proportional set size) divides each shared page among the processes that map it,
    so its sum is the memory the build takes. Walks /proc/PID/task/*/children from the
    root, so that sampling costs the build next to nothing.
    """
    rss = pss = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            rss += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
            pss += next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return rss, pss


def run(cmd: list[str], cwd: Path = ROOT) -> None:
    """A process whose time does not count; stop the bench if it fails."""
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors='replace')[-3000:]
        sys.exit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{err}")


def measured(cmd: list[str], sample_rss: bool = False, cwd: Path = ROOT, env: dict | None = None) -> Run:
    """One whole process: wall time, CPU and peak RSS from wait4 (the process and the children it waited for)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **env} if env else None)
    peak_total = [0, 0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.2):
            rss, pss = _tree_memory_kb(proc.pid)
            peak_total[0], peak_total[1] = max(peak_total[0], rss), max(peak_total[1], pss)
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
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, peak_total[0] / 1024,
               peak_total[1] / 1024)


def _median(runs: list[Run]) -> Run:
    """Median times; the largest memory seen."""
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs),
               max(r.rss_mb for r in runs), max(r.total_rss_mb for r in runs), max(r.total_pss_mb for r in runs))


def median_run(cmd: list[str], repeat: int, warm: bool = True, cwd: Path = ROOT) -> Run:
    """The median of `repeat` runs, after one untimed run that warms the OS file cache."""
    if warm:
        measured(cmd, cwd=cwd)
    return _median([measured(cmd, cwd=cwd) for _ in range(repeat)])


# --- the same content for sowpack and the peers -----------------------------------------------------
SECTIONS = ["项目背景与目标", "现状调研与问题分析", "总体架构设计", "资源与容量评估", "实施方案与步骤",
            "风险与应对措施", "结论与后续建议"]
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
    """The project's specs plus three one-deliverable services, and an engagement buying each.

    97: the report as PDF, 98: the register, 99: the report as docx. One engagement per
    comparison, so that a whole `sowpack build` of it rebuilds exactly the one file the
    peer writes (and a tree without `--only`, for a before/after run, does the same).
    """
    import yaml

    def dump(path: Path, data) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000), encoding="utf-8")

    rng = random.Random(13)
    specs = base / "specs"
    shutil.copytree(ROOT / "deliverable_specs", specs)
    sections, _ = report_content(rng)
    rows = register_rows(rng)
    names = [n for n, _ in REGISTER_COLUMNS]
    cases = {
        "docx": (99, "report", {"kind": "report", "formats": ["docx"], "sections": SECTIONS}, {"sections": sections}),
        "pdf": (97, "report", {"kind": "report", "formats": ["pdf"], "sections": SECTIONS}, {"sections": sections}),
        "xlsx": (98, "register", {"kind": "register", "formats": ["xlsx"],
                                  "columns": [{"name": n, "type": t, **({"allowed": STATES} if n == "状态" else {})}
                                              for n, t in REGISTER_COLUMNS]},
                 {"rows": [dict(zip(names, r, strict=True)) for r in rows]}),
    }
    out = {"specs": specs}
    for fmt, (service, did, spec, answers) in cases.items():
        seed = "《【XXX】资源台账》" if did == "register" else "《【XXX】基准测试报告》"
        dump(specs / f"{service}-bench-{fmt}.yaml", _spec(service, f"基准测试服务（{fmt}）", f"bench-{fmt}",
                                                          [{"id": did, "seed_name": seed, **spec}]))
        eng = base / f"bench-{fmt}"
        dump(eng / "engagement.yaml", {
            "version": 1, "customer": {"name": "基准测试集团有限公司", "short_name": "基准测试集团"},
            "project": "基准测试项目", "vendor": "阿里云", "date": "2026-03-02",
            "document_control": {"version": "V1.0", "author": "张伟", "reviewer": "李娜"},
            # A team on the service, as the plan's input rules ask (an older tree warns about the keys).
            "people": [{"name": "张伟", "org": "阿里云", "role": "项目经理", "services": [service]},
                       {"name": "李娜", "org": "阿里云", "role": "技术专家", "services": [service]},
                       {"name": "王芳", "org": "基准测试集团有限公司", "role": "信息中心主任", "services": [service]}],
            "services": [{"service": service, "package": "标准服务", "answers": f"answers/{service}.yaml",
                          "managers": {"vendor": "张伟", "customer": "王芳"}}]})
        dump(eng / "answers" / f"{service}.yaml", {"version": 1, "service": service,
                                                   "deliverables": {did: answers}})
        out[fmt] = eng
    out["md"] = base / "report.md"
    out["md"].write_text("% 基准测试集团基准测试报告\n\n" + "".join(f"# {t}\n\n{sections[t]}\n\n" for t in SECTIONS),
                         encoding="utf-8")
    (base / "rows.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    out["rows"] = base / "rows.json"
    out["xlsxwriter"] = base / "register_xlsxwriter.py"
    out["xlsxwriter"].write_text(XLSXWRITER_SCRIPT, encoding="utf-8")
    return out


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


@dataclass
class Tree:
    """A source tree of sowpack to run: this one, or another checkout for a before/after run,
    each on its interpreter and with a cache folder of its own (a record written by one
    interpreter is not read by another: trees sharing one cache would parse again in turn)."""

    name: str
    root: Path
    python: str = sys.executable
    cache: Path | None = None

    def cmd(self, *args: str) -> list[str]:
        env = ["env", f"XDG_CACHE_HOME={self.cache}"] if self.cache is not None else []
        return [*env, self.python, "-m", "pipeline", *args]

    def supports(self, option: str) -> bool:
        out = subprocess.run(self.cmd("build", "--help"), cwd=self.root, capture_output=True, text=True).stdout
        return option in out


def ratio_line(name: str, ours: list[Run], peer: list[Run], peer_name: str) -> str:
    """Medians of both, and the ratio as the median of the rounds' ratios: each round runs ours
    and the peer back to back, so a machine that slows down for a while slows both."""
    o, p = _median(ours), _median(peer)
    r = statistics.median(a.wall / b.wall for a, b in zip(ours, peer, strict=True))
    rc = statistics.median(a.cpu / b.cpu for a, b in zip(ours, peer, strict=True))
    verdict = "ok" if r <= 1.0 else "over goal"
    return (f"  {name:<14} {o.wall:6.2f} s (cpu {o.cpu:5.2f} s, {o.rss_mb:4.0f} MB) against {peer_name} "
            f"{p.wall:5.2f} s (cpu {p.cpu:4.2f} s, {p.rss_mb:4.0f} MB): ratio {r:4.2f} wall, {rc:4.2f} cpu"
            f"  [goal <= 1.0: {verdict}]")


def rounds(cmds: dict[str, tuple[list[str], Path]], repeat: int) -> dict[str, list[Run]]:
    """Every command once untimed (warming the OS file cache and the user's cache), then `repeat`
    rounds of all of them, each round starting one further along the list."""
    names = list(cmds)
    for name in names:
        measured(cmds[name][0], cwd=cmds[name][1])
    out: dict[str, list[Run]] = {name: [] for name in names}
    for k in range(repeat):
        for name in names[k % len(names):] + names[:k % len(names)]:
            out[name].append(measured(cmds[name][0], cwd=cmds[name][1]))
    return out


def pages(pdf: Path) -> str:
    try:
        out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    except OSError:
        return "?"
    return next((line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")), "?")


def bench_peers(repeat: int, trees: list[Tree]) -> None:
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

        def tree_specs(tree: Tree) -> Path:
            """That tree's own specs (an older tree cannot read newer ones) plus the bench's three."""
            specs = base / f"specs-{tree.name}"
            if not specs.exists():
                shutil.copytree(tree.root / "deliverable_specs", specs)
                for p in fx["specs"].glob("9?-bench-*.yaml"):
                    shutil.copy(p, specs / p.name)
            return specs

        def sowpack(tree: Tree, fmt: str) -> tuple[list[str], Path]:
            # Rebuilt whole each time: the process reads, renders, verifies and writes one file.
            out = base / f"out-{tree.name}"
            return (tree.cmd("build", str(fx[fmt]), "--specs", str(tree_specs(tree)), "--out", str(out), "--force"),
                    tree.root)

        def made(tree: Tree, fmt: str) -> Path:
            return next((base / f"out-{tree.name}" / f"bench-{fmt}").rglob(f"*.{fmt}"))

        print(f"peers: the same content, whole process against whole process ({repeat} rounds of the peer and "
              "each tree back to back; medians, and the median of the rounds' ratios):")
        pandoc = ["pandoc", str(fx["md"]), "-o", str(base / "pandoc.docx"),
                  "--reference-doc", str(ROOT / "templates" / "docx" / "reference.docx")]
        got = rounds({"peer": (pandoc, ROOT), **{t.name: sowpack(t, "docx") for t in trees}}, repeat)
        for tree in trees:
            print(ratio_line(f"docx {tree.name}", got[tree.name], got["peer"], "pandoc md->docx"))
        docx = made(trees[-1], "docx")
        lo = ["soffice", f"-env:UserInstallation={(base / 'lo-profile').as_uri()}", "--headless", "--convert-to", "pdf",
              "--outdir", str(base / "lo"), str(docx)]
        got = rounds({"peer": (lo, ROOT), **{t.name: sowpack(t, "pdf") for t in trees}}, repeat)
        for tree in trees:
            print(ratio_line(f"pdf {tree.name}", got[tree.name], got["peer"], "LibreOffice docx->pdf"))
        print(f"  (the report: 7 sections of 20 paragraphs and a 40-row table; {pages(made(trees[-1], 'pdf'))} pages "
              f"in sowpack's PDF, {pages(base / 'lo' / (docx.stem + '.pdf'))} in LibreOffice's PDF of sowpack's docx)")
        # XlsxWriter on each tree's own interpreter: Python against Python.
        pythons = sorted({t.python for t in trees})
        xw = {py: ([py, str(fx["xlsxwriter"]), str(fx["rows"]), str(base / "xw.xlsx")], ROOT) for py in pythons}
        got = rounds({**{f"peer {py}": cmd for py, cmd in xw.items()}, **{t.name: sowpack(t, "xlsx") for t in trees}},
                     repeat)
        for tree in trees:
            on = f" on {tree.python}" if len(pythons) > 1 else ""
            print(ratio_line(f"xlsx {tree.name}", got[tree.name], got[f"peer {tree.python}"],
                             f"XlsxWriter 10,000 rows{on}"))


#: A second of pure CPU work in one process: what a core of the machine does alone and beside others.
SPIN = "x = 0\nfor i in range(8_000_000):\n    x += i * i % 7\n"


def machine_scaling(jobs: int) -> float:
    """How much faster `jobs` copies of one CPU-bound process finish than that many in a row, now: the
    most a build on `jobs` processes could gain over one (a shared host's cores slow each other down
    when all are busy, by more or less from one minute to the next)."""
    cmd = [sys.executable, "-c", SPIN]
    one = measured(cmd).wall
    t0 = time.perf_counter()
    procs = [subprocess.Popen(cmd) for _ in range(jobs)]
    for proc in procs:
        proc.wait()
    return jobs * one / (time.perf_counter() - t0)


def bench_samples(repeat: int, trees: list[Tree]) -> None:
    """The sample builds, measurement by measurement: each step runs for every tree (before, now)
    before the next step, so that both meet the same moment of a noisy machine."""
    jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    with tempfile.TemporaryDirectory(prefix="sowpack-bench-") as tmp:
        runs = [_Samples(tree, Path(tmp) / tree.name, jobs) for tree in trees]
        for r in runs:
            print(f"samples of {r.tree.name}: {len(r.engagements)} engagements")
        # The first build on a machine: nothing in the user's cache. A build also warms the OS file
        # cache for the next one, so with two trees they go in the order A B B A (the mean of two each).
        order = runs + runs[::-1] if len(runs) > 1 else runs
        colds: dict[str, list[Run]] = {}
        for r in order:
            shutil.rmtree(r.out_cold, ignore_errors=True)
            colds.setdefault(r.tree.name, []).append(
                measured(r.build(r.out_cold, r.jn), cwd=r.tree.root, env={"SOWPACK_NO_CACHE": "1"}))
        for r in runs:
            got = colds[r.tree.name]
            wall, cpu = statistics.mean(c.wall for c in got), statistics.mean(c.cpu for c in got)
            print(f"  {r.tree.name}: first build on a machine {r.label} (SOWPACK_NO_CACHE=1"
                  f"{', mean of 2, trees in the order A B B A' if len(got) > 1 else ''}): {wall:6.1f} s "
                  f"(cpu {cpu:.1f} s)")
        # An untimed build fills the user's cache, so that -j 1 and -j N below start alike: a full
        # build into a new folder on a machine that has built before.
        for r in runs:
            run(r.build(r.dir / "warm", r.jn), cwd=r.tree.root)
        # -j 1 and -j N alternately, tree after tree, each into a new folder; the medians of `repeat` runs.
        ceilings = []
        for _ in range(repeat):
            ceilings.append(machine_scaling(jobs))
            for r in runs:
                if r.parallel:
                    shutil.rmtree(r.out_1, ignore_errors=True)
                    r.ones.append(measured(r.build(r.out_1, ["-j", "1"]), cwd=r.tree.root))
                shutil.rmtree(r.out_n, ignore_errors=True)
                r.ns.append(measured(r.build(r.out_n, r.jn), sample_rss=True, cwd=r.tree.root))
        for r in runs:
            full_n = _median(r.ns)
            files = sum(1 for p in r.out_n.rglob("*") if p.is_file() and p.name != "manifest.json")
            print(f"  {r.tree.name}: full build {r.label} (median of {repeat}): {full_n.wall:6.1f} s "
                  f"(cpu {full_n.cpu:.1f} s), {files} files, "
                  f"peak RSS {full_n.rss_mb:.0f} MB largest process; all together {full_n.total_pss_mb:.0f} MB PSS "
                  f"({full_n.total_rss_mb:.0f} MB adding up RSS, which counts shared pages in each process) "
                  f"[goal <= 30 s on 2 quiet cores, <= 600 MB]")
        for r in runs:
            if r.ones:
                full_1, full_n = _median(r.ones), _median(r.ns)
                print(f"  {r.tree.name}: full build -j 1 (median of {repeat}): {full_1.wall:6.1f} s "
                      f"(cpu {full_1.cpu:.1f} s): -j {jobs} is {full_1.wall / full_n.wall:.2f}x faster "
                      f"[goal >= 1.7 on 2 cores; the machine's own: {statistics.median(ceilings):.2f}x]; "
                      f"{'byte-identical' if _same(r.out_n, r.out_1) else 'OUTPUTS DIFFER'} "
                      f"({'the same bytes' if _same(r.out_n, r.out_cold) else 'NOT the bytes'} as without the cache)")
        for r in runs:
            re_run = median_run(r.build(r.out_n, []), repeat, warm=False, cwd=r.tree.root)
            print(f"  {r.tree.name}: unchanged rebuild: {re_run.wall:5.2f} s (cpu {re_run.cpu:.2f} s) "
                  "[goal <= 1 s]")
        for r in runs:
            print(f"  {r.tree.name}: one answer changed: {_one_answer_changed(r.tree, r.dir)}")
        for r in runs:
            specs = median_run(r.tree.cmd("specs"), repeat, cwd=r.tree.root)
            largest = max((p for p in r.out_n.iterdir() if p.is_dir()), key=lambda p: sum(1 for _ in p.rglob("*")))
            check = median_run(r.tree.cmd("check", str(largest)), repeat, cwd=r.tree.root)
            print(f"  {r.tree.name}: `sowpack specs` {specs.wall:.2f} s (cpu {specs.cpu:.2f} s); `sowpack check` of "
                  f"the largest pack ({largest.name}) {check.wall:.2f} s (cpu {check.cpu:.2f} s) "
                  "[goal <= 0.5 s each]")


class _Samples:
    """One tree's sample builds: its engagements (an older tree cannot read newer inputs), its
    output folders and the runs measured so far."""

    def __init__(self, tree: Tree, folder: Path, jobs: int) -> None:
        self.tree, self.dir = tree, folder
        folder.mkdir(parents=True)
        self.engagements = sorted(str(p.parent) for p in (tree.root / "sample_inputs").glob("*/engagement.yaml"))
        self.parallel = tree.supports("--jobs")
        self.jn = ["-j", str(jobs)] if self.parallel else []
        self.label = f"-j {jobs}" if self.parallel else "(one process)"
        self.out_n, self.out_1, self.out_cold = folder / "jn", folder / "j1", folder / "cold"
        self.ones: list[Run] = []
        self.ns: list[Run] = []

    def build(self, out: Path, jobs: list[str]) -> list[str]:
        return self.tree.cmd("build", *self.engagements, "--out", str(out), *jobs)


def _same(a: Path, b: Path) -> bool:
    """Whether every file of pack folder a (but the manifests) has the same bytes in b."""
    return all((b / p.relative_to(a)).read_bytes() == p.read_bytes()
               for p in a.rglob("*") if p.is_file() and p.name != "manifest.json")


def _one_answer_changed(tree: Tree, tmp: Path) -> str:
    """Change one section of one deliverable's answers in a copy of a sample, rebuild, count what was rebuilt."""
    eng = tmp / "changed" / "hengxin-retail"
    shutil.copytree(tree.root / "sample_inputs" / "hengxin-retail", eng)
    (eng / "signoff.jsonl").unlink(missing_ok=True)  # its signed-off files would be kept, not rebuilt
    out = tmp / "changed-out"
    run(tree.cmd("build", str(eng), "--out", str(out)), cwd=tree.root)
    answers = eng / "answers" / "09-health-check.yaml"
    lines = answers.read_text(encoding="utf-8").splitlines(keepends=True)
    # The first text section of the health report's answers (a `title: |` block under its sections).
    start = next(i for i, line in enumerate(lines) if line.strip() == "health-report:")
    k = next(i for i in range(start, len(lines)) if lines[i].rstrip().endswith(": |")
             and lines[i].startswith(" " * 6))
    indent = lines[k + 1][:len(lines[k + 1]) - len(lines[k + 1].lstrip())]
    lines[k + 1:k + 1] = [f"{indent}复核补充：无新增问题。\n", "\n"]
    answers.write_text("".join(lines), encoding="utf-8")
    t0 = time.perf_counter()
    proc = subprocess.run(tree.cmd("build", str(eng), "--out", str(out), "--explain"), cwd=tree.root,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return f"build failed: {proc.stderr.strip().splitlines()[-1:]}"
    rebuilt = [line.split(" ", 1)[1] for line in proc.stderr.splitlines() if ": rebuilt: " in line]
    counts = re.search(r"\((\d+ rebuilt[^)]*)\)", proc.stderr)
    return (f"{wall:.2f} s ({counts.group(1) if counts else '?'} files), {len(rebuilt)} deliverable(s) rebuilt"
            + (f", e.g. {rebuilt[0]}" if rebuilt else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each sample build measurement (default 3)")
    ap.add_argument("--rounds", type=int, default=5,
                    help="rounds of each peer comparison (default 5: three let one slow minute decide a ratio)")
    ap.add_argument("--skip-samples", action="store_true", help="only the peer comparisons")
    ap.add_argument("--skip-peers", action="store_true", help="only the sample builds")
    ap.add_argument("--before", type=Path, metavar="TREE",
                    help="also run another source tree of sowpack (e.g. `git archive` of an older commit), measurement "
                         "by measurement in the same run, as 'before'")
    ap.add_argument("--before-python", metavar="PYTHON", default=sys.executable,
                    help="the interpreter (a venv's bin/python) that runs the --before tree; default: this one")
    args = ap.parse_args()
    caches = Path(tempfile.mkdtemp(prefix="sowpack-bench-cache-"))
    trees = ([Tree("before", args.before.resolve(), args.before_python, caches / "before")] if args.before else []
             ) + [Tree("now", ROOT, sys.executable, caches / "now")]
    for tree in trees:
        # Byte-compiled first, as an installed package is (pip compiles site-packages): with
        # PYTHONDONTWRITEBYTECODE set, every run would otherwise compile the sources again.
        run([tree.python, "-m", "compileall", "-q", "pipeline"], cwd=tree.root)
    print(f"sowpack bench, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, load "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} (shared machines: compare ratios, not times); "
          + ", ".join(f"{t.name} on {t.python}" for t in trees))
    try:
        if not args.skip_peers:
            bench_peers(args.rounds, trees)
        if not args.skip_samples:
            bench_samples(args.repeat, trees)
    finally:
        shutil.rmtree(caches, ignore_errors=True)


if __name__ == "__main__":
    main()
