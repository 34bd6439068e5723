"""Message text per locale (zh_CN, en) for every notification event, independent of the
channel: a title and lines; `formats` turns a `Message` into each channel's body. Names and
titles (王总, 《年度采购方案》) pass through untouched. Unknown locales fall back to zh_CN's
sibling `en`; the tenant decides the default (the product's users are Chinese teams)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

__all__ = ["LOCALES", "Line", "Message", "duration", "local_date", "text", "when"]

LOCALES: Final = ("zh_CN", "en")

_T: Final[dict[str, dict[str, str]]] = {
    "zh_CN": {
        "viewed": "{recipient} 阅读了《{document}》",
        "read_time": "阅读时长",
        "read_value": "{duration}，共 {pages} 页",
        "still_reading": "{duration}（仍在阅读）",
        "account": "客户",
        "recipient": "收件人",
        "downloaded": "{recipient} 下载了《{document}》",
        "forwarded": "《{document}》被转发给了新的读者",
        "forwarded_from": "原收件人",
        "new_reader": "新读者",
        "stalled": "商机停滞：{account}",
        "owner": "负责人",
        "reason": "原因",
        "todo_added": "已加入 {manager} 的待办",
        "health_red": "客户健康度转为红色：{account}",
        "health_value": "健康分",
        "health_value_fmt": "{value}（此前：{previous}）",
        "briefing": "{name}，今日客户健康简报（{date}）",
        "briefing_empty": "今天没有进行中的商机。",
        "last_touch": "最近互动",
        "no_touch": "暂无互动",
        "trend": "健康趋势",
        "next_actions": "下一步",
        "trend.up": "上升 ↑",
        "trend.down": "下降 ↓",
        "trend.flat": "持平 →",
        "trend.new": "暂无数据",
        "band.blue": "蓝色（健康）",
        "band.yellow": "黄色（关注）",
        "band.red": "红色（风险）",
        "band.insufficient_data": "数据不足",
        "touch.view": "客户阅读文档",
        "touch.activity": "CRM 活动：{kind}",
        "mute": "不再提醒此商机",
        "to": "提醒",
        "minutes_seconds": "{m} 分 {s} 秒",
        "seconds": "{s} 秒",
        "ago.minutes": "{n} 分钟前",
        "ago.hours": "{n} 小时前",
        "ago.days": "{n} 天前",
        "act.download": "客户近 7 天下载了文件，24 小时内跟进",
        "act.cooling": "阅读热度在下降，发一份简短的进展更新",
        "act.committee": "已有 {n} 位读者，约一次与决策人的会议",
        "act.silent": "超过 7 天没有互动，今天打个电话",
        "act.close": "预计成交日 {date} 临近，确认签约流程",
        "act.meeting": "确认下一次会议时间",
        "act.case": "向客户分享一个同行业案例",
        "account_nurture": "健康客户培育：{account}",
        "account_nurture_send": "请把培育内容发送给 {contacts} 位联系人（已生成跟踪链接）",
        "account_joint_visit": "关注客户：{account}，请安排销售 + 售前联合拜访",
        "account_escalated": "高危客户升级：{account}",
        "account_frozen": "该客户的新商机已冻结，直至健康度脱离红色或管理员解冻",
        "documents": "内容",
        "due": "截止",
    },
    "en": {
        "viewed": "{recipient} read “{document}”",
        "read_time": "Read time",
        "read_value": "{duration} across {pages} pages",
        "still_reading": "{duration} (still reading)",
        "account": "Account",
        "recipient": "Recipient",
        "downloaded": "{recipient} downloaded “{document}”",
        "forwarded": "“{document}” was forwarded to a new reader",
        "forwarded_from": "Original recipient",
        "new_reader": "New reader",
        "stalled": "Deal stalled: {account}",
        "owner": "Owner",
        "reason": "Why",
        "todo_added": "Added to {manager}'s to-do list",
        "health_red": "Customer health turned red: {account}",
        "health_value": "Health",
        "health_value_fmt": "{value} (was {previous})",
        "briefing": "{name}, your customer-health briefing for {date}",
        "briefing_empty": "No open deals today.",
        "last_touch": "Last interaction",
        "no_touch": "none yet",
        "trend": "Health trend",
        "next_actions": "Next actions",
        "trend.up": "rising ↑",
        "trend.down": "falling ↓",
        "trend.flat": "steady →",
        "trend.new": "no data yet",
        "band.blue": "blue (healthy)",
        "band.yellow": "yellow (watch)",
        "band.red": "red (at risk)",
        "band.insufficient_data": "not enough data",
        "touch.view": "the buyer read a document",
        "touch.activity": "CRM activity: {kind}",
        "mute": "Mute this deal",
        "to": "For",
        "minutes_seconds": "{m} min {s} s",
        "seconds": "{s} s",
        "ago.minutes": "{n} min ago",
        "ago.hours": "{n} h ago",
        "ago.days": "{n} days ago",
        "act.download": "They downloaded a file this week — follow up within 24 h",
        "act.cooling": "Reading is cooling off — send a short progress update",
        "act.committee": "{n} people are reading — book a meeting with the decision maker",
        "act.silent": "No interaction for over 7 days — call them today",
        "act.close": "Expected close {date} is near — confirm the signing steps",
        "act.meeting": "Confirm the date of the next meeting",
        "act.case": "Share a customer story from their industry",
        "account_nurture": "Healthy account to nurture: {account}",
        "account_nurture_send": "Send the nurture content to {contacts} contact(s) (tracked "
        "links are ready)",
        "account_joint_visit": "Account to watch: {account} — arrange a joint visit with presales",
        "account_escalated": "At-risk account escalated: {account}",
        "account_frozen": "New opportunities for this account are frozen until its health "
        "leaves red or an admin unfreezes it",
        "documents": "Content",
        "due": "Due",
    },
}


def text(locale: str, key: str, **params: Any) -> str:
    table = _T.get(locale) or _T["en"]
    return table.get(key, _T["en"][key]).format(**params)


@dataclass(frozen=True)
class Line:
    """`label: text` (label shown bold) or a plain line; `indent` 1 = a bullet under it."""

    text: str
    label: str = ""
    indent: int = 0


@dataclass(frozen=True)
class Message:
    title: str
    lines: list[Line] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)  # display names it is addressed to
    mute_url: str = ""
    mute_label: str = ""
    locale: str = "zh_CN"

    def plain(self) -> str:
        out = [self.title, ""]
        sep = "：" if self.locale.startswith("zh") else ": "
        for line in self.lines:
            pad = "  " * line.indent + ("· " if line.indent else "")
            out.append(pad + _join(line.label, line.text, sep))
        if self.mentions:
            out += ["", text(self.locale, "to") + sep + " ".join(f"@{m}" for m in self.mentions)]
        if self.mute_url:
            out += ["", f"{self.mute_label}: {self.mute_url}"]
        return "\n".join(out)


def _join(label: str, value: str, sep: str) -> str:
    if label and value:
        return f"{label}{sep}{value}"
    return label or value


def duration(locale: str, seconds: float) -> str:
    total = round(seconds)
    if total < 60:
        return text(locale, "seconds", s=total)
    return text(locale, "minutes_seconds", m=total // 60, s=total % 60)


def when(locale: str, at: datetime, now: datetime) -> str:
    delta = max(0.0, (now - at).total_seconds())
    if delta < 3600:
        return text(locale, "ago.minutes", n=max(1, int(delta // 60)))
    if delta < 86_400:
        return text(locale, "ago.hours", n=int(delta // 3600))
    return text(locale, "ago.days", n=int(delta // 86_400))


def local_date(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d")
