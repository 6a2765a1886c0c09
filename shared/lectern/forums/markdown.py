"""Markdown in, sanitized HTML out: markdown-it-py renders (CommonMark, raw HTML off, so
tags typed in a post are shown as text), then nh3 (the Ammonia sanitizer) keeps only an
allow-list of tags and attributes, links with http, https or mailto only, and sets
``rel="nofollow ugc"`` on every link. No HTML is filtered by hand here: the renderer
never emits raw HTML, and whatever it emits passes the sanitizer anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lectern.core.cache import cached_client

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "img", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc"


@cached_client
def _renderer() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def render(markdown: str) -> str:
    """The post's HTML: rendered, then sanitized."""
    import nh3

    return nh3.clean(
        _renderer().render(markdown),
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        # Tables align cells by style; nothing else of CSS survives.
        filter_style_properties={"text-align"},
        allowed_classes={"code": {f"language-{n}" for n in _LANGUAGES}},
    )


# Fenced code's info string becomes class="language-x": only these names are kept.
_LANGUAGES = (
    "python", "javascript", "typescript", "java", "c", "cpp", "go", "rust", "sql", "bash",
    "json", "yaml", "html", "css", "r", "matlab", "latex", "text",
)  # fmt: skip
