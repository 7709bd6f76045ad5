"""sciplan's grader inside other frameworks: inspect_ai, verifiers (verl and OpenRLHF: see
`sciplan.train.verl` and `sciplan.serve`).

    from sciplan.integrations.inspect import research_plans     # needs inspect_ai
    from sciplan.integrations.verifiers import load_environment  # needs verifiers

The framework modules import their framework; this package itself imports neither.
"""

from sciplan.integrations.goals import read_goals
from sciplan.integrations.rubric import RubricScorer

__all__ = ["RubricScorer", "read_goals"]
