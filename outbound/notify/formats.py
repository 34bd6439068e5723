"""Channel bodies for a `Message`:

- WeCom group robot: `{"msgtype": "markdown", "markdown": {"content": …}}` (≤ 4096 bytes)
- Feishu custom bot: `{"msg_type": "interactive", "card": {…}}`; with a signing secret the
  sender adds `timestamp` and `sign` = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", b""))
- Slack incoming webhook: `{"text": fallback, "blocks": [header, section (mrkdwn), context]}`
- Email: subject, plain text and HTML alternatives.

Everything in a message that came from outside (account and opportunity names, summaries,
people's names — CRM text) is escaped for the channel's markup before it is embedded, so a
deal named `[领取红包](https://evil.example)` or `<font color="warning">` shows as those
characters, not as a link or styling: WeCom markdown gets CommonMark backslash escapes and
`<`/`>` as entities, Feishu `lark_md` HTML entities (its documented escape), Slack its three
entities, email HTML escaping.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
from collections.abc import Callable
from typing import Any, Final

from outbound.notify.messages import Line, Message, text

__all__ = [
    "email_parts",
    "feishu_body",
    "feishu_sign",
    "lark_escape",
    "slack_body",
    "wecom_body",
    "wecom_escape",
]

WECOM_MAX_BYTES: Final = 4096
_FEISHU_COLOURS: Final = {
    "document.viewed": "blue",
    "link.downloaded": "blue",
    "link.forwarded": "turquoise",
    "opportunity.stalled": "orange",
    "health.red": "red",
    "customer.unanswered": "orange",
    "briefing.daily": "green",
    "report.process_weekly": "indigo",
    "report.forecast_monthly": "purple",
}


def _sep(locale: str) -> str:
    return "：" if locale.startswith("zh") else ": "


# What can start markup in the middle of a line (line starts are always ours): emphasis,
# code, links (`(` only matters after `]`), strike-through, and the escape itself.
_WECOM_SPECIAL: Final = frozenset("\\`*_[]~")
_LARK_ENTITIES: Final = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "*": "&#42;",
    "_": "&#95;",
    "~": "&#126;",
    "`": "&#96;",
    "[": "&#91;",
    "]": "&#93;",
    "(": "&#40;",
    ")": "&#41;",
    "#": "&#35;",
}


def wecom_escape(value: str) -> str:
    out = []
    for char in value:
        if char == "<":
            out.append("&lt;")
        elif char == ">":
            out.append("&gt;")
        elif char in _WECOM_SPECIAL:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def lark_escape(value: str) -> str:
    return "".join(_LARK_ENTITIES.get(char, char) for char in value)


def _escaped(line: Line, escape: Callable[[str], str]) -> Line:
    return Line(escape(line.text), escape(line.label), line.indent, line.url)


def _md_line(line: Line, bold: str, sep: str, *, slack: bool = False) -> str:
    pad = "    " * line.indent + ("- " if line.indent else "")
    label = f"{bold}{line.label}{bold}" if line.label else ""
    body = line.text
    if line.url:
        body = f"<{line.url}|{body}>" if slack else f"[{body}]({line.url})"
    if label and body:
        return f"{pad}{label}{sep}{body}"
    return pad + (label or body)


def _mentions(message: Message) -> str:
    return (
        text(message.locale, "to")
        + _sep(message.locale)
        + " ".join(f"@{m}" for m in message.mentions)
    )


def wecom_body(message: Message) -> dict[str, Any]:
    parts = [
        f"**{wecom_escape(message.title)}**",
        *(
            _md_line(_escaped(line, wecom_escape), "**", _sep(message.locale))
            for line in message.lines
        ),
    ]
    if message.mentions:
        parts.append(f'<font color="comment">{wecom_escape(_mentions(message))}</font>')
    if message.mute_url:
        parts.append(f"[{message.mute_label}]({message.mute_url})")
    content = "\n".join(parts)
    while len(content.encode()) > WECOM_MAX_BYTES:  # cut whole characters, never bytes
        content = content[: len(content) - 16].rstrip() + "…"
    return {"msgtype": "markdown", "markdown": {"content": content}}


def feishu_sign(timestamp: int, secret: str) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def feishu_body(message: Message, event: str) -> dict[str, Any]:
    body = "\n".join(
        _md_line(_escaped(line, lark_escape), "**", _sep(message.locale)) for line in message.lines
    )
    elements: list[dict[str, Any]] = []
    if body:
        elements.append({"tag": "div", "text": {"tag": "lark_md", "content": body}})
    if message.mentions:
        elements.append(
            {"tag": "note", "elements": [{"tag": "plain_text", "content": _mentions(message)}]}
        )
    if message.mute_url:
        elements.append(
            {
                "tag": "action",
                "actions": [
                    {
                        "tag": "button",
                        "text": {"tag": "plain_text", "content": message.mute_label},
                        "url": message.mute_url,
                        "type": "default",
                    }
                ],
            }
        )
    return {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {
                "title": {"tag": "plain_text", "content": message.title},
                "template": _FEISHU_COLOURS.get(event, "blue"),
            },
            "elements": elements,
        },
    }


def _slack_escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(message: Message) -> dict[str, Any]:
    lines = [
        _md_line(
            Line(_slack_escape(x.text), _slack_escape(x.label), x.indent, x.url),
            "*",
            _sep(message.locale),
            slack=True,
        )
        for x in message.lines
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}}
    ]
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
    context: list[str] = []
    if message.mentions:
        context.append(_slack_escape(_mentions(message)))
    if message.mute_url:
        context.append(f"<{message.mute_url}|{_slack_escape(message.mute_label)}>")
    if context:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]}
        )
    return {"text": message.title, "blocks": blocks}


def email_parts(message: Message) -> tuple[str, str, str]:
    """(subject, plain text, HTML)."""
    items = []
    for line in message.lines:
        label = f"<strong>{html.escape(line.label)}</strong>" if line.label else ""
        body = html.escape(line.text)
        if line.url:
            body = f'<a href="{html.escape(line.url, quote=True)}">{body}</a>'
        content = f"{label}{_sep(message.locale)}{body}" if label and body else label or body
        style = ' style="margin-left:1.5em"' if line.indent else ""
        items.append(f"<p{style}>{content}</p>")
    if message.mute_url:
        href = html.escape(message.mute_url, quote=True)
        items.append(f'<p><a href="{href}">{html.escape(message.mute_label)}</a></p>')
    lang = message.locale.replace("_", "-")
    page = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"></head><body>'
        f"<h2>{html.escape(message.title)}</h2>{''.join(items)}</body></html>"
    )
    return message.title, message.plain(), page
