"""Plan many stack files: each one isolated, many spread over worker processes, results in a stable order."""

from __future__ import annotations

import gc
import os
import sys
import tempfile
from pathlib import Path
from typing import Iterator, NamedTuple, Optional, Sequence

from ..canonical import canonical_json, sha256_hex
from ..errors import LinkConfigError
from ..providers import PROVIDERS
from ..review.compact import compact_stack
from ..review.grants import failed_stack, relative_file, review_stack
from . import cache
from .markdown import format_markdown
from .stackfile import find_project_root, load_stack_file, project_name, run_stack_file
from .text import format_text


def stack_files(paths: Sequence[Path]) -> list[Path]:
    """Stack files named on the command line, and every ``Pulumi.<stack>.yaml`` in a named directory."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.glob("Pulumi.*.y*ml") if p.name not in ("Pulumi.yaml", "Pulumi.yml"))
        else:
            found.append(path)
    return found


class PlannedStack(NamedTuple):
    """One stack's result, as compact as it travels between processes: its plan entry in compact form as
    canonical JSON, and the documents it refers to (sha256 -> canonical JSON)."""

    sort_key: tuple[str, str, str]
    entry_json: str
    documents: dict[str, str]
    output: str
    error: Optional[str]


def plan_settling(path: Path, output_format: str, cache_dir: Optional[Path] = None, program: Optional[Path] = None) -> PlannedStack:
    """`plan_one` for a process that plans a fleet (the command, its workers): the heap settles after the
    first; with ``cache_dir``, a stack whose inputs are unchanged is not planned again (`linking.plan.cache`)."""
    key = cache.cache_key(path, output_format) if cache_dir is not None and program is None else None
    if key is not None and (hit := cache.load(cache_dir, key)) is not None:
        try:
            return PlannedStack(tuple(hit["sort_key"]), hit["entry_json"], hit["documents"], hit["output"], hit["error"])
        except (KeyError, TypeError):
            pass  # an entry this version did not write: plan again (and overwrite it)
    try:
        result = plan_one(path, output_format, program)
    finally:
        _settle_heap()
    if key is not None:
        cache.store(cache_dir, key, result._asdict())
    return result


_SETTLED_WITH_MODULES = 0
"""How many modules were loaded when the heap last settled."""


def _settle_heap() -> None:
    """After a stack that loaded code (the first of a process, the first of each cloud: its SDK and, with it, its
    catalogues), move everything alive (the SDKs' hundreds of thousands of objects) out of the collector's sight and
    collect less often: a fleet's plans then stop paying for scans of objects that live as long as the process
    (measured: about a fifth of the time per stack)."""
    global _SETTLED_WITH_MODULES
    if len(sys.modules) != _SETTLED_WITH_MODULES:
        _SETTLED_WITH_MODULES = len(sys.modules)
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 50, 100)


def plan_one(path: Path, output_format: str, program: Optional[Path] = None) -> PlannedStack:
    """Plan one stack file (with our stack program, or ``program``): its plan-document entry, what to print,
    and the error if it failed."""
    try:
        stack_file = load_stack_file(path)
        plan = run_stack_file(stack_file, program)
    except LinkConfigError as exc:
        entry, output, error = _failed(path, str(exc)), "", str(exc)
    except Exception as exc:  # noqa: BLE001 - one stack's surprise must not stop the others or print its values
        error = f"{path}: linking could not plan this stack ({type(exc).__name__}, a defect in linking: please report it)"
        entry, output = _failed(path, error), ""
    else:
        entry = review_stack(
            plan, file=relative_file(path, stack_file.project_root), project=stack_file.project,
            secure_values=stack_file.secure_values,
        )
        renderers = {"text": lambda: format_text(plan, path), "markdown": lambda: format_markdown(entry)}
        output, error = renderers[output_format]() if output_format in renderers else "", None
    documents: dict[str, str] = {}
    compact = compact_stack(entry, documents)
    return PlannedStack((entry["project"], entry["stack"], entry["file"]), canonical_json(compact), documents, output, error)


def _failed(path: Path, error: str) -> dict:
    """The plan-document entry of a stack that did not plan: where it is, and why (no values from it)."""
    try:
        root = find_project_root(path.resolve().parent)
    except (LinkConfigError, OSError):
        root = Path.cwd()
    stack = path.name.removeprefix("Pulumi.").rsplit(".", 1)[0]
    return failed_stack(stack=stack, project=project_name(root), file=relative_file(path, root), error=error)


def plan_all(
    files: list[Path], output_format: str, jobs: int, cache_dir: Optional[Path] = None, program: Optional[Path] = None
) -> Iterator[PlannedStack]:
    """Every stack, in order, as each is planned (the caller keeps what it needs and lets the rest go). Many
    stacks spread over ``jobs`` worker processes, each planning one stack after another in its own mock
    runtime; a few run here, where no worker has to start.

    Workers are shared out by cloud (`_worker_shares`): a worker plans stacks of one or two clouds, so it loads only
    their SDKs and catalogues (a worker's memory is mostly those, and it does not grow with stacks)."""
    if jobs <= 1 or len(files) < PARALLEL_FROM:
        yield from (plan_settling(path, output_format, cache_dir, program) for path in files)
        return
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    shares = _worker_shares([_cloud_of(path) if program is None else "" for path in files], jobs)
    pools = [ProcessPoolExecutor(1, mp_context=context) for _ in shares]
    try:
        where: dict[int, tuple[Future, int]] = {}
        """Stack index -> the chunk planning it, and its place in that chunk."""
        for pool, indices in zip(pools, shares):
            for start in range(0, len(indices), CHUNK):
                chunk = indices[start:start + CHUNK]
                future = pool.submit(_plan_chunk, [files[i] for i in chunk], output_format, cache_dir, program)
                where.update((index, (future, place)) for place, index in enumerate(chunk))
        for index in range(len(files)):
            future, place = where.pop(index)
            yield future.result()[place]
    finally:
        for pool in pools:
            pool.shutdown(cancel_futures=True)


CHUNK = 4
"""Stacks a worker plans per task: fewer round trips, and a finished chunk's results are few to hold."""


def _plan_chunk(paths: list[Path], output_format: str, cache_dir: Optional[Path], program: Optional[Path]) -> list[PlannedStack]:
    return [plan_settling(path, output_format, cache_dir, program) for path in paths]


def _cloud_of(path: Path) -> str:
    """The cloud a stack file links, read from its config ('' when it cannot tell: any worker plans it)."""
    try:
        link = load_stack_file(path).structured("linking:link")
    except (LinkConfigError, OSError, ValueError):
        return ""
    provider = link.get("provider") if isinstance(link, dict) else None
    return provider if provider in PROVIDERS else ""  # a stack file names its provider (the schema requires it)


def _worker_shares(clouds: list[str], jobs: int) -> list[list[int]]:
    """Each worker's stack indices. A worker's memory is the SDKs and catalogues of the clouds it plans, so with a
    worker for every cloud each plans one cloud only, the workers given out by each cloud's estimated cost; with
    fewer, the stacks ordered by cloud (costliest first) are cut into ``jobs`` runs of equal estimated cost, and a
    worker plans one or two clouds (more only where cheap ones fall inside one run)."""
    by_cloud: dict[str, list[int]] = {}
    for index in sorted(range(len(clouds)), key=lambda i: (-_cost(clouds[i]), clouds[i], i)):
        by_cloud.setdefault(clouds[index], []).append(index)
    if jobs >= len(by_cloud):
        work = {cloud: _cost(cloud) * len(indices) for cloud, indices in by_cloud.items()}
        workers = dict.fromkeys(by_cloud, 1)
        for _ in range(min(jobs, len(clouds)) - len(by_cloud)):
            busiest = max(workers, key=lambda cloud: work[cloud] / workers[cloud])
            workers[busiest] += 1
        return [indices[part::workers[cloud]] for cloud, indices in by_cloud.items() for part in range(workers[cloud])
                if indices[part::workers[cloud]]]
    target = sum(_cost(cloud) for cloud in clouds) / jobs
    shares: list[list[int]] = [[]]
    planned = 0.0
    for indices in by_cloud.values():
        for index in indices:
            if planned >= target * len(shares) - 1e-9 and len(shares) < jobs:
                shares.append([])
            shares[-1].append(index)
            planned += _cost(clouds[index])
    return [sorted(share) for share in shares]


def _cost(cloud: str) -> float:
    return PLAN_COST.get(cloud, max(PLAN_COST.values()))


PLAN_COST = {"aws": 71.0, "gcp": 51.0, "azure": 36.0, "kubernetes": 24.0}
"""Milliseconds a process spends per stack of each cloud (``tests/benchmarks/plan_floor.py``, the planner column,
measured 2026-12-03): only the ratios matter, to give every worker about the same work."""


def in_shard(files: list[Path], shard: tuple[int, int]) -> list[Path]:
    """The stacks of shard K of N: a stable share by a hash of each file's path as given, so every CI job of a
    matrix picks a disjoint set and together they pick them all, whatever each machine's checkout path."""
    number, count = shard
    return [path for path in files if int(sha256_hex(path.as_posix())[:8], 16) % count == number - 1]


PARALLEL_FROM = 16
"""Below this many stacks, starting worker processes costs more than it saves."""


class PlanSpool:
    """The plan document of a fleet, kept on disk as the stacks arrive: memory holds only where each entry and
    document is, so it does not grow with the fleet; `write` gives what `plan_document_json` would."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()
        self.entries: list[tuple[tuple[str, str, str], int, int]] = []
        self.documents: dict[str, tuple[int, int]] = {}

    def __enter__(self) -> "PlanSpool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()

    def add(self, result: PlannedStack) -> None:
        self.entries.append((result.sort_key, *self._put(result.entry_json)))
        for digest, text in result.documents.items():
            if digest not in self.documents:
                self.documents[digest] = self._put(text)

    def write(self, path: Path) -> None:
        from ..review.grants import plan_document_parts

        entries = (self._get(offset, size) for _, offset, size in sorted(self.entries))
        documents = ((digest, self._get(*self.documents[digest])) for digest in sorted(self.documents))
        with path.open("w", encoding="utf-8") as out:
            out.writelines(plan_document_parts(entries, documents))

    def _put(self, text: str) -> tuple[int, int]:
        data = text.encode("utf-8")
        offset = self.file.seek(0, os.SEEK_END)
        self.file.write(data)
        return offset, len(data)

    def _get(self, offset: int, size: int) -> str:
        self.file.seek(offset)
        return self.file.read(size).decode("utf-8")
