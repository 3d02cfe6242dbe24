"""The self-reliance model: questionnaire definitions, model files, scoring and explanations.

Pure code (no database, no FastAPI): the API, the event handlers, batch scoring, model
fitting and the benchmarks all use these functions, so a score is computed one way only.
"""
