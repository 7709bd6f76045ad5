"""The human expert study: blinded pairwise plan comparison in the browser, and its analysis.

`create_study_from_files` builds a study database; `serve` runs the web app; `export_study`
and `analyze` turn the answers into files and statistics (see method.md §5).
"""

from sciplan.study.agreement import (
    Agreement,
    InterAnnotator,
    JudgeAgreement,
    cohen_kappa,
    fleiss_kappa,
    inter_annotator,
    judge_agreement,
)
from sciplan.study.analyze import (
    Proportion,
    RubricStats,
    Scores,
    StudyReport,
    analyze,
    preference_test,
)
from sciplan.study.annotation import Annotation, Answer, ItemAnswer
from sciplan.study.app import create_app, serve
from sciplan.study.assign import Assignment, assign
from sciplan.study.config import ServeConfig, StudyConfig
from sciplan.study.create import (
    CreatedStudy,
    create_study,
    create_study_from_files,
    reissue_links,
)
from sciplan.study.export import export_study, read_annotations
from sciplan.study.store import StudyStore

__all__ = [
    "Agreement",
    "Annotation",
    "Answer",
    "Assignment",
    "CreatedStudy",
    "InterAnnotator",
    "ItemAnswer",
    "JudgeAgreement",
    "Proportion",
    "RubricStats",
    "Scores",
    "ServeConfig",
    "StudyConfig",
    "StudyReport",
    "StudyStore",
    "analyze",
    "assign",
    "cohen_kappa",
    "create_app",
    "create_study",
    "create_study_from_files",
    "export_study",
    "fleiss_kappa",
    "inter_annotator",
    "judge_agreement",
    "preference_test",
    "read_annotations",
    "reissue_links",
    "serve",
]
