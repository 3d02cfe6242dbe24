"""Coaching service: coach roster, cases, caseloads, work plans, obligations, closure."""
