"""The real app in a real browser: Debian's chromium driven by Playwright.

Everything is real: the app starts on an empty index directory, the sample
corpus is indexed through the UI with the real embedder, questions are
answered by the real small LLM (Qwen2.5-Coder-0.5B), and the checks are made
on what the page shows. Nothing may be requested from anywhere but the app, and
the page must work under the app's Content-Security-Policy (ui/web_security.py)
without a single violation.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    # Gradio's queue monitoring calls pandas APIs that pandas 3 deprecates; not ours to fix.
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
FINAL_STATES = ("done", "abstained", "error", "stopped")
ANSWER_TIMEOUT_MS = 240_000  # the small model on 2 shared cores; usually well under a minute

OTTER_ARTICLE = """Port Alder aquarium names its new sea otter Marmalade
20260120
https://alderweekly.example/news/2026/01/20/aquarium-sea-otter
The Port Alder Aquarium has named its new sea otter Marmalade after a public vote.
More than 4,300 residents voted, and Marmalade beat the runner-up name, Barnacle, by 600 votes.
The otter arrived from a rescue centre in Cornwall in December and can be seen in the harbour pool from February.
"""

# A document that tries to inject HTML: its title must show as text, and the script must never run.
HOSTILE_NOTES = """---
title: <img src=x onerror="window.__pwned=1">Ferry timetable notes
date: 2026-01-21
---
Ferry timetable notes. <script>window.__pwned = 2</script> The winter timetable runs until March.
"""


# Every CSP violation the page meets, as the browser reports it to the page (the event) and the console.
CSP_WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(e.effectiveDirective + " blocked " + (e.blockedURI || "inline")));
"""


def _watch_csp(page) -> list[str]:
    """Record CSP violations of ``page``; returns the list the console reports are added to."""
    console: list[str] = []
    page.add_init_script(CSP_WATCH)
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    return console


def _csp_violations(page, console: list[str]) -> list[str]:
    return list(page.evaluate("window.__csp || []")) + console


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ask(page, question: str) -> str:
    """Ask in the chat and wait for the final state; returns the answer's text."""
    bots = page.locator("#rag-chat [data-testid=bot]").count()
    page.fill("#rag-question textarea", question)
    page.click("#rag-ask")
    page.wait_for_function(
        """([n, finals]) => {
            const bots = document.querySelectorAll('#rag-chat [data-testid=bot]');
            const status = document.querySelector('#rag-status .rag-status');
            return bots.length > n && status && finals.includes(status.dataset.state);
        }""",
        arg=[bots, list(FINAL_STATES)],
        timeout=ANSWER_TIMEOUT_MS,
    )
    status = page.locator("#rag-status .rag-status")
    assert status.get_attribute("data-state") == "done", status.inner_text()
    return page.locator("#rag-chat [data-testid=bot]").last.inner_text()


def _open_first_citation(page):
    """Click the first [n] marker in the last answer; returns (quote shown, start, end, path)."""
    page.locator("#rag-chat [data-testid=bot]").last.locator("a.rag-marker").first.click()
    mark = page.locator("#rag-detail mark.rag-quote")
    mark.wait_for(timeout=30_000)
    detail = page.locator("#rag-detail .rag-detail")
    return (mark.text_content(), int(mark.get_attribute("data-start")), int(mark.get_attribute("data-end")),
            detail.get_attribute("data-path"))


def test_ask_cite_upload_and_ask_again(tmp_path, monkeypatch):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (RAG_SETUP_TEST=1 scripts/setup.sh installs it)")
    from playwright.sync_api import expect, sync_playwright

    from rag import Settings
    from ui.app import start

    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false")):
        monkeypatch.setenv(name, value)
    index_dir = tmp_path / "index"
    running = start(Settings(index_dir=index_dir, model="small"), port=_free_port(), quiet=True)
    outside: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda r: None if r.url.startswith((running.url, "data:", "blob:")) else outside.append(r.url))
            csp_console = _watch_csp(page)
            response = page.goto(running.url)
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            assert response.headers["x-frame-options"] == "DENY"

            # No index yet: the page says so, names the command, and builds the sample index on request.
            summary = page.locator("#rag-summary")
            expect(summary).to_contain_text("No documents to ask about", timeout=30_000)
            expect(summary).to_contain_text("rag index --sample")
            page.click("#rag-build-sample")
            expect(summary).to_contain_text("14 documents", timeout=180_000)

            # Evidence is on screen while the model is still generating.
            bots = page.locator("#rag-chat [data-testid=bot]").count()
            page.fill("#rag-question textarea", "How much did the library renovation cost?")
            page.click("#rag-ask")
            page.wait_for_selector('#rag-status [data-state="generating"]', timeout=ANSWER_TIMEOUT_MS)
            assert page.locator("#rag-evidence .rag-passage").count() >= 1
            expect(page.locator("#rag-evidence")).to_contain_text("Port Alder library reopens")
            page.wait_for_function(
                "([n, f]) => document.querySelectorAll('#rag-chat [data-testid=bot]').length > n && "
                "f.includes(document.querySelector('#rag-status .rag-status').dataset.state)",
                arg=[bots, list(FINAL_STATES)], timeout=ANSWER_TIMEOUT_MS)
            assert page.locator("#rag-status .rag-status").get_attribute("data-state") == "done"
            answer = page.locator("#rag-chat [data-testid=bot]").last.inner_text()
            assert "6.2 million" in answer, answer
            # Why each sentence of the draft was kept or left out: a collapsed list under the answer.
            trace = page.locator("#rag-chat [data-testid=bot]").last.locator("details.rag-trace")
            expect(trace).to_have_count(1)
            trace.locator("summary").click()
            expect(trace.locator(".rag-verdict").first).to_be_visible()
            expect(trace).to_contain_text("rule")

            # Clicking the [1] marker shows the cited passage with exactly the quoted sentence highlighted.
            quote, start, end, path = _open_first_citation(page)
            source = Path(path).read_text(encoding="utf-8")
            assert path.endswith("03_library_reopens.txt")
            assert source[start:end] == quote and quote in source
            assert "6.2 million pounds" in quote
            page.get_by_text("Answer with references (to copy)").click()
            copied = page.locator("#rag-copy textarea").input_value()
            assert f'"{quote}"' in copied and "[1]" in copied  # the mark is the answer's citation quote
            assert page.locator("#rag-evidence .rag-badge.rag-uncited").count() >= 1  # uncited passages, with scores
            expect(page.locator("#rag-evidence")).to_contain_text("cosine")

            # A follow-up in the same conversation: rewritten with the conversation, and the status
            # line shows what was searched for.
            answer = _ask(page, "Who is its head librarian?")
            assert "Okonkwo" in answer, answer
            status = page.locator("#rag-status .rag-status").inner_text()
            assert "searched for:" in status and "librar" in status.split("searched for:")[1].lower(), status

            # Add documents through the UI: a news article, a hostile file, a binary file.
            articles = tmp_path / "incoming"
            articles.mkdir()
            (articles / "aquarium_otter.txt").write_text(OTTER_ARTICLE, encoding="utf-8")
            (articles / "ferry_notes.md").write_text(HOSTILE_NOTES, encoding="utf-8")
            (articles / "broken.txt").write_bytes(b"\x00\xff\x00binary" * 200)
            page.get_by_role("tab", name="Documents").click()
            page.set_input_files("#rag-upload input[type=file]", [str(f) for f in sorted(articles.iterdir())])
            report = page.locator("#rag-upload-report")
            expect(report).to_contain_text("2 added", timeout=120_000)
            expect(report).to_contain_text("Skipped broken.txt")
            expect(summary).to_contain_text("16 documents")
            docs = page.locator("#rag-docs")
            expect(docs).to_contain_text('<img src=x onerror="window.__pwned=1">Ferry timetable notes')
            expect(docs).to_contain_text("Port Alder aquarium names its new sea otter Marmalade")
            assert page.evaluate("window.__pwned") is None
            uploads = sorted(p.name for p in (index_dir / "uploads").iterdir())
            assert uploads == ["aquarium_otter.txt", "ferry_notes.md"]  # the unreadable file was not kept

            # Ask about the new document.
            page.get_by_role("tab", name="Chat").click()
            page.get_by_role("button", name="New conversation").click()
            # Wait for the reset to land, as a person does before typing: it is its own request (queue=False), so
            # asking at once can start the answer before the reset arrives, which then drops that answer as one
            # interrupted by "New conversation", and _ask would count the old conversation's answers. Under the
            # full suite's load this happened in 2 of 3 clean-clone runs (the wait for one more answer timed out).
            expect(page.locator("#rag-chat [data-testid=bot]")).to_have_count(0, timeout=30_000)
            answer = _ask(page, "What name did the Port Alder Aquarium give its new sea otter?")
            assert "Marmalade" in answer, answer
            quote, start, end, path = _open_first_citation(page)
            assert Path(path).parent == index_dir / "uploads"
            assert Path(path).read_text(encoding="utf-8")[start:end] == quote
            assert page.evaluate("window.__pwned") is None
            assert _csp_violations(page, csp_console) == [], "the page broke the Content-Security-Policy"
            browser.close()
    finally:
        running.close()
    assert outside == [], f"the page requested something outside the app: {outside}"


def test_login_under_the_csp(tmp_path, monkeypatch):
    """Gradio's login page works under the CSP and the origin checks: a wrong password is refused, the right one opens the app."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (RAG_SETUP_TEST=1 scripts/setup.sh installs it)")
    from playwright.sync_api import expect, sync_playwright

    from rag import Settings
    from ui.app import start

    running = start(Settings(index_dir=tmp_path / "index", login_delay_step_s=0.01), port=_free_port(),
                    password="s3cret", quiet=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            console = _watch_csp(page)
            page.goto(running.url)
            page.get_by_label("Username").fill("rag")
            page.get_by_label("Password").fill("wrong")
            page.get_by_role("button", name="Login").click()
            expect(page.get_by_text("Incorrect Credentials")).to_be_visible(timeout=30_000)
            page.get_by_label("Username").fill("rag")  # Gradio empties the form after a failed login
            page.get_by_label("Password").fill("s3cret")
            page.get_by_role("button", name="Login").click()
            expect(page.locator("#rag-summary")).to_contain_text("No documents to ask about", timeout=60_000)
            assert _csp_violations(page, console) == [], "the page broke the Content-Security-Policy"
            browser.close()
    finally:
        running.close()
