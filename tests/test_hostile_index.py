"""Hostile folders: symlinks out of the folder, two links to one file, an index inside the folder,
oversized metadata, a full disk, a corrupt or read-only store. Regression tests for the
"hostile folders" findings (docs/SECURITY.md); fast, with the hashing fake embedder."""

from __future__ import annotations

import os
import stat

import pytest

from index import CorpusIndex
from index.documents import MAX_TITLE_CHARS
from index.errors import IndexCorruptError, IndexFullError, IndexReadOnlyError
from index.loaders import supported_extensions
from tests.fakes import HashEmbedder

ARTICLE = "Harbour bridge opens\n20250601\nhttps://valleypost.example/bridge\nThe harbour bridge opens in June 2027.\n"


@pytest.fixture
def corpus(tmp_path):
    """A folder with one article, plus a secret file and a folder outside it."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "bridge.txt").write_text(ARTICLE)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("root:x:0:0 the secret outside the folder\n")
    (tmp_path / "passwd.txt").write_text("root:x:0:0:root:/root:/bin/bash\n")
    return folder


def _index(path):
    return CorpusIndex.open(path, HashEmbedder(), create=True)


def _paths(index):
    return sorted(d["path"] for d in index.documents())


def test_symlinks_leaving_the_folder_are_skipped_and_reported(tmp_path, corpus):
    (corpus / "passwd.txt").symlink_to(tmp_path / "passwd.txt")
    (corpus / "outside").symlink_to(tmp_path / "outside", target_is_directory=True)
    index = _index(tmp_path / "idx")
    report = index.index_paths([corpus])
    assert _paths(index) == [str(corpus / "bridge.txt")]
    reasons = {os.path.basename(s.path): s.reason for s in report.skipped}
    assert "leads outside the indexed folders" in reasons["passwd.txt"]
    assert "--follow-symlinks" in reasons["outside"]
    assert index.stats()["documents"] == 1


def test_follow_symlinks_indexes_them_and_pruning_drops_them_when_the_links_go(tmp_path, corpus):
    (corpus / "passwd.txt").symlink_to(tmp_path / "passwd.txt")
    (corpus / "outside").symlink_to(tmp_path / "outside", target_is_directory=True)
    index = _index(tmp_path / "idx")
    index.index_paths([corpus], follow_symlinks=True)
    assert len(index.documents()) == 3
    (corpus / "passwd.txt").unlink()
    (corpus / "outside").unlink()
    report = index.index_paths([corpus], follow_symlinks=True)
    assert len(report.removed) == 2
    assert _paths(index) == [str(corpus / "bridge.txt")]


def test_a_link_that_now_leads_outside_is_pruned(tmp_path, corpus):
    (corpus / "passwd.txt").symlink_to(tmp_path / "passwd.txt")
    index = _index(tmp_path / "idx")
    index.index_paths([corpus], follow_symlinks=True)
    report = index.index_paths([corpus])  # the default run: the link is outside, so it leaves the index
    assert len(report.removed) == 1
    assert _paths(index) == [str(corpus / "bridge.txt")]


def test_documents_from_another_root_are_not_pruned(tmp_path, corpus):
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.txt").write_text("A note about the ferry talks.\n")
    index = _index(tmp_path / "idx")
    index.index_paths([other])
    index.index_paths([corpus])
    assert len(index.documents()) == 2


def test_two_links_to_one_file_do_not_crash_and_index_it_once(tmp_path, corpus):
    target = tmp_path / "outside" / "secret.txt"
    (corpus / "a.txt").symlink_to(corpus / "bridge.txt")
    (corpus / "again").symlink_to(corpus, target_is_directory=True)
    index = _index(tmp_path / "idx")
    report = index.index_paths([corpus, target], follow_symlinks=True)
    assert sorted(os.path.basename(p) for p in _paths(index)) == ["bridge.txt", "secret.txt"]
    assert report.added and not [s for s in report.skipped if "UNIQUE" in s.reason]


def test_the_index_never_indexes_itself(tmp_path, corpus):
    index = _index(corpus / "idx")
    (corpus / "idx" / "conversations").mkdir()
    (corpus / "idx" / "conversations" / "c1.json").write_text('{"question": "earlier answer", "text": "the model said"}')
    (corpus / "idx" / "uploads").mkdir()
    (corpus / "idx" / "uploads" / "up.txt").write_text("an uploaded file\n")
    index.index_paths([corpus])
    assert _paths(index) == [str(corpus / "bridge.txt")]
    index.index_paths([corpus / "idx"])  # naming the index folder itself reads nothing either
    assert _paths(index) == [str(corpus / "bridge.txt")]


def test_titles_are_capped(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "long.md").write_text("---\ntitle: " + "T" * 100_000 + "\n---\nBody text here.\n")
    index = _index(tmp_path / "idx")
    index.index_paths([folder])
    (doc,) = index.documents()
    assert len(doc["title"]) == MAX_TITLE_CHARS


def test_progress_counts_files_not_records(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "records.jsonl").write_text("".join(f'{{"title": "r{i}", "text": "record number {i}"}}\n'
                                                  for i in range(300)))
    seen = []
    index = _index(tmp_path / "idx")
    index.index_paths([folder], progress=lambda p: seen.append((p.files_done, p.files_total)))
    assert seen and all(done <= total == 1 for done, total in seen)
    assert len(index.documents()) == 300


def test_upload_types_are_the_loaders_types():
    from ui.uploads import ALLOWED_EXTENSIONS

    assert {".odt", ".tsv", ".ndjson"} <= set(supported_extensions())
    assert set(ALLOWED_EXTENSIONS) == set(supported_extensions())


def test_a_full_disk_says_so_and_keeps_the_committed_index(tmp_path, corpus, monkeypatch):
    index = _index(tmp_path / "idx")
    index.index_paths([corpus])
    before = index.stats()["chunks"]
    big = tmp_path / "big"
    big.mkdir()
    (big / "long.txt").write_text("Long article\n\n" + "Paragraph with words about the bridge. " * 4000)
    with index.store.connection() as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # what a full disk looks like to SQLite
    with pytest.raises(IndexFullError, match="disk is full"):
        index.index_paths([big])
    with index.store.connection() as conn:
        conn.execute("PRAGMA max_page_count = 1073741823")
    assert index.stats()["chunks"] == before


def _corrupt(store_path):
    size = store_path.stat().st_size
    with open(store_path, "r+b") as fh:
        fh.seek(size // 2)
        fh.write(b"\xde\xad\xbe\xef" * 1024)
        fh.seek(100)
        fh.write(b"\xff" * 64)


def test_a_corrupt_store_is_exit_5(tmp_path, corpus):
    index = _index(tmp_path / "idx")
    index.index_paths([corpus])
    index.close()
    for leftover in ("store.sqlite-wal", "store.sqlite-shm"):
        (tmp_path / "idx" / leftover).unlink(missing_ok=True)
    _corrupt(tmp_path / "idx" / "store.sqlite")
    with pytest.raises(IndexCorruptError, match="corrupt|cannot be opened") as caught:
        CorpusIndex.open(tmp_path / "idx", HashEmbedder()).documents()
    assert caught.value.exit_code == 5


def test_a_read_only_index_is_searchable_and_refuses_writes(tmp_path, corpus):
    index = _index(tmp_path / "idx")
    index.index_paths([corpus])
    index.close()
    folder = tmp_path / "idx"
    # Root ignores file modes, so the read-only state is what os.access reports; emulate it.
    real_access = os.access
    ro = {str(folder), str(folder / "store.sqlite")}

    def access(path, mode, *a, **kw):
        if mode & os.W_OK and str(path) in ro:
            return False
        return real_access(path, mode, *a, **kw)

    try:
        os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        import index.store as store_module
        import index.corpus_index as ci_module

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(store_module.os, "access", access)
            mp.setattr(ci_module.os, "access", access)
            opened = CorpusIndex.open(folder, HashEmbedder())
            assert opened.store.read_only
            hits = opened.lexical_search("bridge", 3)
            assert hits
            with pytest.raises(IndexReadOnlyError, match="read-only"):
                opened.index_paths([corpus])
    finally:
        os.chmod(folder, 0o755)


def test_nothing_readable_leaves_no_empty_index_folder(tmp_path):
    from ui.cli import main

    target = tmp_path / "new-index"
    assert main(["index", str(tmp_path / "nonexistent"), "--index", str(target)]) == 7
    assert not target.exists()
