"""grader/protocol.py: `grader grade` judges several students at once from its threads, and judges seed and draw
from the process's global random generators, so judgements must run one at a time and leave those generators
as they found them. (CI once caught a full-marks student losing `loaders` to another student's seed.)"""

from __future__ import annotations

import random
import threading
import time

import torch

from grader.protocol import Evidence, judge_checks

EVIDENCE = Evidence(observed={}, challenge=0)


def test_a_judgement_waits_for_the_one_under_way() -> None:
    inside, release, second_ran = threading.Event(), threading.Event(), threading.Event()

    def judge_slow(_: Evidence) -> None:
        inside.set()
        assert release.wait(30)

    first = threading.Thread(target=judge_checks, args=({"slow": judge_slow}, ["slow"], EVIDENCE))
    second = threading.Thread(target=judge_checks, args=(
        {"quick": lambda _: second_ran.set()}, ["quick"], EVIDENCE))
    first.start()
    assert inside.wait(30)
    second.start()
    time.sleep(0.3)  # long enough for the second to run, were it not made to wait
    assert not second_ran.is_set()
    release.set()
    first.join(30)
    second.join(30)
    assert second_ran.is_set()


def test_the_same_draws_whatever_another_thread_seeds_meanwhile() -> None:
    draws: list[list[float]] = []

    def judge_draw(_: Evidence) -> None:
        torch.manual_seed(7)
        time.sleep(0.05)  # a window for the other thread's seeding, were it let in
        draws.append(torch.rand(4).tolist())

    def judge_reseed(_: Evidence) -> None:
        torch.manual_seed(99)

    threads = [threading.Thread(target=judge_checks, args=({"draw": judge_draw, "reseed": judge_reseed},
                                                          ["draw", "reseed"] if i % 2 else ["reseed", "draw"],
                                                          EVIDENCE)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    torch.manual_seed(7)
    assert draws == [torch.rand(4).tolist()] * 6


def test_judging_leaves_the_callers_random_generators_as_they_were() -> None:
    def judge_seeding(_: Evidence) -> None:
        random.seed(0)
        torch.manual_seed(0)
        torch.rand(3)

    torch.manual_seed(123)
    random.seed(123)
    torch_state, python_state = torch.get_rng_state(), random.getstate()
    assert judge_checks({"seeding": judge_seeding}, ["seeding"], EVIDENCE) == {"seeding": (True, "")}
    assert torch.equal(torch.get_rng_state(), torch_state) and random.getstate() == python_state
