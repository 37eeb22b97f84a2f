"""The critical path method: textbook networks with known answers, and graph checking."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms_project_management import critical_path as cpm
from lms_project_management.critical_path import ScheduleError, Task, analyse, find_cycle, schedule


def tasks(*rows):
    """("A", 3), ("B", 4, "A"), ("D", 1, "B", "C") -> raw task mappings."""
    return [{"id": key, "duration": duration, "after": list(after)} for key, duration, *after in rows]


#: A textbook network (activity on node), computed by hand:
#: A 0-3, B 3-7, C 3-5, D 7-12, E 5-6, F 5-7, G 12-16, H 16-19.
TEXTBOOK = tasks(("A", 3), ("B", 4, "A"), ("C", 2, "A"), ("D", 5, "B"), ("E", 1, "C"),
                 ("F", 2, "C"), ("G", 4, "D", "E"), ("H", 3, "F", "G"))
#: The worked example of the course pm-jadwal-dan-jalur-kritis (aplikasi antrean puskesmas).
PUSKESMAS_APP = tasks(("A", 5), ("B", 4, "A"), ("C", 10, "A"), ("D", 12, "B"), ("E", 6, "B"),
                      ("F", 3, "C"), ("G", 5, "D", "F"), ("H", 3, "E", "G"))


def test_textbook_forward_and_backward_pass():
    plan = schedule(TEXTBOOK)
    figures = {key: (t.es, t.ef, t.ls, t.lf, t.slack) for key, t in plan.times.items()}
    assert figures == {
        "A": (0, 3, 0, 3, 0), "B": (3, 7, 3, 7, 0), "C": (3, 5, 9, 11, 6), "D": (7, 12, 7, 12, 0),
        "E": (5, 6, 11, 12, 6), "F": (5, 7, 14, 16, 9), "G": (12, 16, 12, 16, 0), "H": (16, 19, 16, 19, 0),
    }
    assert plan.duration == 19
    assert plan.critical == ("A", "B", "D", "G", "H")
    assert plan.critical_paths() == [("A", "B", "D", "G", "H")]


def test_course_example_has_total_and_free_slack_as_the_lesson_says():
    plan = schedule(PUSKESMAS_APP)
    assert plan.duration == 29
    assert plan.critical_paths() == [("A", "B", "D", "G", "H")]
    assert {k: t.es for k, t in plan.times.items()} == {
        "A": 0, "B": 5, "C": 5, "D": 9, "E": 9, "F": 15, "G": 21, "H": 26}
    assert {k: t.slack for k, t in plan.times.items()} == {
        "A": 0, "B": 0, "C": 3, "D": 0, "E": 11, "F": 3, "G": 0, "H": 0}
    # C may not slip without pushing F, although the project could absorb 3 days
    assert (plan.times["C"].slack, plan.times["C"].free_slack) == (3, 0)
    assert plan.times["F"].free_slack == 3


def test_two_critical_paths_through_a_diamond():
    plan = schedule(tasks(("A", 2), ("B", 3, "A"), ("C", 3, "A"), ("D", 1, "B", "C")))
    assert plan.duration == 6
    assert plan.critical == ("A", "B", "C", "D")
    assert plan.critical_paths() == [("A", "B", "D"), ("A", "C", "D")]


def test_several_starts_and_ends():
    plan = schedule(tasks(("S1", 4), ("S2", 4), ("S3", 1), ("E1", 2, "S1", "S2"), ("E2", 6, "S3")))
    assert plan.duration == 7
    assert plan.critical_paths() == [("S3", "E2")]
    assert plan.times["S1"].slack == 1 and plan.times["E1"].lf == 7


def test_a_single_task_and_parallel_independent_tasks():
    assert schedule(tasks(("A", 7))).critical_paths() == [("A",)]
    plan = schedule(tasks(("A", 2), ("B", 5), ("C", 5)))
    assert plan.duration == 5 and plan.critical == ("B", "C")
    assert plan.critical_paths() == [("B",), ("C",)]


def test_a_critical_task_whose_link_is_not_tight_is_not_on_a_path():
    # B (critical) waits for A and X; only the X -> B link is tight, so the path is X, B.
    plan = schedule(tasks(("A", 1), ("X", 3), ("B", 2, "A", "X")))
    assert plan.critical == ("X", "B")
    assert plan.critical_paths() == [("X", "B")]


def test_topological_order_keeps_the_authors_order_on_ties():
    plan = schedule(tasks(("D", 1, "B", "C"), ("C", 1, "A"), ("A", 1), ("B", 1, "A")))
    assert plan.order == ("A", "C", "B", "D")
    assert [t.id for t in plan.tasks] == ["D", "C", "A", "B"]  # the author's order is kept too


def test_critical_paths_are_capped():
    # 6 stages of two parallel equal tasks: 2**6 = 64 critical paths
    rows, previous = [], []
    for stage in range(6):
        current = [f"S{stage}a", f"S{stage}b"]
        rows += [(key, 1, *previous) for key in current]
        previous = current
    plan = schedule(tasks(*rows))
    assert len(plan.critical_paths(limit=1000)) == 64
    assert len(plan.critical_paths()) == cpm.MAX_PATHS


# ------------------------------------------------------------------ checking


@pytest.mark.parametrize(("raw", "problem"), [
    (None, "tasks: must be a list of tasks"),
    ([], "tasks: needs at least 1 task"),
    (["A"], "tasks[0]: must be a mapping"),
    ([{"duration": 1}], "tasks[0].id: required text"),
    ([{"id": 1, "duration": 1}], "tasks[0].id: required text such as \"A\" (quote numbers: \"1\")"),
    ([{"id": "a b", "duration": 1}], "tasks[0].id: 'a b' must be 1-20 letters"),
    ([{"id": "A"}], "tasks[0].duration: must be a whole number from 1 to 10000 (found None)"),
    ([{"id": "A", "duration": 0}], "tasks[0].duration: must be a whole number from 1 to 10000 (found 0)"),
    ([{"id": "A", "duration": -2}], "tasks[0].duration: must be a whole number"),
    ([{"id": "A", "duration": 2.5}], "tasks[0].duration: must be a whole number from 1 to 10000 (found 2.5)"),
    ([{"id": "A", "duration": True}], "tasks[0].duration: must be a whole number"),
    ([{"id": "A", "duration": "3"}], "tasks[0].duration: must be a whole number"),
    ([{"id": "A", "duration": 10001}], "tasks[0].duration: must be a whole number from 1 to 10000"),
    ([{"id": "A", "duration": 1, "after": "B"}], "tasks[0].after: must be a list of task ids"),
    ([{"id": "A", "duration": 1, "after": [1]}], "tasks[0].after[0]: must be a task id as text"),
    ([{"id": "A", "duration": 1}, {"id": "B", "duration": 1, "after": ["A", "A"]}],
     "tasks[1].after[1]: 'A' is listed twice"),
    ([{"id": "A", "duration": 1, "after": ["Z"]}], "tasks[0].after[0]: unknown task 'Z'"),
    ([{"id": "A", "duration": 1, "after": ["A"]}], "tasks[0].after[0]: task 'A' cannot wait for itself"),
    ([{"id": "A", "duration": 1}, {"id": "A", "duration": 2}], "tasks[1].id: duplicate 'A' (also tasks[0])"),
    ([{"id": "A", "duration": 1, "depends": ["B"]}], "tasks: unknown field depends (use id, name, duration, after)"),
    ([{"id": "A", "duration": 1, "name": ["x"]}], "tasks[0].name: must be text"),
    ([{"id": "A", "duration": 1, "name": "x" * 201}], "tasks[0].name: must be text of at most 200"),
])
def test_problems_name_the_field(raw, problem):
    problems = cpm.task_problems(raw)
    assert any(p.startswith(problem) for p in problems), problems
    with pytest.raises(ScheduleError) as caught:
        schedule(raw)
    assert caught.value.problems == problems


def test_a_cycle_is_named_in_the_order_work_flows():
    raw = tasks(("A", 1), ("B", 2, "A", "D"), ("C", 3, "B"), ("D", 1, "C"), ("E", 1, "D"))
    assert cpm.task_problems(raw) == ["tasks: dependency cycle B → C → D → B"]
    with pytest.raises(ScheduleError, match="dependency cycle B → C → D → B"):
        schedule(raw)


def test_a_two_task_cycle():
    assert cpm.task_problems(tasks(("A", 1, "B"), ("B", 1, "A"))) == ["tasks: dependency cycle A → B → A"]


def test_find_cycle_on_tasks():
    assert find_cycle([Task("A", 1), Task("B", 1, ("A",))]) is None
    assert find_cycle([Task("A", 1, ("A",))]) == ["A", "A"]
    assert find_cycle([Task("A", 1, ("C",)), Task("B", 1, ("A",)), Task("C", 1, ("B",))]) == ["A", "B", "C", "A"]


def test_every_problem_is_reported_together():
    raw = [{"id": "A", "duration": 0}, {"id": "B", "duration": 1, "after": [3]}, "x"]
    assert len(cpm.task_problems(raw)) == 3


def test_the_task_limit():
    raw = [{"id": f"T{i}", "duration": 1} for i in range(cpm.MAX_TASKS)]
    assert schedule(raw).duration == 1
    assert cpm.task_problems(raw + [{"id": "X", "duration": 1}]) == ["tasks: at most 50 tasks (found 51)"]
    chain = [{"id": f"T{i}", "duration": 10_000, "after": [f"T{i - 1}"] if i else []} for i in range(50)]
    assert schedule(chain).duration == 500_000


def test_analyse_checks_task_objects_too():
    with pytest.raises(ScheduleError, match="unknown task 'Z'"):
        analyse([Task("A", 1, ("Z",))])
    with pytest.raises(ScheduleError, match="duration"):
        analyse([Task("A", 0)])
    with pytest.raises(ScheduleError, match="needs at least 1 task"):
        analyse([])
    with pytest.raises(ScheduleError, match="cycle"):
        cpm.topological_order([Task("A", 1, ("B",)), Task("B", 1, ("A",))])


def test_minimum_is_configurable():
    assert cpm.task_problems(tasks(("A", 1)), minimum=2) == ["tasks: needs at least 2 tasks"]
    assert cpm.task_problems(tasks(("A", 1)), where="plan.tasks", minimum=2) == ["plan.tasks: needs at least 2 tasks"]


# ------------------------------------------------------------------ properties


@st.composite
def networks(draw):
    """Random acyclic networks: each task waits only for earlier ones."""
    count = draw(st.integers(1, 15))
    rows = []
    for i in range(count):
        after = draw(st.lists(st.integers(0, i - 1), unique=True, max_size=3)) if i else []
        rows.append({"id": f"T{i}", "duration": draw(st.integers(1, 20)), "after": [f"T{j}" for j in after]})
    shuffled = draw(st.randoms(use_true_random=False))
    shuffled.shuffle(rows)  # the author's order need not be topological
    return rows


@settings(max_examples=150, deadline=None, database=None)
@given(networks())
def test_cpm_invariants(raw):
    plan = schedule(raw)
    by_id = {t.id: t for t in plan.tasks}
    position = {key: i for i, key in enumerate(plan.order)}
    for task in plan.tasks:
        t = plan.times[task.id]
        assert t.ef == t.es + task.duration and t.lf == t.ls + task.duration
        assert 0 <= t.free_slack <= t.slack
        assert t.lf <= plan.duration
        for dep in task.after:
            assert plan.times[dep].ef <= t.es and plan.times[dep].lf <= t.ls
            assert position[dep] < position[task.id]
    assert plan.duration == max(t.ef for t in plan.times.values())
    paths = plan.critical_paths()
    assert paths and plan.critical
    for path in paths:  # each path is a tight chain from time 0 to the end
        assert plan.times[path[0]].es == 0 and plan.times[path[-1]].ef == plan.duration
        assert sum(by_id[key].duration for key in path) == plan.duration
        for a, b in zip(path, path[1:]):
            assert a in by_id[b].after


@settings(max_examples=100, deadline=None, database=None)
@given(networks(), st.integers(0, 10_000))
def test_a_back_edge_always_makes_a_named_cycle(raw, seed):
    rng = random.Random(seed)
    plan = schedule(raw)
    if len(plan.order) < 2:
        return
    i, j = sorted(rng.sample(range(len(plan.order)), 2))
    first, later = plan.order[i], plan.order[j]
    # make `first` wait for `later`; a cycle exists iff `later` (transitively) waits for `first`
    entry = next(r for r in raw if r["id"] == first)
    entry["after"] = entry["after"] + [later]
    problems = cpm.task_problems(raw)
    if problems:
        assert len(problems) == 1 and problems[0].startswith("tasks: dependency cycle ")
        cycle = problems[0].removeprefix("tasks: dependency cycle ").split(" → ")
        assert cycle[0] == cycle[-1] and len(cycle) >= 3
        waits = {r["id"]: set(r["after"]) for r in raw}
        for a, b in zip(cycle, cycle[1:]):
            assert a in waits[b]  # b waits for a: the cycle reads in the order work flows
    else:
        schedule(raw)
