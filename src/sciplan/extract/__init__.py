"""From papers to goals: sample creator, sample selector, leakage and duplicate checks, datasets.

    from sciplan.extract import ExtractConfig, load_extract_config, run_extract
    result = run_extract(papers, load_extract_config("configs/extract/demo.yaml"), Path("runs/demo"))
    result.accepted, result.tokens_per_goal, result.paths.goals

    goals = read_goals("release/")                    # a local copy of facebook/research-plan-gen
    write_goals(goals, "goals.parquet")
"""

from sciplan.extract.config import (
    GOAL_CRITERIA,
    RUBRIC_CRITERIA,
    ContextConfig,
    CreatorConfig,
    DedupConfig,
    EmbeddingConfig,
    ExtractConfig,
    LeakageConfig,
    SelectorConfig,
    load_extract_config,
)
from sciplan.extract.context import PaperContext, build_context, section_kind, split_context
from sciplan.extract.creator import Candidate, CreatorResult, clean_candidates, create_candidates, creator_messages
from sciplan.extract.dataset import detect_format, goal_to_flat, push_to_hub, read_goals, to_hf_dataset, write_goals
from sciplan.extract.dedup import Duplicate, DuplicateIndex, drop_duplicates, find_duplicates, jaccard, shingles
from sciplan.extract.embeddings import Embedder, LexicalEmbedder, MiniLMEmbedder, get_embedder, minilm_path
from sciplan.extract.errors import ExtractionError, JudgmentError
from sciplan.extract.leakage import ItemLeak, check_leakage, judge_leakage, leakage_rate, measure_leakage
from sciplan.extract.rpg import (
    RPG_COLUMNS,
    RPG_CONFIGS,
    RPG_REPO,
    RPG_SPLITS,
    goal_from_row,
    goal_to_row,
    load_rpg_hub,
    read_rpg,
    write_rpg,
)
from sciplan.extract.selector import (
    Check,
    ItemScore,
    ScoredCandidate,
    Selection,
    check_sample,
    grade_reference,
    mmr_select,
    score_candidate,
    score_items,
    select,
)
from sciplan.extract.splits import SplitConfig, mix_domains, mixture_counts, split_goals, venue_tier
from sciplan.extract.stage import ExtractPaths, ExtractResult, PaperLog, extract_papers, run_extract
from sciplan.extract.stats import DatasetStats, dataset_stats

__all__ = [
    "GOAL_CRITERIA", "RUBRIC_CRITERIA", "ContextConfig", "CreatorConfig", "DedupConfig", "EmbeddingConfig",
    "ExtractConfig", "LeakageConfig", "SelectorConfig", "load_extract_config",
    "PaperContext", "build_context", "section_kind", "split_context",
    "Candidate", "CreatorResult", "clean_candidates", "create_candidates", "creator_messages",
    "detect_format", "goal_to_flat", "push_to_hub", "read_goals", "to_hf_dataset", "write_goals",
    "Duplicate", "DuplicateIndex", "drop_duplicates", "find_duplicates", "jaccard", "shingles",
    "Embedder", "LexicalEmbedder", "MiniLMEmbedder", "get_embedder", "minilm_path",
    "ExtractionError", "JudgmentError",
    "ItemLeak", "check_leakage", "judge_leakage", "leakage_rate", "measure_leakage",
    "RPG_COLUMNS", "RPG_CONFIGS", "RPG_REPO", "RPG_SPLITS", "goal_from_row", "goal_to_row", "load_rpg_hub",
    "read_rpg", "write_rpg",
    "Check", "ItemScore", "ScoredCandidate", "Selection", "check_sample", "grade_reference", "mmr_select",
    "score_candidate", "score_items", "select",
    "SplitConfig", "mix_domains", "mixture_counts", "split_goals", "venue_tier",
    "ExtractPaths", "ExtractResult", "PaperLog", "extract_papers", "run_extract",
    "DatasetStats", "dataset_stats",
]
