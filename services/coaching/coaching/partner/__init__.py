"""The partner API (`/partner/v1`) for temp agencies: clients, tokens, vacancies and more."""
