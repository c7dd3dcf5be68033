"""Fast tests of the UI's pure parts and handlers (no browser, no LLM, no real embedder).

The real app in a real browser is tested in test_ui_browser.py; these pin the
details that protect users: escaping, safe upload names, marker links, the
order of streamed updates, Stop, and corpus management that survives bad files.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import fields
from pathlib import Path

import pytest

from rag import Answer, Assistant, Citation, Lookup, Passage, SentenceCheck, Settings
from ui import render
from ui.app import KEEP, ChatUpdate, CorpusUpdate, IndexView, RagApp, is_loopback, parse_filters
from ui.session import ChatSession
from ui.uploads import UploadError, safe_filename, save_upload
from fakes import HashEmbedder, ScriptedStream, StreamingAssistant

EVIL = '<script>alert("x")</script>'


def passage(n=1, title="Library reopens", text="The library cost 6.2 million pounds. It opened on Saturday.", **kw):
    fields = dict(chunk_id=f"d{n}-0", doc_id=f"d{n}", title=title, date="2025-10-06", url="https://news.example/a",
                  path=f"/corpus/{n}.txt", source="news.example", text=text, start=100, end=100 + len(text), score=0.03,
                  dense=0.5, lexical=6.8)
    fields.update(kw)
    return Passage(**fields)


def citation(n=1, p=None, quote="The library cost 6.2 million pounds."):
    p = p or passage()
    at = p.text.index(quote)
    return Citation(n=n, chunk_id=p.chunk_id, doc_id=p.doc_id, title=p.title, date=p.date, url=p.url, path=p.path,
                    start=p.start + at, end=p.start + at + len(quote), quote=quote, support=0.8)


def answer(text="It cost 6.2 million pounds [1].", citations=None, unsupported=(), abstained=False, passages=None,
           unsupported_reasons=(), verification=(), outcome=None):
    passages = passages if passages is not None else (passage(),)
    reasons = tuple(unsupported_reasons) + ("",) * (len(unsupported) - len(unsupported_reasons))
    checks = tuple(verification) + tuple(SentenceCheck(s, "left out", "unsupported", why) for s, why in zip(unsupported, reasons))
    return Answer(question="q", text=text, citations=tuple(citations if citations is not None else [citation()]),
                  passages=tuple(passages), abstained=abstained, confidence=0.8, model="m", embedder="e",
                  timings={"total": 1.0}, verification=checks,
                  outcome=outcome or ("answer_not_in_passages" if abstained else "answered"))


# ---- rendering: escaping ------------------------------------------------------------------
def test_evidence_escapes_titles_and_passages():
    html = render.evidence_html([passage(title=EVIL, text=f"Body {EVIL} end", url="javascript:alert(1)")])
    assert "<script" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html  # a document cannot plant a script link


def test_answer_escapes_model_output_but_links_markers():
    html = render.answer_html(answer(text=f"It cost {EVIL} 6.2 million pounds [1]. See [7]."))
    assert "<script" not in html and "&lt;script&gt;" in html
    assert '<a class="rag-marker" href="#rag-cite-1"' in html
    assert "[7]" in html and "#rag-cite-7" not in html  # no citation 7: not a link


def test_citation_detail_highlights_exact_quote_and_escapes():
    p = passage(title=EVIL, text="Before <b>bold</b>. The library cost 6.2 million pounds. After.")
    c = citation(p=p)
    lookup = Lookup(chunk_id=p.chunk_id, doc_id=p.doc_id, title=p.title, date=p.date, url=p.url, path=p.path,
                    source=p.source, start=p.start, end=p.end, text=p.text, before=f"ctx {EVIL}", after="tail")
    html = render.citation_detail_html(c, lookup)
    assert "<script" not in html and "<b>" not in html
    mark = re.search(r'<mark class="rag-quote" data-start="(\d+)" data-end="(\d+)">(.*?)</mark>', html)
    assert mark and mark.group(3) == c.quote
    assert (int(mark.group(1)), int(mark.group(2))) == (c.start, c.end)
    assert '<a href="https://news.example/a"' in html


def test_documents_table_escapes_everything():
    docs = [{"doc_id": "abc", "title": EVIL, "date": "2025-01-01", "url": "javascript:x", "path": f"/u/{EVIL}.txt",
             "source": "<i>src</i>", "added_at": "2025", "chars": 10, "chunks": 1}]
    html = render.documents_html(docs)
    assert "<script" not in html and "<i>" not in html and 'href="javascript' not in html
    assert render.document_choices(docs) == [(f"{EVIL} · 2025-01-01 · abc", "abc")]  # Gradio shows labels as text


def test_status_and_report_escape():
    assert "<script" not in render.status_html("error", EVIL)
    html = render.report_html({"added": 1, "skipped": [{"path": f"/x/{EVIL}", "reason": EVIL}], "duplicates": []},
                              [(EVIL, "bad")], error=EVIL)
    assert "<script" not in html


def test_safe_url():
    assert render.safe_url("https://a.example/x") == "https://a.example/x"
    for bad in ("javascript:alert(1)", "data:text/html,x", "//evil.example", "ftp://x", "", None, "JaVaScRiPt:x"):
        assert render.safe_url(bad) is None


# ---- rendering: markers and unsupported sentences ----------------------------------------
def test_link_markers_only_known_numbers():
    out = render.link_markers("A [1]. B [2][3]. C [12].", known=[1, 3])
    assert out.count('class="rag-marker"') == 2
    assert 'href="#rag-cite-1"' in out and 'href="#rag-cite-3"' in out
    assert "[2]" in out and "#rag-cite-2" not in out and "#rag-cite-12" not in out


def test_left_out_sentences_listed_apart():
    html = render.answer_html(answer(text="It cost 6.2 million pounds [1].", unsupported=["It was built by <elves>."]))
    answer_part, left_out = html.split('<details class="rag-note rag-left-out">')
    assert "6.2 million" in answer_part and "elves" not in answer_part
    assert re.search(r'<li><span class="rag-unsupported">It was built by &lt;elves&gt;\.</span></li>', left_out)
    assert "1 sentence of the model's answer left out: no passage supports it" in left_out
    assert "rag-left-out" not in render.answer_html(answer())
    # The terminal and the copy box (Answer.with_references) list them after the references.
    text = answer(text="It cost 6.2 million pounds [1].", unsupported=["It was built by elves."]).with_references()
    assert text.endswith("Left out of the answer, not supported by the documents:\n  - It was built by elves.")
    assert "Left out" not in answer().with_references()
    # With the verifier's reason, each is shown with why it was left out.
    why = answer(text="It cost 6.2 million pounds [1].", unsupported=["It cost 9 million pounds."],
                 unsupported_reasons=("no passage gives 9",))
    assert '<span class="rag-why">(no passage gives 9)</span>' in render.answer_html(why)
    assert why.with_references().endswith("  - It cost 9 million pounds. (no passage gives 9)")
    assert why.to_dict()["left_out"] == [{"sentence": "It cost 9 million pounds.", "reason": "no passage gives 9"}]


def test_why_kept_or_left_out_is_listed_per_sentence():
    """The trace (Answer.verification) as a collapsed list under the answer: verdict, rule, reason, scores, quotes."""
    kept = SentenceCheck("It cost 6.2 million pounds.", "kept", "best_passage", "the passage it cites states it",
                         {"support": 0.81, "lexical": 1.0}, (citation(),))
    moved = SentenceCheck("It reopened <soon>.", "marker corrected", "best_passage",
                          "the passage the model cited does not state it; the cited one does", {"support": 0.6}, (citation(),))
    html = render.answer_html(answer(verification=[kept, moved], unsupported=["It was built by elves."],
                                     unsupported_reasons=["no passage says this"]))
    trace = html.split('<details class="rag-note rag-trace">')[1]
    assert "Why kept / why left out (3 sentences)" in trace
    assert [m for m in re.findall(r'rag-verdict rag-verdict-([a-z-]+)', trace)] == ["kept", "marker-corrected", "left-out"]
    assert "rule <code>best_passage</code>: the passage it cites states it (support 0.81, lexical 1.00)" in trace
    assert "It reopened &lt;soon&gt;." in trace and "<soon>" not in trace
    assert '<blockquote class="rag-trace-quote">[1] ' in trace and "no passage says this" in trace
    assert "rag-trace" not in render.answer_html(answer())  # no draft to explain


def test_an_unconfirmed_draft_is_labelled_not_as_not_found():
    left = SentenceCheck("It cost 9 million pounds.", "left out", "unsupported", "no passage gives 9", {"support": 0.2},
                         (dataclasses.replace(citation(), n=0),))
    html = render.answer_html(answer(text='Not confirmed by the documents. Unverified draft: "It cost 9 million pounds."',
                                     citations=[], abstained=True, verification=[left], outcome="unverified_draft"))
    assert "rag-unverified" in html and "<strong>Not confirmed by the documents.</strong> Unverified draft:" in html
    assert "Not found in the documents" not in html and "closest: " in html and "rag-trace" in html


def test_abstention_labelled():
    html = render.answer_html(answer(text="The documents do not answer this question.", citations=[], abstained=True))
    assert "rag-abstained" in html and "Not found in the documents" in html
    ev = render.evidence_html([passage()], abstained=True)
    assert "Closest passages" in ev


def test_evidence_marks_cited_and_uncited_with_scores():
    p1, p2 = passage(1), passage(2, title="Other")
    html = render.evidence_html([p1, p2], [citation(p=p1)])
    assert 'href="#rag-cite-1"' in html and "not cited" in html and "score 0.0300" in html
    pending = render.evidence_html([p1, p2], pending=True)
    assert "not cited" not in pending and "Other" in pending


# ---- uploads ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\windows\\evil.md", "evil.md"),
    ("C:\\fakepath\\notes.TXT", "notes.txt"),
    (".hidden.txt", "hidden.txt"),
    ("..txt", "upload.txt"),
    ("a/../../b.txt", "b.txt"),
    ("rä$port <1>.md", "r_port _1.md"),
    ("x\x00y.txt", "xy.txt"),
    ("....//....//x.json", "x.json"),
])
def test_safe_filename(name, expected):
    clean = safe_filename(name)
    assert clean == expected
    assert "/" not in clean and "\\" not in clean and not clean.startswith(".") and ".." not in clean


@pytest.mark.parametrize("name", ["evil.exe", "noext", "x.txt.sh", "../../.bashrc", ""])
def test_safe_filename_rejects_types(name):
    with pytest.raises(UploadError):
        safe_filename(name)


def test_save_upload_never_overwrites_and_stays_inside(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    a, b = src / "a.txt", src / "b.txt"
    a.write_text("first")
    b.write_text("second")
    folder = tmp_path / "index" / "uploads"
    first = save_upload(a, folder, "../../notes.txt")
    second = save_upload(b, folder, "../../notes.txt")
    again = save_upload(a, folder, "notes.txt")
    assert first.path == folder / "notes.txt" and second.path == folder / "notes-1.txt"
    assert again.reused and again.path == first.path
    assert first.path.read_text() == "first" and second.path.read_text() == "second"
    assert sorted(p.name for p in folder.iterdir()) == ["notes-1.txt", "notes.txt"]  # no temp files left
    assert not (tmp_path / "notes.txt").exists()


def test_save_upload_limits(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 11)
    with pytest.raises(UploadError, match="limit"):
        save_upload(big, tmp_path / "up", max_bytes=10)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(UploadError, match="empty"):
        save_upload(empty, tmp_path / "up")
    assert Settings().limits.max_upload_bytes == 20 * 1024 * 1024  # the default save_upload is given by the UI


# ---- settings, hosts -------------------------------------------------------------------------
def test_parse_filters():
    assert parse_filters("", None, []) is None
    f = parse_filters("2025-10-01", "2025-12-31", ["alderweekly.example"])
    assert (f.since, f.until, f.sources) == ("2025-10-01", "2025-12-31", ("alderweekly.example",))
    with pytest.raises(ValueError, match="date like"):
        parse_filters("last week", "", [])
    with pytest.raises(ValueError, match="after"):
        parse_filters("2025-12-01", "2025-01-01", [])


def test_is_loopback():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.com")


# ---- the chat handler with a scripted stream -------------------------------------------------
def _state(update: ChatUpdate) -> str:
    return re.search(r'data-state="(\w+)"', update.status).group(1)


def _ask(app, session, question="How much?"):
    return app.ask(question, session, "small", 4, "", "", [])


def test_ask_shows_evidence_before_the_answer_then_links_it(monkeypatch, tmp_path):
    import ui.app as app_module

    monkeypatch.setattr(app_module, "STREAM_INTERVAL_S", 0.0)
    final = answer(passages=(passage(title=EVIL),))
    fake = StreamingAssistant(lambda q: ScriptedStream(q, final.passages, ["It cost ", "6.2 million", " pounds [1]."], final))
    app = RagApp(Settings(index_dir=tmp_path))
    monkeypatch.setattr(app, "assistant_for", lambda model: fake)
    session = ChatSession()
    updates = list(_ask(app, session))
    states = [_state(u) for u in updates]
    assert states[0] == "retrieving" and states[1] == "generating" and states[-2] == "verifying" and states[-1] == "done"
    first = updates[0]  # the question is taken: the box empties, the last answer's citations and copy text go
    assert first.question == "" and first.citation_choices == [] and first.copy_text == ""
    assert first.outputs()[3] == {"__type__": "update", "choices": [], "value": None, "visible": False}  # picker hidden
    assert "How much?" in first.chat[-2]["content"]
    evidence = updates[1].evidence
    assert "&lt;script&gt;" in evidence and "<script" not in evidence  # evidence shown, escaped...
    assert "6.2" not in updates[1].chat[-1]["content"]  # ...before any answer text
    assert any("6.2 million" in u.chat[-1]["content"] for u in updates[2:-2])  # streamed
    assert all(u.evidence is KEEP for u in updates[2:-1])  # the evidence stays while the answer streams
    assert all(u.question is KEEP for u in updates[1:])  # what the user types meanwhile is left alone
    last = updates[-1]
    assert 'href="#rag-cite-1"' in last.chat[-1]["content"]
    assert last.citation_choices == [("[1] Library reopens (2025-10-06)", "1")]
    assert last.copy_text == final.with_references()
    assert session.answer is final and len(session.messages) == 2
    # Gradio gets the picker's choices, shown, nothing picked, and a no-op for every field left at KEEP.
    outputs = last.outputs()
    assert len(outputs) == len(fields(ChatUpdate))
    assert outputs[3] == {"__type__": "update", "choices": last.citation_choices, "value": None, "visible": True}
    assert outputs[6] == {"__type__": "update"}


def test_stop_ends_generation_and_keeps_partial_answer(monkeypatch, tmp_path):
    import ui.app as app_module

    monkeypatch.setattr(app_module, "STREAM_INTERVAL_S", 0.0)
    final = answer()
    streams = []

    def factory(q):
        streams.append(ScriptedStream(q, final.passages, [f"w{i} " for i in range(50)], final))
        return streams[-1]

    app = RagApp(Settings(index_dir=tmp_path))
    monkeypatch.setattr(app, "assistant_for", lambda model: StreamingAssistant(factory))
    session = ChatSession()
    updates = []
    for update in _ask(app, session):
        updates.append(update)
        if len(updates) == 4:
            app.stop(session)  # what the Stop button does, while the answer streams
    assert streams[0].cancelled.is_set() and len(streams[0].given) < 50
    assert _state(updates[-1]) == "stopped"
    assert "Stopped: this is the part written" in updates[-1].chat[-1]["content"]


def test_sessions_are_independent_and_reset(tmp_path):
    a = copy.deepcopy(ChatSession())  # what Gradio does per browser session
    b = copy.deepcopy(ChatSession())
    a.messages.append({"role": "user", "content": "x"})
    assert b.messages == [] and a.conversation is None
    fake = StreamingAssistant(lambda q: ScriptedStream(q, (), [], answer()))
    a.cancel()  # Stop pressed during retrieval: the stream is cancelled as soon as it exists
    a.begin()
    assert not a.stop_requested
    a.cancel()
    stream = a.start(fake, "q")
    assert stream.cancelled.is_set()
    epoch = a.epoch
    a.reset()
    assert a.epoch == epoch + 1 and a.messages == [] and a.conversation.resets == 1


def test_empty_question_and_bad_filter_are_messages(tmp_path):
    app = RagApp(Settings(index_dir=tmp_path))
    (update,) = list(_ask(app, ChatSession(), "  "))
    assert "Type a question" in update.status and update == ChatUpdate(status=update.status)  # nothing else changes
    updates = list(app.ask("q", ChatSession(), "small", 4, "yesterday", "", []))
    assert _state(updates[-1]) == "error" and "date like" in updates[-1].status
    assert "date like" in updates[-1].chat[-1]["content"]  # the reply says it too


def test_missing_index_is_explained(tmp_path):
    app = RagApp(Settings(index_dir=tmp_path / "none"))
    updates = list(app.ask("q", ChatSession(), "small", 4, "", "", []))
    assert _state(updates[-1]) == "error" and "rag index" in updates[-1].status
    view = app.refresh()
    assert "No documents to ask about" in view.summary and "rag index --sample --index" in view.summary
    assert view.offer_sample is True and view.document_choices == [] and view.source_choices == []
    assert view.outputs()[1] == {"__type__": "update", "visible": True}  # the sample row, shown


def test_new_conversation_empties_the_chat_tab_but_not_the_question_box(tmp_path):
    session = ChatSession()
    fake = StreamingAssistant(lambda q: ScriptedStream(q, (), [], answer()))
    session.start(fake, "q")
    session.messages = [{"role": "user", "content": "q"}]
    update = RagApp(Settings(index_dir=tmp_path)).new_conversation(session)
    assert update.chat == [] and update.citation_choices == [] and update.copy_text == ""
    assert "New conversation" in update.status and update.question is KEEP
    assert session.messages == [] and fake.conversations[0].resets == 1
    assert len(update.outputs(leave_out=("question",))) == len(fields(ChatUpdate)) - 1
    with pytest.raises(ValueError, match="question"):
        ChatUpdate(question="").outputs(leave_out=("question",))  # an event without the box cannot change it


def test_each_event_outputs_its_update_fields_in_order(tmp_path):
    """The wiring in build() follows the update types' field order (read from the app's Gradio config)."""
    demo = RagApp(Settings(index_dir=tmp_path / "index")).build()
    config = demo.get_config_file()
    elem_ids = {c["id"]: c["props"].get("elem_id") for c in config["components"]}
    events = {d["api_name"]: [elem_ids[o] for o in d["outputs"]] for d in config["dependencies"]}
    chat_tab = ["rag-chat", "rag-status", "rag-evidence", "rag-cite-picker", "rag-detail", "rag-copy", "rag-question"]
    assert [f.name for f in fields(ChatUpdate)] == ["chat", "status", "evidence", "citation_choices", "detail",
                                                    "copy_text", "question"]
    assert events["ask"] == events["ask_1"] == chat_tab  # the Ask button and Enter
    assert events["new_conversation"] == events["new_conversation_1"] == chat_tab[:-1]  # the button and the trash icon
    index_view = ["rag-summary", None, "rag-docs", "rag-remove-pick", "rag-sources"]  # None: the sample row
    assert [f.name for f in fields(IndexView)] == ["summary", "offer_sample", "documents", "document_choices",
                                                   "source_choices"]
    assert events["refresh"] == index_view
    assert events["add_files"] == ["rag-upload-report", *index_view, "rag-upload"]
    assert events["remove_document"] == ["rag-upload-report", *index_view]
    assert events["build_sample"] == [None, *index_view]  # the sample row's own report
    with pytest.raises(TypeError, match="question"):
        ChatUpdate.components(chat=1, status=2, evidence=3, citation_choices=4, detail=5, copy_text=6)


# ---- corpus management with a small fake embedder (real index, real files) -------------------
def test_upload_indexes_good_files_reports_bad_ones_and_remove_deletes_upload(tmp_path):
    settings = Settings(index_dir=tmp_path / "index")
    app = RagApp(settings, corpus=Assistant(settings, embedder=HashEmbedder()))
    incoming = tmp_path / "browser"
    incoming.mkdir()
    good = incoming / "otter.txt"
    good.write_text("Aquarium names otter\n20260115\nhttps://alderweekly.example/otter\nThe otter is called Marmalade.\n")
    hostile = incoming / "notes.md"
    hostile.write_text(f"---\ntitle: {EVIL}\n---\nSome notes about ferries.\n")
    binary = incoming / "junk.txt"
    binary.write_bytes(b"\x00\x01\x02binary" * 50)
    exe = incoming / "tool.exe"
    exe.write_bytes(b"MZ")

    added = app.add_files([str(good), str(hostile), str(binary), str(exe)])
    report, view = added.report, added.view
    assert "2 added" in report and "Skipped junk.txt" in report and "Rejected tool.exe" in report
    uploads = settings.index_dir / "uploads"
    assert sorted(p.name for p in uploads.iterdir()) == ["notes.md", "otter.txt"]  # unreadable upload not kept
    assert "2</strong> documents" in view.summary and view.offer_sample is False
    assert "&lt;script&gt;" in view.documents and "<script" not in view.documents
    assert view.source_choices == ["alderweekly.example"]
    assert added.outputs() == (report, *view.outputs())

    # The same upload again changes nothing and keeps one file.
    assert "0 added" in app.add_files([str(good)]).report and "1 unchanged" in app.add_files([str(good)]).report
    assert len(list(uploads.iterdir())) == 2
    assert app.add_files([]) == CorpusUpdate("", app.refresh())  # nothing picked: nothing to report

    otter = next(value for label, value in view.document_choices if "otter" in label.lower())
    removed = app.remove_document(otter)
    assert "Removed" in removed.report and "deleted" in removed.report
    assert not (uploads / "otter.txt").exists() and "1</strong> documents" in removed.view.summary
    assert "Pick a document" in app.remove_document(None).report


def test_build_sample_from_the_ui(tmp_path):
    settings = Settings(index_dir=tmp_path / "index")
    app = RagApp(settings, corpus=Assistant(settings, embedder=HashEmbedder()))
    built = app.build_sample()
    assert "14 added" in built.report and "14</strong> documents" in built.view.summary
    assert built.view.offer_sample is False and built.view.outputs()[1] == {"__type__": "update", "visible": False}
    # A user's own files are never deleted by "remove": only uploads are.
    doc = app.documents()[0]
    removed = app.remove_document(doc["doc_id"])
    assert "Removed" in removed.report and "deleted" not in removed.report and Path(doc["path"]).exists()


# ---- serving: localhost by default, a password when asked (and required off this machine) --------------
# The web-safety details (Host, Origin, headers, login limit, rag ui flags) are in test_web_security.py.
def test_exposure_warning_and_url():
    from ui.app import app_url, exposure_warning

    assert exposure_warning("127.0.0.1", None) is None and exposure_warning("localhost", None) is None
    refused = exposure_warning("0.0.0.0", None)  # start() refuses this; the message names both ways to a password
    assert "RAG_UI_PASSWORD" in refused and "--password-file" in refused
    note = exposure_warning("0.0.0.0", "pw")
    assert "password is required" in note and "--allow-host" in note and "paths are hidden" in note
    assert app_url("0.0.0.0", 7860) == "http://127.0.0.1:7860/" and app_url("::1", 80) == "http://[::1]:80/"


def test_password_protects_the_app(tmp_path):
    import socket
    import urllib.error
    import urllib.request

    from ui.app import start

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    running = start(Settings(index_dir=tmp_path / "index"), port=port, password="s3cret", quiet=True)
    try:
        assert running.url == f"http://127.0.0.1:{port}/"
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(running.url + "config", timeout=10)
        assert denied.value.code == 401

        def login(password, user="rag"):
            data = f"username={user}&password={password}".encode()
            request = urllib.request.Request(running.url + "login", data=data,
                                             headers={"Content-Type": "application/x-www-form-urlencoded"})
            try:
                return urllib.request.urlopen(request, timeout=10).status
            except urllib.error.HTTPError as exc:
                return exc.code

        # One wrong password or user name does not lock the user out (5 within a minute do).
        assert login("wrong") == 400 and login("s3cret", user="admin") == 400 and login("s3cret") == 200
    finally:
        running.close()


def test_stopped_answer_is_labelled():
    assert "Stopped: this is the part written" in render.answer_html(answer(), stopped=True)
    html = render.answer_html(answer(citations=[], abstained=True), stopped=True)
    assert "Stopped" in html and "Not found" not in html
