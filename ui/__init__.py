"""The chat UI (Gradio): presentation only, on top of the public ``rag`` API. Start it with ``rag ui``.

Modules: ``app`` (layout, handlers, serving), ``render`` (escaped HTML, no Gradio),
``uploads`` (safe saving of uploaded files), ``session`` (one conversation per browser
session), ``assets`` (CSS, the marker-link script, the offline theme).
"""
