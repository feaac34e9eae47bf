"""Scoring a planner against the world's symbolic oracle on generated instructions (`embodied eval-planner`).

Per case: the oracle's plan for the canonical targets from the start observation is the reference; the
planner sees the paraphrased instruction. Metrics: exact match (same subgoal texts in the same order),
executable (valid per planners.validation: vocabulary, arguments, order under the world's rules), achieves
targets (executable and doing every canonical target), where the plan came from
(the model directly, after one repair, the symbolic fallback, or the symbolic completion of the model's
subgoals) and planning latency.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any

from embodied.registry import world as world_spec
from embodied.types import InvalidPlanError
from planners.base import Planner
from planners.instructions import InstructionCase
from planners.validation import validate, vocabulary


@dataclass
class CaseResult:
    """One instruction: the planner's plan next to the oracle's, and how long planning took."""

    instruction: str
    canonical: str
    oracle: list[str]
    plan: list[str] | None
    source: str  # Plan.planner: "llm", "llm (repaired)", "symbolic (fallback from llm)", "symbolic completion
    # of llm" (the symbolic planner on the model's subgoals), or "error" (no plan)
    exact: bool
    executable: bool  # runs in this order from the start state (vocabulary, arguments, recipes)
    achieves: bool  # and does every canonical target
    latency_ms: float
    error: str = ""


def score_case(planner: Planner, oracle: Planner, case: InstructionCase, world: str) -> CaseResult:
    vocab = vocabulary(world)
    reference = [s.text for s in oracle.plan(case.canonical, case.observation, vocab.skills).subgoals]
    began = time.perf_counter()
    try:
        plan = planner.plan(case.instruction, case.observation, vocab.skills)
    except InvalidPlanError as error:
        latency = 1000 * (time.perf_counter() - began)
        return CaseResult(case.instruction, case.canonical, reference, None, "error", False, False, False, latency,
                          str(error))
    latency = 1000 * (time.perf_counter() - began)
    texts = [s.text for s in plan.subgoals]
    checks = []
    for instruction in ("", case.canonical):
        try:
            validate(plan.subgoals, case.observation, vocab.skills, oracle.check, instruction)
            checks.append("")
        except InvalidPlanError as invalid:
            checks.append(str(invalid))
    return CaseResult(case.instruction, case.canonical, reference, texts, plan.planner, texts == reference,
                      not checks[0], not checks[1], latency, checks[1])


def summarize(results: list[CaseResult], backend: str) -> dict[str, Any]:
    """Rates over all cases; `own_*` count only plans the backend itself wrote (no symbolic fallback)."""
    n = len(results)
    by_model = [r for r in results if r.source != "error" and not r.source.startswith("symbolic ")]
    return {
        "backend": backend,
        "instructions": n,
        "exact_match": sum(r.exact for r in results) / n,
        "executable": sum(r.executable for r in results) / n,
        "achieves_targets": sum(r.achieves for r in results) / n,
        "own_exact_match": sum(r.exact for r in by_model) / n,
        "own_executable": sum(r.executable for r in by_model) / n,
        "own_achieves_targets": sum(r.achieves for r in by_model) / n,
        "repaired": sum(r.source.endswith("(repaired)") for r in results) / n,
        "fallback": sum(r.source.startswith("symbolic (fallback") for r in results) / n,
        "completed": sum(r.source.startswith("symbolic completion") for r in results) / n,
        "errors": sum(r.source == "error" for r in results) / n,
        "median_latency_ms": statistics.median(r.latency_ms for r in results),
        "p90_latency_ms": sorted(r.latency_ms for r in results)[int(0.9 * (n - 1))],
    }


def evaluate_planner(planner: Planner, cases: list[InstructionCase], world: str, backend: str,
                     progress: Any = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(summary, per-case rows) for `planner` on `cases`; `progress(i, result)` is called after each case."""
    oracle = world_spec(world).load_rules()
    results = []
    for index, case in enumerate(cases):
        results.append(score_case(planner, oracle, case, world))
        if progress is not None:
            progress(index, results[-1])
    return summarize(results, backend), [asdict(r) for r in results]
