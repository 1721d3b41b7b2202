"""The failover timeline's PNG, read back with a reader of its own: the file is a valid PNG, the
failed requests are red where and only where they happened, the lanes change colour when the
state changes, and a window without requests or state changes still draws."""

import struct
import zlib

from hapair_harness.timeline import WIDTH, draw

BASE = 1_700_000_000.0  # times are epoch seconds


def read_png(path):
    """(width, height, rows of (r, g, b) pixels) of an 8-bit RGB PNG whose scanlines all use
    filter type 0; every chunk's CRC checked."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, offset = [], 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks.append((kind, body))
        offset += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour, compression, filtering, interlace) == (8, 2, 0, 0, 0)
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = 1 + width * 3
    assert len(raw) == stride * height
    rows = []
    for y in range(height):
        line = raw[y * stride:(y + 1) * stride]
        assert line[0] == 0, f"row {y} uses filter {line[0]}"
        rows.append([tuple(line[1 + 3 * x:4 + 3 * x]) for x in range(width)])
    return width, height, rows


def red(pixel):
    r, g, b = pixel
    return r > 180 and g < 90 and b < 90


def green(pixel):
    r, g, b = pixel
    return g > 150 and r < 120 and b < 120


def blue(pixel):
    r, g, b = pixel
    return b > 180 and r < 120 and g < 160


def x_of(layout, t, start, end):
    """The column of time t, worked out here from the plot's extent alone."""
    x0, x1 = layout["plot"]
    return x0 + (t - start) / (end - start) * (x1 - x0)


def test_failures_are_red_only_in_their_window_and_the_lanes_change_colour_at_the_change(tmp_path):
    # A request every 10 ms for 3 s; those from 1.0 s to 1.5 s fail. lb1 is MASTER until 2.0 s,
    # then BACKUP; lb2 is BACKUP throughout.
    requests = [(BASE + i * 0.01, not 100 <= i < 150) for i in range(300)]
    states = {"lb1": [(BASE - 5, "MASTER"), (BASE + 2.0, "BACKUP")], "lb2": [(BASE - 5, "BACKUP")]}
    start, end = BASE, BASE + 3.0
    path = tmp_path / "timeline.png"
    layout = draw(path, "crash of the MASTER, run 1", requests, states, start, end, marks=[(BASE + 1.0, "kill")])

    width, height, rows = read_png(path)
    assert (width, height) == layout["size"]
    assert width == WIDTH and 100 < height < 400
    top, middle, bottom = layout["requests"]
    x0, x1 = layout["plot"]

    failed_columns = {x for x in range(x0, x1) for y in range(middle, bottom) if red(rows[y][x])}
    first, last = x_of(layout, BASE + 1.0, start, end), x_of(layout, BASE + 1.5, start, end)
    assert failed_columns, "no failure drawn"
    assert first - 1 <= min(failed_columns) <= first + 1
    assert last - 2 <= max(failed_columns) <= last + 1
    assert len(failed_columns) >= (last - first) - 3  # the whole window, not a few columns of it
    # Nothing red in the plot but there: not in the upper half, not in the lanes.
    assert not any(red(rows[y][x]) for y in range(height) if not middle <= y < bottom for x in range(x0, x1))

    # Successes are green in the upper half before and after the window, not inside it.
    for t, ok in [(0.5, True), (1.25, False), (2.5, True)]:
        x = round(x_of(layout, BASE + t, start, end))
        assert all(green(rows[y][x]) == ok for y in range(top, middle)), t

    lb1_top, lb1_bottom = layout["lanes"]["lb1"]
    lb2_top, _unused = layout["lanes"]["lb2"]
    assert bottom <= lb1_top < lb1_bottom <= lb2_top
    change = x_of(layout, BASE + 2.0, start, end)
    row = rows[lb1_top + 2]  # above the state names written in the lane
    assert green(row[round(change) - 2]) and green(row[x0 + 60])
    assert blue(row[round(change) + 2]) and blue(row[x1 - 1])
    assert all(blue(rows[lb2_top + 2][x]) for x in range(x0, x1) if x != round(x_of(layout, BASE + 1.0, start, end)))


def test_no_requests_and_a_single_state_still_draw(tmp_path):
    path = tmp_path / "empty.png"
    layout = draw(str(path), "nothing sent", [], {"lb1": [(BASE, "MASTER")]}, BASE, BASE + 8.0)

    width, height, rows = read_png(path)
    assert (width, height) == layout["size"]
    top, _unused, bottom = layout["requests"]
    x0, x1 = layout["plot"]
    panel = [rows[y][x] for y in range(top, bottom) for x in range(x0, x1)]
    assert not any(red(p) or green(p) for p in panel)
    lane_top, _unused = layout["lanes"]["lb1"]
    assert all(green(rows[lane_top + 2][x]) for x in range(x0, x1))
