"""Plan many stack files: each one isolated, many spread over worker processes, results in a stable order."""

from __future__ import annotations

import gc
import os
import pickle
import sys
from pathlib import Path
from typing import Any, Iterator, NamedTuple, Optional, Sequence

from ..canonical import canonical_json, sha256_hex
from ..errors import LinkConfigError
from ..providers import PROVIDERS, clouds
from ..review.compact import compact_stack
from ..review.grants import failed_stack, relative_file, review_stack
from . import cache
from .spool import DiskStore
from .blame import blame
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
    key = cache.cache_key(path, output_format) if cache_dir is not None else None
    if cache_dir is not None and key is not None and (hit := cache.load(cache_dir, key)) is not None:
        try:
            return PlannedStack(tuple(hit["sort_key"]), hit["entry_json"], hit["documents"], hit["output"], hit["error"])
        except (KeyError, TypeError):
            pass  # an entry this version did not write: plan again (and overwrite it)
    try:
        result = plan_one(path, output_format, program)
    finally:
        _settle_heap()
    if cache_dir is not None and key is not None:
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
    root = path.parent
    error: Optional[str]
    try:
        stack_file = load_stack_file(path)
        root = program or stack_file.project_root
        plan = run_stack_file(stack_file, program)
    except LinkConfigError as exc:
        entry, output, error = _failed(path, str(exc)), "", str(exc)
    except Exception as exc:  # noqa: BLE001 - one stack's surprise must not stop the others
        error = f"{path}: {blame(exc, root)}"
        entry, output = _failed(path, error.splitlines()[0]), ""
    else:
        entry = review_stack(
            plan, file=relative_file(path, stack_file.project_root), project=stack_file.project,
            secure_values=stack_file.secure_values,
        )
        renderers = {"text": lambda: format_text(plan, path), "text-detail": lambda: format_text(plan, path, detail=True),
                     "markdown": lambda: format_markdown(entry), "markdown-detail": lambda: format_markdown(entry, detail=True)}
        output, error = (renderers[output_format]() if output_format in renderers else ""), None
    return _planned(entry, output, error)


def _planned(entry: dict, output: str, error: Optional[str]) -> PlannedStack:
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
    files: list[Path], output_format: str, jobs: int, cache_dir: Optional[Path] = None, program: Optional[Path] = None,
    memory_mb: Optional[int] = None,
) -> Iterator[PlannedStack]:
    """Every stack, in order, as each is planned (the caller keeps what it needs and lets the rest go). Many
    stacks spread over worker processes (`worker_count`), each planning one stack after another in its own mock
    runtime; a few run here, where no worker has to start.

    Workers are shared out by cloud (`_worker_shares`): a worker plans stacks of one or two clouds. Where processes
    fork (Linux), this process first plans the first stack of each worker's clouds, which loads their SDKs and
    catalogues once, settles the heap, and then forks the worker: workers share those pages instead of each
    loading its own copy (`_start_method`)."""
    jobs = worker_count(jobs, memory_mb)
    if jobs <= 1 or len(files) < PARALLEL_FROM:
        yield from (plan_settling(path, output_format, cache_dir, program) for path in files)
        return
    clouds = [_cloud_of(path) if program is None else "" for path in files]
    first_of_cloud = {cloud: index for index, cloud in reversed(list(enumerate(clouds)))}
    rest = [index for index in range(len(files)) if index not in first_of_cloud.values()]
    shares = [[rest[i] for i in share] for share in _worker_shares([clouds[index] for index in rest], jobs)]
    planned_here: dict[int, PlannedStack] = {}

    def plan_here(cloud: str) -> None:
        index = first_of_cloud[cloud]
        if index not in planned_here:
            planned_here[index] = plan_settling(files[index], output_format, cache_dir, program)
            workers.loaded.add(cloud)

    with _Workers(files, clouds, shares, (output_format, cache_dir, program)) as workers:
        for worker, share in enumerate(shares):  # each worker starts once its clouds are loaded here
            for cloud in dict.fromkeys(clouds[index] for index in share):
                plan_here(cloud)
            workers.start(worker)
        for cloud in first_of_cloud:
            plan_here(cloud)
        for index in range(len(files)):
            yield planned_here.pop(index) if index in planned_here else workers.result(index)


def worker_count(jobs: int, memory_mb: Optional[int] = None) -> int:
    """The workers a plan runs: ``jobs``, at most one per usable CPU (planning is CPU-bound: more only cost memory
    and time, measured), and, given a budget, no more than fit in ``memory_mb`` beside this process
    (`PLANNER_MB`, `WORKER_MB`). A fleet larger than one machine plans is sharded (``--shard``)."""
    count = min(jobs, _usable_cpus())
    if memory_mb is not None:
        count = min(count, int((memory_mb - PLANNER_MB) // WORKER_MB[_start_method()]))
    return max(count, 1)


PLANNER_MB = 130
"""Proportional memory of the planning process once it has loaded all four clouds (measured 116 MB at 2,000 stacks
with ``tests/benchmarks/plan_scale.py``), with a margin."""

WORKER_MB = {"fork": 32, "spawn": 90}
"""What each worker adds, with a margin (measured at 2,000 stacks with ``tests/benchmarks/plan_scale.py --cpus 64``:
about 30 MB when forked, sharing the planner's loaded SDKs and catalogues, 11 workers and the planner peaking at
449 MB; 60 to 90 MB when spawned, each loading its own clouds)."""


def _usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, which a container or ``taskset`` narrows)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class _Workers:
    """Worker processes, one per share of the stacks, each sent its share's stacks over a pipe, a few ahead.

    Workers plan at their own pace; results are handed out in stack order, and one that arrives before its turn
    waits on disk, so memory does not grow with the fleet however unevenly its clouds are spread. A worker that
    has planned its share takes the last stacks of the longest queue it can plan without loading a cloud of its
    own (one whose SDK this process had loaded when it forked the worker), so no worker idles while another has
    a long queue, whatever the estimates said. A worker is replaced by a fresh one after `RECYCLE` stacks (what its
    heap gained is let go), and a worker that dies fails the stack it was planning, not the plan. This process
    runs no thread, so forking stays safe."""

    def __init__(self, files: list[Path], clouds: list[str], shares: list[list[int]], settings: tuple) -> None:
        import multiprocessing

        self.files, self.clouds, self.settings = files, clouds, settings
        self.loaded: set[str] = set()
        """The clouds this process has loaded (the caller adds each): a worker forked after shares their pages."""
        self.context: Any = multiprocessing.get_context(_start_method())  # its Process and Pipe are the start method's
        self.forks = self.context.get_start_method() == "fork"
        self.pending = [list(reversed(share)) for share in shares]
        """Each worker's stacks not sent yet, the next last."""
        self.sent: list[list[int]] = [[] for _ in shares]
        """Each worker's stacks sent and not answered yet, in the order it plans them."""
        self.served = [0] * len(shares)
        self.early = DiskStore()
        self.done: dict[int, tuple[int, int]] = {}
        """Stack index -> where its result waits in ``early``."""
        self.processes: list = [None] * len(shares)
        self.pipes: list = [None] * len(shares)
        self.plannable: list[set[str]] = [{clouds[index] for index in share} for share in shares]
        """The clouds each worker plans without loading more: its share's, and, when forked, what was loaded here."""

    def __enter__(self) -> "_Workers":
        return self

    def __exit__(self, *exc: object) -> None:
        self.early.close()
        for worker, process in enumerate(self.processes):
            if process is not None:
                if self.sent[worker]:
                    process.kill()  # planning stacks nobody will take: the plan stopped early
                self._stop(worker)

    def start(self, worker: int) -> None:
        """Fork (or spawn) the worker of share ``worker`` and send it its first stacks."""
        here, there = self.context.Pipe()
        inherited = [pipe for pipe in self.pipes if pipe is not None] if self.forks else []
        process = self.context.Process(target=_serve, args=(there, inherited, *self.settings), daemon=True)
        process.start()
        there.close()
        self.processes[worker], self.pipes[worker], self.served[worker] = process, here, 0
        if self.forks:
            self.plannable[worker] |= self.loaded
        self._send(worker)

    def result(self, index: int) -> PlannedStack:
        """Stack ``index``'s result, once planned; meanwhile keep every worker that may go on busy."""
        from multiprocessing.connection import wait

        while index not in self.done:
            ready = wait([self.pipes[worker] for worker, sent in enumerate(self.sent) if sent])
            for pipe in ready:
                worker = self.pipes.index(pipe)
                self._receive(worker)
                self._send(worker)
        return pickle.loads(self.early.get(*self.done.pop(index)))

    def _send(self, worker: int) -> None:
        """Send the worker its next stacks, up to `QUEUED` unanswered (or replace it, when it is due and a stack is
        left for it)."""
        sent = self.sent[worker]
        if self.served[worker] + len(sent) >= RECYCLE:
            if not sent and self._waiting(worker) is not None:  # a fresh worker takes over once this one has answered
                self._stop(worker)
                self.start(worker)
            return
        while len(sent) < QUEUED and self.served[worker] + len(sent) < RECYCLE and (index := self._next(worker)) is not None:
            sent.append(index)
            self.pipes[worker].send(self.files[index])

    def _next(self, worker: int) -> Optional[int]:
        found = self._waiting(worker)
        return found[0].pop(found[1]) if found else None

    def _waiting(self, worker: int) -> Optional[tuple[list[int], int]]:
        """Where the worker's next stack waits: its own share's next, else the last one of the longest queue whose
        cloud it can plan."""
        if self.pending[worker]:
            return self.pending[worker], len(self.pending[worker]) - 1
        for other in sorted(range(len(self.pending)), key=lambda w: -len(self.pending[w])):
            queue = self.pending[other]
            position = next((p for p, index in enumerate(queue) if self.clouds[index] in self.plannable[worker]), None)
            if position is not None:
                return queue, position
        return None

    def _receive(self, worker: int) -> None:
        try:
            result = self.pipes[worker].recv_bytes()
        except (EOFError, OSError):
            index, *unanswered = self.sent[worker]
            error = f"{self.files[index]}: linking could not plan this stack (its worker stopped: {self._exit_reason(worker)})"
            self._keep(index, pickle.dumps(_planned(_failed(self.files[index], error), "", error)))
            self.pending[worker] += reversed(unanswered)
            self.sent[worker] = []
            self._stop(worker)
            self.start(worker)
            return
        self._keep(self.sent[worker].pop(0), result)
        self.served[worker] += 1

    def _keep(self, index: int, pickled: bytes) -> None:
        self.done[index] = self.early.put(pickled)

    def _exit_reason(self, worker: int) -> str:
        process = self.processes[worker]
        process.join(5)
        code = process.exitcode
        return f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"

    def _stop(self, worker: int) -> None:
        try:
            self.pipes[worker].send(None)
        except OSError:
            pass  # it has stopped already
        self.pipes[worker].close()
        self.processes[worker].join()


QUEUED = 4
"""Stacks sent to a worker ahead of its answers: it never waits for the next, even while this process is busy."""

RECYCLE = 64
"""Stacks a worker plans before a fresh one replaces it (measured: a worker's own memory grows by about a tenth
of a megabyte per stack, with its caches and the pages of the shared heap it has touched)."""


def _serve(pipe: Any, inherited: list, output_format: str, cache_dir: Optional[Path], program: Optional[Path]) -> None:
    """A worker: plan each stack file it is sent and send back the result, until it is sent None or its pipe
    closes. A forked worker first lets go of what it inherited that is not its own: the other workers' pipes (held
    open here, they would keep those workers from seeing their end) and the event loop (its epoll is shared)."""
    import asyncio

    for other in inherited:
        other.close()
    asyncio.set_event_loop(asyncio.new_event_loop())
    while True:
        try:
            path = pipe.recv()
        except EOFError:
            return
        if path is None:
            return
        pipe.send_bytes(pickle.dumps(plan_settling(path, output_format, cache_dir, program), pickle.HIGHEST_PROTOCOL))


def _start_method() -> str:
    """``fork`` on Linux: the workers share this process's loaded SDKs and catalogues page by page (its heap is
    frozen, so no collection writes to them) and start at once. Elsewhere ``spawn``: macOS forks unsafely once
    system frameworks are loaded, and Windows cannot fork."""
    return "fork" if sys.platform == "linux" else "spawn"


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


def _cost(provider: str) -> float:
    """What planning one stack of the cloud costs (its descriptor's ``plan_cost``); a stack whose cloud is not known
    yet (its file fails to parse) as the dearest."""
    costs = {found.name: found.plan_cost for found in clouds()}
    return costs.get(provider, max(costs.values()))


def in_shard(files: list[Path], shard: tuple[int, int]) -> list[Path]:
    """The stacks of shard K of N: a stable share by a hash of each file's path as given, so every CI job of a
    matrix picks a disjoint set and together they pick them all, whatever each machine's checkout path."""
    number, count = shard
    return [path for path in files if int(sha256_hex(path.as_posix())[:8], 16) % count == number - 1]


PARALLEL_FROM = 16
"""Below this many stacks, starting worker processes costs more than it saves."""
