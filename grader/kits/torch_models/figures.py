"""Figures of the model kit for the student's report.html (inline SVG, no script)."""

from __future__ import annotations

from grader import svg
from grader.report_html import _num, esc


def weights_figure(layers: object) -> str:
    if not isinstance(layers, list) or not layers:
        return ""
    figures = []
    for index, layer in enumerate(layers, start=1):
        if not isinstance(layer, dict):
            continue
        shape = f"{layer.get('in_features', '?')} \u2192 {layer.get('out_features', '?')}"
        chart = svg.weight_histogram(layer, f"Linear layer {index} ({shape}): initial weights")
        if not chart:
            continue
        caption = (f"<b>Linear {index}</b> ({esc(shape)}, {esc(layer.get('n'))} weights): std "
                   f"{_num(layer.get('std'), 4)}, Xavier expects {_num(layer.get('xavier_std'), 4)}; "
                   f"bound \u00b1{_num(layer.get('bound'), 4)}.")
        figures.append(f"<figure>{chart}<figcaption>{caption}</figcaption></figure>")
    if not figures:
        return ""
    legend = ('<div class="legend"><span><i class="key bar"></i>your weights</span><span><i class="key uni"></i>'
              'Xavier uniform (expected count)</span><span><i class="key nor"></i>Xavier normal (expected count)'
              '</span><span><i class="key bnd"></i>\u00b1bound = \u221a(6/(fan_in+fan_out))</span></div>')
    return ('<section class="card"><h2>Initial weights against Xavier</h2><p class="muted">Each Linear layer\'s '
            "weights right after <code>build_model()</code>, binned over \u00b11.5 bounds (values beyond fall in the "
            "edge bins). Xavier uniform puts every weight inside the bound; Xavier normal has the same "
            f"spread.</p>{legend}<div class=\"figs\">{''.join(figures)}</div></section>\n")
