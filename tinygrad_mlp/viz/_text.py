"""What every picture shares: one number format, escaping of untrusted text, colours, legends.

Labels, column names and class names come from users' files, so every piece of
text that reaches Graphviz goes through an escaper for the kind of label it
lands in:

- :func:`plain` (one line) and :func:`lines` (several) for ordinary labels,
  titles and tooltips (Graphviz's escString: backslashes doubled, ``&`` as an
  entity, and never read as an HTML-like label even if it looks like ``<...>``);
- :func:`html` for text inside an HTML-like label (``& < > "`` as entities,
  backslashes doubled).
"""

from __future__ import annotations

import html as _html
import math
from typing import Any

import graphviz
import numpy as np

FONT = "Helvetica"

#: Fill colours by gradient, shared by computation graphs and network diagrams.
#: POSITIVE and NEGATIVE are the full shades; smaller gradients are paler.
POSITIVE, NEGATIVE = "#afafff", "#ffafaf"
VANISHING, EXPLODING, NONFINITE = "#e6e6e6", "#ffa64d", "#ff5555"
#: Edge colours by the sign of a weight.
EDGE_POSITIVE, EDGE_NEGATIVE = "#1f4e9e", "#c0392b"

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_number(value: float, digits: int = 4) -> str:
    """One number format for every picture: ``digits`` significant digits.

    Plain decimals from 0.001 up to 100000, trailing zeros dropped; a power of
    ten outside that range; ``0`` for zero (never ``-0``).

    Args:
        value: the number (anything ``float()`` takes).
        digits: significant digits, at least 1.

    Returns:
        The text, e.g. ``"0.2689"``, ``"-1"``, ``"8.115×10⁻⁷"``.

    >>> format_number(0.268941421), format_number(-1.0), format_number(8.1152e-07)
    ('0.2689', '-1', '8.115×10⁻⁷')
    >>> format_number(-0.0), format_number(12345.678), format_number(float("nan"))
    ('0', '12346', 'nan')
    """
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    digits = max(1, int(digits))
    size = abs(value)
    if 1e-3 <= size < 1e5:
        decimals = max(0, digits - 1 - math.floor(math.log10(size)))
        text = f"{value:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "0") else text
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def format_array(array: Any, digits: int = 4, limit: int = 6) -> str:
    """Small arrays in full (``[0.5 -1]``), larger ones as a range (``9 values in [-1, 2]``)."""
    if array is None:
        return "—"
    array = np.asarray(array, dtype=np.float64)
    if array.ndim == 0:
        return format_number(array, digits)
    if array.size <= limit:
        rows = array.reshape(-1, array.shape[-1]) if array.ndim > 1 else array[None, :]
        inner = "; ".join(" ".join(format_number(v, digits) for v in row) for row in rows)
        return f"[{inner}]"
    return f"{array.size} values in [{format_number(np.nanmin(array), digits)}, " + (
        f"{format_number(np.nanmax(array), digits)}]"
    )


# --------------------------------------------------------------------------- escaping


def plain(text: str) -> graphviz.quoting.NoHtml:
    """Untrusted text for an ordinary label, title or tooltip: shown as these characters.

    >>> str(plain("<b>\\\\N</b>"))
    '<b>\\\\\\\\N</b>'
    """
    # NOTE: Graphviz decodes entities (&amp;) in ordinary labels too, so & is escaped.
    return graphviz.nohtml(str(text).replace("\\", "\\\\").replace("&", "&amp;"))


def lines(*texts: str) -> graphviz.quoting.NoHtml:
    """Untrusted lines for an ordinary label, each escaped, joined by Graphviz's ``\\n``."""
    return graphviz.nohtml("\\n".join(str(plain(t)).replace("\n", "\\n") for t in texts))


def html(text: str) -> str:
    """Untrusted text inside an HTML-like label."""
    # NOTE: Graphviz reads \\N, \\G (names) and \\\\ in HTML-like labels too: double backslashes.
    text = str(text).replace("\\", "\\\\")
    return _html.escape(text, quote=True).replace("\n", "<br/>")


# --------------------------------------------------------------------------- colours


def grad_colour(grad: Any) -> str:
    """Fill colour by gradient: red NaN/inf, orange exploding, grey vanishing, else by sign."""
    if grad is None:
        return "white"
    g = np.asarray(grad, dtype=np.float64)
    if not np.all(np.isfinite(g)):
        return NONFINITE
    size = float(np.abs(g).max()) if g.size else 0.0
    if size > 1e3:
        return EXPLODING
    if size < 1e-8:
        return VANISHING
    # NOTE: shade by size on a log scale, from 1e-6 (faint) to 1 (full)
    strength = min(1.0, max(0.15, (math.log10(size) + 6) / 6))
    light = int(255 - 80 * strength)
    if float(np.sum(g)) >= 0:
        return f"#{light:02x}{light:02x}ff"
    return f"#ff{light:02x}{light:02x}"


def legend(title: str | None, rows: list[tuple[str, str]], note: str | None = None) -> str:
    """An HTML-like graph label: a title line, colour swatches with their meaning, a note.

    ``rows`` pairs a colour (a fill ``#rrggbb``, or ``"edge:#rrggbb"`` for a line
    sample) with its meaning. Every text goes through :func:`html`.
    """
    cells = []
    for colour, meaning in rows:
        if colour.startswith("edge:"):
            swatch = f'<td><font color="{colour[5:]}"><b>⟶</b></font></td>'
        else:
            swatch = f'<td bgcolor="{colour}" width="14" height="10" border="1"> </td>'
        cells.append(f'{swatch}<td align="left">{html(meaning)}</td>')
    parts = ['<<table border="0" cellborder="0" cellspacing="2" cellpadding="1">']
    if title:
        parts.append(f'<tr><td colspan="{2 * max(1, len(rows))}"><b>{html(title)}</b></td></tr>')
    if cells:
        parts.append("<tr>" + "".join(cells) + "</tr>")
    if note:
        parts.append(f'<tr><td colspan="{2 * max(1, len(rows))}">{html(note)}</td></tr>')
    parts.append("</table>>")
    return "".join(parts)


GRADIENT_LEGEND = [
    (POSITIVE, "grad > 0"),
    (NEGATIVE, "grad < 0 (paler: smaller)"),
    (VANISHING, "|grad| < 1e-8"),
    (EXPLODING, "|grad| > 1e3"),
    (NONFINITE, "nan / inf"),
]
