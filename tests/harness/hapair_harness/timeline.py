"""A failover timeline as a PNG: the requests through the VIP and each node's VRRP state over
time, for `make bench`. Standard library only (zlib, struct), so the benchmark needs no plotting
package: the picture is drawn into an RGB framebuffer with a built-in 5x7 font."""

from __future__ import annotations

import math
import statistics
import struct
import zlib

WIDTH = 960
LEFT = 100  # the left margin holds the row labels: node names, "ok", "failed"
RIGHT = 20
PLOT = WIDTH - LEFT - RIGHT  # one pixel column of the plot is one time bin
PANEL = 60  # the requests panel: successes in its upper half, failures in its lower half
LANE, LANE_GAP = 24, 8

WHITE = (255, 255, 255)
INK = (30, 30, 30)
AXIS = (110, 110, 110)
OK = (60, 180, 75)
FAILED = (220, 40, 40)
NONE_SENT = (200, 200, 200)  # a column in which no request was under way
QUIET = (245, 245, 245)  # the half of a column that has no success (or no failure)
NO_STATE = (235, 235, 235)  # a lane before its first known state
STATES = {
    "MASTER": (60, 180, 75),
    "BACKUP": (70, 130, 230),
    "FAULT": (245, 150, 40),
    "STOPPED": (140, 140, 140),
    "UNKNOWN": (185, 185, 185),
}

# The classic 5x7 font, printable ASCII from " " to "~": five columns a glyph, each column a byte
# whose bit 0 is the top row.
_GLYPHS = bytes.fromhex(
    "0000000000 00005f0000 0007000700 147f147f14 242a7f2a12 2313086462 3649552250 0005030000"
    "001c224100 0041221c00 082a1c2a08 08083e0808 0050300000 0808080808 0060600000 2010080402"
    "3e5149453e 00427f4000 4261514946 2141454b31 1814127f10 2745454539 3c4a494930 0171090503"
    "3649494936 064949291e 0036360000 0056360000 0814224100 1414141414 0041221408 0201510906"
    "3249794132 7e1111117e 7f49494936 3e41414122 7f4141221c 7f49494941 7f09090101 3e41415132"
    "7f0808087f 00417f4100 2040413f01 7f08142241 7f40404040 7f0204027f 7f0408107f 3e4141413e"
    "7f09090906 3e4151215e 7f09192946 4649494931 01017f0101 3f4040403f 1f2040201f 7f2018207f"
    "6314081463 0304780403 6151494543 007f414100 0204081020 0041417f00 0402010204 4040404040"
    "0001020400 2054545478 7f48444438 3844444420 384444487f 3854545418 087e090102 0c5252523e"
    "7f08040478 00447d4000 2040443d00 007f102844 00417f4000 7c04180478 7c08040478 3844444438"
    "7c14141408 081414187c 7c08040408 4854545420 043f444020 3c4040207c 1c2040201c 3c4030403c"
    "4428102844 0c5050503c 4464544c44 0008364100 00007f0000 0041360800 0804081008"
)
_BOX = bytes.fromhex("7f4141417f")  # drawn for any character the font lacks


class _Canvas:
    """An RGB framebuffer, a row of width * 3 bytes after another, and what draws on it."""

    def __init__(self, width, height):
        self.width, self.height = width, height
        self.pixels = bytearray(WHITE * (width * height))

    def rect(self, x0, y0, x1, y1, colour):
        """Fill the pixels x0 <= x < x1, y0 <= y < y1 (clipped to the canvas)."""
        x0, x1 = max(0, x0), min(self.width, x1)
        y0, y1 = max(0, y0), min(self.height, y1)
        if x0 >= x1:
            return
        run = bytes(colour) * (x1 - x0)
        for y in range(y0, y1):
            start = (y * self.width + x0) * 3
            self.pixels[start:start + len(run)] = run

    def row_block(self, x0, y0, y1, row):
        """Copy one row of pixels (bytes, 3 a pixel) starting at x0 into every line y0 <= y < y1."""
        for y in range(y0, y1):
            start = (y * self.width + x0) * 3
            self.pixels[start:start + len(row)] = row

    def text(self, x, y, string, colour=INK, scale=1):
        """Draw string with its top left corner at (x, y); return the x after it."""
        for char in string:
            code = ord(char)
            glyph = _GLYPHS[(code - 32) * 5:(code - 31) * 5] if 32 <= code < 127 else _BOX
            for column, bits in enumerate(glyph):
                for row in range(7):
                    if bits >> row & 1:
                        px, py = x + column * scale, y + row * scale
                        self.rect(px, py, px + scale, py + scale, colour)
            x += 6 * scale
        return x

    def png(self):
        """The canvas as a PNG file: 8-bit RGB, every scanline with filter type 0 (none)."""
        stride = self.width * 3
        raw = b"".join(b"\x00" + self.pixels[y * stride:(y + 1) * stride] for y in range(self.height))

        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6))
                + chunk(b"IEND", b""))


def text_width(string, scale=1):
    return 6 * scale * len(string) - scale if string else 0


def _fit(string, width):
    """string cut to fit width pixels of the 5x7 font."""
    return string[:max(0, (width + 1) // 6)]


def _tick_step(seconds):
    """A round tick interval that leaves at least 50 px between the tick labels."""
    for step in (0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600):
        if seconds / step <= PLOT / 50:
            return step
    return seconds / (PLOT / 50)


def _request_columns(requests, start, end):
    """Per plot column: (successes, failures) of the requests under way in it. A request stands
    for the time until the next one is due (the median spacing of the requests), so a steady
    probe fills every column even when a column is shorter than that spacing; a column in which
    no request was under way stays (0, 0)."""
    seconds = (end - start) / PLOT
    times = sorted({t for t, _unused in requests})
    gaps = [b - a for a, b in zip(times, times[1:])]
    spacing = statistics.median(gaps) if gaps else 0.0
    ok, failed = [0] * PLOT, [0] * PLOT
    for t, success in requests:
        if not start <= t < end:
            continue
        first = int((t - start) / seconds)
        last = max(first + 1, math.ceil((t + spacing - start) / seconds - 1e-9))
        counts = ok if success else failed
        for column in range(first, min(last, PLOT)):
            counts[column] += 1
    return ok, failed


def draw(path, title, requests, states, start, end, marks=()):
    """Write a failover timeline to path as a PNG, WIDTH pixels wide.

    requests: (t, ok) of each request through the VIP, t when it started; those outside
    [start, end) are neither drawn nor counted. states: {node: [(t, state), ...]} in time order,
    state MASTER, BACKUP, FAULT, STOPPED or UNKNOWN (anything else draws as UNKNOWN); the first
    entry is the state at or before start, each lasts until the next or end. marks: (t, label)
    drawn as dashed lines; the x axis counts seconds from the first mark given, else from start.
    Every time is on the same clock (seconds, usually epoch).

    Returns where the parts were drawn, for tests: {"size": (width, height), "plot": (x0, x1),
    "requests": (top, middle, bottom), "lanes": {node: (top, bottom)}}, x1 and bottoms exclusive."""
    if not end > start:
        raise ValueError(f"the window ends ({end}) before it starts ({start})")
    marks = list(marks)
    seconds = (end - start) / PLOT

    def x_of(t):
        return LEFT + round((t - start) / seconds)

    panel_top = 52
    lanes_top = panel_top + PANEL + 10
    axis_y = lanes_top + len(states) * (LANE + LANE_GAP) - LANE_GAP + 6
    legend_y = axis_y + 28
    canvas = _Canvas(WIDTH, legend_y + 18)
    layout = {"size": (canvas.width, canvas.height), "plot": (LEFT, LEFT + PLOT),
              "requests": (panel_top, panel_top + PANEL // 2, panel_top + PANEL), "lanes": {}}

    # The title at double size when it fits, else at normal size, cut to the width.
    scale = 2 if text_width(title, 2) <= WIDTH - 16 else 1
    canvas.text(8, 6, _fit(title, (WIDTH - 16) // scale), scale=scale)

    # The requests: per column, green above the middle if any succeeded, red below if any failed.
    ok, failed = _request_columns(requests, start, end)
    in_window = [success for t, success in requests if start <= t < end]
    sent_ok = sum(in_window)
    canvas.text(LEFT, 30, f"requests through the VIP: {sent_ok} ok, {len(in_window) - sent_ok} failed")
    x = canvas.text(LEFT + 330, 30, "grey: none under way ")
    canvas.rect(x, 30, x + 10, 37, NONE_SENT)
    upper, lower = bytearray(), bytearray()
    for good, bad in zip(ok, failed):
        sent = good or bad
        upper += bytes(OK if good else QUIET if sent else NONE_SENT)
        lower += bytes(FAILED if bad else QUIET if sent else NONE_SENT)
    middle = panel_top + PANEL // 2
    canvas.row_block(LEFT, panel_top, middle, upper)
    canvas.row_block(LEFT, middle, panel_top + PANEL, lower)
    canvas.text(LEFT - 8 - text_width("ok"), panel_top + PANEL // 4 - 3, "ok", OK)
    canvas.text(LEFT - 8 - text_width("failed"), middle + PANEL // 4 - 3, "failed", FAILED)

    # One lane a node, its states as runs of colour, named where the run is wide enough.
    for index, (node, changes) in enumerate(states.items()):
        top = lanes_top + index * (LANE + LANE_GAP)
        layout["lanes"][node] = (top, top + LANE)
        canvas.rect(LEFT, top, LEFT + PLOT, top + LANE, NO_STATE)
        label = _fit(node, LEFT - 16)
        canvas.text(LEFT - 8 - text_width(label), top + LANE // 2 - 3, label)
        for number, (t, state) in enumerate(changes):
            until = changes[number + 1][0] if number + 1 < len(changes) else end
            x0, x1 = max(LEFT, x_of(t)), min(LEFT + PLOT, x_of(until))
            if x0 >= x1:
                continue
            canvas.rect(x0, top, x1, top + LANE, STATES.get(state, STATES["UNKNOWN"]))
            if x1 - x0 >= text_width(state) + 8:
                canvas.text(x0 + 4, top + LANE // 2 - 3, state)

    # The marks: dashed lines across the requests and the lanes, their labels above the panel.
    for t, label in marks:
        if not start <= t <= end:
            continue
        x = min(x_of(t), LEFT + PLOT - 1)
        for y in range(panel_top - 4, axis_y, 7):
            canvas.rect(x, y, x + 1, min(y + 4, axis_y), INK)
        canvas.text(x + 3, 42, _fit(label, LEFT + PLOT - x))

    # The x axis: seconds from the first mark (or from start), a labelled tick every step.
    origin, name = (marks[0][0], marks[0][1]) if marks else (start, "start")
    canvas.rect(LEFT, axis_y, LEFT + PLOT, axis_y + 1, AXIS)
    step = _tick_step(end - start)
    decimals = next((d for d in range(4) if abs(round(step, d) - step) < 1e-9), 3)
    for k in range(math.ceil((start - origin) / step - 1e-9), math.floor((end - origin) / step + 1e-9) + 1):
        x = min(x_of(origin + k * step), LEFT + PLOT - 1)
        canvas.rect(x, axis_y, x + 1, axis_y + 5, AXIS)
        value = f"{k * step:.{decimals}f}" if k else "0"
        canvas.text(x - text_width(value) // 2, axis_y + 9, value)
    # The unit, in the margin clear of the first tick's label.
    caption = f"s, 0 = {name}"
    caption = caption if text_width(caption) <= LEFT - 32 else "s"
    canvas.text(LEFT - 24 - text_width(caption), axis_y + 9, caption)

    # The legend of the state colours.
    x = LEFT
    for state, colour in STATES.items():
        canvas.rect(x, legend_y, x + 14, legend_y + 7, colour)
        x = canvas.text(x + 18, legend_y, state) + 14

    with open(path, "wb") as handle:
        handle.write(canvas.png())
    return layout
