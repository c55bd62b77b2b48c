"""torchvision.datasets.utils: checksums, downloads, archive extraction, local mirrors.

The public functions follow torchvision (``calculate_md5``, ``check_md5``, ``check_integrity``,
``download_url``, ``download_and_extract_archive``, ``extract_archive``, ``list_dir``, ``list_files``,
``verify_str_arg``). Differences, all on failure paths or safety:

* a checksum mismatch after a download raises ``RuntimeError("File not found or corrupted. ...")``
  naming the file and both MD5s (torchvision's message names neither);
* downloads go to ``<file>.part`` and are renamed only when complete, so an interrupted download
  never leaves a truncated file under the final name;
* tar archives are extracted with the ``"data"`` filter (no absolute paths, no ``..``, no links
  out of the destination, no device files); zip members are checked the same way.

Local mirrors
-------------
Before any network download the datasets look for their files locally:

1. ``EMBER_DATASETS_MIRROR`` (environment variable, read at download time): one or more prefixes,
   separated by whitespace or ``;``; each is a directory, a ``file://`` URL or an ``http(s)://`` URL
   prefix. A file ``name`` of dataset ``Cls`` is looked up as ``<prefix>/Cls/name`` and then
   ``<prefix>/name``; a candidate whose MD5 does not match is skipped (with a warning), and the next one
   is tried;
2. :data:`LOCAL_MIRRORS`: a module-level dict ``{dataset class name: [directories]}`` of directories
   that operating systems install datasets into (Debian's ``dataset-fashion-mnist`` package puts the
   Fashion-MNIST ``.gz`` files in ``/usr/share/datasets/fashion-mnist``). Add entries to it, or clear
   it, as needed.

A local file is accepted when its MD5 equals torchvision's, or, for a ``.gz`` file, when the MD5 of its
*decompressed* content equals the known MD5 of the raw file (Debian recompresses the archives, so the
``.gz`` checksums differ while the IDX data inside are byte-identical to the originals).
"""
import bz2
import gzip
import hashlib
import lzma
import os
import os.path
import pathlib
import shutil
import sys
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
import zlib

__all__ = ["calculate_md5", "check_md5", "check_integrity", "download_url", "download_and_extract_archive",
           "extract_archive", "list_dir", "list_files", "verify_str_arg", "iterable_to_str", "LOCAL_MIRRORS",
           "MIRROR_ENV", "mirror_prefixes"]

USER_AGENT = "pytorch/vision"

MIRROR_ENV = "EMBER_DATASETS_MIRROR"

#: Directories the OS installs datasets into, per dataset class name (searched before any download).
LOCAL_MIRRORS = {
    "FashionMNIST": ["/usr/share/datasets/fashion-mnist"],
}


# ----------------------------------------------------------------------------------------- checksums
def calculate_md5(fpath, chunk_size=1024 * 1024):
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath, md5, **kwargs):
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath, md5=None):
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


# ----------------------------------------------------------------------------------------- progress
class _Progress:
    """tqdm when it is importable, else one self-overwriting line on stderr."""

    def __init__(self, total, desc=""):
        self.total = total if total and total > 0 else None
        self.n = 0
        self._bar = None
        self._last = 0.0
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            self._bar = tqdm(total=self.total, unit="B", unit_scale=True, desc=desc)
        self.desc = desc

    def update(self, k):
        self.n += k
        if self._bar is not None:
            self._bar.update(k)
            return
        now = time.monotonic()
        if now - self._last >= 0.2:
            self._last = now
            self._line()

    def _line(self):
        if self.total:
            pct = 100.0 * self.n / self.total
            filled = int(pct // 4)
            sys.stderr.write(f"\r{self.desc} [{'#' * filled}{'.' * (25 - filled)}] {pct:5.1f}% "
                             f"{_fmt_bytes(self.n)}/{_fmt_bytes(self.total)}")
        else:
            sys.stderr.write(f"\r{self.desc} {_fmt_bytes(self.n)}")
        sys.stderr.flush()

    def close(self):
        if self._bar is not None:
            self._bar.close()
            return
        self._line()
        sys.stderr.write("\n")
        sys.stderr.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _fmt_bytes(n):
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1000.0


# ----------------------------------------------------------------------------------------- download
def _urlretrieve(url, filename, chunk_size=1024 * 32):
    """Stream ``url`` into ``filename`` (through ``filename.part``), with a progress bar."""
    part = os.fspath(filename) + ".part"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": USER_AGENT})) as response:
            total = getattr(response, "length", None)
            with open(part, "wb") as fh, _Progress(total, desc=os.path.basename(os.fspath(filename))) as pbar:
                while chunk := response.read(chunk_size):
                    fh.write(chunk)
                    pbar.update(len(chunk))
        os.replace(part, filename)
    finally:
        if os.path.exists(part):
            os.remove(part)


def _corrupted(fpath, md5):
    actual = calculate_md5(fpath) if os.path.isfile(fpath) else None
    if actual is None:
        return RuntimeError(f"File not found or corrupted. {fpath} does not exist after the download.")
    return RuntimeError(f"File not found or corrupted. The MD5 checksum of {fpath} is {actual}, "
                        f"expected {md5}.")


def download_url(url, root, filename=None, md5=None, max_redirect_hops=3):
    """Download a file from a url and place it in root.

    Args:
        url (str): URL to download file from
        root (str): Directory to place downloaded file in
        filename (str, optional): Name to save the file under. If None, use the basename of the URL
        md5 (str, optional): MD5 checksum of the download. If None, do not check
        max_redirect_hops (int, optional): accepted for torchvision compatibility (urllib follows redirects)
    """
    root = os.path.expanduser(root)
    if not filename:
        filename = os.path.basename(urllib.parse.urlparse(url).path) or os.path.basename(url)
    fpath = os.fspath(os.path.join(root, filename))
    os.makedirs(root, exist_ok=True)

    if check_integrity(fpath, md5):  # already there
        return

    try:
        _urlretrieve(url, fpath)
    except (urllib.error.URLError, OSError) as e:
        if url[:5] == "https":
            url = url.replace("https:", "http:")
            _urlretrieve(url, fpath)
        else:
            raise e

    if not check_integrity(fpath, md5):
        raise _corrupted(fpath, md5)


def list_dir(root, prefix=False):
    """List all directories at a given root (with the root prepended when ``prefix``)."""
    root = os.path.expanduser(root)
    directories = [p for p in os.listdir(root) if os.path.isdir(os.path.join(root, p))]
    if prefix is True:
        directories = [os.path.join(root, d) for d in directories]
    return directories


def list_files(root, suffix, prefix=False):
    """List all files at a given root whose names end with ``suffix`` (a str or a tuple of str)."""
    root = os.path.expanduser(root)
    files = [p for p in os.listdir(root) if os.path.isfile(os.path.join(root, p)) and p.endswith(suffix)]
    if prefix is True:
        files = [os.path.join(root, d) for d in files]
    return files


# ----------------------------------------------------------------------------------------- extraction
def _extract_tar(from_path, to_path, compression):
    with tarfile.open(from_path, f"r:{compression[1:]}" if compression else "r") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(to_path, filter="data")
        else:  # pragma: no cover - Python without extraction filters
            dest = os.path.realpath(to_path)
            for m in tar.getmembers():
                target = os.path.realpath(os.path.join(dest, m.name))
                if not (m.isfile() or m.isdir()) or os.path.commonpath([dest, target]) != dest:
                    raise RuntimeError(f"Refusing to extract {m.name!r} from {from_path}")
            tar.extractall(to_path)


_ZIP_COMPRESSION_MAP = {
    ".bz2": zipfile.ZIP_BZIP2,
    ".xz": zipfile.ZIP_LZMA,
}


def _extract_zip(from_path, to_path, compression):
    with zipfile.ZipFile(from_path, "r",
                         compression=_ZIP_COMPRESSION_MAP[compression] if compression else zipfile.ZIP_STORED) as zf:
        dest = os.path.realpath(to_path)
        for name in zf.namelist():
            target = os.path.realpath(os.path.join(dest, name))
            if os.path.isabs(name) or os.path.commonpath([dest, target]) != dest:
                raise RuntimeError(f"Refusing to extract {name!r} from {from_path}: it points outside {to_path}")
        zf.extractall(to_path)


_ARCHIVE_EXTRACTORS = {
    ".tar": _extract_tar,
    ".zip": _extract_zip,
}
_COMPRESSED_FILE_OPENERS = {
    ".bz2": bz2.open,
    ".gz": gzip.open,
    ".xz": lzma.open,
}
_FILE_TYPE_ALIASES = {
    ".tbz": (".tar", ".bz2"),
    ".tbz2": (".tar", ".bz2"),
    ".tgz": (".tar", ".gz"),
}


def _detect_file_type(file):
    """(suffix, archive type, compression) of a file, from its name (torchvision's rules and messages)."""
    suffixes = pathlib.Path(file).suffixes
    if not suffixes:
        raise RuntimeError(
            f"File '{file}' has no suffixes that could be used to detect the archive type and compression.")
    suffix = suffixes[-1]
    if suffix in _FILE_TYPE_ALIASES:
        return (suffix, *_FILE_TYPE_ALIASES[suffix])
    if suffix in _ARCHIVE_EXTRACTORS:
        return suffix, suffix, None
    if suffix in _COMPRESSED_FILE_OPENERS:
        if len(suffixes) > 1:
            suffix2 = suffixes[-2]
            if suffix2 in _ARCHIVE_EXTRACTORS:
                return suffix2 + suffix, suffix2, suffix
        return suffix, None, suffix
    valid_suffixes = sorted(set(_FILE_TYPE_ALIASES) | set(_ARCHIVE_EXTRACTORS) | set(_COMPRESSED_FILE_OPENERS))
    raise RuntimeError(f"Unknown compression or archive type: '{suffix}'.\nKnown suffixes are: '{valid_suffixes}'.")


def _decompress(from_path, to_path=None, remove_finished=False):
    """Decompress a file (the compression is detected from its name), streaming in chunks."""
    suffix, archive_type, compression = _detect_file_type(from_path)
    if not compression:
        raise RuntimeError(f"Couldn't detect a compression from suffix {suffix}.")
    if to_path is None:
        to_path = pathlib.Path(os.fspath(from_path).replace(suffix, archive_type if archive_type is not None else ""))
    opener = _COMPRESSED_FILE_OPENERS[compression]
    part = os.fspath(to_path) + ".part"
    try:
        with opener(from_path, "rb") as rfh, open(part, "wb") as wfh:
            shutil.copyfileobj(rfh, wfh, 1024 * 1024)
        os.replace(part, to_path)
    finally:
        if os.path.exists(part):
            os.remove(part)
    if remove_finished:
        os.remove(from_path)
    return pathlib.Path(to_path)


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Extract an archive (tar, zip, optionally compressed) or decompress a single compressed file.

    Returns the directory the file was extracted to (a str when ``from_path`` is a str), or, for a single
    compressed file, the path of the decompressed file.
    """
    def path_or_str(ret_path):
        return os.fspath(ret_path) if isinstance(from_path, str) else ret_path

    if to_path is None:
        to_path = os.path.dirname(from_path)
    suffix, archive_type, compression = _detect_file_type(from_path)
    if not archive_type:
        ret_path = _decompress(from_path, os.path.join(to_path, os.path.basename(from_path).replace(suffix, "")),
                               remove_finished=remove_finished)
        return path_or_str(ret_path)
    extractor = _ARCHIVE_EXTRACTORS[archive_type]
    extractor(from_path, to_path, compression)
    if remove_finished:
        os.remove(from_path)
    return path_or_str(pathlib.Path(to_path))


def download_and_extract_archive(url, download_root, extract_root=None, filename=None, md5=None,
                                 remove_finished=False):
    download_root = os.path.expanduser(download_root)
    if extract_root is None:
        extract_root = download_root
    if not filename:
        filename = os.path.basename(url)
    download_url(url, download_root, filename, md5)
    archive = os.path.join(download_root, filename)
    extract_archive(archive, extract_root, remove_finished)


# ----------------------------------------------------------------------------------------- arguments
def iterable_to_str(iterable):
    return "'" + "', '".join([str(item) for item in iterable]) + "'"


def verify_str_arg(value, arg=None, valid_values=None, custom_msg=None):
    if not isinstance(value, str):
        if arg is None:
            msg = "Expected type str, but got type {type}."
        else:
            msg = "Expected type str for argument {arg}, but got type {type}."
        raise ValueError(msg.format(type=type(value), arg=arg))
    if valid_values is None:
        return value
    if value not in valid_values:
        if custom_msg is not None:
            msg = custom_msg
        else:
            msg = "Unknown value '{value}' for argument {arg}. Valid values are {{{valid_values}}}."
            msg = msg.format(value=value, arg=arg, valid_values=iterable_to_str(valid_values))
        raise ValueError(msg)
    return value


# ----------------------------------------------------------------------------------------- local mirrors
def mirror_prefixes():
    """The prefixes of ``EMBER_DATASETS_MIRROR`` (directories or URL prefixes), in order."""
    raw = os.environ.get(MIRROR_ENV, "")
    return [p for p in raw.replace(";", " ").split() if p]


def _is_url(prefix):
    return "://" in prefix and not prefix.startswith("file://")


def _as_dir(prefix):
    if prefix.startswith("file://"):
        return urllib.request.url2pathname(urllib.parse.urlparse(prefix).path)
    return os.path.expanduser(prefix)


def _place(src, dst):
    """Put the local file ``src`` at ``dst``: a symlink where possible, else a copy."""
    if os.path.lexists(dst):
        os.remove(dst)
    try:
        os.symlink(os.path.abspath(src), dst)
    except OSError:
        shutil.copyfile(src, dst)


def _gunzip_verified(src, dst, raw_md5):
    """Decompress ``src`` into ``dst`` checking the MD5 of the content on the way."""
    md5 = hashlib.md5(usedforsecurity=False)
    part = dst + ".part"
    try:
        with gzip.open(src, "rb") as r, open(part, "wb") as w:
            while chunk := r.read(1024 * 1024):
                md5.update(chunk)
                w.write(chunk)
        if raw_md5 is not None and md5.hexdigest() != raw_md5:
            raise RuntimeError(f"File not found or corrupted. The decompressed content of {src} has MD5 "
                               f"{md5.hexdigest()}, expected {raw_md5}.")
        os.replace(part, dst)
    finally:
        if os.path.exists(part):
            os.remove(part)


def fetch_from_mirrors(name, filename, root, md5=None, raw_md5=None, extract=True):
    """Try the local mirrors for ``filename`` of dataset ``name``; place it in ``root``.

    Returns True when the file (and, with ``extract``, its extraction into ``root``) is in place.
    ``raw_md5`` is the MD5 of the decompressed content of a ``.gz`` file (accepted when the ``.gz``
    itself differs, e.g. recompressed by a distribution).
    """
    os.makedirs(root, exist_ok=True)
    dst = os.path.join(root, filename)
    candidates = []
    for prefix in mirror_prefixes():
        if _is_url(prefix):
            base = prefix.rstrip("/") + "/"
            candidates += [("url", base + f"{name}/{filename}"), ("url", base + filename)]
        else:
            d = _as_dir(prefix)
            candidates += [("dir", os.path.join(d, name, filename)), ("dir", os.path.join(d, filename))]
    for d in LOCAL_MIRRORS.get(name, ()):
        candidates.append(("dir", os.path.join(os.path.expanduser(d), filename)))

    for kind, where in candidates:
        if kind == "dir":
            if not os.path.isfile(where):
                continue
            if md5 is None or check_md5(where, md5):
                print(f"Using local copy {where}")
                _place(where, dst)
                if extract:
                    extract_archive(dst, root)
                return True
            if raw_md5 is not None and extract and where.endswith(".gz"):
                # a recompressed copy (e.g. a distribution package): accept it when its content matches
                try:
                    _gunzip_verified(where, dst[:-len(".gz")], raw_md5)
                except (RuntimeError, OSError, EOFError, zlib.error) as error:
                    warnings.warn(f"Skipping {where}: {error}")
                    continue
                print(f"Using local copy {where} (content verified)")
                _place(where, dst)
                return True
            warnings.warn(f"Skipping {where}: its MD5 does not match the expected {md5}")
            continue
        try:
            print(f"Downloading {where}")
            download_url(where, root, filename, md5)
        except (urllib.error.URLError, OSError) as error:
            print(f"Failed to download (trying next):\n{error}")
            continue
        except RuntimeError as error:  # checksum mismatch on a user mirror: try the next one
            warnings.warn(f"Skipping {where}: {error}")
            if os.path.exists(dst):
                os.remove(dst)
            continue
        if extract:
            extract_archive(dst, root)
        return True
    return False
