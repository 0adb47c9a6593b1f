"""index.html of a pack: plain HTML and inline CSS, no script, no external resource."""
from __future__ import annotations

from html import escape
from urllib.parse import quote

from pipeline.ledger.status import LABELS

INDEX = "index.html"
CHECK_LABELS = {"pass": "通过", "fail": "未通过", "missing": "缺失", "edited": "已手工修改，待检查",
                None: "未检查"}
FORMAT_LABELS = {"docx": "Word", "pptx": "PowerPoint", "xlsx": "Excel", "pdf": "PDF"}

CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2em auto;max-width:72em;
color:#1f2933;line-height:1.5;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:2px solid #1f3a5f}
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #c5ccd3;padding:.35em .5em;
text-align:left;vertical-align:top}th{background:#1f3a5f;color:#fff}
.meta{color:#52606d}.ok{color:#1b7a3a;font-weight:bold}.bad{color:#b42318;font-weight:bold}
.wait{color:#8a5a00}a{color:#1f4e8c}.files a{margin-right:.8em;white-space:nowrap}
"""


def _href(path: str) -> str:
    return "/".join(quote(part) for part in path.split("/"))


def _cls(status: str | None) -> str:
    return {"pass": "ok", "accepted": "ok", "deemed-accepted": "ok", "fail": "bad", "missing": "bad",
            "rejected": "bad", "overdue": "bad"}.get(status or "", "wait")


def render(manifest: dict, state: dict) -> str:
    """The page for a manifest and the recorded check and sign-off state."""
    check = state.get("check") or {}
    signoff = state.get("signoff") or {}
    c_items = check.get("deliverables") or {}
    s_items = signoff.get("deliverables") or {}
    title = f"{manifest.get('customer', '')} {manifest.get('project', '')} 交付物总览".strip()
    out = ["<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
           f"<title>{escape(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
           f"<h1>{escape(title)}</h1>"]
    groups: dict[tuple, list[dict]] = {}
    order: list[tuple] = []  # (service, deliverable id) as the manifest has them
    for d in manifest.get("deliverables") or []:
        if not isinstance(d, dict):
            continue
        k = (d.get("service"), d.get("deliverable"))
        if k not in order:
            order.append(k)
        groups.setdefault(k, []).append(d)
    n = len(order)
    passed = sum(1 for s, did in order if (c_items.get(f"{s:02d}/{did}") or {}).get("status") == "pass")
    signed = sum(1 for s, did in order if (s_items.get(f"{s:02d}/{did}") or {}).get("state") in ("accepted",
                                                                                                    "deemed-accepted"))
    done = check.get("complete")
    verdict = ("<span class=\"ok\">完整</span>" if done else "<span class=\"bad\">不完整</span>") if done is not None \
        else "<span class=\"wait\">未检查</span>"
    out.append('<p class="meta">')
    out.append(f"项目：{escape(str(manifest.get('engagement', '')))}"
               f"　构建日期：{escape(str(manifest.get('build_date', '')))}"
               f"　工具：sowpack {escape(str(manifest.get('tool_version', '')))}<br>")
    out.append(f"检查结果：{verdict}（{passed}/{n} 项交付物通过；来源：{escape(check.get('by') or '—')}"
               f"{'，' + escape(str(check['on'])) if check.get('on') else ''}）<br>")
    as_of = signoff.get("on")
    out.append(f"验收：{signed}/{n} 项已验收" + (f"（截至 {escape(str(as_of))}）" if as_of else "（尚无验收记录）"))
    out.append("</p>")
    for svc in manifest.get("services") or []:
        if not isinstance(svc, dict):
            continue
        number = svc.get("service")
        if number is None:
            continue
        out.append(f"<h2>{int(number):02d}. {escape(str(svc.get('title', '')))}"
                   f"（{escape(str(svc.get('package', '')))}）</h2>")
        out.append("<table><thead><tr><th>交付物</th><th>文件</th><th>检查</th><th>验收状态</th></tr></thead><tbody>")
        for s, did in order:
            if s != number:
                continue
            entries = groups[(s, did)]
            key = f"{s:02d}/{did}"
            links = " ".join(f'<a href="{escape(_href(e["path"]))}">'
                             f'{escape(FORMAT_LABELS.get(e.get("format", ""), e.get("format", "")))}'
                             f"：{escape(e['path'].rsplit('/', 1)[-1])}</a>"
                             for e in entries if isinstance(e.get("path"), str))
            c = c_items.get(key) or {}
            status = c.get("status")
            detail = f"（{c.get('errors', 0)} 个错误）" if status == "fail" and c.get("errors") else ""
            st = s_items.get(key) or {}
            state_word = st.get("state") or "not-submitted"
            when = []
            if st.get("submitted_on"):
                when.append(f"提交 {st['submitted_on']}")
            if st.get("due") and state_word in ("pending", "overdue"):
                when.append(f"验收期限 {st['due']}")
            if st.get("closed_on") and state_word != "pending":
                when.append(f"{LABELS.get(state_word, '')} {st['closed_on']}")
            out.append(f"<tr><td>{escape(str(entries[0].get('seed_name', did)))}<br><small>{escape(key)}</small></td>"
                       f'<td class="files">{links}</td>'
                       f'<td class="{_cls(status)}">{escape(CHECK_LABELS.get(status, status or ""))}'
                       f'{escape(detail)}</td>'
                       f'<td class="{_cls(state_word)}">{escape(LABELS.get(state_word, state_word))}'
                       f"{'<br><small>' + escape('，'.join(when)) + '</small>' if when else ''}</td></tr>")
        out.append("</tbody></table>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)
