"""A post's HTML never carries script, event handlers or javascript: links, whatever the
markdown; what markdown means is kept, and every link is nofollow ugc."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from lectern.forums.markdown import render

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '![x](https://ok.example/a.png "t" onerror=alert(1))',
    "[x][r]\n\n[r]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p onclick="alert(1)">click</p>',
    "```\n</code><script>alert(1)</script>\n```",
    '```js" onmouseover="alert(1)\nx\n```',
    "<details open ontoggle=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    "[<img src=x onerror=alert(1)>](https://ok.example)",
    '<a href="https://ok.example" onmouseover="alert(1)">x</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    '<object data="javascript:alert(1)">',
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize("markdown", HOSTILE)
def test_hostile_markdown_leaves_nothing_that_runs(markdown: str):
    html = render(markdown)
    for tag, attrs in _tags(html):
        assert tag not in {
            "script",
            "iframe",
            "object",
            "embed",
            "form",
            "style",
            "meta",
            "svg",
            "math",
        }, html
        assert not [a for a in attrs if a.startswith("on")], html
        for name in ("href", "src", "action", "data", "style"):
            value = (attrs.get(name) or "").replace(" ", "").lower()
            assert "javascript:" not in value and "vbscript:" not in value, html
            assert not value.startswith("data:"), html
        if tag == "a":
            assert attrs.get("rel") == "nofollow ugc", html
    assert "<script" not in html.lower()


def test_markdown_keeps_its_meaning():
    html = render(
        "# Title\n\n**bold** _em_ ~~gone~~ `code`\n\n- one\n- two\n\n"
        '[docs](https://docs.example/a?b=1 "Docs") and <https://auto.example>\n\n'
        "| a | b |\n|:-|-:|\n| 1 | 2 |\n\n```python\nprint(1)\n```\n\n> quoted"
    )
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html and "<em>em</em>" in html and "<s>gone</s>" in html
    assert '<a href="https://docs.example/a?b=1" title="Docs" rel="nofollow ugc">docs</a>' in html
    assert '<a href="https://auto.example" rel="nofollow ugc">' in html
    assert '<td style="text-align:right">2</td>' in html
    assert '<code class="language-python">' in html
    assert "<blockquote>" in html and "<li>two</li>" in html


def test_html_typed_in_a_post_is_shown_as_text():
    assert render("a <b>b</b>") == "<p>a &lt;b&gt;b&lt;/b&gt;</p>\n"
