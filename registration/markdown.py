"""Organisers' texts as HTML: a safe subset of Markdown, and nothing else.

Descriptions and practical information are written by organisers and read by
everybody, so what they type may shape the text but never the page: paragraphs
(a blank line between them; a single line break stays one), bulleted and
numbered lists, links, bold and emphasis. HTML is shown as typed, never
rendered; headings, images, tables, quotes and code are not in the subset and
read as the plain text they are. Links go only to ``http``, ``https`` and
``mailto`` addresses, a bare address becomes a link too, and every link carries
``rel="noopener noreferrer"``. Plain text written before Markdown reads as it
did: paragraphs with their line breaks.

markdown-it-py does the parsing (CommonMark, linear time); its ``zero`` preset
enables nothing, and only the rules above are switched on.
"""

from __future__ import annotations

import functools
import itertools

from markdown_it import MarkdownIt
from markupsafe import Markup

#: The only kinds of address a link may have.
LINK_SCHEMES = ("http://", "https://", "mailto:")
#: Lists inside lists at most this deep: enough for any programme, and a
#: pathological input cannot make the parser recurse for long.
MAX_NESTING = 10


def _parser() -> MarkdownIt:
    parser = MarkdownIt(
        "zero", {"html": False, "breaks": True, "linkify": True, "maxNesting": MAX_NESTING}
    ).enable(["list", "link", "autolink", "linkify", "emphasis", "escape", "newline"])
    parser.validateLink = _allowed_link
    parser.add_render_rule("link_open", _render_link_open)
    return parser


def _allowed_link(url: str) -> bool:
    return url.strip().lower().startswith(LINK_SCHEMES)


def _render_link_open(renderer, tokens, index, options, env) -> str:
    tokens[index].attrSet("rel", "noopener noreferrer")
    return renderer.renderToken(tokens, index, options, env)


_MARKDOWN = _parser()


# Descriptions are the same few texts on every view of a page: remember them.
@functools.lru_cache(maxsize=256)
def _rendered(text: str) -> str:
    return _MARKDOWN.render(text)


def render(text: str | None) -> Markup:
    """An organiser's text as safe HTML (the template filter ``markdown``)."""
    if not text or not text.strip():
        return Markup("")
    return Markup(_rendered(text))  # noqa: S704  (the parser escapes all text; HTML is off)


def plain_text(text: str | None) -> str:
    """An organiser's Markdown as plain text, for calendars: no asterisks or brackets left,
    each link's address kept after its words, list items on their own lines."""
    if not text or not text.strip():
        return ""
    blocks: list[tuple[str, int | None]] = []  # (text, which outermost list it is in)
    lists: list[int | None] = []  # per open list: the next number, or None for bullets
    outermost = 0
    marker = ""
    for token in _MARKDOWN.parse(text):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            outermost += not lists
            lists.append(int(token.attrGet("start") or 1) if token.type[0] == "o" else None)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "list_item_open":
            number = lists[-1]
            if number is not None:
                lists[-1] = number + 1
            marker = "  " * (len(lists) - 1) + ("•" if number is None else f"{number}.") + " "
        elif token.type == "inline":
            blocks.append(
                (marker + _inline_text(token.children or []), outermost if lists else None)
            )
            marker = ""
    joined = blocks[0][0] if blocks else ""
    for (_, before), (block, within) in itertools.pairwise(blocks):
        joined += ("\n" if within is not None and within == before else "\n\n") + block
    return joined


def _inline_text(children) -> str:
    parts: list[str] = []
    links: list[tuple[str, int]] = []  # (address, where its words start)
    for child in children:
        if child.type == "text":
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "link_open":
            links.append((str(child.attrGet("href") or ""), len(parts)))
        elif child.type == "link_close" and links:
            address, start = links.pop()
            words = "".join(parts[start:])
            shown = address.removeprefix("mailto:")
            if shown not in (words, f"http://{words}", f"https://{words}"):
                parts.append(f" ({shown})")
    return "".join(parts)
