"""The verifiers environment `sciplan-research-plans`: research plans graded by sciplan's rubric grader."""

from sciplan.integrations.verifiers import load_environment

__all__ = ["load_environment"]
