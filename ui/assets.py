"""Look and behaviour of the page: CSS, the small script that links markers to sources, the theme."""

from __future__ import annotations

__all__ = ["CSS", "HEAD", "theme"]

CSS = """
.gradio-container { max-width: 1500px !important; }
.rag-header h1 { margin: 0; font-size: 1.45rem; }
.rag-header .rag-tagline { margin: 0.1rem 0 0.35rem; color: var(--body-text-color-subdued); }
.rag-summary { font-size: 0.88rem; color: var(--body-text-color-subdued); }
.rag-summary code { font-size: 0.8rem; }
.rag-noindex { border: 1px solid #d97706; background: rgba(245, 158, 11, 0.12); padding: 0.7rem 0.9rem;
  border-radius: 8px; line-height: 1.6; }
.rag-status { min-height: 1.4rem; font-size: 0.9rem; color: var(--body-text-color-subdued); display: flex;
  align-items: center; gap: 0.45rem; }
.rag-status-error { color: #dc2626; }
.rag-status-abstained, .rag-status-unverified, .rag-status-stopped { color: #b45309; }
.rag-spinner { width: 0.85rem; height: 0.85rem; border: 2px solid currentColor; border-right-color: transparent;
  border-radius: 50%; display: inline-block; animation: rag-spin 0.8s linear infinite; }
@keyframes rag-spin { to { transform: rotate(360deg); } }
.rag-cursor { animation: rag-blink 1s steps(2) infinite; }
@keyframes rag-blink { 50% { opacity: 0; } }
a.rag-marker, .rag-marker, a.rag-badge { display: inline-block; padding: 0 0.3em; margin: 0 0.05em; border-radius: 5px;
  font-size: 0.8em; font-weight: 600; text-decoration: none !important; background: rgba(79, 70, 229, 0.14);
  color: #4338ca !important; cursor: pointer; vertical-align: 0.1em; }
a.rag-marker:hover, a.rag-badge:hover { background: rgba(79, 70, 229, 0.3); }
.rag-badge.rag-suspicious { background: rgba(220, 120, 0, 0.18); color: #a35200 !important; }
.rag-suspicious-text { text-decoration: line-through; opacity: 0.7; }
.rag-badge.rag-uncited { background: rgba(120, 120, 120, 0.15); color: var(--body-text-color-subdued) !important;
  font-weight: 400; cursor: default; }
.rag-unsupported { text-decoration: underline wavy #ea580c; text-underline-offset: 3px; }
.rag-why { color: #78716c; }
.rag-note { margin-top: 0.5rem; font-size: 0.85em; color: #c2410c; }
.rag-left-out summary { cursor: pointer; }
.rag-left-out ul { margin: 0.3rem 0 0 1.2rem; color: #57534e; }
.rag-abstained { border-left: 4px solid #d97706; padding-left: 0.6rem; }
.rag-trace summary { cursor: pointer; }
.rag-trace ol { margin: 0.3rem 0 0 1.2rem; color: var(--body-text-color); }
.rag-verdict { font-size: 0.8em; font-weight: 600; padding: 0 0.35em; border-radius: 4px; }
.rag-verdict-kept { background: rgba(22, 163, 74, 0.15); color: #15803d; }
.rag-verdict-marker-corrected { background: rgba(79, 70, 229, 0.14); color: #4338ca; }
.rag-verdict-left-out { background: rgba(234, 88, 12, 0.15); color: #c2410c; }
.rag-trace-quote { margin: 0.2rem 0 0.3rem 0.4rem; padding-left: 0.5rem; border-left: 2px solid var(--border-color-primary); }
.rag-evidence-head { margin-bottom: 0.4rem; font-size: 0.92rem; }
.rag-passage { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.45rem 0.6rem;
  margin-bottom: 0.4rem; font-size: 0.88rem; }
.rag-passage summary { cursor: pointer; line-height: 1.5; }
.rag-rank { color: var(--body-text-color-subdued); font-variant-numeric: tabular-nums; }
.rag-title { font-weight: 600; }
.rag-date, .rag-path, .rag-score { color: var(--body-text-color-subdued); }
.rag-score { font-size: 0.8rem; font-variant-numeric: tabular-nums; }
.rag-passage-text { white-space: pre-wrap; margin-top: 0.4rem; line-height: 1.5; }
.rag-detail { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.6rem 0.75rem;
  background: var(--background-fill-secondary); }
.rag-detail-head { font-size: 0.95rem; line-height: 1.5; }
.rag-detail-n { font-weight: 700; color: #4338ca; }
.rag-detail-sub { font-size: 0.78rem; color: var(--body-text-color-subdued); margin: 0.2rem 0 0.5rem; }
.rag-detail-text { white-space: pre-wrap; line-height: 1.55; font-size: 0.92rem; }
.rag-context { color: var(--body-text-color-subdued); opacity: 0.75; }
mark.rag-quote { background: #fde68a; color: #1f2937; padding: 0.05em 0.1em; border-radius: 3px; }
.rag-empty { color: var(--body-text-color-subdued); font-size: 0.9rem; padding: 0.3rem 0; }
.rag-docs-wrap { overflow-x: auto; }
.rag-docs { width: 100%; border-collapse: collapse; font-size: 0.84rem; border: none !important; margin: 0 !important; }
.rag-docs tr, .rag-docs thead, .rag-docs tbody { border: none !important; }
.rag-docs td.rag-path { max-width: 18rem; overflow-wrap: anywhere; }
.rag-docs th, .rag-docs td { text-align: left; padding: 0.35rem 0.55rem; border: none !important;
  border-bottom: 1px solid var(--border-color-primary) !important; vertical-align: top; }
.rag-docs th { font-weight: 600; background: var(--background-fill-secondary); }
.rag-docs td.rag-title { min-width: 14rem; }
.rag-docs td.rag-nowrap { white-space: nowrap; }
.rag-docs td.rag-num { text-align: right; font-variant-numeric: tabular-nums; }
.rag-docs code { font-size: 0.78rem; }
.rag-report > div { margin: 0.15rem 0; font-size: 0.9rem; }
.rag-ok { color: #15803d; }
.rag-warn { color: #b45309; }
.rag-error { color: #dc2626; }
#rag-cite-picker label { font-size: 0.85rem; }
"""

# Clicking a [n] marker (in the answer, or a badge on a passage) selects
# citation n in the picker, which loads the passage. A capturing listener on
# the document survives Gradio re-rendering the chat, and the href keeps the
# link working as a plain anchor if this script does not run.
HEAD = """
<script>
(() => {
  const PREFIX = "#rag-cite-";
  function pick(n) {
    const picker = document.getElementById("rag-cite-picker");
    if (!picker) return false;
    for (const input of picker.querySelectorAll('input[type="radio"]')) {
      if (input.value === n) { input.click(); return true; }
    }
    for (const label of picker.querySelectorAll("label")) {
      if (label.textContent.trim().startsWith("[" + n + "]")) { label.click(); return true; }
    }
    return false;
  }
  document.addEventListener("click", (event) => {
    const link = event.target.closest ? event.target.closest('a[href^="' + PREFIX + '"]') : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    if (pick(link.getAttribute("href").slice(PREFIX.length))) {
      const box = document.getElementById("rag-detail-box");
      if (box) box.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
  }, true);
})();
</script>
"""


def theme():
    """A calm theme with system fonts only: the default Gradio themes fetch Google Fonts, and this app stays offline."""
    import gradio as gr

    system = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
    return gr.themes.Soft(primary_hue="indigo", neutral_hue="slate", font=system, font_mono=mono)
