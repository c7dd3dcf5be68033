import os

import pytest

from index import load_path
from index.loaders import parse_news, read_text_file

SEED = "Putin says West taking Russias red lines too lightly\n20211118\nhttps://bdnews24.com/world/x\nPara one. Two.\nPara two.\n"


def test_news_format(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text(SEED)
    docs, skipped = load_path([tmp_path])
    assert skipped == []
    (doc,) = docs
    assert doc.title.startswith("Putin says")
    assert doc.date == "2021-11-18"
    assert doc.url == "https://bdnews24.com/world/x"
    assert doc.source == "bdnews24.com"
    assert doc.text == open(f, encoding="utf-8").read()
    assert doc.text[doc.body_start:].startswith("Para one.")


def test_plain_text_when_header_does_not_match(tmp_path):
    (tmp_path / "notes.txt").write_text("Just some notes\nwithout a date line\nand more text.\n")
    (doc,), _ = load_path([tmp_path])
    assert doc.date is None and doc.title == "Just some notes" and doc.body_start == 0


def test_bad_date_is_not_news():
    assert parse_news("T\n20211340\nhttps://x.example/\nbody", "p", "id") is None


def test_markdown_front_matter(tmp_path):
    (tmp_path / "fact.md").write_text("---\ntitle: Council facts\ndate: 2025-10-02\nurl: https://city.example/facts\n---\n# Heading\nBody text here.\n")
    (doc,), _ = load_path([tmp_path])
    assert doc.title == "Council facts" and doc.date == "2025-10-02" and doc.source == "city.example"
    assert doc.text[doc.body_start:].lstrip().startswith("# Heading")


def test_bad_files_are_reported_and_rest_indexed(tmp_path):
    (tmp_path / "good.txt").write_text(SEED)
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    docs, skipped = load_path([tmp_path, tmp_path / "missing"])
    assert [d.title[:5] for d in docs] == ["Putin"]
    reasons = {os.path.basename(s.path): s.reason for s in skipped}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "unsupported" in reasons["image.png"]
    assert "no such" in reasons["missing"]


def test_cp1252_and_crlf_decode_like_open(tmp_path):
    f = tmp_path / "legacy.txt"
    f.write_bytes("Caf\xe9 news\r\n20200101\r\nhttps://x.example/\r\nPrice \x80 5.\r\n".encode("latin-1"))
    text = read_text_file(f)
    assert text == open(f, encoding="cp1252").read()
    assert "€" in text


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loop_terminates(tmp_path):
    sub = tmp_path / "a"
    sub.mkdir()
    (sub / "doc.txt").write_text(SEED)
    os.symlink(tmp_path, sub / "loop")
    docs, _ = load_path([tmp_path])
    assert len(docs) == 1
