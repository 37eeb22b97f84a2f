"""The critical path method (CPM), pure and dependency-free.

A project is a list of tasks; each has an ``id``, a whole-number ``duration`` (days, weeks:
the unit does not matter) and the ids of the tasks it must wait for (``after``, a
finish-to-start dependency). From that:

* the **forward pass** gives each task's earliest start (ES) and earliest finish
  (EF = ES + duration); a task starts when its last predecessor finishes, tasks without
  predecessors start at 0, and the project lasts as long as the latest EF;
* the **backward pass** gives each task's latest finish (LF) and latest start
  (LS = LF - duration) that do not delay the project;
* **total slack** (float) = LS - ES: how long a task may slip without delaying the
  project; **free slack** = earliest ES of its successors - EF: how long it may slip
  without delaying any other task;
* **critical** tasks have zero total slack; a **critical path** is a chain of critical
  tasks from the project's start to its end, each starting when the previous finishes.
  A project may have several.

Task graphs come from authors, so everything is checked before computing, and each problem
names its field (``tasks[2].after: unknown task 'Z'``, ``tasks: dependency cycle B → C → B``).

    >>> plan = analyse(parse_tasks([
    ...     {"id": "A", "duration": 3},
    ...     {"id": "B", "duration": 2, "after": ["A"]},
    ...     {"id": "C", "duration": 4, "after": ["A"]},
    ...     {"id": "D", "duration": 1, "after": ["B", "C"]},
    ... ]))
    >>> plan.duration, plan.critical, plan.critical_paths()
    (8, ('A', 'C', 'D'), [('A', 'C', 'D')])
    >>> plan.times["B"].slack
    2
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

#: At most this many tasks in one project (a quiz question, not a master schedule).
MAX_TASKS = 50
#: Longest duration of one task, in the project's unit.
MAX_DURATION = 10_000
#: Longest task name.
MAX_NAME = 200
#: At most this many critical paths are listed (a graph can have exponentially many).
MAX_PATHS = 20
#: Task ids: short, readable, safe in messages: "A", "T1", "desain-ui", "2.1".
TASK_ID = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,18}[A-Za-z0-9])?$")


class ScheduleError(ValueError):
    """A task graph that cannot be scheduled; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[str]):
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Task:
    """One task: finish-to-start after every task in ``after``."""

    id: str
    duration: int
    after: tuple[str, ...] = ()
    name: str = ""


@dataclass(frozen=True)
class Times:
    """A task's CPM figures."""

    es: int
    ef: int
    ls: int
    lf: int
    #: How long the task may slip without delaying any successor's earliest start.
    free_slack: int

    @property
    def slack(self) -> int:
        """Total slack (total float): how long the task may slip without delaying the project."""
        return self.ls - self.es

    @property
    def critical(self) -> bool:
        return self.slack == 0


@dataclass(frozen=True)
class Schedule:
    """The result of the forward and backward passes over a valid task graph."""

    #: The tasks in the author's order.
    tasks: tuple[Task, ...]
    #: Task ids in a topological order (every task after its predecessors; ties keep the author's order).
    order: tuple[str, ...]
    #: CPM figures by task id.
    times: Mapping[str, Times]
    #: Project duration: the latest earliest finish.
    duration: int
    #: Successor ids by task id, in the author's order.
    successors: Mapping[str, tuple[str, ...]] = field(repr=False)

    @property
    def critical(self) -> tuple[str, ...]:
        """Ids of the tasks with zero total slack, in the author's order."""
        return tuple(t.id for t in self.tasks if self.times[t.id].critical)

    def critical_paths(self, limit: int = MAX_PATHS) -> list[tuple[str, ...]]:
        """Every chain of critical tasks from the start to the end of the project (at most `limit`).

        A link A → B belongs to a critical path when B depends on A, both are critical and B's
        earliest start is A's earliest finish. Paths come in the author's order of their tasks.
        """
        times = self.times
        starts = [t.id for t in self.tasks if times[t.id].critical and not t.after]
        paths: list[tuple[str, ...]] = []

        def extend(path: list[str]) -> None:
            if len(paths) >= limit:
                return
            last = times[path[-1]]
            if last.ef == self.duration:
                paths.append(tuple(path))
                return
            for nxt in self.successors[path[-1]]:
                if times[nxt].critical and times[nxt].es == last.ef:
                    path.append(nxt)
                    extend(path)
                    path.pop()

        for start in starts:
            extend([start])
        return paths


# --------------------------------------------------------------------------- checking


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def task_problems(raw, where: str = "tasks", minimum: int = 1) -> list[str]:
    """Every problem with a raw task list (as read from YAML/JSON); empty when it is valid."""
    problems, _ = _read(raw, where, minimum)
    return problems


def parse_tasks(raw, where: str = "tasks", minimum: int = 1) -> tuple[Task, ...]:
    """Raw task mappings as Tasks; raises ScheduleError with every problem."""
    problems, tasks = _read(raw, where, minimum)
    if problems:
        raise ScheduleError(problems)
    return tasks


def _read(raw, where: str, minimum: int) -> tuple[list[str], tuple[Task, ...]]:
    """Check the shape of every entry, then the graph; returns (problems, tasks)."""
    if not isinstance(raw, list):
        return [f"{where}: must be a list of tasks (id, duration, after)"], ()
    problems: list[str] = []
    if len(raw) < minimum:
        problems.append(f"{where}: needs at least {minimum} task{'s' if minimum > 1 else ''}")
    if len(raw) > MAX_TASKS:
        return problems + [f"{where}: at most {MAX_TASKS} tasks (found {len(raw)})"], ()
    tasks: list[tuple[int, Task]] = []
    for i, entry in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{at}: must be a mapping with id, duration and after")
            continue
        task = _entry(entry, at, problems)
        if task is not None:
            tasks.append((i, task))
    unknown = sorted(set(_keys(raw)) - {"id", "name", "duration", "after"})
    if unknown:
        problems.append(f"{where}: unknown field{'s' if len(unknown) > 1 else ''} "
                        f"{', '.join(unknown)} (use id, name, duration, after)")
    if len(tasks) == len(raw):  # the graph is only checked once every entry reads well
        problems += graph_problems([t for _, t in tasks], where)
    return problems, (() if problems else tuple(t for _, t in tasks))


def _keys(raw: list) -> Iterable[str]:
    for entry in raw:
        if isinstance(entry, dict):
            yield from (str(k) for k in entry)


def _entry(entry: dict, at: str, problems: list[str]) -> Task | None:
    """One task mapping as a Task, or None after recording why it cannot be one."""
    before = len(problems)
    task_id = entry.get("id")
    if not isinstance(task_id, str):
        problems.append(f"{at}.id: required text such as \"A\" (quote numbers: \"1\")")
    elif not TASK_ID.fullmatch(task_id):
        problems.append(f"{at}.id: {task_id!r} must be 1-20 letters, digits, '.', '_' or '-'")
    name = entry.get("name", "")
    if name is None:
        name = ""
    if not isinstance(name, str) or len(name) > MAX_NAME:
        problems.append(f"{at}.name: must be text of at most {MAX_NAME} characters")
    duration = entry.get("duration")
    if not _is_int(duration) or not 1 <= duration <= MAX_DURATION:
        problems.append(f"{at}.duration: must be a whole number from 1 to {MAX_DURATION} "
                        f"(found {duration!r})")
    after = entry.get("after", [])
    if after is None:
        after = []
    if not isinstance(after, list):
        problems.append(f"{at}.after: must be a list of task ids (use [] for none)")
    else:
        seen: set[str] = set()
        for k, dep in enumerate(after):
            if not isinstance(dep, str):
                problems.append(f"{at}.after[{k}]: must be a task id as text (quote numbers: \"1\")")
            elif dep in seen:
                problems.append(f"{at}.after[{k}]: {dep!r} is listed twice")
            else:
                seen.add(dep)
    if len(problems) > before:
        return None
    return Task(id=task_id, duration=duration, after=tuple(after), name=name)


def graph_problems(tasks: Sequence[Task], where: str = "tasks") -> list[str]:
    """Duplicate ids, unknown predecessors and cycles (the first cycle found is named)."""
    problems: list[str] = []
    if len(tasks) > MAX_TASKS:
        return [f"{where}: at most {MAX_TASKS} tasks (found {len(tasks)})"]
    first: dict[str, int] = {}
    for i, task in enumerate(tasks):
        if task.id in first:
            problems.append(f"{where}[{i}].id: duplicate {task.id!r} (also {where}[{first[task.id]}])")
        else:
            first[task.id] = i
    for i, task in enumerate(tasks):
        for k, dep in enumerate(task.after):
            if dep == task.id:
                problems.append(f"{where}[{i}].after[{k}]: task {dep!r} cannot wait for itself")
            elif dep not in first:
                problems.append(f"{where}[{i}].after[{k}]: unknown task {dep!r}")
        if not _is_int(task.duration) or not 1 <= task.duration <= MAX_DURATION:
            problems.append(f"{where}[{i}].duration: must be a whole number from 1 to {MAX_DURATION}")
    if problems:
        return problems
    cycle = find_cycle(tasks)
    if cycle:
        problems.append(f"{where}: dependency cycle {' → '.join(cycle)}")
    return problems


def find_cycle(tasks: Sequence[Task]) -> list[str] | None:
    """A dependency cycle as ids with the first repeated at the end (["B", "C", "B"]), or None.

    Searches from the tasks in the author's order, so the same graph names the same cycle.
    Unknown predecessors are ignored here (graph_problems reports them).
    """
    after = {t.id: [d for d in t.after if d != t.id] for t in tasks}
    for t in tasks:
        if t.id in t.after:
            return [t.id, t.id]
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for root in after:
        if state.get(root):
            continue
        path = [root]
        stack = [iter(after[root])]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif nxt not in after or state.get(nxt) == 2:
                continue
            elif state.get(nxt) == 1:
                # path is a chain of "waits for" links; show it in the order work flows
                cycle = path[path.index(nxt):] + [nxt]
                return list(reversed(cycle))
            else:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(after[nxt]))
    return None


# --------------------------------------------------------------------------- computing


def topological_order(tasks: Sequence[Task]) -> tuple[str, ...]:
    """Ids so that every task comes after its predecessors; ties keep the author's order."""
    problems = graph_problems(tasks)
    if problems:
        raise ScheduleError(problems)
    waiting = {t.id: len(t.after) for t in tasks}
    successors = _successors(tasks)
    position = {t.id: i for i, t in enumerate(tasks)}
    ready = [t.id for t in tasks if not t.after]
    order: list[str] = []
    while ready:
        current = min(ready, key=position.__getitem__)
        ready.remove(current)
        order.append(current)
        for nxt in successors[current]:
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                ready.append(nxt)
    return tuple(order)


def _successors(tasks: Sequence[Task]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {t.id: [] for t in tasks}
    for t in tasks:
        for dep in t.after:
            found[dep].append(t.id)
    return {key: tuple(value) for key, value in found.items()}


def analyse(tasks: Sequence[Task]) -> Schedule:
    """Forward and backward pass over valid tasks; raises ScheduleError otherwise."""
    tasks = tuple(tasks)
    if not tasks:
        raise ScheduleError(["tasks: needs at least 1 task"])
    order = topological_order(tasks)  # checks the graph
    by_id = {t.id: t for t in tasks}
    successors = _successors(tasks)
    es: dict[str, int] = {}
    ef: dict[str, int] = {}
    for key in order:  # forward pass
        task = by_id[key]
        es[key] = max((ef[dep] for dep in task.after), default=0)
        ef[key] = es[key] + task.duration
    duration = max(ef.values())
    lf: dict[str, int] = {}
    ls: dict[str, int] = {}
    for key in reversed(order):  # backward pass
        lf[key] = min((ls[nxt] for nxt in successors[key]), default=duration)
        ls[key] = lf[key] - by_id[key].duration
    times = {key: Times(es=es[key], ef=ef[key], ls=ls[key], lf=lf[key],
                        free_slack=min((es[n] for n in successors[key]), default=duration) - ef[key])
             for key in order}
    return Schedule(tasks=tasks, order=order, times=times, duration=duration, successors=successors)


def schedule(raw, where: str = "tasks") -> Schedule:
    """Check raw task mappings and analyse them in one step; raises ScheduleError."""
    return analyse(parse_tasks(raw, where))
