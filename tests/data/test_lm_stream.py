import pytest
import torch

from seqlab.data.lm_stream import LMStream, batchify, stream_rows


def test_batchify_is_contiguous_per_row():
    ids = torch.arange(26)
    data = batchify(ids, 4)  # 26 // 4 = 6 columns; 2 tokens dropped
    assert data.shape == (4, 6)
    assert data[1].tolist() == [6, 7, 8, 9, 10, 11]


def test_windows_shift_by_one_and_continue():
    stream = LMStream(torch.arange(40), batch_size=2, bptt=6)  # rows of 20
    assert len(stream) == 4  # 19 predictions per row -> windows of 6, 6, 6, 1
    x0, y0 = stream.window(0)
    x1, _ = stream.window(1)
    assert torch.equal(y0[:, :-1], x0[:, 1:])
    assert torch.equal(y0[:, -1], x1[:, 0])  # the next window continues the stream
    x3, y3 = stream.window(3)
    assert x3.shape == (2, 1) and y3[0].item() == 19
    covered = torch.cat([stream.window(i)[1] for i in range(len(stream))], 1)
    assert covered.numel() == stream.num_tokens()
    with pytest.raises(IndexError):
        stream.window(4)


def test_ranks_split_rows_evenly():
    assert stream_rows(8, 0, 2) == slice(0, 4) and stream_rows(8, 1, 2) == slice(4, 8)
    with pytest.raises(ValueError):
        stream_rows(7, 0, 2)
