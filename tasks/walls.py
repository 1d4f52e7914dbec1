"""Bot walls: a page a portal serves instead of the report when it refuses a crawler.

Portals put a JavaScript challenge (瑞数 and its kind: `$_ts`, a <meta> with a
random id, `r='m'` scripts), a cloud firewall's refusal (拒绝执行, 访问被拒绝)
or a captcha in front of their pages, with status 200, 403 or 412. Parsed as
content, such a page is "not a report: no salutation", and the user cannot tell
that the site refused the crawler. It is named instead (`pages.error` =
`blocked: <kind>`); nothing here tries to pass the wall.

Judged by structure: a wall has almost no visible text, and either known
challenge markers, or few links and a refusal/captcha/"enable JavaScript" message. A real page
with a few hundred characters of text is never a wall, whatever words it uses
(a report on 网络安全 that mentions 防火墙 is a report).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from tasks.parse import ParseError, check_nesting

MAX_WALL_TEXT = 300  # visible characters (spaces not counted): more is a page with content
MAX_WALL_LINKS = 5  # a refusal links home at most; a page with more links is one to read
WHAT_TO_DO = ("the site refuses the crawler: save the pages from a browser and load them with "
              "`govreports backfill --from-dir DIR`, or add a mirror of the reports to the sources")

# 瑞数 (Riversecurity) and its imitators: a `$_ts` bootstrap, scripts and a meta tagged r='m'
_RS_MARKERS = re.compile(r"""\$_ts\s*[=.\[]|\br\s*=\s*['"]m['"]""")
# a <meta> whose id is a long random token and whose content is a long blob: the challenge's seed
_RS_META = re.compile(r"""<meta\s+[^>]*id\s*=\s*["'][A-Za-z0-9]{16,}["'][^>]*content\s*=\s*["'][^"']{100,}""", re.I)
_FIREWALL = re.compile(
    r"拒绝执行|访问被拒绝|拒绝访问|请求被拒绝|访问被拦截|请求被拦截|已被拦截|被阻断|访问受限|"
    r"防火墙|安全狗|云锁|网站卫士|知道创宇|加速乐|安全防护|疑似黑客攻击|存在安全风险|非法请求|"
    r"access denied|request blocked|web application firewall|\bwaf\b", re.I)
_CAPTCHA = re.compile(r"验证码|人机验证|滑块验证|安全验证|captcha|verify you are (?:a )?human", re.I)
_NEEDS_JS = re.compile(
    r"(?:开启|启用|打开|支持)\s*javascript|javascript\s*(?:未|已被)?\s*(?:开启|启用)|"
    r"enable\s+javascript|javascript\s+(?:is\s+)?(?:required|disabled)|"
    r"checking your browser|正在(?:验证|检查)(?:您的)?浏览器|just a moment", re.I)
# a script that sets a cookie and reloads: the page is a challenge even when it says nothing
_COOKIE_RELOAD = re.compile(r"document\.cookie\s*=.*?(?:location|reload)", re.I | re.S)


def wall_kind(html: str) -> str | None:
    """What kind of bot wall the page is (`js-challenge (瑞数)`, `firewall`, `captcha`, `js-challenge`), or None."""
    if len(html) > 2_000_000:
        return None  # no wall is that large; a page that size is content
    try:
        check_nesting(html)
    except ParseError:
        return None  # not a wall: the page's reading says what it is
    tree = LexborHTMLParser(html)
    scripts = "\n".join(node.text(deep=True) or "" for node in tree.css("script"))
    script_count = len(tree.css("script"))
    title_node = tree.css_first("title")
    title = title_node.text(deep=True) if title_node is not None else ""
    tree.strip_tags(["script", "style", "noscript", "template"])
    body = tree.body
    text = re.sub(r"\s+", "", body.text(deep=True) if body is not None else "")
    if len(text) > MAX_WALL_TEXT:
        return None
    if _RS_MARKERS.search(html) or _RS_META.search(html[:20_000]):
        return "js-challenge (瑞数)"
    if len(tree.css("a[href]")) > MAX_WALL_LINKS:
        return None  # a small page of links (a listing, a site map) is a page, whatever it says
    said = f"{title} {text}"
    if _FIREWALL.search(said):
        return "firewall"
    if _CAPTCHA.search(said):
        return "captcha"
    if _NEEDS_JS.search(said) or (script_count and len(text) < 20 and _COOKIE_RELOAD.search(scripts)):
        return "js-challenge"
    return None


def blocked_hosts(failures: list[tuple[str, str]]) -> dict[str, str]:
    """Each host whose pages were refused by a bot wall, with the kind of wall (from the run's failures)."""
    hosts: dict[str, str] = {}
    for url, error in failures:
        if error.startswith("blocked:"):
            hosts.setdefault(urlsplit(url).netloc or url, error.removeprefix("blocked:").strip())
    return hosts
