"""Vacancies published by partner clients, visible to coaches for matching their caseload."""
