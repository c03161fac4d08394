"""Reading and checking a list file in chunks, in a process of its own.

Checking rows is pure Python; in a worker thread it competes for the interpreter lock with the
event loop that resolves chunks and keeps the database busy. So a big file is checked by a child
process, which hands over checked chunks through a pipe while earlier chunks are written.
"""

from __future__ import annotations

import asyncio
import gc
import pickle
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog_svc.imports.files import FileFormat, Reader, UnreadableFile
from catalog_svc.imports.rows import (
    REQUIRED_ITEM_COLUMNS,
    ItemRow,
    RowContext,
    RowError,
    cell_text,
    item_field,
    parse_item,
)

CHUNK_ROWS = 10_000
QUEUE_CHUNKS = 3
PROCESS_MIN_BYTES = 8 * 1024**2
"""Smaller files are checked in a worker thread: starting a process would cost more than it saves."""
CHECKER_GC_THRESHOLD = (100_000, 20, 20)
"""Garbage collection thresholds of the checking process (as the job's own while it runs)."""


@dataclass
class Chunk:
    rows: list[Any]
    errors: list[RowError]
    read: int
    rejected: int
    refused: dict[str, int] = field(default_factory=dict)
    """Codes of the rows of this chunk that were refused, and their rows."""


def required(reader: Reader, columns: Sequence[str]) -> None:
    if reader.file_format in (FileFormat.CSV, FileFormat.XLSX):
        missing = [c for c in columns if c not in reader.columns]
        if missing:
            raise UnreadableFile(f"the header lacks required columns: {', '.join(missing)}")


def item_chunks(reader: Reader, ctx: RowContext, seen: dict[str, int]) -> Iterator[Chunk]:
    """Check records in chunks; a code appearing twice refuses the later row."""
    rows: list[ItemRow] = []
    refused: dict[str, int] = {}
    read = rejected = 0
    header_checked = False
    for record in reader:
        if not header_checked:
            required(reader, REQUIRED_ITEM_COLUMNS)
            header_checked = True
        read += 1
        if record.values is None:
            ctx.errors.extend(record.errors)
            rejected += 1
        else:
            code = cell_text(record.values.get("code"))
            first = seen.get(code) if code else None
            if first is not None:
                ctx.errors.append((record.row, "code", f"same code as row {first}; an item appears once in a list"))
                rejected += 1
            else:
                if code:
                    seen[code] = record.row
                row = parse_item(record.values, record.row, ctx)
                if row is None:
                    rejected += 1
                    if code:
                        refused[code] = record.row
                else:
                    rows.append(row)
        if read >= CHUNK_ROWS:
            yield Chunk(rows, ctx.errors, read, rejected, refused)
            rows, refused, read, rejected = [], {}, 0, 0
            ctx.errors = []
    if not header_checked:
        required(reader, REQUIRED_ITEM_COLUMNS)
    if read:
        yield Chunk(rows, ctx.errors, read, rejected, refused)
        ctx.errors = []


def _send(out: Any, message: tuple[str, Any, Any]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(data).to_bytes(8, "big"))
    out.write(data)
    out.flush()


def _check_file(path: str, file_format: str, encoding: str, ctx: RowContext, out: Any) -> None:
    """The checking process: chunks, then the codes seen and the columns not imported."""
    try:
        reader = Reader(Path(path), FileFormat(file_format), encoding, item_field)
        seen: dict[str, int] = {}
        for chunk in item_chunks(reader, ctx, seen):
            _send(out, ("chunk", chunk, reader.ignored_columns))
        _send(out, ("done", set(seen), reader.ignored_columns))
    except UnreadableFile as exc:
        _send(out, ("unreadable", str(exc), None))
    except BaseException as exc:  # reported to the job, which fails with it
        _send(out, ("error", f"{type(exc).__name__}: {exc}", None))


def wants_process(path: Path) -> bool:
    return path.stat().st_size >= PROCESS_MIN_BYTES


async def start_checker() -> asyncio.subprocess.Process:
    """Start a checking process; it loads its modules (about a second) while the job gets ready, then waits
    for its file on standard input."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", __name__, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )


async def stop_checker(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
    await process.wait()


class CheckedChunks:
    """Checked chunks of an item list; `seen` holds every code of the file once all chunks were taken.

    A big file is checked by `python -m catalog_svc.imports.reading` as a child process that writes
    length-prefixed pickles to its standard output (the pipe bounds how far it runs ahead).
    """

    def __init__(
        self,
        path: Path,
        file_format: FileFormat,
        encoding: str,
        ctx: RowContext,
        process: asyncio.subprocess.Process | None = None,
    ) -> None:
        self._args = (path, file_format, encoding, ctx)
        self._process = process
        self.seen: set[str] = set()
        self.ignored_columns: list[str] = []

    async def __aiter__(self) -> AsyncIterator[Chunk]:
        chunks = self._in_process() if self._process is not None else self._in_thread()
        async for chunk in chunks:
            yield chunk

    async def _in_thread(self) -> AsyncIterator[Chunk]:
        path, file_format, encoding, ctx = self._args
        reader = Reader(path, file_format, encoding, item_field)
        seen: dict[str, int] = {}
        chunks = item_chunks(reader, ctx, seen)
        while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
            self.ignored_columns = reader.ignored_columns
            yield chunk
        self.ignored_columns = reader.ignored_columns
        self.seen = set(seen)

    async def _in_process(self) -> AsyncIterator[Chunk]:
        path, file_format, encoding, ctx = self._args
        process = self._process
        assert process is not None
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            process.stdin.write(pickle.dumps((str(path), file_format.value, encoding, ctx)))
            await process.stdin.drain()
            process.stdin.close()
            while True:
                try:
                    size = int.from_bytes(await process.stdout.readexactly(8), "big")
                    kind, value, ignored = pickle.loads(await process.stdout.readexactly(size))
                except asyncio.IncompleteReadError:
                    await process.wait()
                    raise RuntimeError(f"the checking process stopped (exit code {process.returncode})") from None
                if ignored is not None:
                    self.ignored_columns = ignored
                if kind == "chunk":
                    yield value
                elif kind == "done":
                    self.seen = value
                    break
                elif kind == "unreadable":
                    raise UnreadableFile(value)
                else:
                    raise RuntimeError(value)
        finally:
            await stop_checker(process)


def main() -> None:
    """Child process entry: read (path, format, encoding, context) as a pickle, write checked chunks."""
    # run as __main__, this module would pickle its classes as __main__.Chunk: use the importable one
    from catalog_svc.imports import reading

    path, file_format, encoding, ctx = pickle.load(sys.stdin.buffer)
    # the process keeps every code of the file and a chunk of rows alive (no cycles among them): collecting
    # cycles at the default pace walks them again and again, for a third of the checking time
    gc.freeze()
    gc.set_threshold(*CHECKER_GC_THRESHOLD)
    reading._check_file(path, file_format, encoding, ctx, sys.stdout.buffer)


if __name__ == "__main__":
    main()
