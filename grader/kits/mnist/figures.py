"""Figures of the MNIST kit for the student's report.html (inline SVG, no script)."""

from __future__ import annotations

import math

from grader import svg
from grader.report_html import esc


def training_figure(history: object) -> str:
    if not isinstance(history, list) or not history:
        return ""
    try:
        rows = sorted((int(h["epoch"]), float(h["train_cost"]), float(h["test_accuracy"])) for h in history)
    except (TypeError, KeyError, ValueError):
        return ""
    rows = [r for r in rows if math.isfinite(r[1]) and math.isfinite(r[2])]
    if not rows:
        return ""
    cost = svg.line_chart([(e, c) for e, c, _ in rows], title="training cost per epoch", x_title="epoch",
                          y_title="average training cost", value_format="{:.4f}")
    accuracy = svg.line_chart([(e, a) for e, _, a in rows], title="test accuracy per epoch", x_title="epoch",
                              y_title="test accuracy", value_format="{:.4f}", color=svg.NORMAL)
    return ('<section class="card"><h2>Training</h2><p class="muted">The accuracy check trains your model with your '
            f"<code>train_epoch</code> for {len(rows)} epoch(s) and tests it with your <code>evaluate</code>."
            f'</p><div class="figs"><figure>{cost}<figcaption>Average training cost (your '
            f"<code>train_epoch</code>'s return value).</figcaption></figure><figure>{accuracy}<figcaption>"
            "Test accuracy (your <code>evaluate</code>).</figcaption></figure></div></section>\n")


def confusion_figure(matrix: object) -> str:
    if not (isinstance(matrix, list) and matrix and all(isinstance(r, list) and len(r) == len(matrix)
                                                        for r in matrix)):
        return ""
    try:
        cells = [[int(v) for v in row] for row in matrix]
    except (TypeError, ValueError):
        return ""
    size, total = len(cells), sum(map(sum, cells))
    correct = sum(cells[i][i] for i in range(size))
    head = "".join(f"<th>{j}</th>" for j in range(size))
    rows, recall = [], []
    for i, row in enumerate(cells):
        row_total = sum(row) or 1
        recall.append((row[i] / row_total, i))
        tds = []
        for j, count in enumerate(row):
            share = count / row_total
            alpha = 0.12 + 0.88 * share if i == j else (min(1.0, share * 10) if count else 0.0)
            rgb = "35,139,69" if i == j else "192,57,43"
            ink = "#fff" if alpha > 0.55 else "#1d2430"
            tds.append(f'<td style="background:rgba({rgb},{alpha:.2f});color:{ink}" title="true {i}, predicted {j}: '
                       f'{count}">{count}</td>')
        rows.append(f'<tr><th title="{100 * row[i] / row_total:.1f}% of the {i}s right">{i}</th>{"".join(tds)}</tr>')
    off = sorted(((cells[i][j], i, j) for i in range(size) for j in range(size) if i != j and cells[i][j]),
                 key=lambda t: (-t[0], t[1], t[2]))[:3]
    worst = "; ".join(f"a {i} read as {j} ({count} times)" for count, i, j in off)
    hardest = "; ".join(f"{i} ({100 * share:.1f}% right)" for share, i in sorted(recall)[:2])
    return ('<section class="card"><h2>Confusion matrix</h2><p class="muted">Computed by the grader from your trained '
            "weights on the MNIST test images: each <b>row</b> is the true digit, each <b>column</b> the digit your "
            f"model predicted; the diagonal (green) is right. Accuracy {100 * correct / max(1, total):.2f}% of "
            f'{total} images.</p><div class="wrap"><table class="cm"><thead><tr><th></th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>'
            + (f"<p>Most frequent mistakes: {esc(worst)}. Hardest digits: {esc(hardest)}.</p>" if worst else "")
            + "</section>\n")
