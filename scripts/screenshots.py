"""Screenshots of the chat UI for the README: ``make screenshots`` or ``.venv/bin/python scripts/screenshots.py``.

Starts the real app on a fresh index of the sample corpus (in a temporary
folder, so the user's own index is untouched), asks a question with the real
LLM, opens the first citation, and saves

    docs/screenshots/chat.png       the answer with its sources and a citation open
    docs/screenshots/documents.png  the document list

Needs Playwright and Debian's chromium (``RAG_SETUP_TEST=1 scripts/setup.sh``).
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# README images should stay small; PNG quantised to a palette keeps text crisp at a fraction of the size.
MAX_COLORS = 128


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _save_small(png: bytes, path: Path) -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=MAX_COLORS, method=Image.Quantize.MEDIANCUT)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="small", help="model answering the question (default: small, the fast one)")
    parser.add_argument("--question", default="How much did the library renovation cost?")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"), help="folder for the PNG files")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"screenshots: {CHROMIUM} is missing; install Debian's chromium (RAG_SETUP_TEST=1 scripts/setup.sh)", file=sys.stderr)
        return 1
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(name, value)

    from playwright.sync_api import sync_playwright

    from rag import Settings
    from ui.app import sample_corpus_dir, start

    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="rag-screenshots-") as tmp:
        index_dir = Path(tmp) / "index"
        running = start(Settings(index_dir=index_dir, model=args.model), port=_free_port(), quiet=True)
        try:
            print("screenshots: indexing the sample corpus")
            running.app.corpus().build([str(sample_corpus_dir())])
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1360, "height": 900})
                page.goto(running.url)
                page.wait_for_selector("#rag-summary .rag-summary", timeout=60_000)
                print(f"screenshots: asking {args.question!r} with model {args.model}")
                page.fill("#rag-question textarea", args.question)
                page.click("#rag-ask")
                page.wait_for_function(
                    "() => ['done', 'abstained', 'error', 'stopped'].includes("
                    "document.querySelector('#rag-status .rag-status')?.dataset.state) && "
                    "document.querySelectorAll('#rag-chat [data-testid=bot]').length > 0",
                    timeout=600_000,
                )
                markers = page.locator("#rag-chat a.rag-marker")
                if markers.count():
                    markers.first.click()
                    page.wait_for_selector("#rag-detail mark.rag-quote", timeout=30_000)
                else:
                    print("screenshots: the answer has no citation to open", file=sys.stderr)
                page.locator("#rag-evidence details").first.evaluate("d => d.open = true")
                page.mouse.move(0, 0)
                page.wait_for_timeout(500)
                _save_small(page.screenshot(), out / "chat.png")

                page.get_by_role("tab", name="Documents").click()
                page.wait_for_selector("#rag-docs table", timeout=30_000)
                page.wait_for_timeout(500)
                _save_small(page.screenshot(), out / "documents.png")
                browser.close()
        finally:
            running.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
