"""Helpers for the example scripts: a progress bar around a DataLoader, evaluation, and a PNG of the curves.

They keep the seed's own training code untouched: wrap the loader once, and the seed's unchanged
``for images, labels in trainloader:`` loop shows a per-epoch progress bar on stderr with the running
loss (read through a callable, since the loop assigns ``loss`` itself) and the throughput::

    trainloader = ProgressLoader(trainloader, loss_fn=lambda: globals().get("loss"), epochs=5)
    ...                                   # the seed's loop, as written
    history = trainloader.history         # {"epoch": [...], "train_loss": [...], ...}
    history["test_acc"].append(evaluate(model, testloader, device))
    plot_curves(history, "curves.png")

tqdm draws the bar when it is installed; otherwise a carriage-return text bar does. Nothing here needs
matplotlib: the plot is drawn with Pillow's ImageDraw.
"""
import math
import sys
import time

__all__ = ["ProgressLoader", "evaluate", "plot_curves"]

try:  # optional
    from tqdm import tqdm as _tqdm
except ImportError:  # pragma: no cover - depends on the environment
    _tqdm = None


def _as_float(v):
    """A loss as a Python float: a 0-d/1-element tensor (ember or torch), a NumPy scalar or a number."""
    if v is None:
        return None
    item = getattr(v, "item", None)
    try:
        return float(item()) if callable(item) else float(v)
    except (TypeError, ValueError):
        return None


def _batch_size(batch):
    """Number of samples in a batch: the leading size of its first tensor (or the batch's len)."""
    first = batch
    while isinstance(first, (tuple, list)) and first:
        first = first[0]
    if isinstance(first, dict) and first:
        first = next(iter(first.values()))
    shape = getattr(first, "shape", None)
    if shape is not None and len(shape):
        return int(shape[0])
    try:
        return len(first)
    except TypeError:
        return 1


class _TextBar:
    """A minimal progress bar on one line, redrawn with a carriage return (at most ~10 times a second)."""

    def __init__(self, total, desc, file, width=30, min_interval=0.1):
        self.total, self.desc, self.file, self.width = total, desc, file, width
        self.min_interval = min_interval
        self.n = 0
        self.postfix = ""
        self._last = -math.inf
        self._len = 0

    def update(self, n, postfix):
        self.n, self.postfix = n, postfix
        now = time.perf_counter()
        if now - self._last >= self.min_interval or (self.total and n >= self.total):
            self._last = now
            self._draw()

    def _draw(self):
        if self.total:
            frac = min(self.n / self.total, 1.0)
            filled = int(round(frac * self.width))
            bar = f"{self.desc} {100 * frac:3.0f}%|{'#' * filled}{'.' * (self.width - filled)}| " \
                  f"{self.n}/{self.total}"
        else:
            bar = f"{self.desc} {self.n} it"
        line = f"{bar} {self.postfix}"
        pad = " " * max(self._len - len(line), 0)
        self._len = len(line)
        self.file.write("\r" + line + pad)
        self.file.flush()

    def close(self, postfix):
        self.postfix = postfix
        self._draw()
        self.file.write("\n")
        self.file.flush()


class ProgressLoader:
    """Wraps an iterable of batches (a DataLoader); each ``iter()`` is one epoch with its own progress bar.

    Args:
        loader: the DataLoader (or any re-iterable of batches); ``len(loader)`` sets the bar's total
            when it has one. Other attributes (``dataset``, ``batch_size``...) pass through.
        loss_fn: callable returning the most recent loss (a tensor or a number, or None), e.g.
            ``lambda: globals().get("loss")``. It is read each time the next batch is requested, i.e.
            after the loop body has computed the previous batch's loss, and once more at the epoch's end.
            A value is recorded only when the object changes, so the last loss of one epoch is never
            counted again in the next.
        epoch_fn: optional callable returning the current epoch number shown on the bar (by default
            the wrapper counts epochs from 1).
        epochs: optional total number of epochs, shown as ``Epoch 3/5``.
        file: where the bar goes (default ``sys.stderr``).
        use_tqdm: use tqdm when installed (default True).
        on_epoch_end: optional callable taking ``history``, run after each completed epoch (before the
            loop's own end-of-epoch code), e.g. to evaluate on the test set.

    After every completed epoch ``history`` holds ``epoch``, ``train_loss`` (mean of the recorded
    batch losses), ``samples``, ``seconds`` and ``samples_per_s``; ``test_acc`` is left for the caller
    (``evaluate(..., history=loader.history)`` appends to it).
    """

    def __init__(self, loader, loss_fn=None, epoch_fn=None, epochs=None, file=None, use_tqdm=True,
                 on_epoch_end=None):
        self.loader = loader
        self.on_epoch_end = on_epoch_end
        self.loss_fn = loss_fn
        self.epoch_fn = epoch_fn
        self.epochs = epochs
        self.file = file
        self.use_tqdm = use_tqdm and _tqdm is not None
        self.history = {"epoch": [], "train_loss": [], "test_acc": [], "samples": [], "seconds": [],
                        "samples_per_s": []}
        self._count = 0
        self.last_postfix = ""

    def __len__(self):
        return len(self.loader)

    def __getattr__(self, name):
        if name == "loader":  # not yet set (e.g. during unpickling)
            raise AttributeError(name)
        return getattr(self.loader, name)

    def _read_loss(self):
        return self.loss_fn() if self.loss_fn is not None else None

    def __iter__(self):
        self._count += 1
        epoch = self.epoch_fn() if self.epoch_fn is not None else self._count
        desc = f"Epoch {epoch}" + (f"/{self.epochs}" if self.epochs else "")
        file = self.file if self.file is not None else sys.stderr
        try:
            total = len(self.loader)
        except TypeError:
            total = None
        if self.use_tqdm:
            bar = _tqdm(total=total, desc=desc, file=file, unit="batch", leave=True, dynamic_ncols=True)
        else:
            bar = _TextBar(total, desc, file)

        prev = self._read_loss()  # whatever is left over from before this epoch is not counted
        losses = []
        samples = n = 0
        t0 = time.perf_counter()

        def postfix():
            elapsed = max(time.perf_counter() - t0, 1e-9)
            text = f"loss={losses[-1]:.4f}" if losses else "loss=n/a"
            if len(losses) > 1:
                text += f" (avg {sum(losses) / len(losses):.4f})"
            return f"{text} {samples / elapsed:,.1f} samples/s"

        def record():
            nonlocal prev
            cur = self._read_loss()
            if cur is not None and cur is not prev:
                v = _as_float(cur)
                if v is not None:
                    losses.append(v)
            prev = cur

        completed = False
        try:
            for batch in self.loader:
                if n:
                    record()
                    self.last_postfix = postfix()
                    if self.use_tqdm:
                        bar.set_postfix_str(self.last_postfix, refresh=False)
                        bar.update(1)
                    else:
                        bar.update(n, self.last_postfix)
                n += 1
                samples += _batch_size(batch)
                yield batch
            completed = True
        finally:
            # the loop body of the last batch has run when the for loop asks for the next one
            if completed and n:
                record()
            elapsed = max(time.perf_counter() - t0, 1e-9)
            self.last_postfix = postfix()
            if self.use_tqdm:
                bar.set_postfix_str(self.last_postfix, refresh=False)
                bar.update(1 if completed and n else 0)
                bar.close()
            else:
                bar.n = n if completed else bar.n
                bar.close(self.last_postfix)
            if completed:
                h = self.history
                h["epoch"].append(epoch)
                h["train_loss"].append(sum(losses) / len(losses) if losses else float("nan"))
                h["samples"].append(samples)
                h["seconds"].append(elapsed)
                h["samples_per_s"].append(samples / elapsed)
                if self.on_epoch_end is not None:
                    self.on_epoch_end(h)


def evaluate(model, loader, device=None, history=None):
    """Top-1 accuracy (a float in [0, 1]) of ``model`` over ``loader``'s (inputs, labels) batches.

    The model runs in eval mode under no_grad; its previous train/eval mode is restored afterwards.
    With ``history`` (a dict such as ``ProgressLoader.history``) the accuracy is also appended to
    ``history["test_acc"]``.
    """
    import ember

    was_training = model.training
    model.eval()
    correct = total = 0
    try:
        with ember.no_grad():
            for inputs, labels in loader:
                if device is not None:
                    inputs, labels = inputs.to(device), labels.to(device)
                predicted = model(inputs).argmax(dim=1)
                correct += int((predicted == labels).sum().item())
                total += int(labels.shape[0])
    finally:
        model.train(was_training)
    acc = correct / total if total else float("nan")
    if history is not None:
        history.setdefault("test_acc", []).append(acc)
    return acc


# ---------------------------------------------------------------------------------------- plotting
_LOSS_COLOR = (31, 119, 180)
_ACC_COLOR = (214, 39, 40)
_GRID = (225, 225, 225)
_AXIS = (40, 40, 40)


def _font(size):
    from PIL import ImageFont
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1, or no FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _nice_ticks(lo, hi, n=5):
    """About n round tick values covering [lo, hi] (1, 2, 2.5 or 5 times a power of ten apart)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.0, 1.0
    if hi - lo < 1e-12:
        pad = abs(hi) * 0.05 or 0.5
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step + 1e-9) * step
    stop = math.ceil(hi / step - 1e-9) * step
    count = int(round((stop - start) / step))
    return [start + i * step for i in range(count + 1)], step


def _fmt(v, step):
    if step >= 1 and abs(v) < 1e6:
        return f"{v:.0f}"
    digits = max(0, -int(math.floor(math.log10(step))) + (1 if step * 10 ** -math.floor(math.log10(step)) == 2.5
                                                             else 0))
    return f"{v:.{digits}f}"


def _text_size(draw, text, font):
    box = draw.textbbox((0, 0), text, font=font)
    return box[2] - box[0], box[3] - box[1]


def _panel(img, draw, box, xs, ys, title, ylabel, color, label, fonts, percent=False):
    """One line chart inside ``box`` = (left, top, right, bottom): frame, grid, ticks, labels, legend."""
    from PIL import Image, ImageDraw
    f_title, f_label, f_tick = fonts
    left, top, right, bottom = box
    tw, th = _text_size(draw, title, f_title)
    draw.text(((left + right - tw) // 2, top), title, fill=_AXIS, font=f_title)

    pts = [(x, y) for x, y in zip(xs, ys) if y is not None and math.isfinite(y)]
    yvals = [y * (100 if percent else 1) for _, y in pts]
    if percent:
        lo, hi = (min(yvals), max(yvals)) if yvals else (0.0, 100.0)
        lo, hi = max(0.0, lo - 0.1 * (hi - lo or 10)), min(100.0, hi + 0.1 * (hi - lo or 10))
    else:
        lo, hi = (min(yvals), max(yvals)) if yvals else (0.0, 1.0)
        span = hi - lo or abs(hi) * 0.1 or 1.0
        lo, hi = lo - 0.05 * span, hi + 0.05 * span
    yticks, ystep = _nice_ticks(lo, hi)
    ylo, yhi = yticks[0], yticks[-1]
    xs_all = list(xs) or [1]
    xlo, xhi = min(xs_all), max(xs_all)
    if xhi == xlo:
        xlo, xhi = xlo - 1, xhi + 1
    xticks, xstep = _nice_ticks(xlo, xhi, n=min(8, int(xhi - xlo) + 1))
    xticks = [t for t in xticks if xlo - 1e-9 <= t <= xhi + 1e-9] or [xlo, xhi]

    tick_w = max(_text_size(draw, _fmt(t, ystep), f_tick)[0] for t in yticks)
    _, lh = _text_size(draw, "Ag", f_label)
    # plot area
    pl = left + lh + 12 + tick_w + 8
    pt = top + th + 14
    pr = right - 10
    pb = bottom - (lh + 2 * _text_size(draw, "0", f_tick)[1] + 14)

    def sx(x):
        return pl + (x - xlo) / (xhi - xlo) * (pr - pl)

    def sy(y):
        return pb - (y - ylo) / (yhi - ylo) * (pb - pt)

    for t in yticks:
        y = sy(t)
        draw.line([(pl, y), (pr, y)], fill=_GRID)
        draw.line([(pl - 5, y), (pl, y)], fill=_AXIS, width=1)
        s = _fmt(t, ystep)
        w, h = _text_size(draw, s, f_tick)
        draw.text((pl - 8 - w, y - h / 2 - 2), s, fill=_AXIS, font=f_tick)
    for t in xticks:
        x = sx(t)
        draw.line([(x, pt), (x, pb)], fill=_GRID)
        draw.line([(x, pb), (x, pb + 5)], fill=_AXIS, width=1)
        s = _fmt(t, max(xstep, 1))
        w, h = _text_size(draw, s, f_tick)
        draw.text((x - w / 2, pb + 8), s, fill=_AXIS, font=f_tick)
    draw.rectangle([pl, pt, pr, pb], outline=_AXIS, width=1)

    # axis labels: x below, y rotated on the left
    w, h = _text_size(draw, "epoch", f_label)
    draw.text(((pl + pr - w) / 2, bottom - lh - 4), "epoch", fill=_AXIS, font=f_label)
    w, h = _text_size(draw, ylabel, f_label)
    tmp = Image.new("RGBA", (w + 4, lh + 6), (255, 255, 255, 0))
    ImageDraw.Draw(tmp).text((2, 0), ylabel, fill=_AXIS + (255,), font=f_label)
    tmp = tmp.rotate(90, expand=True)
    img.paste(tmp, (left, int((pt + pb - tmp.size[1]) / 2)), tmp)

    # the curve with markers
    xy = [(sx(x), sy(y * (100 if percent else 1))) for x, y in pts]
    if len(xy) > 1:
        draw.line(xy, fill=color, width=3, joint="curve")
    for x, y in xy:
        draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=color, outline=(255, 255, 255))
    if not xy:
        s = "no data"
        w, h = _text_size(draw, s, f_label)
        draw.text(((pl + pr - w) / 2, (pt + pb - h) / 2), s, fill=(150, 150, 150), font=f_label)

    # legend (upper right inside the plot area, or lower right for a rising accuracy curve)
    lw, lh2 = _text_size(draw, label, f_tick)
    bw, bh = lw + 40, lh2 + 14
    bx = pr - bw - 8
    by = pb - bh - 8 if percent else pt + 8
    draw.rectangle([bx, by, bx + bw, by + bh], fill=(255, 255, 255), outline=(160, 160, 160))
    cy = by + bh / 2
    draw.line([(bx + 6, cy), (bx + 26, cy)], fill=color, width=3)
    draw.ellipse([bx + 12, cy - 3, bx + 20, cy + 3], fill=color)
    draw.text((bx + 32, by + (bh - lh2) / 2 - 2), label, fill=_AXIS, font=f_tick)


def plot_curves(history, path, size=(1000, 420), title=None):
    """Write a PNG with two panels: the training loss and the test accuracy per epoch.

    ``history`` is a dict (or anything with a ``history`` dict, such as a ProgressLoader) with
    ``train_loss`` and optionally ``test_acc`` (fractions in [0, 1], shown in percent) and ``epoch``
    (defaults to 1, 2, ...). Drawn with Pillow only. Returns ``path``.
    """
    from PIL import Image, ImageDraw

    if not isinstance(history, dict):
        history = history.history
    loss = [_as_float(v) for v in history.get("train_loss", [])]
    acc = [_as_float(v) for v in history.get("test_acc", [])]
    epochs = list(history.get("epoch") or range(1, max(len(loss), len(acc)) + 1))
    if len(epochs) < max(len(loss), len(acc)):
        epochs += list(range(len(epochs) + 1, max(len(loss), len(acc)) + 1))

    width, height = size
    img = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    scale = height / 420
    fonts = (_font(int(18 * scale)), _font(int(15 * scale)), _font(int(13 * scale)))
    top = 8
    if title:
        tw, th = _text_size(draw, title, fonts[0])
        draw.text(((width - tw) // 2, top), title, fill=_AXIS, font=fonts[0])
        top += th + 14
    half = width // 2
    _panel(img, draw, (10, top, half - 10, height - 8), epochs[:len(loss)], loss, "Training loss",
           "loss", _LOSS_COLOR, "train loss (epoch mean)", fonts)
    _panel(img, draw, (half + 10, top, width - 10, height - 8), epochs[:len(acc)], acc, "Test accuracy",
           "accuracy (%)", _ACC_COLOR, "test accuracy", fonts, percent=True)
    img.save(path, format="PNG")
    return path
