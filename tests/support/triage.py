"""The documented claimants of docs/triage-model.md: the reference person and five people
whose scores are computed by hand there. Shared by the unit and integration tests."""

from __future__ import annotations

from typing import Any

# The reference person: every contribution 0, logit 0.55.
BASE: dict[str, Any] = {
    "education_level": "upper_secondary",
    "years_work_history": 10,
    "last_sector": "other",
    "last_occupation_level": "middle",
    "hours_per_week": 32,
    "self_rated_health": 4,
    "work_limitations": "none",
    "job_search_intention": 4,
    "self_efficacy": 4,
    "expectation": 4,
    "social_network": 3,
    "dutch_language": "native",
    "digital_skills": 3,
    "mobility": "car",
    "driving_licence": False,
    "previous_unemployment_spells": 0,
    "severance_received": False,
    "reservation_wage_ratio": 1.0,
}

ANOUK = {
    **BASE,
    "education_level": "bachelor",
    "years_work_history": 12,
    "last_sector": "healthcare",
    "last_occupation_level": "higher",
    "hours_per_week": 36,
    "self_rated_health": 5,
    "job_search_intention": 5,
    "expectation": 5,
    "social_network": 4,
    "digital_skills": 4,
    "driving_licence": True,
}
BERT = {
    **BASE,
    "education_level": "lower_secondary",
    "years_work_history": 38,
    "last_sector": "manufacturing",
    "last_occupation_level": "lower",
    "hours_per_week": 40,
    "self_rated_health": 3,
    "work_limitations": "some",
    "job_search_intention": 3,
    "self_efficacy": 2,
    "expectation": 2,
    "social_network": 2,
    "digital_skills": 2,
    "driving_licence": True,
    "previous_unemployment_spells": 1,
    "severance_received": True,
    "reservation_wage_ratio": 1.1,
    "months_since_last_training": 60,
    "willing_to_retrain": False,
}
CHANTAL = {
    **BASE,
    "education_level": "vocational",
    "years_work_history": 4,
    "last_sector": "hospitality",
    "last_occupation_level": "elementary",
    "hours_per_week": 20,
    "self_efficacy": 3,
    "expectation": 3,
    "digital_skills": 5,
    "mobility": "bicycle",
    "previous_unemployment_spells": 2,
    "reservation_wage_ratio": 0.9,
    "willing_to_retrain": True,
}
DIRK = {
    **BASE,
    "education_level": "master_or_higher",
    "years_work_history": 25,
    "last_sector": "ict",
    "last_occupation_level": "academic",
    "hours_per_week": 40,
    "dutch_language": "fluent",
    "digital_skills": 5,
    "mobility": "public_transport",
    "severance_received": True,
    "reservation_wage_ratio": 1.3,
    "months_since_last_training": 6,
    "willing_to_retrain": True,
}
ESRA = {
    **BASE,
    "education_level": "primary",
    "years_work_history": 45,  # clipped to 40
    "last_sector": "retail",
    "last_occupation_level": "elementary",
    "hours_per_week": 60,
    "self_rated_health": 2,
    "work_limitations": "severe",
    "job_search_intention": 5,
    "self_efficacy": 3,
    "expectation": 3,
    "social_network": 1,
    "dutch_language": "basic",
    "digital_skills": 1,
    "mobility": "limited",
    "previous_unemployment_spells": 15,  # clipped to 10
    "reservation_wage_ratio": 0.4,  # clipped to 0.5
}
