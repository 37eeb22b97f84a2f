"""All core models, imported here so Alembic and create_all see every table."""
from lms.models.assets import Asset
from lms.models.assignments import Assignment
from lms.models.audit import AuditEntry
from lms.models.cache import CacheGeneration
from lms.models.certificates import (Certificate, CertificateEvent, CertificateReminder, CertificateStatus, JpEntry,
                                     JpSource, JpStatus)
from lms.models.evaluation import (EvaluationAnswer, EvaluationForm, EvaluationKind,  # noqa: F401
                                    EvaluationRequest, EvaluationResponse)
from lms.models.competencies import (CompetencyEntry, Position, PositionRequirement,
                                     lesson_competencies, version_competencies)
from lms.models.courses import (Category, Competency, Course, CourseVersion, Lesson, Section, SpbeDomain,
                                VersionStatus, course_authors, course_prerequisites)
from lms.models.imports import ImportStatus, PackageImport
from lms.models.jp_totals import JpYearTotal
from lms.models.learning import Enrollment, EnrollmentSource, EnrollmentStatus, LessonProgress
from lms.models.notifications import Notification, NotificationStatus
from lms.models.orgs import Unit, UnitKind
from lms.models.scorm import ScormState
from lms.models.quizzes import (Attempt, AttemptQuestion, AttemptState, GradingMethod, Question,
                                Quiz)
from lms.models.tokens import ApiToken
from lms.models.users import AnonymousUser, Role, User
from lms.models.xapi import XapiStatement, XapiStatus

__all__ = [
    "CompetencyEntry", "Position", "PositionRequirement", "SpbeDomain", "lesson_competencies",
    "version_competencies",
    "ApiToken", "CacheGeneration", "ImportStatus", "PackageImport", "ScormState", "Asset", "Assignment", "AuditEntry", "Notification", "NotificationStatus",
    "Certificate", "CertificateEvent", "CertificateReminder", "CertificateStatus", "JpEntry", "JpSource", "JpStatus", "JpYearTotal",
    "AnonymousUser", "Attempt", "AttemptQuestion", "AttemptState", "GradingMethod", "Question", "Quiz", "Category", "Competency", "Course", "CourseVersion", "Enrollment",
    "EnrollmentSource", "EnrollmentStatus", "Lesson", "LessonProgress", "Role", "Section", "Unit",
    "UnitKind", "User", "VersionStatus", "XapiStatement", "XapiStatus", "course_authors", "course_prerequisites",
]
