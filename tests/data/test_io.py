import gzip

import pytest

from seqlab.data.io import iter_lines, read_text
from seqlab.errors import SeqlabError


def test_missing_empty_and_directory(tmp_path):
    with pytest.raises(SeqlabError, match="no such file"):
        read_text(tmp_path / "nope.txt")
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(SeqlabError, match="is empty"):
        read_text(tmp_path / "empty.txt")
    with pytest.raises(SeqlabError, match="is a directory"):
        read_text(tmp_path)


def test_invalid_utf8_names_line_and_byte(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"fine\nalso fine\nbro\xffken\n")
    with pytest.raises(SeqlabError) as e:
        read_text(p)
    msg = str(e.value)
    assert f"{p}:3:" in msg and "byte 18" in msg and "--encoding" in msg and "\n" not in msg
    with pytest.raises(SeqlabError, match=r":3: invalid utf-8 at byte 18"):
        list(iter_lines(p))
    assert read_text(p, encoding="latin-1").endswith("bro\xffken\n")


def test_gzip_and_unicode(tmp_path):
    p = tmp_path / "t.txt.gz"
    with gzip.open(p, "wt", encoding="utf-8") as f:
        f.write("안녕하세요\nbonjour à tous\n")
    assert list(iter_lines(p)) == ["안녕하세요", "bonjour à tous"]
    assert read_text(p).startswith("안녕")
