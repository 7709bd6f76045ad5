"""Research plans from a model: the co-scientist itself."""

from sciplan.plan.planner import PlanConfig, plan_id, plan_messages, write_plan, write_plans

__all__ = ["PlanConfig", "plan_id", "plan_messages", "write_plan", "write_plans"]
